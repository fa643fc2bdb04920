using System.Text;

namespace BigDataTrading.Fix;

/// <summary>
/// Accumulates the body fields of one outbound FIX message and encodes the complete frame:
/// <c>8=FIX.4.4|9=len|35=type|34|[43]|49|52|56|[extra header fields and 122, by tag]|body...|10=ccc|</c>
/// (header fields after 35 in ascending tag order, as QuickFIX writes them).
/// BodyLength counts the bytes from the byte after the SOH that ends tag 9 up to and including the SOH
/// before tag 10; CheckSum is the sum of every byte before tag 10, modulo 256, written as 3 digits.
/// </summary>
/// <remarks>
/// Strings are written as UTF-8 (ASCII in practice); values must not contain SOH (0x01) or line breaks
/// (the message log is line-oriented). Numbers are formatted with the invariant culture, decimals in
/// fixed-point notation. Not thread-safe: build one message per instance, or reuse one instance per thread with
/// <see cref="Clear"/> and <see cref="TryWrite"/>, which then allocate nothing.
/// </remarks>
public sealed class FixMessageBuilder
{
    internal const byte Soh = 0x01;

    private byte[] _body = new byte[256];
    private int _length;
    private byte[] _head = new byte[128];
    private byte[]? _extra;
    private int _extraLength;
    private List<(int Tag, int Start, int Length)>? _extraFields;

    // Open repeating groups, innermost last (see BeginGroup): checked as fields are written, so a malformed group
    // fails where it is built instead of at the peer.
    private GroupState[] _groups = [];
    private int _groupDepth;

    /// <summary>Creates a builder for a message of type <paramref name="msgType"/> (tag 35).</summary>
    public FixMessageBuilder(string msgType)
    {
        ArgumentException.ThrowIfNullOrEmpty(msgType);
        MsgType = msgType;
    }

    /// <summary>The MsgType (35) this builder encodes.</summary>
    public string MsgType { get; }

    /// <summary>The body fields written so far (<c>tag=value</c> SOH ...), without header and trailer.</summary>
    internal ReadOnlySpan<byte> Body => _body.AsSpan(0, _length);

    /// <summary>Removes every body and extra header field so the builder can be reused for another message of the same type.</summary>
    public void Clear()
    {
        _length = 0;
        _extraLength = 0;
        _extraFields?.Clear();
        _groupDepth = 0;
    }

    /// <summary>
    /// Writes the NumInGroup field of <paramref name="group"/> with <paramref name="count"/> and opens the group: the
    /// fields written next form its instances, each starting with the delimiter, members in the definition's order
    /// (nested groups with another <see cref="BeginGroup"/>), until <see cref="EndGroup"/>. Allocation-free once the
    /// builder has been used with the same nesting depth.
    /// </summary>
    /// <exception cref="InvalidOperationException">The count field is not allowed where it is written (inside an open group it must be a nested group of it).</exception>
    public FixMessageBuilder BeginGroup(FixGroupDefinition group, int count)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (_groupDepth > 0 && !_groups[_groupDepth - 1].Definition.TryGetNestedGroup(group.CountTag, out _))
        {
            throw new InvalidOperationException($"Group {group.CountTag} is not nested in the open group {_groups[_groupDepth - 1].Definition.CountTag}; call EndGroup first.");
        }

        Set(group.CountTag, (long)count);
        if (_groupDepth == _groups.Length)
        {
            Array.Resize(ref _groups, Math.Max(4, _groups.Length * 2));
        }

