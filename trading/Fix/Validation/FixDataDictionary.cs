using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Xml.Linq;

namespace BigDataTrading.Fix;

/// <summary>Value types a <see cref="FixDataDictionary"/> checks (the FIX data types folded into what the check needs).</summary>
public enum FixFieldType
{
    /// <summary>Any non-empty text (String, Currency, Exchange, LocalMktDate, MonthYear ...): not format-checked.</summary>
    String,

    /// <summary>One character.</summary>
    Char,

    /// <summary>Integer, optional leading '-' (Int, Length, SeqNum, NumInGroup, TagNum, DayOfMonth).</summary>
    Int,

    /// <summary>Decimal number: optional '-', digits, optional '.', no exponent or '+' (Float, Qty, Price, Amt, PriceOffset, Percentage).</summary>
    Decimal,

    /// <summary><c>Y</c> or <c>N</c>.</summary>
    Boolean,

    /// <summary><c>yyyyMMdd-HH:mm:ss[.fff]</c>.</summary>
    UtcTimestamp,

    /// <summary>Space-separated enumerated values (MultipleValueString / MultipleCharValue).</summary>
    MultipleValue,

    /// <summary>Raw data (Data, XmlData): not format-checked.</summary>
    Data,
}

/// <summary>
/// What the session layer validates inbound messages against: header/trailer fields, field types, per-message-type
/// required fields and allowed fields, repeating groups, enumerations.
/// </summary>
/// <remarks>
/// <para>Two kinds: the built-in dictionaries (<see cref="Fix44"/>, <see cref="Fix42"/>) know the standard header,
/// the admin messages and the types of the fields this engine reads; they check structure, empty values, data
/// formats and admin required fields, and let unknown tags and message types through (a venue's custom tags must
/// not break the session). A <em>complete</em> dictionary loaded from a QuickFIX-format XML spec
/// (<see cref="Load(string)"/>) additionally rejects unknown tags and message types, tags not defined for the
/// message type, enum values outside the list, required application fields, repeated top-level tags and the
/// structure of repeating groups (<see cref="FixGroupDefinition"/>: NumInGroup count, delimiter first, member order,
/// required members, nested groups) — QuickFIX's default validation plus the group rules of the FIX spec.</para>
/// <para>Immutable and thread-safe once built.</para>
/// </remarks>
public sealed class FixDataDictionary
{
    private static readonly Lazy<FixDataDictionary> s_fix44 = new(() => BuiltIn(FixVersions.Fix44));
    private static readonly Lazy<FixDataDictionary> s_fix42 = new(() => BuiltIn(FixVersions.Fix42));

    private readonly FrozenDictionary<int, FieldDefinition> _fields;
    private readonly FrozenSet<int> _header;
    private readonly FrozenSet<int> _trailer;
    private readonly int[] _headerRequired;
    private readonly FrozenDictionary<string, MessageDefinition> _messages;

