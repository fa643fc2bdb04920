using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;

namespace BigDataTrading.Sources;

/// <summary>
/// Incremental parser of LEAN tick trade CSV over a byte stream. The async caller refills the buffer; parsing itself is
/// synchronous over spans (spans cannot live across awaits), which keeps the hot loop free of allocations.
/// Not thread-safe: one per enumeration.
/// </summary>
internal sealed class LeanTradeCsvParser
{
    private const int InitialBufferSize = 64 * 1024;

    // A CSV line longer than this is not LEAN data; refusing to grow further bounds memory on garbage input.
    private const int MaxLineLength = 1024 * 1024;
    private const long MillisPerDay = 86_400_000;
    private const long NanosPerMilli = 1_000_000;
    private const long DeciCentsPerDollar = 10_000;

    // Price.FromScaled multiplies by 10^4; larger deci-cent values would overflow the fixed-point range.
    private const long MaxDeciCents = long.MaxValue / (Price.Scale / DeciCentsPerDollar);

    private readonly Stream _stream;
    private readonly Symbol _symbol;
    private readonly ISourceErrorSink _errors;
    private readonly string _location;
    private readonly long _localMidnightAsUtcNanos;

    // UTC offset (ns) for each local minute of the day: offsets only change on minute boundaries in every real zone,
    // so a table lookup replaces a TimeZoneInfo call per row while staying exact across a DST change inside the file.
    private readonly long[] _offsetNanosByMinute;

    private byte[] _buffer = new byte[InitialBufferSize];
    private int _start;
    private int _end;
    private bool _eof;
    private long _lineNumber;

    public LeanTradeCsvParser(Stream stream, Symbol symbol, DateOnly date, TimeZoneInfo zone, ISourceErrorSink errors, string location)
    {
        _stream = stream;
        _symbol = symbol;
        _errors = errors;
        _location = location;
        _localMidnightAsUtcNanos = (long)(date.DayNumber - DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber) * Timestamp.NanosPerDay;
        _offsetNanosByMinute = new long[1440];
        var midnight = date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        for (var m = 0; m < _offsetNanosByMinute.Length; m++)
        {
            _offsetNanosByMinute[m] = zone.GetUtcOffset(midnight.AddMinutes(m)).Ticks * Timestamp.NanosPerTick;
        }
    }

    /// <summary>True when the stream is exhausted and every buffered line has been parsed.</summary>
    public bool Completed => _eof && _start == _end;

    /// <summary>Reads more bytes after the unparsed tail; grows the buffer when one line fills it.</summary>
    public async ValueTask FillAsync(CancellationToken ct)
    {
        if (_eof)
        {
            return;
        }

        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            if (_buffer.Length >= MaxLineLength)
            {
                throw new InvalidDataException($"{_location}:{_lineNumber + 1}: a line is longer than {MaxLineLength} bytes; this is not a LEAN CSV.");
            }

            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        var n = await _stream.ReadAsync(_buffer.AsMemory(_end), ct);
        if (n == 0)
        {
            _eof = true;
        }

        _end += n;
    }

    /// <summary>Parses complete lines already in the buffer into <paramref name="output"/>; returns how many ticks were
    /// produced. Fewer than the output length means the buffer needs <see cref="FillAsync"/> (or parsing is complete).</summary>
    // Optimized from the first call: a replay is one long loop, and waiting for tiered JIT costs most of a small file.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int ParseAvailable(Span<TradeTick> output)
    {
        var count = 0;
        while (count < output.Length && _start < _end)
        {
            var pending = _buffer.AsSpan(_start, _end - _start);
            var newline = pending.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line;
            if (newline >= 0)
            {
                line = pending[..newline];
                _start += newline + 1;
            }
            else if (_eof)
            {
                // Last line without a terminator.
                line = pending;
                _start = _end;
            }
            else
            {
                break;
            }

            _lineNumber++;
            if (!line.IsEmpty && line[^1] == (byte)'\r')
            {
                line = line[..^1];
            }

            if (TryParseLine(line, out output[count], out var field, out var reason))
            {
                count++;
            }
            else
            {
                _errors.Report(new SourceError(
                    string.Create(CultureInfo.InvariantCulture, $"{_location}:{_lineNumber}"), field, reason, Encoding.Latin1.GetString(line)));
            }
        }

        return count;
    }

