using System.Globalization;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;

namespace BigDataTrading.Sources;

/// <summary>
/// Replays one LEAN equity tick quote file (<c>.../equity/usa/tick/&lt;symbol&gt;/&lt;yyyyMMdd&gt;_quote.zip</c>, one CSV inside).
/// </summary>
/// <remarks>
/// <para>CSV columns (LEAN/AlgoSeek): time in milliseconds since local exchange midnight (optional fraction), bid price
/// in deci-cents, bid size, ask price in deci-cents, ask size, exchange letter, condition, suspicious flag (0/1). Each row
/// carries one side: the other side's price and size are 0.</para>
/// <para>With <see cref="MergeSides"/> (the default) each row updates the book of its exchange and the emitted quote is
/// that exchange's book after the row: the side the row carries, plus the other side as last quoted by the same
/// exchange (0 until it has quoted one). That makes locked/crossed checks meaningful. Without it, rows are emitted as
/// they are, one-sided.</para>
/// <para><see cref="QuoteTick.Sequence"/> is the 1-based CSV line number; malformed lines are reported with
/// <c>file:line</c> and skipped. Rows keep file order (AlgoSeek files are time-ordered). Each enumeration opens the file
/// anew; the instance is immutable and thread-safe.</para>
/// </remarks>
public sealed class LeanTickQuoteZipSource : IQuoteSource
{
    private readonly ISourceErrorSink _errors;

    /// <summary>Creates a source whose symbol and date come from the LEAN path <c>.../tick/&lt;symbol&gt;/&lt;yyyyMMdd&gt;_quote.zip</c>.</summary>
    /// <exception cref="ArgumentException">The path does not follow the LEAN layout.</exception>
    public LeanTickQuoteZipSource(string zipPath, ISourceErrorSink errors, bool mergeSides = true, TimeZoneInfo? exchangeTimeZone = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(zipPath);
        ArgumentNullException.ThrowIfNull(errors);
        if (!LeanText.TryParseTickPath(zipPath, "_quote.zip", out var symbol, out var date))
        {
            throw new ArgumentException($"'{zipPath}' is not a LEAN tick quote path '.../tick/<symbol>/<yyyyMMdd>_quote.zip'.", nameof(zipPath));
        }

        ZipPath = zipPath;
        Symbol = symbol;
        Date = date;
        MergeSides = mergeSides;
        ExchangeTimeZone = exchangeTimeZone ?? ExchangeTimeZones.NewYork;
        _errors = errors;
    }

    /// <summary>The zip file read.</summary>
    public string ZipPath { get; }

    /// <summary>Symbol of every quote.</summary>
    public Symbol Symbol { get; }

    /// <summary>Trading date (exchange local).</summary>
    public DateOnly Date { get; }

    /// <summary>True: emit each exchange's two-sided book after the row; false: emit rows one-sided as read.</summary>
    public bool MergeSides { get; }

    /// <summary>Zone the CSV times are in.</summary>
    public TimeZoneInfo ExchangeTimeZone { get; }

    /// <inheritdoc />
    public string Description => string.Create(CultureInfo.InvariantCulture, $"LEAN tick quotes {Symbol} {Date:yyyy-MM-dd} ({ZipPath})");

    /// <inheritdoc />
    public async IAsyncEnumerable<QuoteTick> ReadQuotesAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        using var zip = ZipFile.OpenRead(ZipPath);
        await using var stream = LeanText.OpenCsvEntry(zip, ZipPath);
        using var reader = new StreamReader(stream, System.Text.Encoding.ASCII, detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16);
        var midnight = LeanText.LocalMidnightClock(Date, ExchangeTimeZone);
        var books = new Dictionary<char, (Price Bid, long BidSize, Price Ask, long AskSize)>();
        long lineNumber = 0;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            lineNumber++;
            if (!TryParse(line, midnight, out var time, out var bid, out var bidSize, out var ask, out var askSize, out var exchange, out var field, out var reason))
            {
                _errors.Report(new SourceError(string.Create(CultureInfo.InvariantCulture, $"{ZipPath}:{lineNumber}"), field, reason, line));
                continue;
            }

