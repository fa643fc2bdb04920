using System.Globalization;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;

namespace BigDataTrading.Sources;

/// <summary>
/// Reads a LEAN minute trade-bar zip (<c>.../minute/&lt;symbol&gt;/&lt;yyyyMMdd&gt;_trade.zip</c>, one CSV inside with
/// lines <c>time,open,high,low,close,volume</c>): time in milliseconds since midnight exchange time (the bar's start),
/// prices in deci-cents (1/10,000 of a dollar).
/// </summary>
/// <remarks>
/// <para>Each line becomes a one-minute <see cref="Bar"/> starting at that time, converted to UTC with the exchange's
/// time zone (America/New_York by default, DST-exact). LEAN minute bars carry no trade count or VWAP: both are 0, as for
/// other sources that lack them (see <see cref="CsvMarketDataSource"/>). Malformed lines are reported with
/// <c>file:line</c> and field, and skipped. Rows keep file order (time order). Each enumeration opens the file anew;
/// the instance is immutable and thread-safe.</para>
/// </remarks>
public sealed class LeanMinuteBarZipSource : IBarSource
{
    private readonly ISourceErrorSink _errors;

    /// <summary>Creates a source whose symbol and date come from the LEAN path.</summary>
    /// <exception cref="ArgumentException">The path does not follow the LEAN layout <c>.../&lt;symbol&gt;/&lt;yyyyMMdd&gt;_trade.zip</c>.</exception>
    public LeanMinuteBarZipSource(string zipPath, ISourceErrorSink errors, TimeZoneInfo? exchangeTimeZone = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(zipPath);
        ArgumentNullException.ThrowIfNull(errors);
        if (!LeanText.TryParseTickPath(zipPath, "_trade.zip", out var symbol, out var date))
        {
            throw new ArgumentException($"'{zipPath}' is not a LEAN minute trade path '.../minute/<symbol>/<yyyyMMdd>_trade.zip'.", nameof(zipPath));
        }

        ZipPath = zipPath;
        Symbol = symbol;
        Date = date;
        ExchangeTimeZone = exchangeTimeZone ?? ExchangeTimeZones.NewYork;
        _errors = errors;
    }

    /// <summary>The zip file read.</summary>
    public string ZipPath { get; }

    /// <summary>Symbol of every bar.</summary>
    public Symbol Symbol { get; }

    /// <summary>Trading date (exchange local).</summary>
    public DateOnly Date { get; }

    /// <summary>Zone the CSV times are in.</summary>
    public TimeZoneInfo ExchangeTimeZone { get; }

    /// <inheritdoc />
    public string Description => string.Create(CultureInfo.InvariantCulture, $"LEAN minute trade bars {Symbol} {Date:yyyy-MM-dd} ({ZipPath})");

    /// <inheritdoc />
    public async IAsyncEnumerable<Bar> ReadBarsAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        using var zip = ZipFile.OpenRead(ZipPath);
        await using var stream = LeanText.OpenCsvEntry(zip, ZipPath);
        using var reader = new StreamReader(stream, System.Text.Encoding.ASCII, detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16);
        var clock = LeanText.LocalMidnightClock(Date, ExchangeTimeZone);
        long lineNumber = 0;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            lineNumber++;
            if (TryParse(line, clock, out var bar, out var field, out var reason))
            {
                yield return bar;
            }
            else
            {
                _errors.Report(new SourceError(string.Create(CultureInfo.InvariantCulture, $"{ZipPath}:{lineNumber}"), field, reason, line));
            }
        }
    }

    private bool TryParse(string line, Func<long, Timestamp> clock, out Bar bar, out string field, out string reason)
    {
        bar = default;
        var parts = line.Split(',');
        field = "line";
        if (parts.Length != 6)
        {
            reason = string.Create(CultureInfo.InvariantCulture, $"expected 6 comma-separated fields (time,open,high,low,close,volume), found {parts.Length}");
            return false;
        }

        if (!LeanText.TryParseTimeOfDay(parts[0], out var nanos, out reason))
        {
            field = "time";
            return false;
        }

        Span<Price> prices = stackalloc Price[4];
        ReadOnlySpan<string> names = ["open", "high", "low", "close"];
        for (var i = 0; i < 4; i++)
        {
            if (!LeanText.TryParseDeciCents(parts[i + 1], out prices[i]))
            {
                (field, reason) = (names[i], "not an integer number of deci-cents");
                return false;
            }
        }

        if (!long.TryParse(parts[5], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var volume))
        {
            (field, reason) = ("volume", "not an integer number of shares");
            return false;
        }

        bar = new Bar(Symbol, clock(nanos), Timestamp.NanosPerMinute, prices[0], prices[1], prices[2], prices[3], volume, 0, Price.Zero);
        field = reason = string.Empty;
        return true;
    }
}