    // Optimized from the first call: a replay is one long loop, and waiting for tiered JIT costs most of a small file.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool TryParseLine(ReadOnlySpan<byte> line, out TradeTick tick, out string field, out string reason)
    {
        tick = default;
        Span<Range> ranges = stackalloc Range[7];
        var fields = SplitFields(line, ranges);
        if (fields != 6)
        {
            field = "line";
            reason = line.IsEmpty
                ? "empty line"
                : string.Create(CultureInfo.InvariantCulture, $"expected 6 comma-separated fields (time,price,size,exchange,condition,suspicious), found {(fields == 7 ? "more than 6" : fields.ToString(CultureInfo.InvariantCulture))}");
            return false;
        }

        if (!TryParseTimeOfDay(line[ranges[0]], out var nanosOfDay, out reason))
        {
            field = "time";
            return false;
        }

        if (!TryParseInt64(line[ranges[1]], out var deciCents) || deciCents > MaxDeciCents || deciCents < -MaxDeciCents)
        {
            field = "price";
            reason = "not an integer number of deci-cents within ±" + MaxDeciCents.ToString(CultureInfo.InvariantCulture);
            return false;
        }

        if (!TryParseInt64(line[ranges[2]], out var size))
        {
            field = "size";
            reason = "not an integer number of shares";
            return false;
        }

        var exchangeField = line[ranges[3]];
        if (exchangeField.Length > 1 || (exchangeField.Length == 1 && (exchangeField[0] < '!' || exchangeField[0] > '~')))
        {
            field = "exchange";
            reason = "expected a single printable ASCII letter (or empty when unknown)";
            return false;
        }

        if (!TryParseConditions(line[ranges[4]], out var conditions))
        {
            field = "condition";
            reason = "expected sale condition flags as 1-8 significant hex digits (bits 0-31)";
            return false;
        }

        var suspicious = line[ranges[5]];
        if (suspicious.Length != 1 || (suspicious[0] != '0' && suspicious[0] != '1'))
        {
            field = "suspicious";
            reason = "expected 0 or 1";
            return false;
        }

        var minute = nanosOfDay / Timestamp.NanosPerMinute;
        var utc = _localMidnightAsUtcNanos + nanosOfDay - _offsetNanosByMinute[minute];
        var exchange = exchangeField.IsEmpty ? '\0' : (char)exchangeField[0];
        tick = new TradeTick(_symbol, new Timestamp(utc), Price.FromScaled(deciCents, DeciCentsPerDollar), size, _lineNumber, exchange, conditions);
        field = string.Empty;
        reason = string.Empty;
        return true;
    }

    /// <summary>Splits on ',' into at most <paramref name="ranges"/>.Length fields (the last one keeps any remainder).</summary>
    private static int SplitFields(ReadOnlySpan<byte> line, Span<Range> ranges)
    {
        var count = 0;
        var start = 0;
        while (count < ranges.Length - 1)
        {
            var comma = line[start..].IndexOf((byte)',');
            if (comma < 0)
            {
                break;
            }

            ranges[count++] = new Range(start, start + comma);
            start += comma + 1;
        }

        ranges[count++] = new Range(start, line.Length);
        return count;
    }

    /// <summary>Milliseconds since midnight, with an optional fraction of up to 6 digits (nanosecond resolution).</summary>
    private static bool TryParseTimeOfDay(ReadOnlySpan<byte> text, out long nanosOfDay, out string reason)
    {
        nanosOfDay = 0;
        var dot = text.IndexOf((byte)'.');
        var whole = dot < 0 ? text : text[..dot];
        if (whole.IsEmpty || whole[0] == '-' || !TryParseInt64(whole, out var millis))
        {
            reason = "expected milliseconds since midnight as a non-negative number";
            return false;
        }

        if (millis >= MillisPerDay)
        {
            reason = "milliseconds since midnight must be below 86,400,000";
            return false;
        }

        long fractionNanos = 0;
        if (dot >= 0)
        {
            var fraction = text[(dot + 1)..];
            if (fraction.IsEmpty || fraction.Length > 6)
            {
                reason = "expected 1 to 6 fractional digits of a millisecond";
                return false;
            }

            long scale = NanosPerMilli;
            foreach (var b in fraction)
            {
                if (b is < (byte)'0' or > (byte)'9')
                {
                    reason = "fraction of a millisecond has a non-digit";
                    return false;
                }

                scale /= 10;
                fractionNanos += (b - '0') * scale;
            }
        }

        nanosOfDay = (millis * NanosPerMilli) + fractionNanos;
        reason = string.Empty;
        return true;
    }

    /// <summary>Optional '-' then 1-18 ASCII digits (18 digits cannot overflow).</summary>
    private static bool TryParseInt64(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        var negative = !text.IsEmpty && text[0] == '-';
        var digits = negative ? text[1..] : text;
        if (digits.IsEmpty || digits.Length > 18)
        {
            return false;
        }

        long v = 0;
        foreach (var b in digits)
        {
            var d = b - '0';
            if ((uint)d > 9)
            {
                return false;
            }

            v = (v * 10) + d;
        }

        value = negative ? -v : v;
        return true;
    }

    /// <summary>Parses the hex sale-condition flags; leading zeros are allowed, bits above 31 are undefined and refused.</summary>
    private static bool TryParseConditions(ReadOnlySpan<byte> text, out SaleConditions conditions)
    {
        conditions = SaleConditions.None;
        if (text.IsEmpty || text.Length > 16)
        {
            return false;
        }

        ulong value = 0;
        foreach (var b in text)
        {
            var digit = HexDigitValue(b);
            if (digit < 0)
            {
                return false;
            }

            value = (value << 4) | (uint)digit;
        }

        if (value > uint.MaxValue)
        {
            return false;
        }

        conditions = (SaleConditions)(uint)value;
        return true;
    }

    private static int HexDigitValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
