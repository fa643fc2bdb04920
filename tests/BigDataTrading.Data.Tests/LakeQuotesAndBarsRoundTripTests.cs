using System.Globalization;
using System.IO.Compression;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Wire;
using BigDataTrading.Infra.Kafka;
using BigDataTrading.Sources;
using BigDataTrading.Streaming.Ingestion;
using BigDataTrading.Streaming.LakeWriter;
using BigDataTrading.Warehouse;
using BigDataTrading.Warehouse.Catalog;
using BigDataTrading.Warehouse.Hive;
using Xunit;

namespace BigDataTrading.Data.Tests;

/// <summary>
/// Quotes and bars as their own lake datasets: shared files → <c>bdt ingest</c> core → Kafka → lake writer → Parquet →
/// catalog, Hive DDL and SQL, with counts and sums checked against the files read with plain string splitting.
/// </summary>
public sealed class LakeQuotesAndBarsRoundTripTests : IDisposable
{
    private const string IbmQuoteZip = "data/market/lean-sample/Data/equity/usa/tick/ibm/20131008_quote.zip";
    private const string Sp500Daily = "data/market/sp500-daily/sp500_daily_2013-01-02_to_2017-11-10.csv.gz";
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [SharedDataFact(IbmQuoteZip)]
    public async Task Lean_quote_zip_lands_in_the_quotes_dataset_and_lake_plus_dead_letters_equal_the_file()
    {
        var zip = SharedData.Require(IbmQuoteZip);
        var file = QuoteSumsStraightFromTheFile(zip);
        var (lake, report, written, dead) = await IngestThroughLakeWriterAsync("ibmq", (ingestor, ct) =>
            ingestor.IngestQuotesAsync(new LeanTickQuoteZipSource(zip, new CountingSourceErrorSink(), mergeSides: false).ReadQuotesAsync(ct), ct));

        Assert.Equal(file.Rows, report.In);
        Assert.Equal(report.In, report.Accepted + report.Rejected);
        Assert.True(report.RejectedByReason.ContainsKey(IngestRejectReason.OutsideSession), "pre- and post-market quotes are outside the regular session");
        Assert.Equal(new Dictionary<string, long> { [LakeDatasets.Quotes] = report.Accepted }, written.RowsByDataset);

        Assert.Equal(
            report.RejectedByReason.ToDictionary(kv => kv.Key.ToString(), kv => kv.Value).OrderBy(kv => kv.Key),
            dead.GroupBy(r => r.Reason ?? "(none)").ToDictionary(g => g.Key, g => (long)g.Count()).OrderBy(kv => kv.Key));
        var symbols = new SymbolCache();
        var deadQuotes = dead.Select(r => MarketDataCodec.DecodeQuote(r.Value, symbols)).ToList();

        using var sql = new LakeSql(lake);
        Assert.Equal(report.Accepted, sql.QueryScalar<long>("SELECT count(*) FROM quotes WHERE symbol = 'IBM'"));
        Assert.Equal(report.Accepted, sql.QueryScalar<long>("SELECT count(DISTINCT sequence) FROM quotes"));
        Assert.Equal(file.BidRows, sql.QueryScalar<long>("SELECT count(*) FROM quotes WHERE bid_size > 0") + deadQuotes.Count(q => q.BidSize > 0));
        Assert.Equal(file.BidSize, sql.QueryScalar<long>("SELECT CAST(sum(bid_size) AS BIGINT) FROM quotes") + deadQuotes.Sum(q => q.BidSize));
        Assert.Equal(file.AskSize, sql.QueryScalar<long>("SELECT CAST(sum(ask_size) AS BIGINT) FROM quotes") + deadQuotes.Sum(q => q.AskSize));
        // Prices: the file's 1/10,000 units summed exactly (DECIMAL in the lake, integers here).
        var lakeBidPrice = sql.QueryScalar<decimal>("SELECT sum(bid_price) FROM quotes");
        Assert.Equal(file.BidPriceTenThousandths, (long)((lakeBidPrice + deadQuotes.Sum(q => q.BidPrice.ToDecimal())) * 10_000m));
        Assert.Equal(0, sql.QueryScalar<long>("SELECT count(*) FROM quotes WHERE bid_price > 0 AND ask_price > 0 AND bid_price >= ask_price"));

        // Catalog and Hive DDL know the dataset with its schema.
        var catalog = new LakeCatalog(lake, TimeProvider.System).Load();
        var entry = catalog.Dataset(LakeDatasets.Quotes);
        Assert.NotNull(entry);
        Assert.Equal(LakeSchemas.QuotesColumns.Select(c => c.Name), entry.Columns.Select(c => c.Name));
        Assert.Equal(report.Accepted, entry.Partitions.Sum(p => p.Rows));
        var table = Assert.Single(HiveQlChecker.Parse(HiveDdl.Generate(catalog, lake)).Tables);
        Assert.Equal(LakeDatasets.Quotes, table.Name);
        Assert.Equal(
            ["symbol STRING", "time TIMESTAMP", "bid_price DECIMAL(18,8)", "bid_size BIGINT", "ask_price DECIMAL(18,8)", "ask_size BIGINT", "sequence BIGINT"],
            table.Columns.Select(c => c.Name + " " + c.Type));
    }

