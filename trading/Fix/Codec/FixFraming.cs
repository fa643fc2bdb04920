namespace BigDataTrading.Fix;

/// <summary>Low-level checks shared by the frame reader, the parser and the log reader.</summary>
internal static class FixFraming
{
    public const byte Soh = 0x01;

    /// <summary>Every frame this engine accepts starts with exactly these bytes (FIX 4.4 only).</summary>
    public static ReadOnlySpan<byte> Prefix => "8=FIX.4.4\u00019="u8;

    /// <summary>"10=ddd" + SOH.</summary>
    public const int TrailerLength = 7;

    /// <summary>Upper bound on one frame; a larger declared BodyLength is treated as garbage.</summary>
    public const int MaxFrameLength = 1 << 20;

    public static int Checksum(ReadOnlySpan<byte> bytes)
    {
        uint sum = 0;
        foreach (var b in bytes)
        {
            sum += b;
        }

        return (int)(sum % 256);
    }

    /// <summary>
    /// Reads the BodyLength digits that follow <see cref="Prefix"/>.
    /// Returns false with <paramref name="needMore"/> set when the SOH after the digits has not arrived yet.
    /// </summary>
    public static bool TryReadBodyLength(ReadOnlySpan<byte> frame, out int bodyLength, out int bodyStart, out bool needMore)
    {
        bodyLength = 0;
        bodyStart = 0;
        needMore = false;
        var pos = Prefix.Length;
        var digits = 0;
        while (pos < frame.Length && frame[pos] is >= (byte)'0' and <= (byte)'9')
        {
            if (++digits > 7)
            {
                return false;
            }

            bodyLength = (bodyLength * 10) + (frame[pos] - '0');
            pos++;
        }

        if (pos == frame.Length)
        {
            needMore = true;
            return false;
        }

        if (digits == 0 || frame[pos] != Soh)
        {
            return false;
        }

        bodyStart = pos + 1;
        return true;
    }

    /// <summary>True when <paramref name="trailer"/> (7 bytes) is <c>10=ddd</c> + SOH; outputs the declared checksum.</summary>
    public static bool TryReadTrailer(ReadOnlySpan<byte> trailer, out int checksum)
    {
        checksum = -1;
        if (trailer.Length != TrailerLength || trailer[0] != (byte)'1' || trailer[1] != (byte)'0' || trailer[2] != (byte)'='
            || trailer[6] != Soh)
        {
            return false;
        }

        var value = 0;
        for (var i = 3; i < 6; i++)
        {
            if (trailer[i] is < (byte)'0' or > (byte)'9')
            {
                return false;
            }

            value = (value * 10) + (trailer[i] - '0');
        }

        checksum = value;
        return true;
    }

    /// <summary>
    /// Verifies one complete raw message: whether its declared BodyLength matches the bytes between tag 9 and tag 10,
    /// and whether its CheckSum matches (computed over everything before the trailer that ends the message).
    /// </summary>
    public static (bool BodyLengthValid, bool ChecksumValid) Verify(ReadOnlySpan<byte> raw)
    {
        var checksumValid = false;
        if (raw.Length >= TrailerLength && TryReadTrailer(raw[^TrailerLength..], out var declared)
            && raw.Length > TrailerLength && raw[^(TrailerLength + 1)] == Soh)
        {
            checksumValid = Checksum(raw[..^TrailerLength]) == declared;
        }

        var bodyLengthValid = raw.StartsWith(Prefix)
            && TryReadBodyLength(raw, out var bodyLength, out var bodyStart, out _)
            && bodyStart + bodyLength + TrailerLength == raw.Length
            && TryReadTrailer(raw[(bodyStart + bodyLength)..], out _);
        return (bodyLengthValid, checksumValid);
    }

    /// <summary>Length of the longest suffix of <paramref name="data"/> that is a proper prefix of <see cref="Prefix"/>.</summary>
    public static int PartialPrefixSuffixLength(ReadOnlySpan<byte> data)
    {
        var max = Math.Min(data.Length, Prefix.Length - 1);
        for (var len = max; len > 0; len--)
        {
            if (data[^len..].SequenceEqual(Prefix[..len]))
            {
                return len;
            }
        }

        return 0;
    }
}
