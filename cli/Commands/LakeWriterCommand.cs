using System.CommandLine;
using BigDataTrading.Infra.Kafka;
using BigDataTrading.Streaming.LakeWriter;
using BigDataTrading.Warehouse;
using BigDataTrading.Warehouse.Storage;
using BigDataTrading.Warehouse.Catalog;

namespace BigDataTrading.Cli.Commands;

/// <summary>
/// <c>bdt lake-writer</c>: Kafka (<c>md.ticks</c>) → the lake's <c>ticks</c>, <c>quotes</c> and <c>bars</c> datasets, with manifests recording the offsets
/// of every commit; restarts resume from the manifests, so a crash neither loses nor duplicates a row.
/// </summary>
public static class LakeWriterCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var lake = new Option<string>("--lake") { Description = "Lake root folder (created if missing)." + RemoteLakeRoot.LakeHelp + " Manifests go to the root too: a restart resumes from them even with an empty cache.", Required = true };
        var cache = RemoteLakeRoot.CacheOption();
        var mirror = new Option<string?>("--mirror") { Description = "A second lake root, e.g. webhdfs://namenode:9870/lake: every commit is also published there (write aside, then rename); a restart re-publishes anything a crash left behind." };
        var topic = new Option<string>("--topic") { Description = "Topic of market-data records (trades, quotes, bars).", DefaultValueFactory = _ => BigDataTrading.Core.Topics.Ticks };
        var writerId = new Option<string>("--writer-id") { Description = "Writer identity in file names and manifests; one process per id.", DefaultValueFactory = _ => "lake-writer" };
        var maxRows = new Option<int>("--max-buffered-rows") { Description = "Commit when this many rows are buffered.", DefaultValueFactory = _ => 500_000 };
        var delay = new Option<double>("--max-commit-delay-s") { Description = "When caught up, commit buffered rows after this many seconds.", DefaultValueFactory = _ => 5 };
        var follow = new Option<bool>("--follow") { Description = "Keep running after end-of-stream markers (a live feed); stop with Ctrl+C." };
        var bootstrap = new Option<string?>("--kafka") { Description = "Kafka bootstrap servers (overrides Kafka:BootstrapServers). Required: an embedded cluster would be empty." };
        var command = new Command("lake-writer", "Write md.ticks to the lake as Hive-partitioned Parquet with offset manifests; resumes exactly where the last commit ended.")
        {
            lake, mirror, topic, writerId, maxRows, delay, follow, bootstrap, cache,
        };

        command.SetAction(async (parse, ct) =>
        {
            var kafkaOptions = KafkaOptions.FromConfiguration(BdtConfiguration.Load());
            if (parse.GetValue(bootstrap) is { Length: > 0 } servers)
            {
                kafkaOptions = kafkaOptions with { BootstrapServers = servers };
            }

            if (kafkaOptions.IsEmbedded)
            {
                await Console.Error.WriteLineAsync("error: bdt lake-writer needs a Kafka cluster (--kafka host:9092 or Kafka:BootstrapServers); on the embedded cluster use 'bdt ingest', which runs the writer in-process.");
                return 2;
            }

            await using var kafka = KafkaEndpoint.Start(kafkaOptions);
            var (rootStorage, rootLake) = RemoteLakeRoot.Open(parse.GetValue(lake), parse.GetValue(cache));
            using var ownedRoot = rootStorage;
            var layout = rootLake?.Local ?? new LakeLayout(parse.GetValue(lake)!);
            using var remote = parse.GetValue(mirror) is { Length: > 0 } mirrorRoot ? LakeStorage.Open(mirrorRoot) : null;
            var lakeMirror = remote is null ? null : new LakeMirror(layout, remote);
            try
            {
                if (lakeMirror is not null)
                {
                    var checkedFiles = await lakeMirror.MirrorAllAsync(ct);
                    Console.WriteLine($"mirror {lakeMirror.RemoteRoot}: {checkedFiles} existing part file(s) checked and published where missing");
                }

                if (rootLake is not null)
                {
                    var (published, downloaded, orphans) = await rootLake.PrepareWriterAsync(parse.GetValue(writerId)!, new LakeCatalog(layout, TimeProvider.System), ct);
                    Console.WriteLine($"lake {rootLake.Storage.Root} (cache {layout.Root}): {published} commit(s) published, {downloaded} downloaded, {orphans} orphan file(s) of unfinished commits deleted");
                }

                var options = new KafkaLakeWriterOptions
                {
                    Topic = parse.GetValue(topic)!,
                    Partitions = kafkaOptions.DefaultPartitions,
                    WriterId = parse.GetValue(writerId)!,
                    MaxBufferedRows = parse.GetValue(maxRows),
                    MaxCommitDelay = TimeSpan.FromSeconds(parse.GetValue(delay)),
                    StopAtEndOfStream = !parse.GetValue(follow),
                    Committed = manifest =>
                    {
                        // The root first: its manifest is the commit point a restart resumes from.
                        rootLake?.PublishCommitAsync(manifest, ct).GetAwaiter().GetResult();
                        lakeMirror?.MirrorAsync(manifest.Files.Select(f => layout.AbsolutePath(f.Final)), ct).GetAwaiter().GetResult();
                    },
                };
                var writer = new KafkaLakeWriter(kafka.Clients, layout, new LakeCatalog(layout, TimeProvider.System), options, TimeProvider.System);
                var report = await Task.Factory.StartNew(() => writer.Run(ct), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
                Console.WriteLine($"recovered: next commit {report.Recovery.NextCommit}, {report.Recovery.RolledForward} file(s) rolled forward, {report.Recovery.DiscardedStagedFiles} staged file(s) discarded");
                Console.WriteLine($"wrote {report.Rows:N0} rows ({report.DescribeRows()}) in {report.Commits} commits to {layout.Root}; skipped {report.Undecodable:N0} undecodable records");
                return 0;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync("lake-writer stopped; uncommitted rows will be re-read on the next start.");
                return 130;
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidDataException or IOException or HttpRequestException or Confluent.Kafka.KafkaException)
            {
                await Console.Error.WriteLineAsync($"error: lake-writer failed: {ex.GetType().Name}: {ex.Message}");
                return ex is ArgumentException ? 2 : 1;
            }
        });
        return command;
    }
}
