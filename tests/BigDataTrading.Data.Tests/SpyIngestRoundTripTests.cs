using System.Globalization;
using System.IO.Compression;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Wire;
using BigDataTrading.Infra.Kafka;
using BigDataTrading.Infra.Messaging;
using BigDataTrading.Sources;
using BigDataTrading.Streaming.Ingestion;
using BigDataTrading.Streaming.LakeWriter;
using BigDataTrading.Warehouse;
using BigDataTrading.Warehouse.Catalog;
using Xunit;

namespace BigDataTrading.Data.Tests;

/// <summary>
/// The real SPY day through the data platform: LEAN zip → <c>bdt ingest</c> core → Kafka → lake writer → Parquet →
/// SQL. Nothing may be lost between the file and the lake plus the dead-letter topic.
/// </summary>
public sealed class SpyIngestRoundTripTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [SharedDataFact(SharedData.SpyTradeZip)]
    public async Task Spy_day_round_trips_and_lake_plus_dead_letter_volume_equals_the_file_volume()
    {
        var zip = SharedData.Require(SharedData.SpyTradeZip);
        var (fileRows, fileVolume) = SumStraightFromTheFile(zip);

        await using var kafka = KafkaEndpoint.Start(new KafkaOptions());
        var topics = await KafkaFixtures.CreateTopicsAsync(kafka, "spy");
        var lake = new LakeLayout(Path.Combine(_temp.Path, "lake"));
        var writer = new KafkaLakeWriter(
            kafka.Clients,
            lake,
            new LakeCatalog(lake, TimeProvider.System),
            new KafkaLakeWriterOptions { Topic = topics.Accepted, Partitions = topics.Partitions, WriterId = "spy", Parquet = LakeWriterOptions.Default with { Durable = false } },
            TimeProvider.System);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var writing = Task.Factory.StartNew(() => writer.Run(cts.Token), cts.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        // SPY is one key, so one partition: keep the replay within the embedded broker's retention of that partition.
        using var producer = kafka.Clients.CreateProducer("ingest");
        var ingestor = new MarketDataIngestor(
            producer,
            new IngestValidator(new IngestValidationOptions { Session = TradingSession.Regular }),
            topics,
            new ReplayFlowControl(() => writer.Consumed, ReplayFlowControl.EmbeddedClusterMaxInFlight));
        var report = await ingestor.IngestTradesAsync(new LeanTickTradeZipSource(zip, new CountingSourceErrorSink()).ReadTradesAsync(cts.Token), cts.Token);
        var written = await writing;

        Assert.Equal(fileRows, report.In);
        Assert.Equal(report.In, report.Accepted + report.Rejected);
        Assert.True(report.RejectedByReason.ContainsKey(IngestRejectReason.OutsideSession), "pre- and post-market prints are outside the regular session");
        Assert.Equal(report.Accepted, written.Rows);

        // The dead letters, read back: every one has a reason and is a decodable trade with its size intact.
        long deadVolume = 0;
        var deadByReason = new Dictionary<string, long>(StringComparer.Ordinal);
        var symbols = new SymbolCache();
        foreach (var record in KafkaFixtures.ReadAll(kafka, topics.DeadLetter, topics.Partitions))
        {
            Assert.NotNull(record.Reason);
            deadByReason[record.Reason] = deadByReason.GetValueOrDefault(record.Reason) + 1;
            deadVolume += MarketDataCodec.DecodeTrade(record.Value, symbols).Size;
        }

        Assert.Equal(report.RejectedByReason.ToDictionary(kv => kv.Key.ToString(), kv => kv.Value).OrderBy(kv => kv.Key), deadByReason.OrderBy(kv => kv.Key));

        // SQL over the lake agrees with the file: accepted volume + rejected volume = the file's volume.
        using var sql = new LakeSql(lake);
        Assert.Equal(report.Accepted, sql.QueryScalar<long>("SELECT count(*) FROM ticks"));
        Assert.Equal(report.Accepted, sql.QueryScalar<long>("SELECT count(DISTINCT sequence) FROM ticks WHERE symbol = 'SPY'"));
        var lakeVolume = sql.QueryScalar<long>("SELECT CAST(sum(size) AS BIGINT) FROM ticks");
        Assert.Equal(fileVolume, lakeVolume + deadVolume);
        Assert.Equal("2013-10-08", sql.QueryScalar<string>("SELECT CAST(min(date) AS VARCHAR) || '/' || CAST(max(date) AS VARCHAR) FROM ticks").Split('/').Distinct().Single());

        // The lake replay gives back each accepted print exactly as the source read it, sale conditions included
        // (Kafka schema v2 → lake schema v2); the LEAN day has several condition combinations, all in the lake.
        var source = (await new LeanTickTradeZipSource(zip, new CountingSourceErrorSink()).ReadAllAsync()).ToDictionary(t => t.Sequence);
        var replayed = await new LakeParquetTickSource(lake.Root, new CountingSourceErrorSink()).ReadAllAsync();
        Assert.Equal(report.Accepted, replayed.Count);
        Assert.All(replayed, t => Assert.Equal(source[t.Sequence], t));
        Assert.True(replayed.Select(t => t.Conditions).Distinct().Count() > 3, "the day's prints carry several condition combinations");
        Assert.Equal(
            replayed.Count(t => (t.Conditions & SaleConditions.IntermarketSweep) != 0),
            sql.QueryScalar<long>("SELECT count(*) FROM ticks WHERE conditions & 32 <> 0"));
    }

    /// <summary>Rows and total size (column 3) of the CSV inside the zip, read with plain string splitting.</summary>
    private static (long Rows, long Volume) SumStraightFromTheFile(string zip)
    {
        using var archive = ZipFile.OpenRead(zip);
        using var reader = new StreamReader(archive.Entries[0].Open());
        long rows = 0;
        long volume = 0;
        while (reader.ReadLine() is { } line)
        {
            rows++;
            volume += long.Parse(line.Split(',')[2], CultureInfo.InvariantCulture);
        }

        return (rows, volume);
    }
}
