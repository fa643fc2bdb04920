using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace BigDataTrading.Fix;

/// <summary>
/// One validated FIX message: the raw bytes plus an index of (tag → value offset/length) over them.
/// Getters parse values straight from the bytes, so reading a numeric field allocates nothing;
/// only <see cref="GetString"/>/<see cref="TryGetString"/> allocate.
/// </summary>
/// <remarks>
/// Immutable and safe to share between threads. It owns a private copy of its bytes, so it stays valid after the
/// frame reader's buffer is reused. Field lookup is a linear scan (FIX messages are tens of fields); when a tag
/// repeats (repeating groups) the first occurrence wins — read groups instance by instance with <see cref="TryGetGroup"/>.
/// </remarks>
public sealed class FixMessage : IFixFields
{
    private readonly byte[] _raw;
    private readonly Field[] _fields;

    private FixMessage(byte[] raw, Field[] fields, string msgType)
    {
        _raw = raw;
        _fields = fields;
        MsgType = msgType;
    }

    /// <summary>The complete frame, from <c>8=</c> through the SOH after the checksum.</summary>
    public ReadOnlyMemory<byte> Raw => _raw;

    /// <summary>MsgType (35); common types return shared constant strings (see <see cref="FixMsgType"/>).</summary>
    public string MsgType { get; }

    /// <summary>BeginString (8), e.g. <c>FIX.4.4</c>; the common versions return shared constant strings.</summary>
    public string BeginString => FixVersions.FromSpan(_raw.AsSpan(_fields[0].Offset, _fields[0].Length));

    /// <summary>MsgSeqNum (34), or 0 when absent or not a number.</summary>
    public int MsgSeqNum => TryGetInt(FixTag.MsgSeqNum, out var value) ? value : 0;

    /// <summary>True when PossDupFlag (43) is <c>Y</c>.</summary>
    public bool IsPossDup => TryGetBool(FixTag.PossDupFlag, out var value) && value;

    /// <summary>Number of fields, including 8, 9 and 10.</summary>
    public int FieldCount => _fields.Length;

    /// <summary>The tag of the field at <paramref name="index"/> (wire order).</summary>
    public int GetTagAt(int index) => _fields[index].Tag;

    /// <summary>The raw value bytes of the field at <paramref name="index"/> (wire order; may be empty).</summary>
    public ReadOnlySpan<byte> GetValueAt(int index)
    {
        var field = _fields[index];
        return _raw.AsSpan(field.Offset, field.Length);
    }

    /// <summary>True when the BeginString (8) equals <paramref name="beginString"/>.</summary>
    public bool BeginStringEquals(string beginString) => ValueEquals(FixTag.BeginString, beginString);

    /// <summary>
    /// The raw bytes of the fields from index <paramref name="fromIndex"/> up to (not including) CheckSum(10),
    /// each with its tag and trailing SOH, e.g. to copy a message body into a new message.
    /// </summary>
    internal ReadOnlySpan<byte> GetRawFieldsFrom(int fromIndex)
    {
        var start = FieldStart(fromIndex);
        var end = FieldStart(_fields.Length - 1);
        return start >= end ? [] : _raw.AsSpan(start, end - start);
    }

    private int FieldStart(int index) => index == 0 ? 0 : _fields[index - 1].Offset + _fields[index - 1].Length + 1;

    /// <summary>True when <paramref name="tag"/> is present.</summary>
    public bool Contains(int tag) => IndexOf(tag) >= 0;

    /// <summary>The raw value bytes of <paramref name="tag"/> (no allocation).</summary>
    public bool TryGetValue(int tag, out ReadOnlySpan<byte> value)
    {
        var index = IndexOf(tag);
        if (index < 0)
        {
            value = default;
            return false;
        }

        var field = _fields[index];
        value = _raw.AsSpan(field.Offset, field.Length);
        return true;
    }

    /// <summary>True when <paramref name="tag"/> is present and its bytes equal <paramref name="expected"/> (ordinal).</summary>
    public bool ValueEquals(int tag, string expected)
    {
        if (!TryGetValue(tag, out var value) || value.Length != Encoding.UTF8.GetByteCount(expected))
        {
            return false;
        }

        Span<byte> buffer = expected.Length <= 128 ? stackalloc byte[value.Length] : new byte[value.Length];
        Encoding.UTF8.GetBytes(expected, buffer);
        return value.SequenceEqual(buffer);
    }

    /// <summary>Parses an integer field (invariant, optional leading '-').</summary>
    public bool TryGetInt(int tag, out int value)
    {
        value = 0;
        return TryGetValue(tag, out var span) && FixValue.TryParseInt(span, out value);
    }