    [SharedDataFact(Sp500Daily)]
    public async Task Sp500_daily_file_year_2013_lands_in_the_bars_dataset_and_per_symbol_volume_matches_the_file()
    {
        var path = SharedData.Require(Sp500Daily);
        var expected = new Dictionary<string, long>(StringComparer.Ordinal);
        long fileRows = 0;
        using (var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress)))
        {
            _ = reader.ReadLine();
            while (reader.ReadLine() is { } line)
            {
                var f = line.Split(',');
                if (!f[2].StartsWith("2013-", StringComparison.Ordinal))
                {
                    continue;
                }

                expected[f[0]] = expected.GetValueOrDefault(f[0]) + long.Parse(f[7], CultureInfo.InvariantCulture);
                fileRows++;
            }
        }

        var (lake, report, written, dead) = await IngestThroughLakeWriterAsync("sp500b", (ingestor, ct) =>
            ingestor.IngestBarsAsync(Year2013(new CsvMarketDataSource(path, CsvColumnMap.Sp500Daily, new DeadLetterSourceErrorSink(ingestor)).ReadBarsAsync(ct)), ct));

        Assert.Equal(fileRows, report.In);
        Assert.Equal(report.In, report.Accepted + report.Rejected);
        Assert.Equal(new Dictionary<string, long> { [LakeDatasets.Bars] = report.Accepted }, written.RowsByDataset);

        // Every rejection is on the dead-letter topic with its reason, as many per reason as the report counts.
        Assert.Equal(
            report.RejectedByReason.ToDictionary(kv => kv.Key.ToString(), kv => kv.Value).OrderBy(kv => kv.Key),
            dead.GroupBy(r => r.Reason ?? "(none)").ToDictionary(g => g.Key, g => (long)g.Count()).OrderBy(kv => kv.Key));
        var symbols = new SymbolCache();
        var actual = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var bar in dead.Select(r => MarketDataCodec.DecodeBar(r.Value, symbols)))
        {
            actual[bar.Symbol.Value] = actual.GetValueOrDefault(bar.Symbol.Value) + bar.Volume;
        }

        using var sql = new LakeSql(lake);
        foreach (var row in sql.Query("SELECT symbol, CAST(sum(volume) AS BIGINT) FROM bars GROUP BY symbol").Rows)
        {
            var symbol = (string)row[0]!;
            actual[symbol] = actual.GetValueOrDefault(symbol) + (long)row[1]!;
        }

        Assert.Equal(expected.OrderBy(k => k.Key), actual.OrderBy(k => k.Key));
        Assert.Equal(report.Accepted, sql.QueryScalar<long>("SELECT count(*) FROM bars WHERE period_ns = 86400000000000"));
        var entry = new LakeCatalog(lake, TimeProvider.System).Load().Dataset(LakeDatasets.Bars);
        Assert.NotNull(entry);
        Assert.Equal(report.Accepted, entry.Partitions.Sum(p => p.Rows));
    }

    [SharedDataFact(LeanMinuteBarZipSourceTests.SpyMinuteZip)]
    public async Task Lean_minute_bars_land_in_the_bars_dataset_and_lake_plus_dead_letter_volume_equals_the_file()
    {
        var zip = SharedData.Require(LeanMinuteBarZipSourceTests.SpyMinuteZip);
        long fileRows = 0, fileVolume = 0;
        using (var archive = ZipFile.OpenRead(zip))
        using (var reader = new StreamReader(archive.Entries[0].Open()))
        {
            while (reader.ReadLine() is { } line)
            {
                fileRows++;
                fileVolume += long.Parse(line.Split(',')[5], CultureInfo.InvariantCulture);
            }
        }

        var (lake, report, written, dead) = await IngestThroughLakeWriterAsync("spym", (ingestor, ct) =>
            ingestor.IngestBarsAsync(new LeanMinuteBarZipSource(zip, new DeadLetterSourceErrorSink(ingestor)).ReadBarsAsync(ct), ct));

        Assert.Equal(fileRows, report.In);
        Assert.Equal(report.In, report.Accepted + report.Rejected);
        Assert.True(report.RejectedByReason.ContainsKey(IngestRejectReason.OutsideSession), "pre- and post-market bars are outside the regular session");
        Assert.Equal(new Dictionary<string, long> { [LakeDatasets.Bars] = report.Accepted }, written.RowsByDataset);
        var symbols = new SymbolCache();
        using var sql = new LakeSql(lake);
        Assert.Equal(report.Accepted, sql.QueryScalar<long>("SELECT count(*) FROM bars WHERE symbol = 'SPY' AND period_ns = 60000000000"));
        Assert.Equal(fileVolume, sql.QueryScalar<long>("SELECT CAST(sum(volume) AS BIGINT) FROM bars") + dead.Sum(r => MarketDataCodec.DecodeBar(r.Value, symbols).Volume));
    }

    // One year of the file (about 126,000 bars in 252 daily partitions) keeps the test to seconds; the whole file goes
    // through ingest in IngestKafkaTests.
    private static async IAsyncEnumerable<Bar> Year2013(IAsyncEnumerable<Bar> bars)
    {
        await foreach (var bar in bars)
        {
            if (bar.Start.UtcDate.Year == 2013)
            {
                yield return bar;
            }
        }
    }

    private async Task<(LakeLayout Lake, IngestReport Report, KafkaLakeWriterReport Written, List<ReadRecord> Dead)> IngestThroughLakeWriterAsync(
        string prefix, Func<MarketDataIngestor, CancellationToken, Task<IngestReport>> ingest)
    {
        await using var kafka = KafkaEndpoint.Start(new KafkaOptions());
        var topics = await KafkaFixtures.CreateTopicsAsync(kafka, prefix);
        var lake = new LakeLayout(Path.Combine(_temp.Path, prefix));
        var writer = new KafkaLakeWriter(
            kafka.Clients,
            lake,
            new LakeCatalog(lake, TimeProvider.System),
            new KafkaLakeWriterOptions { Topic = topics.Accepted, Partitions = topics.Partitions, WriterId = prefix, Parquet = LakeWriterOptions.Default with { Durable = false } },
            TimeProvider.System);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var writing = Task.Factory.StartNew(() => writer.Run(cts.Token), cts.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        using var producer = kafka.Clients.CreateProducer("ingest");
        var ingestor = new MarketDataIngestor(
            producer,
            new IngestValidator(new IngestValidationOptions { Session = TradingSession.Regular }),
            topics,
            new ReplayFlowControl(() => writer.Consumed, ReplayFlowControl.EmbeddedClusterMaxInFlight));
        var report = await ingest(ingestor, cts.Token);
        var written = await writing;
        return (lake, report, written, KafkaFixtures.ReadAll(kafka, topics.DeadLetter, topics.Partitions));
    }

    private sealed record QuoteFileSums(long Rows, long BidRows, long BidSize, long AskSize, long BidPriceTenThousandths);

    /// <summary>LEAN quote rows: ms, bid (1/10,000), bid size, ask (1/10,000), ask size, exchange, ... — summed as integers.</summary>
    private static QuoteFileSums QuoteSumsStraightFromTheFile(string zip)
    {
        using var archive = ZipFile.OpenRead(zip);
        using var reader = new StreamReader(archive.Entries[0].Open());
        long rows = 0, bidRows = 0, bidSize = 0, askSize = 0, bidPrice = 0;
        while (reader.ReadLine() is { } line)
        {
            var f = line.Split(',');
            rows++;
            var bs = long.Parse(f[2], CultureInfo.InvariantCulture);
            bidRows += bs > 0 ? 1 : 0;
            bidSize += bs;
            askSize += long.Parse(f[4], CultureInfo.InvariantCulture);
            bidPrice += long.Parse(f[1], CultureInfo.InvariantCulture);
        }

        return new QuoteFileSums(rows, bidRows, bidSize, askSize, bidPrice);
    }
}