        _groups[_groupDepth++] = new GroupState(group, count);
        return this;
    }

    /// <summary>Closes the innermost open group.</summary>
    /// <exception cref="InvalidOperationException">No group is open, or the instances written differ from the count, or the last instance lacks a required member.</exception>
    public FixMessageBuilder EndGroup()
    {
        if (_groupDepth == 0)
        {
            throw new InvalidOperationException("EndGroup without an open group.");
        }

        ref var state = ref _groups[_groupDepth - 1];
        CheckRequired(ref state);
        if (state.Instances != state.Declared)
        {
            throw new InvalidOperationException($"Group {state.Definition.CountTag} declares {state.Declared} instances but {state.Instances} were written.");
        }

        _groupDepth--;
        return this;
    }

    /// <summary>Appends <c>tag=value</c> with a string value.</summary>
    public FixMessageBuilder Set(int tag, string value)
    {
        // FIX forbids empty values ("tag=" followed by SOH is a malformed field).
        ArgumentException.ThrowIfNullOrEmpty(value);
        CheckText(tag, value);
        var span = BeginField(tag, Encoding.UTF8.GetMaxByteCount(value.Length));
        var written = Encoding.UTF8.GetBytes(value, span);
        return EndField(written);
    }

    /// <summary>Appends <c>tag=value</c> with a raw value (e.g. copied from a received <see cref="FixMessage"/>).</summary>
    public FixMessageBuilder Set(int tag, ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty || value.IndexOfAny((byte)Soh, (byte)'\n', (byte)'\r') >= 0)
        {
            throw new ArgumentException($"Tag {tag}: value must be non-empty without SOH or line breaks.", nameof(value));
        }

        var span = BeginField(tag, value.Length);
        value.CopyTo(span);
        return EndField(value.Length);
    }

    /// <summary>Appends <c>tag=c</c> with a single-character value (enumerated fields such as 54, 40, 150).</summary>
    public FixMessageBuilder Set(int tag, char value)
    {
        if (value is (char)Soh or '\n' or '\r' or > (char)127)
        {
            throw new ArgumentException($"Tag {tag}: '{value}' is not a printable ASCII character.", nameof(value));
        }

        var span = BeginField(tag, 1);
        span[0] = (byte)value;
        return EndField(1);
    }

    /// <summary>Appends <c>tag=value</c> with an integer value.</summary>
    public FixMessageBuilder Set(int tag, long value)
    {
        var span = BeginField(tag, 20);
        value.TryFormat(span, out var written, default, System.Globalization.CultureInfo.InvariantCulture);
        return EndField(written);
    }

    /// <summary>Appends <c>tag=value</c> with a decimal value in fixed-point notation (trailing zeros kept).</summary>
    public FixMessageBuilder Set(int tag, decimal value)
    {
        var span = BeginField(tag, 32);
        FixValue.TryFormatDecimal(value, span, out var written);
        return EndField(written);
    }

    /// <summary>Appends a FIX boolean (<c>Y</c>/<c>N</c>).</summary>
    public FixMessageBuilder Set(int tag, bool value) => Set(tag, value ? 'Y' : 'N');

    /// <summary>Appends a UTCTimestamp in the form <c>yyyyMMdd-HH:mm:ss.fff</c> (converted to UTC).</summary>
    public FixMessageBuilder SetTimestamp(int tag, DateTimeOffset value)
    {
        var span = BeginField(tag, 21);
        var written = WriteTimestamp(span, value);
        return EndField(written);
    }

    /// <summary>
    /// Adds an optional standard-header field such as DeliverToCompID (128) or OnBehalfOfCompID (115); it is
    /// written after TargetCompID(56), extra header fields in ascending tag order.
    /// </summary>
    public FixMessageBuilder SetHeaderField(int tag, string value)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tag);
        ArgumentException.ThrowIfNullOrEmpty(value);
        CheckText(tag, value);
        _extra ??= new byte[64];
        _extraFields ??= [];
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (_extra.Length < _extraLength + max)
        {
            Array.Resize(ref _extra, Math.Max(_extra.Length * 2, _extraLength + max));
        }

        var written = Encoding.UTF8.GetBytes(value, _extra.AsSpan(_extraLength));
        _extraFields.Add((tag, _extraLength, written));
        _extraLength += written;
        return this;
    }

    /// <summary>Appends already-encoded fields (<c>tag=value</c> SOH ...), e.g. the body of a stored message being resent.</summary>
    internal FixMessageBuilder AppendRaw(ReadOnlySpan<byte> fields)
    {
        EnsureCapacity(_length + fields.Length);
        fields.CopyTo(_body.AsSpan(_length));
        _length += fields.Length;
        return this;
    }

    /// <summary>Encodes the complete frame with <paramref name="header"/> in front of the body fields.</summary>
    /// <returns>A new array holding exactly one message, ending with the SOH after the checksum.</returns>
    public byte[] Build(in FixHeader header)
    {
        ThrowIfGroupOpen();
        var headLength = WriteHeader(header);
        var result = new byte[FrameLength(header, headLength)];
        WriteFrame(header, headLength, result);
        return result;
    }

    /// <summary>
    /// Encodes the complete frame into <paramref name="destination"/> without allocating (the allocation-free
    /// counterpart of <see cref="Build"/>). Returns false, writing nothing, when the destination is too small.
    /// </summary>
    public bool TryWrite(in FixHeader header, Span<byte> destination, out int bytesWritten)
    {
        ThrowIfGroupOpen();
        var headLength = WriteHeader(header);
        var total = FrameLength(header, headLength);
        if (destination.Length < total)
        {
            bytesWritten = 0;
            return false;
        }

        WriteFrame(header, headLength, destination);
        bytesWritten = total;
        return true;
    }

    private static int DigitCount(int value) => value < 10 ? 1 : value < 100 ? 2 : value < 1000 ? 3 : value < 10000 ? 4 : value < 100000 ? 5 : value < 1000000 ? 6 : 7;

    private int FrameLength(in FixHeader header, int headLength)
    {
        var bodyLength = headLength + _length;
        return 2 + (header.BeginString ?? FixVersions.Fix44).Length + 1 + 2 + DigitCount(bodyLength) + 1 + bodyLength + 7;
    }

    private void WriteFrame(in FixHeader header, int headLength, Span<byte> span)
    {
        var bodyLength = headLength + _length;
        var pos = 0;
        span[pos++] = (byte)'8';
        span[pos++] = (byte)'=';
        pos += Encoding.ASCII.GetBytes(header.BeginString ?? FixVersions.Fix44, span[pos..]);
        span[pos++] = Soh;
        span[pos++] = (byte)'9';
        span[pos++] = (byte)'=';
        bodyLength.TryFormat(span[pos..], out var digits, default, System.Globalization.CultureInfo.InvariantCulture);
        pos += digits;
        span[pos++] = Soh;
        _head.AsSpan(0, headLength).CopyTo(span[pos..]);
        pos += headLength;
        _body.AsSpan(0, _length).CopyTo(span[pos..]);
        pos += _length;

        var checksum = FixFraming.Checksum(span[..pos]);
        span[pos++] = (byte)'1';
        span[pos++] = (byte)'0';
        span[pos++] = (byte)'=';
        span[pos++] = (byte)('0' + (checksum / 100));
        span[pos++] = (byte)('0' + (checksum / 10 % 10));
        span[pos++] = (byte)('0' + (checksum % 10));
        span[pos] = Soh;
    }

    /// <summary>Writes 35, 34, [43], 49, 52, 56, then extra header fields and 122 by tag into the reusable head buffer.</summary>
    private int WriteHeader(in FixHeader header)
    {
        var needed = 96 + (4 * (header.SenderCompId.Length + header.TargetCompId.Length + MsgType.Length)) + (2 * _extraLength) + (16 * (_extraFields?.Count ?? 0));
        if (_head.Length < needed)
        {
            _head = new byte[Math.Max(needed, _head.Length * 2)];
        }

        var span = _head.AsSpan();
        var pos = 0;
        pos += WriteString(span[pos..], FixTag.MsgType, MsgType);
        pos += WriteInt(span[pos..], FixTag.MsgSeqNum, header.MsgSeqNum);
        if (header.PossDupFlag)
        {
            pos += WriteString(span[pos..], FixTag.PossDupFlag, "Y");
        }

        pos += WriteString(span[pos..], FixTag.SenderCompId, header.SenderCompId);
        pos += WriteTimestampField(span[pos..], FixTag.SendingTime, header.SendingTime);
        pos += WriteString(span[pos..], FixTag.TargetCompId, header.TargetCompId);

        var origWritten = !header.PossDupFlag;
        if (_extraFields is { Count: > 0 } extras)
        {
            // Extra header fields are few (routing fields): a stable insertion order by tag needs no allocation.
            var last = int.MinValue;
            for (var n = 0; n < extras.Count; n++)
            {
                var next = -1;
                for (var i = 0; i < extras.Count; i++)
                {
                    if (extras[i].Tag > last && (next < 0 || extras[i].Tag < extras[next].Tag))
                    {
                        next = i;
                    }
                }

                if (next < 0)
                {
                    break;
                }

                var (tag, start, length) = extras[next];
                if (!origWritten && tag > FixTag.OrigSendingTime)
                {
                    pos += WriteTimestampField(span[pos..], FixTag.OrigSendingTime, header.OrigSendingTime ?? header.SendingTime);
                    origWritten = true;
                }

                pos += WriteRaw(span[pos..], tag, _extra!.AsSpan(start, length));
                last = tag;
            }
        }

        if (!origWritten)
        {
            pos += WriteTimestampField(span[pos..], FixTag.OrigSendingTime, header.OrigSendingTime ?? header.SendingTime);
        }

        return pos;
    }

    private static int WriteTag(Span<byte> span, int tag)
    {
        var written = WriteTagNumber(span, tag);
        span[written++] = (byte)'=';
        return written;
    }

    /// <summary>Writes a positive tag number; tags are almost always 1–4 digits, which skip the general formatter.</summary>
    private static int WriteTagNumber(Span<byte> span, int tag)
    {
        if (tag < 10)
        {
            span[0] = (byte)('0' + tag);
            return 1;
        }

        if (tag < 100)
        {
            span[1] = (byte)('0' + (tag % 10));
            span[0] = (byte)('0' + (tag / 10));
            return 2;
        }

        if (tag < 1000)
        {
            span[2] = (byte)('0' + (tag % 10));
            span[1] = (byte)('0' + (tag / 10 % 10));
            span[0] = (byte)('0' + (tag / 100));
            return 3;
        }

        tag.TryFormat(span, out var written, default, System.Globalization.CultureInfo.InvariantCulture);
        return written;
    }

    private static int WriteString(Span<byte> span, int tag, string value)
    {
        var pos = WriteTag(span, tag);
        pos += Encoding.UTF8.GetBytes(value, span[pos..]);
        span[pos++] = Soh;
        return pos;
    }

    private static int WriteRaw(Span<byte> span, int tag, ReadOnlySpan<byte> value)
    {
        var pos = WriteTag(span, tag);
        value.CopyTo(span[pos..]);
        pos += value.Length;
        span[pos++] = Soh;
        return pos;
    }

    private static int WriteInt(Span<byte> span, int tag, int value)
    {
        var pos = WriteTag(span, tag);
        value.TryFormat(span[pos..], out var written, default, System.Globalization.CultureInfo.InvariantCulture);
        pos += written;
        span[pos++] = Soh;
        return pos;
    }

    private static int WriteTimestampField(Span<byte> span, int tag, DateTimeOffset value)
    {
        var pos = WriteTag(span, tag);
        pos += WriteTimestamp(span[pos..], value);
        span[pos++] = Soh;
        return pos;
    }

    private static void CheckText(int tag, string value)
    {
        foreach (var c in value)
        {
            if (c is (char)Soh or '\n' or '\r')
            {
                throw new ArgumentException($"Tag {tag}: value must not contain SOH or line breaks.", nameof(value));
            }
        }
    }

    /// <summary>Writes <c>yyyyMMdd-HH:mm:ss.fff</c> (UTC) into <paramref name="destination"/>; returns 21.</summary>
    internal static int WriteTimestamp(Span<byte> destination, DateTimeOffset value)
    {
        // One calendar decomposition and integer arithmetic on the time of day (DateTime.Year, .Month, .Day each
        // decompose the date again).
        var t = value.UtcDateTime;
        t.Deconstruct(out int year, out int month, out int day);
        var milliseconds = (int)(t.TimeOfDay.Ticks / TimeSpan.TicksPerMillisecond);
        Write(destination, 0, year, 4);
        Write(destination, 4, month, 2);
        Write(destination, 6, day, 2);
        destination[8] = (byte)'-';
        Write(destination, 9, milliseconds / 3_600_000, 2);
        destination[11] = (byte)':';
        Write(destination, 12, milliseconds / 60_000 % 60, 2);
        destination[14] = (byte)':';
        Write(destination, 15, milliseconds / 1000 % 60, 2);
        destination[17] = (byte)'.';
        Write(destination, 18, milliseconds % 1000, 3);
        return 21;

        static void Write(Span<byte> d, int offset, int value, int digits)
        {
            for (var i = digits - 1; i >= 0; i--)
            {
                d[offset + i] = (byte)('0' + (value % 10));
                value /= 10;
            }
        }
    }

    private void ThrowIfGroupOpen()
    {
        if (_groupDepth > 0)
        {
            throw new InvalidOperationException($"Group {_groups[_groupDepth - 1].Definition.CountTag} is still open: call EndGroup before encoding.");
        }
    }

    /// <summary>Places <paramref name="tag"/> in the open groups: a member of the innermost, or it closes groups whose instances are complete.</summary>
    private void CheckGroupField(int tag)
    {
        ref var state = ref _groups[_groupDepth - 1];
        var position = state.Definition.PositionOf(tag);
        if (position < 0)
        {
            throw new InvalidOperationException($"Tag {tag} is not a member of the open group {state.Definition.CountTag}; call EndGroup first.");
        }

        if (position == 0)
        {
            CheckRequired(ref state);
            if (state.Instances == state.Declared)
            {
                throw new InvalidOperationException($"Group {state.Definition.CountTag} declares {state.Declared} instances; instance {state.Instances + 1} is one too many.");
            }

            state.Instances++;
            state.Seen = 0;
            state.SeenMore?.Clear();
        }
        else if (state.Instances == 0)
        {
            throw new InvalidOperationException($"Tag {tag} written before the delimiter {state.Definition.Delimiter} of group {state.Definition.CountTag}: every instance starts with the delimiter.");
        }
        else if (position <= state.Last)
        {
            throw new InvalidOperationException($"Tag {tag} is out of order in group {state.Definition.CountTag}: members must follow the order {string.Join(",", state.Definition.Members)}, each once per instance.");
        }

        state.Last = position;
        if (position < 64)
        {
            state.Seen |= 1UL << position;
        }
        else
        {
            (state.SeenMore ??= []).Add(position);
        }
    }

    private static void CheckRequired(ref GroupState state)
    {
        if (state.Instances == 0)
        {
            return;
        }

        foreach (var tag in state.Definition.RequiredSpan)
        {
            var position = state.Definition.PositionOf(tag);
            var seen = position < 64 ? (state.Seen & (1UL << position)) != 0 : state.SeenMore?.Contains(position) == true;
            if (!seen)
            {
                throw new InvalidOperationException($"Instance {state.Instances} of group {state.Definition.CountTag} lacks the required member {tag}.");
            }
        }
    }

    private struct GroupState(FixGroupDefinition definition, int declared)
    {
        public readonly FixGroupDefinition Definition = definition;
        public readonly int Declared = declared;
        public int Instances;
        public int Last = -1;
        public ulong Seen;
        public HashSet<int>? SeenMore;
    }

    private Span<byte> BeginField(int tag, int maxValueBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tag);
        if (_groupDepth > 0)
        {
            CheckGroupField(tag);
        }

        // tag (<= 10 digits) + '=' + value + SOH
        EnsureCapacity(_length + 12 + maxValueBytes);
        _length += WriteTag(_body.AsSpan(_length), tag);
        return _body.AsSpan(_length, maxValueBytes);
    }

    private FixMessageBuilder EndField(int valueBytes)
    {
        _length += valueBytes;
        _body[_length++] = Soh;
        return this;
    }

    private void EnsureCapacity(int needed)
    {
        if (needed > _body.Length)
        {
            Array.Resize(ref _body, Math.Max(needed, _body.Length * 2));
        }
    }
}
