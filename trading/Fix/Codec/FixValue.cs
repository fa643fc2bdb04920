using System.Globalization;

namespace BigDataTrading.Fix;

/// <summary>
/// The one definition of how FIX field values are read from their bytes (int, long, decimal Qty/Price/Amt, char,
/// Y/N boolean, UTCTimestamp), shared by <see cref="FixMessage"/>, <see cref="FixMessageView"/> and the data
/// dictionary so a format rule cannot differ between them. Allocation-free; thread-safe.
/// </summary>
internal static class FixValue
{
    /// <summary>Integer: invariant digits with an optional leading '-'.</summary>
    public static bool TryParseInt(ReadOnlySpan<byte> s, out int value) =>
        int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    /// <summary>Long integer: invariant digits with an optional leading '-'.</summary>
    public static bool TryParseLong(ReadOnlySpan<byte> s, out long value) =>
        long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    /// <summary>Decimal (Qty/Price/Amt): optional sign, digits, optional decimal point; no exponent.</summary>
    /// <remarks>
    /// Prices and quantities are short, so the common case (optional '-', at most 19 digits, non-zero) is assembled
    /// straight into the decimal's 64-bit mantissa and scale — the same value and scale (trailing zeros kept) as
    /// <see cref="decimal.TryParse(ReadOnlySpan{byte}, NumberStyles, IFormatProvider?, out decimal)"/>, several
    /// times faster. Anything else (a '+', zero, more digits, malformed input) takes the BCL parser, so the accepted
    /// syntax is exactly the BCL's.
    /// </remarks>
    public static bool TryParseDecimal(ReadOnlySpan<byte> s, out decimal value)
    {
        var i = 0;
        var negative = false;
        if (s.Length > 0 && s[0] == (byte)'-')
        {
            negative = true;
            i = 1;
        }

        ulong mantissa = 0;
        var digits = 0;
        var scale = -1;
        for (; i < s.Length; i++)
        {
            var d = (uint)(s[i] - '0');
            if (d <= 9)
            {
                if (++digits > 19)
                {
                    return SlowDecimal(s, out value);
                }

                mantissa = (mantissa * 10) + d;
                if (scale >= 0)
                {
                    scale++;
                }
            }
            else if (s[i] == (byte)'.' && scale < 0)
            {
                scale = 0;
            }
            else
            {
                return SlowDecimal(s, out value);
            }
        }

        if (mantissa == 0)
        {
            // Zero (and "-0", "0.00") keeps the BCL's sign and scale rules.
            return SlowDecimal(s, out value);
        }

        value = new decimal((int)(uint)mantissa, (int)(uint)(mantissa >> 32), 0, negative, (byte)Math.Max(scale, 0));
        return true;
    }

    private static bool SlowDecimal(ReadOnlySpan<byte> s, out decimal value) =>
        decimal.TryParse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value);

    /// <summary>
    /// Writes a decimal in fixed-point notation exactly as <c>decimal.TryFormat(destination, out written, default,
    /// CultureInfo.InvariantCulture)</c> does (all digits of the scale, trailing zeros kept), without the general
    /// number formatter for the common case of a mantissa that fits 64 bits.
    /// </summary>
    public static bool TryFormatDecimal(decimal value, Span<byte> destination, out int written)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        var mantissa = (uint)bits[0] | ((ulong)(uint)bits[1] << 32);
        if (bits[2] != 0 || mantissa == 0)
        {
            return value.TryFormat(destination, out written, default, CultureInfo.InvariantCulture);
        }

        var scale = (bits[3] >> 16) & 0xFF;
        var negative = bits[3] < 0;
        Span<byte> digits = stackalloc byte[20];
        mantissa.TryFormat(digits, out var count, default, CultureInfo.InvariantCulture);
        var length = (negative ? 1 : 0) + (scale == 0 ? count : scale >= count ? scale + 2 : count + 1);
        if (destination.Length < length)
        {
            written = 0;
            return false;
        }

        var pos = 0;
        if (negative)
        {
            destination[pos++] = (byte)'-';
        }

        if (scale == 0)
        {
            digits[..count].CopyTo(destination[pos..]);
        }
        else if (scale >= count)
        {
            // 0.00ddd
            destination[pos++] = (byte)'0';
            destination[pos++] = (byte)'.';
            destination.Slice(pos, scale - count).Fill((byte)'0');
            digits[..count].CopyTo(destination[(pos + scale - count)..]);
        }
        else
        {
            var integer = count - scale;
            digits[..integer].CopyTo(destination[pos..]);
            destination[pos + integer] = (byte)'.';
            digits[integer..count].CopyTo(destination[(pos + integer + 1)..]);
        }

        written = length;
        return true;
    }

    /// <summary>A single-character value (enumerations such as Side, OrdType, ExecType).</summary>
    public static bool TryParseChar(ReadOnlySpan<byte> s, out char value)
    {
        value = s.Length == 1 ? (char)s[0] : default;
        return s.Length == 1;
    }

    /// <summary>A FIX boolean: <c>Y</c> or <c>N</c>.</summary>
    public static bool TryParseBool(ReadOnlySpan<byte> s, out bool value)
    {
        value = s.Length == 1 && s[0] == (byte)'Y';
        return s.Length == 1 && s[0] is (byte)'Y' or (byte)'N';
    }

    /// <summary>Parses a UTCTimestamp: <c>yyyyMMdd-HH:mm:ss</c> with optional <c>.f</c> to <c>.fffffffff</c>; digits past 100 ns are truncated.</summary>
    public static bool TryParseTimestamp(ReadOnlySpan<byte> s, out DateTimeOffset value)
    {
        value = default;
        if (s.Length < 17 || s[8] != (byte)'-' || s[11] != (byte)':' || s[14] != (byte)':')
        {
            return false;
        }

        if (!Digits(s[0..4], out var year) || !Digits(s[4..6], out var month) || !Digits(s[6..8], out var day)
            || !Digits(s[9..11], out var hour) || !Digits(s[12..14], out var minute) || !Digits(s[15..17], out var second))
        {
            return false;
        }

        long fractionTicks = 0;
        if (s.Length > 17)
        {
            var fraction = s[18..];
            if (s[17] != (byte)'.' || fraction.Length is 0 or > 9 || !Digits(fraction, out var f))
            {
                return false;
            }

            // Scale the fraction to 100 ns ticks; digits beyond the 7th are truncated.
            fractionTicks = f;
            for (var i = fraction.Length; i < 7; i++)
            {
                fractionTicks *= 10;
            }

            for (var i = fraction.Length; i > 7; i--)
            {
                fractionTicks /= 10;
            }
        }

        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 60)
        {
            return false;
        }

        // Leap second 60 is folded into the next second (DateTime cannot represent it).
        var dt = new DateTime(year, month, day, hour, minute, Math.Min(second, 59), DateTimeKind.Utc).AddTicks(fractionTicks)
            .AddSeconds(second == 60 ? 1 : 0);
        value = new DateTimeOffset(dt);
        return true;

        static bool Digits(ReadOnlySpan<byte> d, out int result)
        {
            result = 0;
            foreach (var b in d)
            {
                if (b is < (byte)'0' or > (byte)'9')
                {
                    return false;
                }

                result = (result * 10) + (b - '0');
            }

            return true;
        }
    }
}
