using BigDataTrading.Infra.Kafka;
using BigDataTrading.Sources;
using BigDataTrading.Streaming.Ingestion;
using BigDataTrading.Streaming.LakeWriter;
using BigDataTrading.Warehouse;
using BigDataTrading.Warehouse.Catalog;
using BigDataTrading.Warehouse.Storage;
using Confluent.Kafka;
using Xunit;

namespace BigDataTrading.Data.Tests;

public sealed class LakeWriterTests : IDisposable
{
    private const int TradesPerSymbol = 4000;
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Writer_lands_every_accepted_tick_once_with_manifests_covering_the_offsets_and_catalog_rows()
    {
        await using var kafka = KafkaEndpoint.Start(new KafkaOptions());
        var topics = await KafkaFixtures.CreateTopicsAsync(kafka, "clean");
        var report = await IngestAsync(kafka, topics);
        var lake = new LakeLayout(Path.Combine(_temp.Path, "lake"));

        var run = RunWriter(kafka, lake, topics);

        Assert.Equal(report.Accepted, run.Rows);
        Assert.True(run.Commits >= 4, $"{run.Commits} commits");
        AssertLakeHoldsExactly(lake, report.Accepted);
        var manifests = new LakeManifestStore(lake, "w").ReadAll();
        Assert.Equal(run.Commits, manifests.Count);
        foreach (var partition in manifests.SelectMany(m => m.Offsets).GroupBy(o => o.Partition))
        {
            // Gap-free and non-overlapping: each commit starts where the previous one ended.
            var ranges = partition.ToList();
            Assert.Equal(0, ranges[0].From);
            Assert.True(ranges.Zip(ranges.Skip(1)).All(p => p.Second.From == p.First.To + 1));
            Assert.True(ranges[^1].EndOfStream);
        }

        // Restarting a finished writer finds nothing to do.
        var again = RunWriter(kafka, lake, topics);
        Assert.Equal(0, again.Commits);
        AssertLakeHoldsExactly(lake, report.Accepted);
    }

    [Theory]
    [InlineData(LakeCommitStep.Staged)]
    [InlineData(LakeCommitStep.ManifestWritten)]
    [InlineData(LakeCommitStep.Published)]
    [InlineData(LakeCommitStep.Registered)]
    [InlineData(LakeCommitStep.OffsetsCommitted)]
    public async Task Crash_at_any_commit_step_then_restart_leaves_the_lake_equal_to_a_clean_run(LakeCommitStep crashAfter)
    {
        await using var kafka = KafkaEndpoint.Start(new KafkaOptions());
        var topics = await KafkaFixtures.CreateTopicsAsync(kafka, "crash");
        var report = await IngestAsync(kafka, topics);
        var lake = new LakeLayout(Path.Combine(_temp.Path, "lake"));

        var seen = 0;
        var crash = Assert.Throws<SimulatedCrashException>(() => RunWriter(kafka, lake, topics, step =>
        {
            if (step == crashAfter && ++seen == 2)
            {
                throw new SimulatedCrashException(step);
            }
        }));
        Assert.Equal(crashAfter, crash.Step);

        var restart = RunWriter(kafka, lake, topics);

        Assert.Equal(crashAfter is LakeCommitStep.ManifestWritten ? 1 : 0, restart.Recovery.RolledForward);
        Assert.Equal(crashAfter is LakeCommitStep.Staged ? 1 : 0, Math.Sign(restart.Recovery.DiscardedStagedFiles));
        AssertLakeHoldsExactly(lake, report.Accepted);
    }

