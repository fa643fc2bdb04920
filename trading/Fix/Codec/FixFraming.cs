using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BigDataTrading.Fix;

/// <summary>Low-level checks shared by the frame reader, the parser and the log reader.</summary>
internal static class FixFraming
{
    public const byte Soh = 0x01;

    /// <summary>
    /// Every frame starts with these bytes; the full frame start is <c>8=FIX…</c> SOH <c>9=</c> (any FIX BeginString,
    /// so that a session can answer a wrong version instead of treating it as line noise).
    /// </summary>
    public static ReadOnlySpan<byte> Prefix => "8=FIX"u8;

    /// <summary>Longest BeginString value accepted as a frame start ("FIXT.1.1" is 8; leave room for oddities).</summary>
    public const int MaxBeginStringLength = 16;

    /// <summary>"10=ddd" + SOH.</summary>
    public const int TrailerLength = 7;

    /// <summary>Upper bound on one frame; a larger declared BodyLength is treated as garbage.</summary>
    public const int MaxFrameLength = 1 << 20;

    /// <summary>The FIX CheckSum: the sum of every byte, modulo 256.</summary>
    /// <remarks>
    /// Only the sum modulo 256 matters, so byte lanes may wrap: adding whole vectors of bytes and summing the lanes at
    /// the end gives the same result as the scalar loop, at a fraction of the cost (it runs twice per message:
    /// once on receive, once on send).
    /// </remarks>
    public static int Checksum(ReadOnlySpan<byte> bytes)
    {
        uint sum = 0;
        var i = 0;
        ref var start = ref MemoryMarshal.GetReference(bytes);
        if (Vector256.IsHardwareAccelerated && bytes.Length >= Vector256<byte>.Count)
        {
            var acc = Vector256<byte>.Zero;
            for (; i <= bytes.Length - Vector256<byte>.Count; i += Vector256<byte>.Count)
            {
                acc += Vector256.LoadUnsafe(ref start, (nuint)i);
            }

            sum += Vector256.Sum(acc);
        }

        if (Vector128.IsHardwareAccelerated && bytes.Length - i >= Vector128<byte>.Count)
        {
            var acc = Vector128<byte>.Zero;
            for (; i <= bytes.Length - Vector128<byte>.Count; i += Vector128<byte>.Count)
            {
                acc += Vector128.LoadUnsafe(ref start, (nuint)i);
            }

            sum += Vector128.Sum(acc);
        }

        for (; i < bytes.Length; i++)
        {
            sum += bytes[i];
        }

        return (int)(sum % 256);
    }

    /// <summary>
    /// Reads <c>8=&lt;BeginString&gt;</c> SOH <c>9=&lt;digits&gt;</c> SOH at the start of <paramref name="frame"/>.
    /// <see cref="HeaderStatus.NotAFrameStart"/> means these bytes cannot begin a frame (resynchronise past them);
    /// <see cref="HeaderStatus.InvalidBodyLength"/> means they do, but tag 9 is unusable.
    /// </summary>
    public static HeaderStatus TryReadHeader(ReadOnlySpan<byte> frame, out int bodyLength, out int bodyStart)
    {
        bodyLength = 0;
        bodyStart = 0;
        var prefix = Prefix;
        if (frame.Length < prefix.Length)
        {
            return prefix.StartsWith(frame) ? HeaderStatus.NeedMore : HeaderStatus.NotAFrameStart;
        }

        if (!frame.StartsWith(prefix))
        {
            return HeaderStatus.NotAFrameStart;
        }

        var pos = 2;
        while (pos < frame.Length && frame[pos] != Soh)
        {
            // '=' inside the "BeginString" means this was not a frame start (e.g. "8=FIX8=FIX.4.4").
            if (frame[pos] == (byte)'=' || pos - 2 >= MaxBeginStringLength)
            {
                return HeaderStatus.NotAFrameStart;
            }

            pos++;
        }

        if (pos + 3 > frame.Length)
        {
            return HeaderStatus.NeedMore;
        }

        if (frame[pos + 1] != (byte)'9' || frame[pos + 2] != (byte)'=')
        {
            return HeaderStatus.NotAFrameStart;
        }

        pos += 3;
        var digits = 0;
        while (pos < frame.Length && frame[pos] is >= (byte)'0' and <= (byte)'9')
        {
            if (++digits > 7)
            {
                return HeaderStatus.InvalidBodyLength;
            }

            bodyLength = (bodyLength * 10) + (frame[pos] - '0');
            pos++;
        }

        if (pos == frame.Length)
        {
            return HeaderStatus.NeedMore;
        }

        if (digits == 0 || frame[pos] != Soh)
        {
            return HeaderStatus.InvalidBodyLength;
        }

        bodyStart = pos + 1;
        return HeaderStatus.Ok;
    }

    /// <summary>
    /// The index just past the first <c>SOH 10=…SOH</c> field that starts at or after <paramref name="from"/> (QuickFIX's
    /// rule for where a frame with a wrong BodyLength ends), or -1 when it has not arrived yet.
    /// </summary>
    public static int EndOfNextTrailer(ReadOnlySpan<byte> data, int from)
    {
        var at = data[from..].IndexOf("\u000110="u8);
        if (at < 0)
        {
            return -1;
        }

        var valueStart = from + at + 4;
        var soh = data[valueStart..].IndexOf(Soh);
        return soh < 0 ? -1 : valueStart + soh + 1;
    }

    /// <summary>Index of the first position at or after <paramref name="from"/> that can start a frame, or -1.</summary>
    public static int FindFrameStart(ReadOnlySpan<byte> data, int from)
    {
        var i = from;
        while (i < data.Length)
        {
            var relative = data[i..].IndexOf(Prefix);
            if (relative < 0)
            {
                return -1;
            }

            var candidate = i + relative;
            if (TryReadHeader(data[candidate..], out _, out _) != HeaderStatus.NotAFrameStart)
            {
                return candidate;
            }

            i = candidate + 1;
        }

        return -1;
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

        var bodyLengthValid = TryReadHeader(raw, out var bodyLength, out var bodyStart) == HeaderStatus.Ok
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

/// <summary>Outcome of <see cref="FixFraming.TryReadHeader"/>.</summary>
internal enum HeaderStatus
{
    Ok,
    NeedMore,
    NotAFrameStart,
    InvalidBodyLength,
}