    private FixDataDictionary(
        string beginString,
        bool isComplete,
        Dictionary<int, FieldDefinition> fields,
        IEnumerable<int> header,
        IEnumerable<int> trailer,
        IEnumerable<int> headerRequired,
        Dictionary<string, MessageDefinition> messages)
    {
        BeginString = beginString;
        IsComplete = isComplete;
        _fields = fields.ToFrozenDictionary();
        _header = header.ToFrozenSet();
        _trailer = trailer.ToFrozenSet();
        _headerRequired = [.. headerRequired.Where(t => t is not (FixTag.BeginString or FixTag.BodyLength or FixTag.MsgType)).Order()];
        _messages = messages.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The built-in FIX 4.4 session dictionary (see remarks).</summary>
    public static FixDataDictionary Fix44 => s_fix44.Value;

    /// <summary>The built-in FIX 4.2 session dictionary (see remarks).</summary>
    public static FixDataDictionary Fix42 => s_fix42.Value;

    /// <summary>The BeginString this dictionary describes.</summary>
    public string BeginString { get; }

    /// <summary>True for a full spec: unknown tags, message types and enum values are rejected.</summary>
    public bool IsComplete { get; }

    /// <summary>The built-in dictionary for <paramref name="beginString"/> (FIX.4.4 for anything it does not know).</summary>
    public static FixDataDictionary ForBeginString(string beginString) => beginString == FixVersions.Fix42 ? Fix42 : Fix44;

    /// <summary>True when <paramref name="tag"/> belongs to the standard header.</summary>
    public bool IsHeaderField(int tag) => _header.Contains(tag);

    /// <summary>True when <paramref name="tag"/> belongs to the standard trailer.</summary>
    public bool IsTrailerField(int tag) => _trailer.Contains(tag);

    /// <summary>True when the dictionary defines <paramref name="msgType"/>.</summary>
    public bool IsMessageTypeDefined(string msgType) => _messages.ContainsKey(msgType);

    /// <summary>Loads a complete dictionary from a QuickFIX-format XML spec (e.g. FIX44.xml).</summary>
    public static FixDataDictionary Load(string path)
    {
        using var stream = File.OpenRead(path);
        return Load(stream);
    }

    /// <summary>Loads a complete dictionary from a QuickFIX-format XML spec.</summary>
    /// <exception cref="FormatException">The document is not a FIX spec or refers to undefined fields/components.</exception>
    public static FixDataDictionary Load(Stream xml)
    {
        var root = XDocument.Load(xml).Root ?? throw new FormatException("Empty FIX dictionary document.");
        if (root.Name.LocalName != "fix")
        {
            throw new FormatException($"Root element is <{root.Name.LocalName}>, expected <fix>.");
        }

        var beginString = string.Create(CultureInfo.InvariantCulture, $"{(string?)root.Attribute("type") ?? "FIX"}.{(string?)root.Attribute("major")}.{(string?)root.Attribute("minor")}");
        var fields = new Dictionary<int, FieldDefinition>();
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var f in root.Element("fields")?.Elements("field") ?? [])
        {
            var tag = int.Parse((string)f.Attribute("number")!, CultureInfo.InvariantCulture);
            var name = (string)f.Attribute("name")!;
            var values = f.Elements("value").Select(v => (string)v.Attribute("enum")!).ToFrozenSet(StringComparer.Ordinal);
            fields[tag] = new FieldDefinition(tag, MapType((string?)f.Attribute("type")), values.Count == 0 ? null : values);
            byName[name] = tag;
        }

        var components = (root.Element("components")?.Elements("component") ?? []).ToDictionary(c => (string)c.Attribute("name")!, StringComparer.Ordinal);

        var header = new Section();
        CollectSection(root.Element("header"), header, required: true, byName, components);
        var trailer = new Section();
        CollectSection(root.Element("trailer"), trailer, required: true, byName, components);

        var messages = new Dictionary<string, MessageDefinition>(StringComparer.Ordinal);
        foreach (var m in root.Element("messages")?.Elements("message") ?? [])
        {
            var section = new Section();
            CollectSection(m, section, required: true, byName, components);
            var msgType = (string)m.Attribute("msgtype")!;
            messages[msgType] = new MessageDefinition(section.Fields.ToFrozenSet(), section.Direct.ToFrozenSet(), [.. section.Required.Order()], section.Groups.ToFrozenDictionary());
        }

        return new FixDataDictionary(beginString, isComplete: true, fields, header.Fields, trailer.Fields, header.Required, messages);
    }

    /// <summary>The repeating group whose NumInGroup tag is <paramref name="countTag"/> at the top level of
    /// <paramref name="msgType"/> (nested groups: <see cref="FixGroupDefinition.TryGetNestedGroup"/>).</summary>
    public bool TryGetGroup(string msgType, int countTag, [NotNullWhen(true)] out FixGroupDefinition? group)
    {
        group = null;
        return _messages.TryGetValue(msgType, out var definition) && definition.Groups.TryGetValue(countTag, out group);
    }