    /// <summary>Parses a long integer field.</summary>
    public bool TryGetLong(int tag, out long value)
    {
        value = 0;
        return TryGetValue(tag, out var span) && FixValue.TryParseLong(span, out value);
    }

    /// <summary>Parses a decimal (Qty/Price/Amt) field: optional sign, digits, optional decimal point; no exponent.</summary>
    public bool TryGetDecimal(int tag, out decimal value)
    {
        value = 0;
        return TryGetValue(tag, out var span) && FixValue.TryParseDecimal(span, out value);
    }

    /// <summary>Reads a single-character field (enumerations such as Side, OrdType, ExecType).</summary>
    public bool TryGetChar(int tag, out char value)
    {
        value = default;
        return TryGetValue(tag, out var span) && FixValue.TryParseChar(span, out value);
    }

    /// <summary>Reads a FIX boolean (<c>Y</c>/<c>N</c>).</summary>
    public bool TryGetBool(int tag, out bool value)
    {
        value = false;
        return TryGetValue(tag, out var span) && FixValue.TryParseBool(span, out value);
    }

    /// <summary>Parses a UTCTimestamp: <c>yyyyMMdd-HH:mm:ss</c> with optional <c>.fff</c> (up to 9 fraction digits).</summary>
    public bool TryGetTimestamp(int tag, out DateTimeOffset value)
    {
        value = default;
        return TryGetValue(tag, out var span) && FixValue.TryParseTimestamp(span, out value);
    }

    /// <summary>
    /// Reads the repeating group <paramref name="group"/> (e.g. NoPartyIDs 453 from
    /// <see cref="FixDataDictionary.TryGetGroup"/>): true with its instances in wire order (none when the count tag is
    /// absent); false with the session-level reason when the group is malformed — count not matching the instances
    /// (16), delimiter not first or members out of order (15), a required member missing (1).
    /// </summary>
    public bool TryGetGroup(FixGroupDefinition group, out IReadOnlyList<FixGroupInstance> instances, [NotNullWhen(false)] out FixValidationError? error) =>
        FixGroupReader.TryRead(this, group, 3, _fields.Length - 1, out instances, out error);

    /// <summary>Decodes a field as a string (allocates); null when absent.</summary>
    public string? GetString(int tag) => TryGetValue(tag, out var span) ? Encoding.UTF8.GetString(span) : null;

    /// <summary>Decodes a field as a string (allocates).</summary>
    public bool TryGetString(int tag, [NotNullWhen(true)] out string? value)
    {
        value = GetString(tag);
        return value is not null;
    }

    /// <summary>The message with SOH shown as '|', for diagnostics.</summary>
    public override string ToString() => Encoding.UTF8.GetString(_raw).Replace('\u0001', '|');

    /// <summary>
    /// Parses exactly one complete frame (BeginString, BodyLength and CheckSum verified).
    /// </summary>
    /// <exception cref="FormatException">The bytes are not exactly one valid FIX message.</exception>
    public static FixMessage Parse(ReadOnlySpan<byte> frame) =>
        TryParse(frame, out var message, out var error) ? message : throw new FormatException(error.Description);

    /// <summary>Parses exactly one complete frame; on failure describes why.</summary>
    public static bool TryParse(ReadOnlySpan<byte> frame, [NotNullWhen(true)] out FixMessage? message, [NotNullWhen(false)] out FixFrameError? error)
    {
        // Same checks as FixFrameReader, without its receive buffer (parsing one frame should cost one copy).
        message = null;
        error = null;
        switch (FixFraming.TryReadHeader(frame, out var bodyLength, out var bodyStart))
        {
            case HeaderStatus.NotAFrameStart:
                error = new FixFrameError(FixFrameErrorKind.Garbage, "does not start with 8=FIX...<SOH>9=", frame.Length);
                return false;
            case HeaderStatus.NeedMore:
                error = new FixFrameError(FixFrameErrorKind.Incomplete, "incomplete frame", frame.Length);
                return false;
            case HeaderStatus.InvalidBodyLength:
                error = new FixFrameError(FixFrameErrorKind.InvalidBodyLength, "BodyLength(9) is not a valid number", frame.Length);
                return false;
        }

        var trailerStart = bodyStart + bodyLength;
        var total = trailerStart + FixFraming.TrailerLength;
        if (frame.Length < total)
        {
            error = new FixFrameError(FixFrameErrorKind.Incomplete, "incomplete frame", frame.Length);
            return false;
        }

        if (frame[trailerStart - 1] != FixFraming.Soh || !FixFraming.TryReadTrailer(frame.Slice(trailerStart, FixFraming.TrailerLength), out var declared))
        {
            error = new FixFrameError(FixFrameErrorKind.BodyLengthMismatch, $"BodyLength {bodyLength} does not end at a CheckSum(10) field", frame.Length);
            return false;
        }

        var computed = FixFraming.Checksum(frame[..trailerStart]);
        if (computed != declared)
        {
            error = new FixFrameError(FixFrameErrorKind.ChecksumMismatch, $"CheckSum {declared:000} declared but {computed:000} computed", frame.Length);
            return false;
        }

        if (frame.Length != total)
        {
            error = new FixFrameError(FixFrameErrorKind.Garbage, "trailing bytes after the frame", frame.Length - total);
            return false;
        }

        message = Create(frame.ToArray(), out var fieldError);
        if (message is null)
        {
            error = new FixFrameError(FixFrameErrorKind.MalformedField, fieldError!, frame.Length);
            return false;
        }

        return true;
    }

