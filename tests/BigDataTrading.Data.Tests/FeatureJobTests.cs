using System.Globalization;
using System.IO.Compression;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;
using BigDataTrading.Jobs.Etl;
using BigDataTrading.Sources;
using BigDataTrading.Warehouse;
using BigDataTrading.Warehouse.Catalog;
using BigDataTrading.Warehouse.Hive;
using BigDataTrading.Warehouse.Storage;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace BigDataTrading.Data.Tests;

/// <summary>The feature job (ticks + quotes → features_1m) checked against plain computations straight from the LEAN files.</summary>
public sealed class FeatureJobTests : IDisposable
{
    private const string IbmTradeZip = "data/market/lean-sample/Data/equity/usa/tick/ibm/20131008_trade.zip";
    private const string IbmQuoteZip = "data/market/lean-sample/Data/equity/usa/tick/ibm/20131008_quote.zip";
    private static readonly DateOnly s_day = new(2013, 10, 8);

    // 2013-10-08 is EDT: local exchange midnight is 04:00 UTC.
    private static readonly long s_midnightUtcNs = Timestamp.FromUtc(s_day, TimeSpan.FromHours(4)).UnixNanoseconds;

    private readonly TempDirectory _temp = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2024, 6, 1, 12, 0, 0, TimeSpan.Zero));

    public void Dispose() => _temp.Dispose();

    [SharedDataFact(IbmQuoteZip)]
    public async Task Ibm_1_minute_features_equal_returns_volatility_spread_and_imbalance_computed_straight_from_the_lean_files()
    {
        var (lake, catalog) = await IngestIbmAsync();
        var etl = new LakeEtl(lake, _clock, catalog);

        var result = await etl.BuildFeaturesAsync(BarPeriod.OneMinute, volatilityWindow: 30);

        var closes = MinuteClosesFromTradeCsv(SharedData.Require(IbmTradeZip));
        using var sql = new LakeSql(lake);
        var rows = sql.Query("SELECT epoch_ns(start), close, log_return, realized_vol, quote_count, spread, spread_bps, imbalance FROM features_1m ORDER BY start").Rows;
        Assert.Equal(closes.Count, result.OutputRows);
        Assert.Equal(closes.Select(c => c.StartNs), rows.Select(r => Convert.ToInt64(r[0], CultureInfo.InvariantCulture)));
        Assert.Equal(closes.Select(c => c.Close), rows.Select(r => Convert.ToDecimal(r[1], CultureInfo.InvariantCulture)));
        Assert.Null(rows[0][2]); // no previous bar of the day
        Assert.Null(rows[0][3]);

        // Bar 100's return and the realized volatility of its 30-bar window (bars 71..100), from the CSV closes.
        const int k = 100;
        double Ret(int i) => Math.Log((double)closes[i].Close / (double)closes[i - 1].Close);
        Assert.Equal(Ret(k), (double)rows[k][2]!, 12);
        var expectedVol = Math.Sqrt(Enumerable.Range(k - 29, 30).Sum(i => Ret(i) * Ret(i)));
        Assert.Equal(expectedVol, (double)rows[k][3]!, 12);
        // A window reaching the first bar: its missing return counts as absent (bars 1..10 → 10 returns).
        Assert.Equal(Math.Sqrt(Enumerable.Range(1, 10).Sum(i => Ret(i) * Ret(i))), (double)rows[10][3]!, 12);

        // One minute's spread and imbalance from the quote CSV: 14:30 UTC = 10:30 New York.
        var minute = Timestamp.FromUtc(s_day, new TimeSpan(14, 30, 0)).UnixNanoseconds;
        var expected = QuoteStatsFromQuoteCsv(SharedData.Require(IbmQuoteZip), minute);
        var row = rows.Single(r => Convert.ToInt64(r[0], CultureInfo.InvariantCulture) == minute);
        Assert.True(expected.Count > 0, "10:30 has two-sided IBM quotes");
        Assert.Equal(expected.Count, Convert.ToInt32(row[4], CultureInfo.InvariantCulture));
        Assert.Equal(expected.Spread, (double)row[5]!, 9);
        Assert.Equal(expected.Bps, (double)row[6]!, 9);
        Assert.Equal(expected.Imbalance, (double)row[7]!, 9);
    }

    [SharedDataFact(IbmQuoteZip)]
    public async Task A_rerun_replaces_the_feature_partition_registers_lineage_and_the_dataset_is_in_sql_and_hive_ddl()
    {
        var (lake, catalog) = await IngestIbmAsync();
        var etl = new LakeEtl(lake, _clock, catalog);
        var first = await etl.BuildFeaturesAsync(BarPeriod.OneMinute);
        using (var sql = new LakeSql(lake))
        {
            var before = sql.Query("SELECT * FROM features_1m ORDER BY start").Rows;
            _clock.Advance(TimeSpan.FromHours(1));
            var second = await etl.BuildFeaturesAsync(BarPeriod.OneMinute);
            var after = sql.Query("SELECT * FROM features_1m ORDER BY start").Rows;

            Assert.Equal(first.OutputRows, second.OutputRows);
            Assert.Equal(before.Count, after.Count);
            Assert.Equal(before, after);
            Assert.Equal(0L, sql.QueryScalar<long>("SELECT count(*) - count(DISTINCT (symbol, start)) FROM features_1m"));
            Assert.Equal([lake.PartFilePath(LakeDatasets.Features1m, s_day, "etl", 0)], lake.ListPartFiles(LakeDatasets.Features1m));
            Assert.False(Directory.Exists(Path.Combine(lake.Root, "_staging")));

            var partition = catalog.Load().Dataset(LakeDatasets.Features1m)!.Partitions.Single();
            Assert.Equal(second.OutputRows, partition.Rows);
            var lineage = Assert.Single(partition.Lineage);
            Assert.Equal(("etl-features-1m", second.RunId), (lineage.Job, lineage.RunId));
            Assert.Equal(["ticks/date=2013-10-08/part-ingest-00000.parquet", "quotes/date=2013-10-08/part-ingest-00000.parquet"], lineage.Inputs);
        }

        var table = HiveQlChecker.Parse(HiveDdl.Generate(catalog.Load(), lake)).Tables.Single(t => t.Name == LakeDatasets.Features1m);
        Assert.Equal(LakeSchemas.FeaturesColumns.Select(c => c.Name), table.Columns.Select(c => c.Name));
        Assert.Equal("DOUBLE", table.Columns.Single(c => c.Name == "realized_vol").Type);
    }

    [SharedDataFact(IbmQuoteZip)]
    public async Task On_a_webhdfs_root_the_feature_job_pulls_the_quotes_too_and_publishes_the_same_rows_as_locally()
    {
        var (source, _) = await IngestIbmAsync();
        using var hdfs = new FakeWebHdfs();
        using var storage = LakeStorage.Open(hdfs.Uri("/lake"));
        await new LakeMirror(source, storage).MirrorAllAsync(CancellationToken.None);

        var remote = new RemoteLake(storage, Path.Combine(_temp.Path, "etl-cache"));
        var result = await RemoteLakeEtl.RunAsync(remote, LakeDatasets.Ticks, _clock, etl => etl.BuildFeaturesAsync(BarPeriod.OneMinute), CancellationToken.None, [LakeDatasets.Quotes]);
        await new LakeEtl(source, _clock, null).BuildFeaturesAsync(BarPeriod.OneMinute);

        var reader = new RemoteLake(storage, Path.Combine(_temp.Path, "read-cache"));
        await reader.PullAsync([LakeDatasets.Features1m], CancellationToken.None);
        const string Summary = "SELECT count(*) || '/' || sum(quote_count) || '/' || count(spread) || '/' || round(sum(imbalance), 9) || '/' || round(sum(realized_vol), 9) FROM features_1m";
        using var remoteSql = new LakeSql(reader.Local);
        using var localSql = new LakeSql(source);
        Assert.Equal(localSql.QueryScalar<string>(Summary), remoteSql.QueryScalar<string>(Summary));
        Assert.Equal(result.OutputRows, remoteSql.QueryScalar<long>("SELECT count(*) FROM features_1m"));
        Assert.True(remoteSql.QueryScalar<long>("SELECT sum(quote_count) FROM features_1m") > 0, "the quotes were pulled and used");
    }

    private async Task<(LakeLayout Lake, LakeCatalog Catalog)> IngestIbmAsync()
    {
        var trades = SharedData.Require(IbmTradeZip);
        var quotesZip = SharedData.Require(IbmQuoteZip);
        var lake = new LakeLayout(Path.Combine(_temp.Path, "lake"));
        var ticks = new ParquetTickWriter(lake, "ingest");
        await foreach (var t in new LeanTickTradeZipSource(trades, new CountingSourceErrorSink()).ReadTradesAsync())
        {
            ticks.Append(t);
        }

        var quotes = new ParquetQuoteWriter(lake, "ingest");
        await foreach (var q in new LeanTickQuoteZipSource(quotesZip, new CountingSourceErrorSink()).ReadQuotesAsync())
        {
            quotes.Append(q);
        }

        var catalog = new LakeCatalog(lake, _clock);
        catalog.RegisterCommit(await ticks.CommitAsync(), new LakeJobRun("ingest", "ibm-trades", [trades]));
        catalog.RegisterCommit(quotes.Commit(), new LakeJobRun("ingest", "ibm-quotes", [quotesZip]));
        return (lake, catalog);
    }

    // Last bar-price-eligible trade of each minute in file order (AlgoSeek files are time-ordered), or its last trade
    // when none is eligible (the bar rule's fallback); price in deci-cents, the fifth field the sale conditions in hex.
    private static List<(long StartNs, decimal Close)> MinuteClosesFromTradeCsv(string zip)
    {
        var minutes = new List<(long Start, decimal? Eligible, decimal Any)>();
        foreach (var f in CsvLines(zip))
        {
            var start = MinuteStartUtcNs(f[0]);
            var price = decimal.Parse(f[1], CultureInfo.InvariantCulture) / 10_000m;
            var eligible = ((SaleConditions)uint.Parse(f[4], NumberStyles.HexNumber, CultureInfo.InvariantCulture)).IsBarPriceEligible();
            if (minutes.Count > 0 && minutes[^1].Start == start)
            {
                minutes[^1] = (start, eligible ? price : minutes[^1].Eligible, price);
            }
            else
            {
                minutes.Add((start, eligible ? price : null, price));
            }
        }

        return [.. minutes.Select(m => (m.Start, m.Eligible ?? m.Any))];
    }

    // Each row updates its exchange's book (the side it carries); the book after the row is one quote, counted when
    // both sides have a positive price and size.
    private static (int Count, double Spread, double Bps, double Imbalance) QuoteStatsFromQuoteCsv(string zip, long minuteStartNs)
    {
        var books = new Dictionary<string, (decimal Bid, long BidSize, decimal Ask, long AskSize)>();
        var (n, spread, bps, imbalance) = (0, 0.0, 0.0, 0.0);
        foreach (var f in CsvLines(zip))
        {
            var book = books.GetValueOrDefault(f[5]);
            var (bid, bidSize, ask, askSize) = (decimal.Parse(f[1], CultureInfo.InvariantCulture) / 10_000m, long.Parse(f[2], CultureInfo.InvariantCulture), decimal.Parse(f[3], CultureInfo.InvariantCulture) / 10_000m, long.Parse(f[4], CultureInfo.InvariantCulture));
            if (bid != 0 || bidSize != 0)
            {
                (book.Bid, book.BidSize) = (bid, bidSize);
            }

            if (ask != 0 || askSize != 0)
            {
                (book.Ask, book.AskSize) = (ask, askSize);
            }

            books[f[5]] = book;
            if (MinuteStartUtcNs(f[0]) == minuteStartNs && book is { Bid: > 0, BidSize: > 0, Ask: > 0, AskSize: > 0 })
            {
                n++;
                spread += (double)(book.Ask - book.Bid);
                bps += (double)((book.Ask - book.Bid) / ((book.Ask + book.Bid) / 2)) * 1e4;
                imbalance += (double)(book.BidSize - book.AskSize) / (book.BidSize + book.AskSize);
            }
        }

        return n == 0 ? (0, 0, 0, 0) : (n, spread / n, bps / n, imbalance / n);
    }

    private static long MinuteStartUtcNs(string millisOfDay)
    {
        var ns = s_midnightUtcNs + (long)(decimal.Parse(millisOfDay, CultureInfo.InvariantCulture) * 1_000_000m);
        return ns - (ns % Timestamp.NanosPerMinute);
    }

    private static IEnumerable<string[]> CsvLines(string zip)
    {
        using var archive = ZipFile.OpenRead(zip);
        using var reader = new StreamReader(archive.Entries.Single().Open());
        while (reader.ReadLine() is { } line)
        {
            yield return line.Split(',');
        }
    }
}