    /// <summary>
    /// Validates <paramref name="message"/>; returns null when it is acceptable. Checks, in QuickFIX's order:
    /// header fields after body fields, MsgType defined (complete only), required header fields then required body
    /// fields (ascending tag), then per field in wire order: empty value, data format, enumeration (complete only),
    /// tag defined and allowed in the message type (complete only); then the body's structure in wire order:
    /// repeating groups (count = instances → else 16, delimiter first and members in order → else 15, required
    /// members per instance → else 1, nested groups alike), and (complete only) a body field outside any group that
    /// is not a top-level field of the message type (2) or appears twice (13).
    /// </summary>
    public FixValidationError? Validate(FixMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var count = message.FieldCount;

        // Index 0, 1 and count-1 are 8, 9 and 10 (guaranteed by framing); 35 is index 2.
        var seenBody = false;
        for (var i = 3; i < count - 1; i++)
        {
            var tag = message.GetTagAt(i);
            if (_header.Contains(tag))
            {
                if (seenBody)
                {
                    return new FixValidationError(FixSessionRejectReason.TagSpecifiedOutOfRequiredOrder, tag);
                }
            }
            else if (!_trailer.Contains(tag))
            {
                seenBody = true;
            }
        }

        _messages.TryGetValue(message.MsgType, out var definition);
        if (IsComplete && definition is null)
        {
            return new FixValidationError(FixSessionRejectReason.InvalidMsgType, null);
        }

        foreach (var tag in _headerRequired)
        {
            if (!message.Contains(tag))
            {
                return new FixValidationError(FixSessionRejectReason.RequiredTagMissing, tag);
            }
        }

        if (definition is not null)
        {
            foreach (var tag in definition.Required)
            {
                if (!message.Contains(tag))
                {
                    return new FixValidationError(FixSessionRejectReason.RequiredTagMissing, tag);
                }
            }
        }

        for (var i = 2; i < count - 1; i++)
        {
            var tag = message.GetTagAt(i);
            var value = message.GetValueAt(i);
            if (value.IsEmpty)
            {
                return new FixValidationError(FixSessionRejectReason.TagSpecifiedWithoutAValue, tag);
            }

            _fields.TryGetValue(tag, out var field);
            if (field is not null)
            {
                if (!IsValidFormat(field.Type, value))
                {
                    return new FixValidationError(FixSessionRejectReason.IncorrectDataFormat, tag);
                }

                if (IsComplete && field.Values is not null && !IsValidEnum(field, value))
                {
                    return new FixValidationError(FixSessionRejectReason.ValueIsIncorrect, tag);
                }
            }

            if (!IsComplete)
            {
                continue;
            }

            if (field is null)
            {
                return new FixValidationError(FixSessionRejectReason.InvalidTagNumber, tag);
            }

            if (_header.Contains(tag) || _trailer.Contains(tag) || definition is null)
            {
                continue;
            }

            if (!definition.Fields.Contains(tag))
            {
                return new FixValidationError(FixSessionRejectReason.TagNotDefinedForThisMessageType, tag);
            }
        }

        return definition is null ? null : ValidateStructure(message, definition);
    }

    /// <summary>Walks the body: groups by their definitions, everything else must be a top-level field, once.</summary>
    private FixValidationError? ValidateStructure(FixMessage message, MessageDefinition definition)
    {
        if (definition.Groups.Count == 0 && !IsComplete)
        {
            return null;
        }

        var end = message.FieldCount - 1;
        Span<int> seenSmall = stackalloc int[64];
        var seenCount = 0;
        List<int>? seenLarge = null;
        var i = 3;
        while (i < end)
        {
            var tag = message.GetTagAt(i);
            if (_header.Contains(tag) || _trailer.Contains(tag))
            {
                i++;
                continue;
            }

            if (IsComplete)
            {
                if (!definition.TopLevel.Contains(tag))
                {
                    // Defined for the message type only inside a group, but found outside one.
                    return new FixValidationError(FixSessionRejectReason.TagNotDefinedForThisMessageType, tag);
                }

                if (seenSmall[..Math.Min(seenCount, seenSmall.Length)].Contains(tag) || (seenLarge?.Contains(tag) ?? false))
                {
                    return new FixValidationError(FixSessionRejectReason.TagAppearsMoreThanOnce, tag);
                }

                if (seenCount < seenSmall.Length)
                {
                    seenSmall[seenCount] = tag;
                }
                else
                {
                    (seenLarge ??= []).Add(tag);
                }

                seenCount++;
            }

            if (definition.Groups.TryGetValue(tag, out var group))
            {
                i = group.Walk(message, i, end, null, out var error);
                if (error is not null)
                {
                    return error;
                }
            }
            else
            {
                i++;
            }
        }

        return null;
    }