    /// <summary>
    /// Indexes the fields of a frame whose BodyLength and CheckSum were already verified.
    /// Returns null with a reason when a field is malformed or 35 is not the third field.
    /// </summary>
    internal static FixMessage? Create(byte[] raw, out string? error)
    {
        var fields = new Field[24];
        if (!TryIndex(raw, ref fields, out var count, out error))
        {
            return null;
        }

        var msgType = FixMsgType.FromSpan(raw.AsSpan(fields[2].Offset, fields[2].Length));
        return new FixMessage(raw, fields[..count], msgType);
    }

    /// <summary>
    /// Splits <paramref name="raw"/> into fields, growing <paramref name="fields"/> when needed (so a caller can reuse
    /// one array). Tags are signed integers (so <c>0=</c> or <c>-1=</c> reach the session, which rejects them with
    /// "Invalid tag number" as FIX requires, instead of being dropped as garbled); empty values are indexed too
    /// (rejected by the session as "Tag specified without a value"). A tag that is not a number, a missing '=' or
    /// MsgType(35) not third makes the frame garbled.
    /// </summary>
    internal static bool TryIndexNoAlloc(ReadOnlySpan<byte> raw, ref Field[] fields, out int count) =>
        TryIndex(raw, ref fields, out count, out _, describeErrors: false);

    internal static bool TryIndex(ReadOnlySpan<byte> raw, ref Field[] fields, out int count, out string? error, bool describeErrors = true)
    {
        count = 0;
        var pos = 0;
        while (pos < raw.Length)
        {
            var tag = 0;
            var digits = 0;
            var negative = raw[pos] == (byte)'-';
            if (negative)
            {
                pos++;
            }

            while (pos < raw.Length && raw[pos] is >= (byte)'0' and <= (byte)'9')
            {
                if (++digits > 9)
                {
                    error = describeErrors ? $"tag too long at offset {pos}" : null;
                    return false;
                }

                tag = (tag * 10) + (raw[pos] - '0');
                pos++;
            }

            if (digits == 0 || pos >= raw.Length || raw[pos] != (byte)'=')
            {
                error = describeErrors ? $"malformed field at offset {pos}" : null;
                return false;
            }

            pos++;
            var end = IndexOfSoh(raw, pos);
            if (end < 0)
            {
                error = describeErrors ? $"tag {tag} is not terminated by SOH" : null;
                return false;
            }

            if (count == fields.Length)
            {
                Array.Resize(ref fields, fields.Length * 2);
            }

            fields[count++] = new Field(negative ? -tag : tag, pos, end);
            pos += end + 1;
        }

        if (count < 4 || fields[2].Tag != FixTag.MsgType || fields[2].Length == 0)
        {
            error = "MsgType(35) must be the third field";
            return false;
        }

        error = null;
        return true;
    }

    /// <summary>
    /// Length of the value starting at <paramref name="from"/> up to the next SOH, or -1. Most FIX values are a few
    /// bytes, where a plain loop beats the vectorised search's set-up; long values (text, data) switch to it.
    /// </summary>
    private static int IndexOfSoh(ReadOnlySpan<byte> raw, int from)
    {
        var limit = Math.Min(raw.Length, from + 16);
        for (var i = from; i < limit; i++)
        {
            if (raw[i] == FixFraming.Soh)
            {
                return i - from;
            }
        }

        if (limit == raw.Length)
        {
            return -1;
        }

        var rest = raw[limit..].IndexOf(FixFraming.Soh);
        return rest < 0 ? -1 : limit - from + rest;
    }

    private int IndexOf(int tag)
    {
        var fields = _fields;
        for (var i = 0; i < fields.Length; i++)
        {
            if (fields[i].Tag == tag)
            {
                return i;
            }
        }

        return -1;
    }

    internal readonly record struct Field(int Tag, int Offset, int Length);
}
