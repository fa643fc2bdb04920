using System.Globalization;

namespace BigDataTrading.Fix;

/// <summary>
/// A reusable, allocation-free parse of one FIX frame over caller-owned bytes: the same checks as
/// <see cref="FixFrameReader"/> (BeginString prefix, BodyLength, CheckSum, field syntax) and the same typed getters as
/// <see cref="FixMessage"/>, but the field index lives in this object and is overwritten by the next
/// <see cref="TryLoad"/>, and nothing is copied. For hot paths (market data, execution reports at rate); use
/// <see cref="FixMessage"/> when the message must outlive the buffer or cross threads.
/// </summary>
/// <remarks>Not thread-safe. Valid only while the loaded bytes are unchanged and until the next <see cref="TryLoad"/>.</remarks>
public sealed class FixMessageView : IFixFields
{
    /// <summary>Tags below this are found through <see cref="_direct"/>; larger (custom) tags by a scan.</summary>
    private const int DirectTags = 1024;

    private FixMessage.Field[] _fields = new FixMessage.Field[32];
    private ReadOnlyMemory<byte> _raw;
    private int _count;

    // Tag → index of its first occurrence, valid when the slot's stamp equals the current load's: a lookup is one
    // array read instead of a scan of every field, and loading a message never has to clear the table.
    private readonly (int Stamp, int Index)[] _direct = new (int, int)[DirectTags];
    private int _stamp;

    // Reused by TryGetGroup so reading a group allocates nothing once they have grown.
    private readonly List<(int Start, int End)> _groupRanges = [];
    private FixGroupInstance[] _groupInstances = new FixGroupInstance[8];

    /// <summary>MsgType (35) of the loaded message (a shared constant for common types).</summary>
    public string MsgType { get; private set; } = string.Empty;

    /// <summary>Number of fields, including 8, 9 and 10.</summary>
    public int FieldCount => _count;

    /// <summary>MsgSeqNum (34), or 0 when absent or not a number.</summary>
    public int MsgSeqNum => TryGetInt(FixTag.MsgSeqNum, out var value) ? value : 0;

    /// <summary>
    /// Loads exactly one complete frame. Returns false with a short reason (a constant string, so failing is
    /// allocation-free too) when it is not one valid FIX message.
    /// </summary>
    public bool TryLoad(ReadOnlyMemory<byte> frame, out string? error)
    {
        _count = 0;
        MsgType = string.Empty;
        var span = frame.Span;
        if (FixFraming.TryReadHeader(span, out var bodyLength, out var bodyStart) != HeaderStatus.Ok)
        {
            error = "not a FIX frame start";
            return false;
        }

        var trailerStart = bodyStart + bodyLength;
        if (trailerStart + FixFraming.TrailerLength != span.Length || span[trailerStart - 1] != FixFraming.Soh
            || !FixFraming.TryReadTrailer(span[trailerStart..], out var declared))
        {
            error = "BodyLength does not end at the CheckSum field";
            return false;
        }

        if (FixFraming.Checksum(span[..trailerStart]) != declared)
        {
            error = "CheckSum mismatch";
            return false;
        }

        if (!FixMessage.TryIndexNoAlloc(span, ref _fields, out _count))
        {
            _count = 0;
            error = "malformed field";
            return false;
        }

        _raw = frame;
        IndexTags();
        MsgType = FixMsgType.FromSpan(span.Slice(_fields[2].Offset, _fields[2].Length));
        error = null;
        return true;
    }

    /// <summary>The tag of the field at <paramref name="index"/> (wire order).</summary>
    public int GetTagAt(int index) => Field(index).Tag;

    /// <summary>The value bytes of the field at <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> GetValueAt(int index)
    {
        var field = Field(index);
        return _raw.Span.Slice(field.Offset, field.Length);
    }

    /// <summary>True when <paramref name="tag"/> is present.</summary>
    public bool Contains(int tag) => IndexOf(tag) >= 0;