            if (MergeSides)
            {
                var book = books.GetValueOrDefault(exchange);
                if (bid.Raw != 0 || bidSize != 0)
                {
                    book.Bid = bid;
                    book.BidSize = bidSize;
                }

                if (ask.Raw != 0 || askSize != 0)
                {
                    book.Ask = ask;
                    book.AskSize = askSize;
                }

                books[exchange] = book;
                yield return new QuoteTick(Symbol, time, book.Bid, book.BidSize, book.Ask, book.AskSize, lineNumber);
            }
            else
            {
                yield return new QuoteTick(Symbol, time, bid, bidSize, ask, askSize, lineNumber);
            }
        }
    }

    private static bool TryParse(
        string line,
        Func<long, Timestamp> clock,
        out Timestamp time,
        out Price bid,
        out long bidSize,
        out Price ask,
        out long askSize,
        out char exchange,
        out string field,
        out string reason)
    {
        time = default;
        bid = ask = default;
        bidSize = askSize = 0;
        exchange = '\0';
        var parts = line.Split(',');
        field = "line";
        if (parts.Length != 8)
        {
            reason = string.Create(CultureInfo.InvariantCulture, $"expected 8 comma-separated fields (time,bid,bid_size,ask,ask_size,exchange,condition,suspicious), found {parts.Length}");
            return false;
        }

        if (!LeanText.TryParseTimeOfDay(parts[0], out var nanos, out reason))
        {
            field = "time";
            return false;
        }

        if (!LeanText.TryParseDeciCents(parts[1], out bid))
        {
            (field, reason) = ("bid", "not an integer number of deci-cents");
            return false;
        }

        if (!long.TryParse(parts[2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out bidSize))
        {
            (field, reason) = ("bid_size", "not an integer number of shares");
            return false;
        }

        if (!LeanText.TryParseDeciCents(parts[3], out ask))
        {
            (field, reason) = ("ask", "not an integer number of deci-cents");
            return false;
        }

        if (!long.TryParse(parts[4], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out askSize))
        {
            (field, reason) = ("ask_size", "not an integer number of shares");
            return false;
        }

        if (parts[5].Length > 1)
        {
            (field, reason) = ("exchange", "expected a single letter (or empty when unknown)");
            return false;
        }

        if (parts[7] is not ("0" or "1"))
        {
            (field, reason) = ("suspicious", "expected 0 or 1");
            return false;
        }

        exchange = parts[5].Length == 1 ? parts[5][0] : '\0';
        time = clock(nanos);
        field = reason = string.Empty;
        return true;
    }
}

/// <summary>Parsing shared by the LEAN readers that work on strings (quotes; trades use the span parser).</summary>
internal static class LeanText
{
    private const long MaxDeciCents = long.MaxValue / (Price.Scale / 10_000);

    /// <summary>The one CSV entry of a LEAN zip, opened for reading (the caller disposes it before the archive).</summary>
    /// <exception cref="InvalidDataException">The zip holds no CSV.</exception>
    public static Stream OpenCsvEntry(ZipArchive zip, string zipPath)
    {
        var entry = zip.Entries.FirstOrDefault(e => e.Name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidDataException($"'{zipPath}' contains no .csv entry; a LEAN data zip holds exactly one CSV.");
        return entry.Open();
    }

    public static bool TryParseTickPath(string zipPath, string suffix, out Symbol symbol, out DateOnly date)
    {
        symbol = default;
        date = default;
        var full = Path.GetFullPath(zipPath);
        var name = Path.GetFileName(full);
        if (!name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) || name.Length != 8 + suffix.Length ||
            !DateOnly.TryParseExact(name.AsSpan(0, 8), "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date))
        {
            return false;
        }

        var folder = Path.GetFileName(Path.GetDirectoryName(full));
        return !string.IsNullOrEmpty(folder) && Symbol.TryParse(folder, out symbol, out _);
    }

    /// <summary>A function from nanoseconds since local midnight to UTC, exact across a DST change inside the day
    /// (offsets are looked up per local minute).</summary>
    public static Func<long, Timestamp> LocalMidnightClock(DateOnly date, TimeZoneInfo zone)
    {
        var midnightUtc = (long)(date.DayNumber - DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber) * Timestamp.NanosPerDay;
        var offsets = new long[1440];
        var local = date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        for (var m = 0; m < offsets.Length; m++)
        {
            offsets[m] = zone.GetUtcOffset(local.AddMinutes(m)).Ticks * Timestamp.NanosPerTick;
        }

        return nanos => new Timestamp(midnightUtc + nanos - offsets[nanos / Timestamp.NanosPerMinute]);
    }

    public static bool TryParseTimeOfDay(string text, out long nanosOfDay, out string reason)
    {
        nanosOfDay = 0;
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        var whole = dot < 0 ? text : text[..dot];
        if (!long.TryParse(whole, NumberStyles.None, CultureInfo.InvariantCulture, out var millis))
        {
            reason = "expected milliseconds since midnight as a non-negative number";
            return false;
        }

        if (millis >= 86_400_000)
        {
            reason = "milliseconds since midnight must be below 86,400,000";
            return false;
        }

        long fraction = 0;
        if (dot >= 0)
        {
            var digits = text[(dot + 1)..];
            if (digits.Length is 0 or > 6 || !long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out fraction))
            {
                reason = "expected 1 to 6 fractional digits of a millisecond";
                return false;
            }

            for (var i = digits.Length; i < 6; i++)
            {
                fraction *= 10;
            }
        }

        nanosOfDay = (millis * 1_000_000) + fraction;
        reason = string.Empty;
        return true;
    }

    public static bool TryParseDeciCents(string text, out Price price)
    {
        price = default;
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var deciCents) || deciCents is > MaxDeciCents or < -MaxDeciCents)
        {
            return false;
        }

        price = Price.FromScaled(deciCents, 10_000);
        return true;
    }
}