    private static bool IsValidEnum(FieldDefinition field, ReadOnlySpan<byte> value)
    {
        var lookup = field.Values!.GetAlternateLookup<ReadOnlySpan<char>>();
        Span<char> chars = stackalloc char[Math.Min(value.Length, 256)];
        if (value.Length > chars.Length)
        {
            return true;
        }

        for (var i = 0; i < value.Length; i++)
        {
            chars[i] = (char)value[i];
        }

        if (field.Type != FixFieldType.MultipleValue)
        {
            return lookup.Contains(chars);
        }

        foreach (var range in ((ReadOnlySpan<char>)chars).Split(' '))
        {
            if (!lookup.Contains(chars[range]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Format check for one value by type (QuickFIX's converters: no '+', no exponent, no spaces).</summary>
    internal static bool IsValidFormat(FixFieldType type, ReadOnlySpan<byte> value)
    {
        switch (type)
        {
            case FixFieldType.Char:
                return value.Length == 1;
            case FixFieldType.Boolean:
                return value.Length == 1 && value[0] is (byte)'Y' or (byte)'N';
            case FixFieldType.Int:
            {
                var start = value[0] == (byte)'-' ? 1 : 0;
                if (start == value.Length)
                {
                    return false;
                }

                foreach (var b in value[start..])
                {
                    if (b is < (byte)'0' or > (byte)'9')
                    {
                        return false;
                    }
                }

                return true;
            }

            case FixFieldType.Decimal:
            {
                var start = value[0] == (byte)'-' ? 1 : 0;
                var digits = 0;
                var dots = 0;
                foreach (var b in value[start..])
                {
                    if (b == (byte)'.')
                    {
                        dots++;
                    }
                    else if (b is >= (byte)'0' and <= (byte)'9')
                    {
                        digits++;
                    }
                    else
                    {
                        return false;
                    }
                }

                return digits > 0 && dots <= 1;
            }

            case FixFieldType.UtcTimestamp:
                return FixValue.TryParseTimestamp(value, out _);
            default:
                return true;
        }
    }

    private static FixFieldType MapType(string? type) => type switch
    {
        "INT" or "LENGTH" or "SEQNUM" or "NUMINGROUP" or "DAYOFMONTH" or "TAGNUM" => FixFieldType.Int,
        "FLOAT" or "QTY" or "PRICE" or "PRICEOFFSET" or "AMT" or "PERCENTAGE" => FixFieldType.Decimal,
        "CHAR" => FixFieldType.Char,
        "BOOLEAN" => FixFieldType.Boolean,
        "UTCTIMESTAMP" => FixFieldType.UtcTimestamp,
        "MULTIPLEVALUESTRING" or "MULTIPLESTRINGVALUE" or "MULTIPLECHARVALUE" => FixFieldType.MultipleValue,
        "DATA" or "XMLDATA" => FixFieldType.Data,
        _ => FixFieldType.String,
    };

    /// <summary>Adds the fields, groups and components under <paramref name="element"/> to <paramref name="section"/>.</summary>
    private static void CollectSection(XElement? element, Section section, bool required, Dictionary<string, int> byName, Dictionary<string, XElement> components)
    {
        if (element is null)
        {
            return;
        }

        foreach (var child in element.Elements())
        {
            var name = (string?)child.Attribute("name") ?? throw new FormatException($"<{child.Name.LocalName}> without a name.");
            var childRequired = required && (string?)child.Attribute("required") == "Y";
            switch (child.Name.LocalName)
            {
                case "field":
                {
                    var tag = Resolve(name, byName);
                    section.Fields.Add(tag);
                    section.Direct.Add(tag);
                    if (childRequired)
                    {
                        section.Required.Add(tag);
                    }

                    break;
                }

                case "component":
                    if (!components.TryGetValue(name, out var component))
                    {
                        throw new FormatException($"Component '{name}' is not defined.");
                    }

                    CollectSection(component, section, childRequired, byName, components);
                    break;
                case "group":
                {
                    var countTag = Resolve(name, byName);
                    section.Fields.Add(countTag);
                    section.Direct.Add(countTag);
                    if (childRequired)
                    {
                        section.Required.Add(countTag);
                    }

                    // Group members are allowed in the message; only the count is required at message level, the
                    // members' own required flags apply to each instance.
                    var members = new Section();
                    CollectSection(child, members, required: true, byName, components);
                    if (members.Direct.Count == 0)
                    {
                        throw new FormatException($"Group '{name}' has no fields.");
                    }

                    section.Fields.UnionWith(members.Fields);
                    try
                    {
                        section.Groups[countTag] = new FixGroupDefinition(countTag, members.Direct, members.Required, members.Groups.Values);
                    }
                    catch (ArgumentException ex)
                    {
                        throw new FormatException($"Group '{name}' ({countTag}) is not a valid repeating group: {ex.Message}", ex);
                    }

                    break;
                }
            }
        }
    }

    private static int Resolve(string name, Dictionary<string, int> byName) =>
        byName.TryGetValue(name, out var tag) ? tag : throw new FormatException($"Field '{name}' is not defined.");

    /// <summary>The header, admin messages and field types this engine needs, per version (see remarks on the class).</summary>
    private static FixDataDictionary BuiltIn(string beginString)
    {
        var fields = new Dictionary<int, FieldDefinition>();
        void Add(FixFieldType type, params int[] tags)
        {
            foreach (var tag in tags)
            {
                fields[tag] = new FieldDefinition(tag, type, null);
            }
        }

        Add(FixFieldType.Int, FixTag.BodyLength, FixTag.MsgSeqNum, FixTag.BeginSeqNo, FixTag.EndSeqNo, FixTag.NewSeqNo, FixTag.RefSeqNum,
            FixTag.EncryptMethod, FixTag.HeartBtInt, FixTag.RefTagId, FixTag.SessionRejectReason, FixTag.BusinessRejectReason, 369, 383, 386, 627);
        Add(FixFieldType.Boolean, FixTag.PossDupFlag, 97, FixTag.GapFillFlag, 141);
        Add(FixFieldType.UtcTimestamp, FixTag.SendingTime, FixTag.OrigSendingTime, FixTag.TransactTime);
        Add(FixFieldType.Decimal, FixTag.AvgPx, FixTag.CumQty, FixTag.LastPx, FixTag.LastQty, FixTag.OrderQty, FixTag.Price, FixTag.LeavesQty);
        Add(FixFieldType.Char, FixTag.OrdStatus, FixTag.OrdType, FixTag.Side, FixTag.TimeInForce, FixTag.ExecType);

        int[] header = [8, 9, 35, 49, 56, 115, 128, 90, 91, 34, 50, 142, 57, 143, 116, 144, 129, 145, 43, 97, 52, 122, 212, 213, 347, 369, 627, 628, 629, 630];
        int[] trailer = [93, 89, 10];
        int[] headerRequired = [8, 9, 35, 34, 49, 52, 56];
        MessageDefinition Admin(params int[] required) => new([.. required], [.. required], required, FrozenDictionary<int, FixGroupDefinition>.Empty);
        var messages = new Dictionary<string, MessageDefinition>(StringComparer.Ordinal)
        {
            [FixMsgType.Heartbeat] = Admin(),
            [FixMsgType.TestRequest] = Admin(FixTag.TestReqId),
            [FixMsgType.ResendRequest] = Admin(FixTag.BeginSeqNo, FixTag.EndSeqNo),
            [FixMsgType.Reject] = Admin(FixTag.RefSeqNum),
            [FixMsgType.SequenceReset] = Admin(FixTag.NewSeqNo),
            [FixMsgType.Logout] = Admin(),
            [FixMsgType.Logon] = Admin(FixTag.EncryptMethod, FixTag.HeartBtInt),
        };
        return new FixDataDictionary(beginString, isComplete: false, fields, header, trailer, headerRequired, messages);
    }

    private sealed record FieldDefinition(int Tag, FixFieldType Type, FrozenSet<string>? Values);

    /// <param name="Fields">Every tag the message type may carry, group members included.</param>
    /// <param name="TopLevel">Tags allowed outside groups (fields and group count tags, components expanded).</param>
    /// <param name="Required">Required top-level tags, ascending.</param>
    /// <param name="Groups">Top-level groups by count tag.</param>
    private sealed record MessageDefinition(FrozenSet<int> Fields, FrozenSet<int> TopLevel, int[] Required, FrozenDictionary<int, FixGroupDefinition> Groups);

    private sealed class Section
    {
        public HashSet<int> Fields { get; } = [];

        /// <summary>Fields and group count tags at this level (not inside its groups), in specification order.</summary>
        public List<int> Direct { get; } = [];

        public List<int> Required { get; } = [];

        public Dictionary<int, FixGroupDefinition> Groups { get; } = [];
    }
}