    [Fact]
    public async Task Broker_down_mid_ingest_then_up_loses_and_duplicates_nothing_in_the_lake()
    {
        var outageSeen = 0;
        await using var kafka = KafkaEndpoint.Start(new KafkaOptions(), log =>
        {
            // The clients' own report that a broker connection failed: the outage has been felt.
            if (log.Level <= SyslogLevel.Warning)
            {
                Interlocked.Exchange(ref outageSeen, 1);
            }
        });
        var topics = await KafkaFixtures.CreateTopicsAsync(kafka, "outage");
        var lake = new LakeLayout(Path.Combine(_temp.Path, "lake"));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var writer = Task.Factory.StartNew(() => RunWriter(kafka, lake, topics, maxCommitDelay: TimeSpan.Zero, ct: cts.Token), cts.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        using var producer = kafka.Clients.CreateProducer("ingest", c => c.ReconnectBackoffMaxMs = 200);
        var ingestor = new MarketDataIngestor(producer, new IngestValidator(new IngestValidationOptions()), topics);
        var cluster = kafka.EmbeddedCluster!;
        async IAsyncEnumerable<Core.MarketData.TradeTick> WithOutage(IAsyncEnumerable<Core.MarketData.TradeTick> source)
        {
            var n = 0;
            await foreach (var t in source)
            {
                if (++n == TradesPerSymbol)
                {
                    await KafkaFixtures.WaitUntilAsync(() => ingestor.Accepted + ingestor.Rejected > 0, "the first records are delivered");
                    cluster.SetBrokerDown(1);
                }
                else if (n == 2 * TradesPerSymbol)
                {
                    await KafkaFixtures.WaitUntilAsync(() => Volatile.Read(ref outageSeen) == 1, "a client reports the broker outage");
                    cluster.SetBrokerUp(1);
                }

                yield return t;
            }
        }

        var report = await ingestor.IngestTradesAsync(WithOutage(Source().ReadTradesAsync()), cts.Token);
        var run = await writer;

        Assert.Equal(report.In, report.Accepted + report.Rejected);
        Assert.Equal(report.Accepted, run.Rows);
        AssertLakeHoldsExactly(lake, report.Accepted);
    }

    [Fact]
    public async Task Commits_are_mirrored_to_webhdfs_and_a_restart_republishes_what_a_crash_left_local_only()
    {
        await using var kafka = KafkaEndpoint.Start(new KafkaOptions());
        var topics = await KafkaFixtures.CreateTopicsAsync(kafka, "mirror");
        var report = await IngestAsync(kafka, topics);
        var lake = new LakeLayout(Path.Combine(_temp.Path, "lake"));
        using var hdfs = new FakeWebHdfs();
        using var remote = LakeStorage.Open(hdfs.Uri("/warehouse/lake"));
        var mirror = new LakeMirror(lake, remote);

        var run = RunWriter(kafka, lake, topics, committed: manifest => mirror.MirrorAsync(manifest.Files.Select(f => lake.AbsolutePath(f.Final)), CancellationToken.None).GetAwaiter().GetResult());
        Assert.True(run.Commits >= 2);
        var local = lake.ListPartFiles(LakeDatasets.Ticks).Select(lake.RelativePath).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(local, (await remote.ListPartFilesAsync(LakeDatasets.Ticks)).Order(StringComparer.Ordinal).ToList());

        // A crash between a local commit and its upload leaves the remote copy short of one file: the start-up pass repairs it.
        Assert.True(await remote.DeleteAsync(local[^1]));
        Assert.Equal(local.Count, await mirror.MirrorAllAsync(CancellationToken.None));

        var copy = new LakeLayout(Path.Combine(_temp.Path, "copy"));
        await remote.DownloadDatasetAsync(LakeDatasets.Ticks, copy);
        using var sql = new LakeSql(copy);
        Assert.Equal(report.Accepted, sql.QueryScalar<long>("SELECT count(*) FROM ticks"));
        Assert.Equal(report.Accepted, sql.QueryScalar<long>("SELECT count(DISTINCT (symbol, sequence)) FROM ticks"));
    }

    private static SyntheticMarketSource Source() => new(new SyntheticMarketOptions { TradesPerSymbol = TradesPerSymbol, BadTickRate = 0.005 });

    private static async Task<IngestReport> IngestAsync(KafkaEndpoint kafka, IngestTopics topics)
    {
        using var producer = kafka.Clients.CreateProducer("ingest");
        var ingestor = new MarketDataIngestor(producer, new IngestValidator(new IngestValidationOptions()), topics);
        var report = await ingestor.IngestTradesAsync(Source().ReadTradesAsync(), CancellationToken.None);
        Assert.Equal(report.In, report.Accepted + report.Rejected);
        return report;
    }

    private static KafkaLakeWriterReport RunWriter(
        KafkaEndpoint kafka, LakeLayout lake, IngestTopics topics, Action<LakeCommitStep>? afterStep = null, TimeSpan? maxCommitDelay = null, Action<LakeManifest>? committed = null, CancellationToken ct = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        var writer = new KafkaLakeWriter(
            kafka.Clients,
            lake,
            new LakeCatalog(lake, TimeProvider.System),
            new KafkaLakeWriterOptions
            {
                Topic = topics.Accepted,
                Partitions = topics.Partitions,
                WriterId = "w",
                MaxBufferedRows = 2500,
                MaxCommitDelay = maxCommitDelay ?? TimeSpan.FromMinutes(10),
                Parquet = LakeWriterOptions.Default with { Durable = false },
                Committed = committed,
            },
            TimeProvider.System,
            afterStep);
        return writer.Run(timeout.Token);
    }

    private static void AssertLakeHoldsExactly(LakeLayout lake, long expectedRows)
    {
        using var sql = new LakeSql(lake);
        Assert.Equal(expectedRows, sql.QueryScalar<long>("SELECT count(*) FROM ticks"));
        Assert.Equal(expectedRows, sql.QueryScalar<long>("SELECT count(DISTINCT (symbol, sequence)) FROM ticks"));
        Assert.Equal(expectedRows, new LakeCatalog(lake, TimeProvider.System).Load().Dataset(LakeDatasets.Ticks)!.Rows);
        Assert.Empty(lake.ListTempFiles(LakeDatasets.Ticks));
        Assert.False(Directory.Exists(Path.Combine(lake.Root, ManifestedTickWriter.StagingFolderName, "w")) &&
                     Directory.EnumerateFiles(Path.Combine(lake.Root, ManifestedTickWriter.StagingFolderName, "w"), "*", SearchOption.AllDirectories).Any());
    }

    private sealed class SimulatedCrashException(LakeCommitStep step) : Exception($"simulated crash after {step}")
    {
        public LakeCommitStep Step { get; } = step;
    }
}
