using System.Text;

namespace BigDataTrading.Fix;

/// <summary>
/// Accumulates the body fields of one outbound FIX 4.4 message and encodes the complete frame:
/// <c>8=FIX.4.4|9=len|35=type|49|56|34|52|[43|122]|body...|10=ccc|</c>.
/// BodyLength counts the bytes from the byte after the SOH that ends tag 9 up to and including the SOH
/// before tag 10; CheckSum is the sum of every byte before tag 10, modulo 256, written as 3 digits.
/// </summary>
/// <remarks>
/// Strings are written as UTF-8 (ASCII in practice); values must not contain SOH (0x01) or line breaks
/// (the message log is line-oriented). Numbers are formatted with the invariant culture, decimals in
/// fixed-point notation. Not thread-safe: build one message per instance (or call <see cref="Clear"/>).
/// </remarks>
public sealed class FixMessageBuilder
{
    internal const byte Soh = 0x01;
    private static ReadOnlySpan<byte> BeginStringField => "8=FIX.4.4\u00019="u8;

    private byte[] _body = new byte[256];
    private int _length;

    /// <summary>Creates a builder for a message of type <paramref name="msgType"/> (tag 35).</summary>
    public FixMessageBuilder(string msgType)
    {
        ArgumentException.ThrowIfNullOrEmpty(msgType);
        MsgType = msgType;
    }

    /// <summary>The MsgType (35) this builder encodes.</summary>
    public string MsgType { get; }

    /// <summary>Removes every body field so the builder can be reused for another message of the same type.</summary>
    public void Clear() => _length = 0;

    /// <summary>Appends <c>tag=value</c> with a string value.</summary>
    public FixMessageBuilder Set(int tag, string value)
    {
        // FIX forbids empty values ("tag=" followed by SOH is a malformed field).
        ArgumentException.ThrowIfNullOrEmpty(value);
        foreach (var c in value)
        {
            if (c is (char)Soh or '\n' or '\r')
            {
                throw new ArgumentException($"Tag {tag}: value must not contain SOH or line breaks.", nameof(value));
            }
        }

        var span = BeginField(tag, Encoding.UTF8.GetMaxByteCount(value.Length));
        var written = Encoding.UTF8.GetBytes(value, span);
        return EndField(written);
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
        value.TryFormat(span, out var written, default, System.Globalization.CultureInfo.InvariantCulture);
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

    /// <summary>Encodes the complete frame with <paramref name="header"/> in front of the body fields.</summary>
    /// <returns>A new array holding exactly one message, ending with the SOH after the checksum.</returns>
    public byte[] Build(in FixHeader header)
    {
        // The session header fields are part of the body (they follow tag 9), so they are encoded first
        // into a scratch builder and then BodyLength is known before the final array is allocated.
        var head = new FixMessageBuilder(MsgType);
        head.Set(FixTag.MsgType, MsgType);
        head.Set(FixTag.SenderCompId, header.SenderCompId);
        head.Set(FixTag.TargetCompId, header.TargetCompId);
        head.Set(FixTag.MsgSeqNum, header.MsgSeqNum);
        if (header.PossDupFlag)
        {
            head.Set(FixTag.PossDupFlag, true);
        }

        head.SetTimestamp(FixTag.SendingTime, header.SendingTime);
        if (header.PossDupFlag)
        {
            head.SetTimestamp(FixTag.OrigSendingTime, header.OrigSendingTime ?? header.SendingTime);
        }

        var bodyLength = head._length + _length;
        Span<byte> lengthDigits = stackalloc byte[11];
        bodyLength.TryFormat(lengthDigits, out var lengthDigitCount, default, System.Globalization.CultureInfo.InvariantCulture);

        var total = BeginStringField.Length + lengthDigitCount + 1 + bodyLength + 7;
        var result = new byte[total];
        var span = result.AsSpan();
        BeginStringField.CopyTo(span);
        var pos = BeginStringField.Length;
        lengthDigits[..lengthDigitCount].CopyTo(span[pos..]);
        pos += lengthDigitCount;
        span[pos++] = Soh;
        head._body.AsSpan(0, head._length).CopyTo(span[pos..]);
        pos += head._length;
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
        return result;
    }

    /// <summary>Writes <c>yyyyMMdd-HH:mm:ss.fff</c> (UTC) into <paramref name="destination"/>; returns 21.</summary>
    internal static int WriteTimestamp(Span<byte> destination, DateTimeOffset value)
    {
        var t = value.UtcDateTime;
        Write(destination, 0, t.Year, 4);
        Write(destination, 4, t.Month, 2);
        Write(destination, 6, t.Day, 2);
        destination[8] = (byte)'-';
        Write(destination, 9, t.Hour, 2);
        destination[11] = (byte)':';
        Write(destination, 12, t.Minute, 2);
        destination[14] = (byte)':';
        Write(destination, 15, t.Second, 2);
        destination[17] = (byte)'.';
        Write(destination, 18, t.Millisecond, 3);
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

    private Span<byte> BeginField(int tag, int maxValueBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tag);
        // tag (<= 10 digits) + '=' + value + SOH
        EnsureCapacity(_length + 12 + maxValueBytes);
        tag.TryFormat(_body.AsSpan(_length), out var tagDigits, default, System.Globalization.CultureInfo.InvariantCulture);
        _length += tagDigits;
        _body[_length++] = (byte)'=';
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
