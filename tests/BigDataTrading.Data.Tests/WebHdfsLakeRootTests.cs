using BigDataTrading.Cli.Commands;
using BigDataTrading.Infra.Kafka;
using BigDataTrading.Jobs.Etl;
using BigDataTrading.Sources;
using BigDataTrading.Streaming.Ingestion;
using BigDataTrading.Streaming.LakeWriter;
using BigDataTrading.Warehouse;
using BigDataTrading.Warehouse.Catalog;
using BigDataTrading.Warehouse.Storage;
using Xunit;

namespace BigDataTrading.Data.Tests;

/// <summary>
/// A lake whose root is <c>webhdfs://…</c> (the in-test WebHDFS server): the lake writer and the ETL write through the
/// WebHDFS API, manifests live on the root, and <c>bdt sql</c> reads the root through a local cache.
/// </summary>
public sealed class WebHdfsLakeRootTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly FakeWebHdfs _hdfs = new();

    public void Dispose()
    {
        _hdfs.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task Lake_writer_on_a_webhdfs_root_resumes_from_the_remote_manifests_after_losing_its_cache_without_loss_or_duplicates()
    {
        await using var kafka = KafkaEndpoint.Start(new KafkaOptions());
        var topics = await KafkaFixtures.CreateTopicsAsync(kafka, "hdfsroot");
        var report = await IngestAsync(kafka, topics);
        using var storage = LakeStorage.Open(_hdfs.Uri("/lake"));

        // Run 1 publishes commits 0 and 1 (files, then manifest); commit 2's files reach HDFS but the process dies
        // before its manifest is uploaded — and its cache is lost with the machine.
        var firstCache = new RemoteLake(storage, Path.Combine(_temp.Path, "cache-1"));
        await firstCache.PrepareWriterAsync("w", new LakeCatalog(firstCache.Local, TimeProvider.System), CancellationToken.None);
        var crash = Assert.Throws<IOException>(() => RunWriter(kafka, firstCache, topics, manifest =>
        {
            if (manifest.Commit == 2)
            {
                var publisher = new LakePublisher(firstCache.Local, storage);
                foreach (var file in manifest.Files)
                {
                    publisher.PublishFileAsync(firstCache.Local.AbsolutePath(file.Final)).GetAwaiter().GetResult();
                }

                throw new IOException("simulated crash before the manifest upload");
            }

            firstCache.PublishCommitAsync(manifest, CancellationToken.None).GetAwaiter().GetResult();
        }));
        Assert.Contains("simulated", crash.Message, StringComparison.Ordinal);
        Assert.Contains(_hdfs.FilePaths, p => p.StartsWith("/lake/ticks/", StringComparison.Ordinal) && p.EndsWith("part-w-00002.parquet", StringComparison.Ordinal));
        Directory.Delete(firstCache.Local.Root, recursive: true);

        // Run 2 on an empty cache: the two committed commits come back from HDFS, commit 2's orphans are deleted, and
        // consumption resumes after commit 1's offsets.
        var secondCache = new RemoteLake(storage, Path.Combine(_temp.Path, "cache-2"));
        var (published, downloaded, orphans) = await secondCache.PrepareWriterAsync("w", new LakeCatalog(secondCache.Local, TimeProvider.System), CancellationToken.None);
        Assert.Equal((0, 2), (published, downloaded));
        Assert.True(orphans >= 1, $"{orphans} orphans deleted");
        var run = RunWriter(kafka, secondCache, topics, manifest => secondCache.PublishCommitAsync(manifest, CancellationToken.None).GetAwaiter().GetResult());
        Assert.Equal(2, run.Recovery.NextCommit);
        Assert.True(run.Commits >= 1);

        // Everything the writer did went through WebHDFS: files renamed into place from hidden uploads, manifests too.
        Assert.Contains(_hdfs.Requests, r => r.Op == "RENAME" && r.Path.StartsWith("/lake/_manifests/w/.", StringComparison.Ordinal));
        Assert.DoesNotContain(_hdfs.FilePaths, p => p.EndsWith(LakeLayout.TempExtension, StringComparison.Ordinal));

        // bdt sql over the webhdfs root (a third, fresh cache) sees every accepted tick exactly once.
        var cache = Path.Combine(_temp.Path, "sql-cache");
        var count = await LakeCommandsTests.RunAsync(SqlCommand.Create(), "SELECT count(*) AS n, count(DISTINCT (symbol, sequence)) AS d FROM ticks", "--lake", _hdfs.Uri("/lake"), "--cache", cache, "--format", "csv");
        Assert.Equal((0, $"n,d\r\n{report.Accepted},{report.Accepted}\r\n"), (count.ExitCode, count.Output));

        // bdt hive ddl over the root: tables located on the webhdfs:// root (a Hadoop file system scheme), valid HiveQL.
        var ddl = await LakeCommandsTests.RunAsync(HiveCommand.Create(), "ddl", "--lake", _hdfs.Uri("/lake"));
        Assert.Equal(0, ddl.ExitCode);
        var table = Assert.Single(HiveQlChecker.Parse(ddl.Output).Tables);
        Assert.Equal((LakeDatasets.Ticks, _hdfs.Uri("/lake/ticks")), (table.Name, table.Location));
    }

    [Fact]
    public async Task Etl_on_a_webhdfs_root_replaces_its_output_partitions_there_and_a_rerun_does_not_duplicate()
    {
        // Ticks on HDFS, published from a local lake.
        var source = new LakeLayout(Path.Combine(_temp.Path, "source"));
        LakeCatalogTests.WriteTicksAndBars(source, null);
        using var storage = LakeStorage.Open(_hdfs.Uri("/lake"));
        await new LakeMirror(source, storage).MirrorAllAsync(CancellationToken.None);

        var remote = new RemoteLake(storage, Path.Combine(_temp.Path, "etl-cache"));
        var first = await RemoteLakeEtl.RunAsync(remote, LakeDatasets.Ticks, TimeProvider.System, etl => etl.BuildBarsAsync(BarPeriod.OneMinute), CancellationToken.None);
        var second = await RemoteLakeEtl.RunAsync(remote, LakeDatasets.Ticks, TimeProvider.System, etl => etl.BuildBarsAsync(BarPeriod.OneMinute), CancellationToken.None);

        Assert.Equal(2, first.Partitions.Count);
        Assert.Equal(first.OutputRows, second.OutputRows);
        var barFiles = _hdfs.FilePaths.Where(p => p.StartsWith("/lake/" + LakeDatasets.Bars1mEtl + "/", StringComparison.Ordinal)).ToList();
        Assert.Equal(second.Partitions.Sum(p => p.OutputFiles.Count), barFiles.Count);
        Assert.All(barFiles, p => Assert.Matches(@"^/lake/bars_1m_etl/date=\d{4}-\d{2}-\d{2}/part-[^/]+\.parquet$", p));

        // Read back from HDFS into a fresh cache: the same bars, once, as the job run on the local source lake.
        await new LakeEtl(source, TimeProvider.System, null).BuildBarsAsync(BarPeriod.OneMinute);
        var reader = new RemoteLake(storage, Path.Combine(_temp.Path, "read-cache"));
        await reader.PullAsync(null, CancellationToken.None);
        const string Summary = "SELECT count(*) || '/' || sum(volume) || '/' || sum(trade_count) || '/' || sum(vwap) FROM bars_1m_etl";
        using var remoteSql = new LakeSql(reader.Local);
        using var localSql = new LakeSql(source);
        Assert.Equal(localSql.QueryScalar<string>(Summary), remoteSql.QueryScalar<string>(Summary));
        Assert.Equal(second.OutputRows, remoteSql.QueryScalar<long>("SELECT count(*) FROM bars_1m_etl"));
        Assert.DoesNotContain(_hdfs.FilePaths, p => p.Contains("/.date=", StringComparison.Ordinal));
    }

    private static async Task<IngestReport> IngestAsync(KafkaEndpoint kafka, IngestTopics topics)
    {
        using var producer = kafka.Clients.CreateProducer("ingest");
        var ingestor = new MarketDataIngestor(producer, new IngestValidator(new IngestValidationOptions()), topics);
        return await ingestor.IngestTradesAsync(
            new SyntheticMarketSource(new SyntheticMarketOptions { TradesPerSymbol = 3000, BadTickRate = 0.005 }).ReadTradesAsync(), CancellationToken.None);
    }

    private static KafkaLakeWriterReport RunWriter(KafkaEndpoint kafka, RemoteLake remote, IngestTopics topics, Action<LakeManifest> committed)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var writer = new KafkaLakeWriter(
            kafka.Clients,
            remote.Local,
            new LakeCatalog(remote.Local, TimeProvider.System),
            new KafkaLakeWriterOptions
            {
                Topic = topics.Accepted,
                Partitions = topics.Partitions,
                WriterId = "w",
                MaxBufferedRows = 2000,
                MaxCommitDelay = TimeSpan.FromMinutes(10),
                Parquet = LakeWriterOptions.Default with { Durable = false },
                Committed = committed,
            },
            TimeProvider.System);
        return writer.Run(timeout.Token);
    }
}
