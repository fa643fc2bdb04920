using System.Globalization;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;

namespace BigDataTrading.Sources;

/// <summary>
/// Replays one LEAN equity tick trade file (<c>.../equity/usa/tick/&lt;symbol&gt;/&lt;yyyyMMdd&gt;_trade.zip</c>, one CSV inside).
/// </summary>
/// <remarks>
/// <para>CSV columns (LEAN/AlgoSeek): time in milliseconds since local midnight of the exchange (an optional fraction is
/// kept to the nanosecond), price in deci-cents (1/10,000 dollar), size in shares, exchange letter, sale condition as hex
/// flags, suspicious flag (0/1). The condition becomes <see cref="TradeTick.Conditions"/>; the suspicious flag is validated
/// but not carried (the shared files never set it).</para>
/// <para>Exchange local time is converted to UTC with the zone's real rules, so EDT days get UTC−4 and EST days UTC−5
/// (and a DST change inside the file is honoured to the minute).</para>
/// <para><see cref="TradeTick.Sequence"/> is the 1-based line number in the CSV, so any tick can be traced back to its
/// line; malformed lines are reported to the <see cref="ISourceErrorSink"/> with <c>file:line</c> and leave a gap.
/// Syntactically valid but implausible values (zero or negative price or size) are passed on as ticks: judging them is
/// the quality filter's job, which counts them with a reason.</para>
/// <para>Rows are emitted in file order, never reordered: AlgoSeek files are time-ordered (the SPY 2013-10-08 sample
/// has no row earlier than its predecessor), and a row that went back in time would reach the quality filter's
/// out-of-order rule rather than be hidden here.</para>
/// <para>The zip is streamed and lines are parsed as ASCII byte spans: memory is a 64 KiB buffer whatever the file size.
/// Immutable and thread-safe; each enumeration opens the file anew.</para>
/// </remarks>
public sealed class LeanTickTradeZipSource : IMarketDataSource
{
    private const int BatchSize = 512;
    private readonly ISourceErrorSink _errors;

    /// <summary>Creates a source whose symbol and date come from the LEAN path <c>.../tick/&lt;symbol&gt;/&lt;yyyyMMdd&gt;_trade.zip</c>.</summary>
    /// <param name="zipPath">The zip file.</param>
    /// <param name="errors">Receives malformed lines.</param>
    /// <param name="exchangeTimeZone">Zone of the CSV times; default America/New_York (US equities).</param>
    /// <exception cref="ArgumentException">The path does not follow the LEAN layout; use the other constructor.</exception>
    public LeanTickTradeZipSource(string zipPath, ISourceErrorSink errors, TimeZoneInfo? exchangeTimeZone = null)
        : this(zipPath, ParsePathOrThrow(zipPath, out var date), date, errors, exchangeTimeZone)
    {
    }

    /// <summary>Creates a source for a file with an explicit symbol and trading date (any file name).</summary>
    /// <param name="zipPath">The zip file.</param>
    /// <param name="symbol">Symbol of every tick.</param>
    /// <param name="date">Trading date in exchange local time; CSV times count from its midnight.</param>
    /// <param name="errors">Receives malformed lines.</param>
    /// <param name="exchangeTimeZone">Zone of the CSV times; default America/New_York (US equities).</param>
    public LeanTickTradeZipSource(string zipPath, Symbol symbol, DateOnly date, ISourceErrorSink errors, TimeZoneInfo? exchangeTimeZone = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(zipPath);
        ArgumentNullException.ThrowIfNull(errors);
        ZipPath = zipPath;
        Symbol = symbol;
        Date = date;
        _errors = errors;
        ExchangeTimeZone = exchangeTimeZone ?? ExchangeTimeZones.NewYork;
    }

    /// <summary>The zip file read.</summary>
    public string ZipPath { get; }

    /// <summary>Symbol of every tick.</summary>
    public Symbol Symbol { get; }

    /// <summary>Trading date (exchange local).</summary>
    public DateOnly Date { get; }

    /// <summary>Zone the CSV times are in.</summary>
    public TimeZoneInfo ExchangeTimeZone { get; }

    /// <inheritdoc />
    public string Description => string.Create(CultureInfo.InvariantCulture, $"LEAN tick trades {Symbol} {Date:yyyy-MM-dd} ({ZipPath})");

    /// <summary>Reads symbol and date from a LEAN path <c>.../&lt;symbol&gt;/&lt;yyyyMMdd&gt;_trade.zip</c>.</summary>
    public static bool TryParsePath(string zipPath, out Symbol symbol, out DateOnly date)
    {
        symbol = default;
        date = default;
        if (string.IsNullOrEmpty(zipPath))
        {
            return false;
        }

        var full = Path.GetFullPath(zipPath);
        var name = Path.GetFileName(full);
        const string suffix = "_trade.zip";
        if (!name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) || name.Length != 8 + suffix.Length ||
            !DateOnly.TryParseExact(name.AsSpan(0, 8), "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date))
        {
            return false;
        }

        var folder = Path.GetFileName(Path.GetDirectoryName(full));
        return !string.IsNullOrEmpty(folder) && Symbol.TryParse(folder, out symbol, out _);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<TradeTick> ReadTradesAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        // One file handle per enumeration; the deflate stream is read in 64 KiB blocks and never materialized as strings.
        using var zip = ZipFile.OpenRead(ZipPath);
        await using var stream = LeanText.OpenCsvEntry(zip, ZipPath);
        var parser = new LeanTradeCsvParser(stream, Symbol, Date, ExchangeTimeZone, _errors, ZipPath);
        var batch = new TradeTick[BatchSize];
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var n = parser.ParseAvailable(batch);
            for (var i = 0; i < n; i++)
            {
                yield return batch[i];
            }

            if (n < batch.Length)
            {
                if (parser.Completed)
                {
                    yield break;
                }

                await parser.FillAsync(ct);
            }
        }
    }

    private static Symbol ParsePathOrThrow(string zipPath, out DateOnly date)
    {
        if (!TryParsePath(zipPath, out var symbol, out date))
        {
            throw new ArgumentException(
                $"'{zipPath}' is not a LEAN tick trade path '.../tick/<symbol>/<yyyyMMdd>_trade.zip'; pass symbol and date explicitly.",
                nameof(zipPath));
        }

        return symbol;
    }
}