    /// <summary>The raw value bytes of <paramref name="tag"/> (first occurrence).</summary>
    public bool TryGetValue(int tag, out ReadOnlySpan<byte> value)
    {
        var index = IndexOf(tag);
        if (index < 0)
        {
            value = default;
            return false;
        }

        value = _raw.Span.Slice(_fields[index].Offset, _fields[index].Length);
        return true;
    }

    /// <summary>Parses an integer field (optional leading '-').</summary>
    public bool TryGetInt(int tag, out int value)
    {
        value = 0;
        return TryGetValue(tag, out var span) && FixValue.TryParseInt(span, out value);
    }

    /// <summary>Parses a decimal (Qty/Price/Amt) field.</summary>
    public bool TryGetDecimal(int tag, out decimal value)
    {
        value = 0;
        return TryGetValue(tag, out var span) && FixValue.TryParseDecimal(span, out value);
    }

    /// <summary>Reads a single-character field.</summary>
    public bool TryGetChar(int tag, out char value)
    {
        value = default;
        return TryGetValue(tag, out var span) && FixValue.TryParseChar(span, out value);
    }

    /// <summary>Parses a UTCTimestamp field.</summary>
    public bool TryGetTimestamp(int tag, out DateTimeOffset value)
    {
        value = default;
        return TryGetValue(tag, out var span) && FixValue.TryParseTimestamp(span, out value);
    }

    /// <summary>
    /// Reads the repeating group <paramref name="group"/> of the loaded message without allocating (see
    /// <see cref="FixMessage.TryGetGroup"/> for the rules): true with its instances in wire order (empty when the count
    /// tag is absent), false with the session-level reason when it is malformed. The instances live in a buffer of this
    /// view: valid until the next <see cref="TryLoad"/> or <see cref="TryGetGroup"/>.
    /// </summary>
    public bool TryGetGroup(FixGroupDefinition group, out ReadOnlySpan<FixGroupInstance> instances, out FixValidationError? error)
    {
        ArgumentNullException.ThrowIfNull(group);
        instances = default;
        error = null;
        var index = IndexOf(group.CountTag);
        if (index < 0)
        {
            return true;
        }

        _groupRanges.Clear();
        group.Walk(this, index, _count - 1, _groupRanges, out error);
        if (error is not null)
        {
            return false;
        }

        if (_groupInstances.Length < _groupRanges.Count)
        {
            _groupInstances = new FixGroupInstance[Math.Max(_groupRanges.Count, _groupInstances.Length * 2)];
        }

        for (var i = 0; i < _groupRanges.Count; i++)
        {
            _groupInstances[i] = new FixGroupInstance(this, group, _groupRanges[i].Start, _groupRanges[i].End);
        }

        instances = _groupInstances.AsSpan(0, _groupRanges.Count);
        return true;
    }

    /// <summary>An owned, immutable copy of the loaded message.</summary>
    public FixMessage ToMessage() => FixMessage.Parse(_raw.Span);

    private FixMessage.Field Field(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_count, nameof(index));
        return _fields[index];
    }

    private void IndexTags()
    {
        if (++_stamp == int.MaxValue)
        {
            Array.Clear(_direct);
            _stamp = 1;
        }

        var stamp = _stamp;
        var direct = _direct;
        var fields = _fields;
        for (var i = _count - 1; i >= 0; i--)
        {
            // Backwards, so the first occurrence of a repeated tag is the one left in the table.
            var tag = fields[i].Tag;
            if ((uint)tag < DirectTags)
            {
                direct[tag] = (stamp, i);
            }
        }
    }

    private int IndexOf(int tag)
    {
        if ((uint)tag < DirectTags)
        {
            var slot = _direct[tag];
            return slot.Stamp == _stamp && _count > 0 ? slot.Index : -1;
        }

        var fields = _fields;
        for (var i = 0; i < _count; i++)
        {
            if (fields[i].Tag == tag)
            {
                return i;
            }
        }

        return -1;
    }
}
