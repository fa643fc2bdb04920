using System.Collections.Concurrent;
using System.Text.Json;
using BigDataTrading.Infra.Kafka;
using BigDataTrading.Streaming.Cql;
using BigDataTrading.Streaming.Cql.Kafka;
using Microsoft.Extensions.Time.Testing;

namespace BigDataTrading.Streaming.Tests.Kafka;

/// <summary>
/// bdt stream paused at an arbitrary offset (state and offsets checkpointed) and restarted by a new runner produces the
/// same rows as an uninterrupted run, for every stateful query kind; and a fenced former owner stops writing.
/// Real embedded Kafka cluster.
/// </summary>
public sealed class CqlCheckpointRestartTests : IDisposable
{
    private const int Partitions = 2;
    private readonly string _dir = Directory.CreateTempSubdirectory("bdt-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_sliding_window_run_paused_and_restarted_from_its_checkpoint_equals_an_uninterrupted_run()
    {
        var events = CheckpointScenarios.Random(600, ["SPY", "AAPL", "MSFT", "IBM"], seed: 21, quotes: false);
        var outcome = await PauseAndResume(CheckpointScenarios.Sliding, events, cut: 257);
        Assert.True(outcome.BeforePause["out-burst"].Sum() > 0, "the pause falls after some sliding rows");
    }

    [Fact]
    public async Task An_as_of_join_run_paused_and_restarted_from_its_checkpoint_equals_an_uninterrupted_run()
    {
        var events = CheckpointScenarios.Random(600, ["SPY", "AAPL", "MSFT", "IBM"], seed: 22, quotes: true);
        var outcome = await PauseAndResume(CheckpointScenarios.AsOf, events, cut: 301);
        Assert.True(outcome.BeforePause["out-quoted"].Sum() > 0, "the pause falls after some joined rows");
    }

    [Fact]
    public async Task A_pattern_run_paused_with_a_pending_match_and_an_absence_deadline_ahead_equals_an_uninterrupted_run()
    {
        var events = CheckpointScenarios.PatternHead();
        events.AddRange(CheckpointScenarios.Random(400, ["SPY", "AAPL", "MSFT"], seed: 23, quotes: false, fromSeconds: 10));
        var outcome = await PauseAndResume(CheckpointScenarios.Patterns, events, cut: CheckpointScenarios.PatternHeadCut);

        // Nothing matched before the pause; SPY's spike (pending across the restart) and AAPL's stall (deadline after it)
        // come out of the restored run.
        Assert.All(outcome.BeforePause, p => Assert.Equal(0, p.Value.Sum()));
        Assert.Contains(outcome.Resumed["out-spike"], r => Is(r, "spike", "SPY", seconds: 0));
        Assert.Contains(outcome.Resumed["out-stall"], r => Is(r, "stall", "AAPL", seconds: 0.5));
        Assert.DoesNotContain(outcome.Resumed["out-stall"], r => Is(r, "stall", "SPY", seconds: 0));
    }

    [Fact]
    public async Task The_trading_pack_paused_and_restarted_from_its_checkpoint_equals_an_uninterrupted_run()
    {
        var pack = await File.ReadAllTextAsync(CqlTestKit.PackPath);
        var outcome = await PauseAndResume(pack, CheckpointScenarios.PackTape(12_000), cut: 4_321);
        var active = outcome.Resumed.Where(t => t.Value.Count > 0).Select(t => t.Key).ToList();
        Assert.True(active.Count >= 8, $"rows on {string.Join(", ", active)}");
    }

    [Fact]
    public async Task A_runner_fenced_by_a_newer_owner_stops_processing_the_partition_and_leaves_its_checkpoint_alone()
    {
        await using var kafka = KafkaEndpoint.Start(new KafkaOptions { DefaultPartitions = Partitions });
        await StreamTestKit.Topics(kafka, Partitions, "cql-in", "cql.late", "out-burst", "out-market");
        using var producer = kafka.Clients.CreateProducer("test");
        var trades = CheckpointScenarios.Random(160, ["SPY"], seed: 24, quotes: false);
        StreamTestKit.ProduceEvents(producer, "cql-in", trades.Take(40), partition: 0);
        StreamTestKit.ProduceEvents(producer, "cql-in", trades.Skip(40).Take(40), partition: 1);

        var store = new FileCqlCheckpointStore(Path.Combine(_dir, "checkpoints"));
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var log = new ConcurrentQueue<string>();
        using var runProducer = kafka.Clients.CreateProducer("stale");
        var runner = new CqlKafkaRunner(CheckpointScenarios.Sliding, kafka.Clients, "g", runProducer, Options() with { CheckpointInterval = TimeSpan.FromMinutes(1) },
            services: new CqlStreamServices { Checkpoints = store, Time = time, Log = log.Enqueue });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var run = Task.Run(() => runner.Run(cts.Token));
        bool Logged(string prefix) => log.Any(l => l.StartsWith(prefix, StringComparison.Ordinal));

        // Checkpoint both partitions at offset 40 (the periodic checkpoint is due once the fake clock moved a minute).
        Assert.True(StreamTestKit.Eventually(() => runner.EventsConsumed == 80, TimeSpan.FromSeconds(30)), "the runner did not consume the first records");
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(StreamTestKit.Eventually(() => Logged("checkpoint p0 at offset 40") && Logged("checkpoint p1 at offset 40"), TimeSpan.FromSeconds(30)), string.Join("\n", log));
        var stale = store.OwnerGeneration("cql-in", 0);

        // Another process takes partition 0 (as after this one stalled past its session): it claims, restores and checkpoints.
        var usurper = new FileCqlCheckpointStore(store.Directory);
        var generation = usurper.Claim("cql-in", 0);
        var taken = usurper.Load("cql-in", 0)!;
        Assert.True(usurper.Save(taken with { Generation = generation }).Saved);

        // The stale owner goes on consuming partition 0, but its next checkpoint is refused and it drops the partition.
        StreamTestKit.ProduceEvents(producer, "cql-in", trades.Skip(80).Take(40), partition: 0);
        Assert.True(StreamTestKit.Eventually(() => runner.EventsConsumed == 120, TimeSpan.FromSeconds(30)), "the runner did not consume the second records");
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(StreamTestKit.Eventually(() => Logged("FENCED p0"), TimeSpan.FromSeconds(30)), string.Join("\n", log));
        var fenced = log.First(l => l.StartsWith("FENCED p0", StringComparison.Ordinal));
        Assert.Contains($"generation {generation} claimed the partition after ours ({stale})", fenced, StringComparison.Ordinal);

        // Records of both partitions follow: partition 1 is still processed (and checkpointed), partition 0 is not.
        StreamTestKit.ProduceEvents(producer, "cql-in", trades.Skip(120).Take(20), partition: 0);
        StreamTestKit.ProduceEvents(producer, "cql-in", trades.Skip(140).Take(20), partition: 1);
        Assert.True(StreamTestKit.Eventually(() => runner.EventsConsumed >= 140, TimeSpan.FromSeconds(30)), "the runner did not consume partition 1's last records");
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(StreamTestKit.Eventually(() => Logged("checkpoint p1 at offset 60"), TimeSpan.FromSeconds(30)), string.Join("\n", log));
        Assert.Equal(140, runner.EventsConsumed);
        await cts.CancelAsync();
        var report = await run;

        Assert.Equal(1, report.FencedPartitions);
        var summary = BigDataTrading.Cli.Commands.StreamCommand.SummaryLine(report); // what bdt stream prints when it stops
        Assert.StartsWith("140 events, ", summary, StringComparison.Ordinal);
        Assert.EndsWith(" checkpoints, 1 fenced partition(s): a newer owner took them over, and their rows since this process's last checkpoint repeat downstream", summary, StringComparison.Ordinal);
        Assert.Equal(140, report.EventsIn);
        var kept = store.Load("cql-in", 0)!;
        Assert.Equal((40L, generation), (kept.NextOffset, kept.Generation));
        Assert.Equal(taken.State, kept.State);
        Assert.Equal(60, store.Load("cql-in", 1)!.NextOffset);
    }

    [Fact]
    public async Task A_checkpoint_whose_engine_snapshot_has_an_older_format_is_refused_with_the_file_named()
    {
        await using var kafka = KafkaEndpoint.Start(new KafkaOptions { DefaultPartitions = Partitions });
        await StreamTestKit.Topics(kafka, Partitions, "cql-in", "cql.late", "out-burst", "out-market");
        using var producer = kafka.Clients.CreateProducer("test");
        await StreamTestKit.ProduceEventsAndEnd(producer, "cql-in", Partitions, CheckpointScenarios.Random(20, ["SPY"], seed: 25, quotes: false));

        // A checkpoint file of the current version whose engine snapshot says format 1 (as an old build wrote it).
        var store = new FileCqlCheckpointStore(Path.Combine(_dir, "checkpoints"));
        var state = CqlSnapshots.Capture(CqlEngine.Compile(CheckpointScenarios.Sliding, NullCqlSink.Instance));
        BitConverter.TryWriteBytes(state.AsSpan(0, 4), 1);
        var generation = store.Claim("cql-in", 0);
        Assert.True(store.Save(new CqlCheckpoint("cql-in", 0, 0, false, CqlSnapshots.Fingerprint(CheckpointScenarios.Sliding), state) { Generation = generation }).Saved);

        var runner = new CqlKafkaRunner(CheckpointScenarios.Sliding, kafka.Clients, "g", producer, Options(), services: new CqlStreamServices { Checkpoints = store });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var error = Assert.Throws<InvalidDataException>(() => runner.Run(timeout.Token));
        Assert.Contains($"'{store.PathOf("cql-in", 0)}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("format 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("Delete the file", error.Message, StringComparison.Ordinal);
    }

    private static bool Is(JsonElement row, string query, string key, double seconds) =>
        row.GetProperty("query").GetString() == query && row.GetProperty("key").GetString() == key
        && row.GetProperty("window_start").GetDateTimeOffset() == CqlTestKit.At(seconds).ToDateTimeOffset();

    private static CqlStreamOptions Options() => new("cql-in", Partitions, "cql.late") { SessionTimeout = TimeSpan.FromSeconds(2) };

    /// <summary>
    /// Runs <paramref name="script"/> over <paramref name="events"/> three times on one embedded cluster: paused after
    /// <paramref name="cut"/> events (only those were produced yet) and checkpointed; resumed by a new runner of the same
    /// group over the rest and the end-of-stream markers; and once uninterrupted (another group, its rows to <c>ref.</c>
    /// topics). Asserts every output topic holds the same rows per partition in the same order, and the late counts add up.
    /// </summary>
    private async Task<RestartOutcome> PauseAndResume(string script, List<object> events, int cut)
    {
        await using var kafka = KafkaEndpoint.Start(new KafkaOptions { DefaultPartitions = Partitions });
        var outputs = CqlEngine.Compile(script, NullCqlSink.Instance).Queries.Select(q => q.IntoTopic).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        await StreamTestKit.Topics(kafka, Partitions, ["cql-in", "cql.late", .. outputs, .. outputs.Select(o => "ref." + o)]);
        using var producer = kafka.Clients.CreateProducer("test");
        StreamTestKit.ProduceEvents(producer, "cql-in", events.Take(cut));
        var store = new FileCqlCheckpointStore(Path.Combine(_dir, "checkpoints"));

        CqlStreamReport first;
        using (var cts = new CancellationTokenSource())
        using (var runProducer = kafka.Clients.CreateProducer("run1"))
        {
            var runner = new CqlKafkaRunner(script, kafka.Clients, "paused", runProducer, Options(), services: new CqlStreamServices { Checkpoints = store });
            var run = Task.Run(() => runner.Run(cts.Token));
            Assert.True(StreamTestKit.Eventually(() => runner.EventsConsumed == cut || run.IsCompleted, TimeSpan.FromSeconds(60)), "the first run did not consume the events before the cut");
            await cts.CancelAsync();
            first = await run;
        }

        Assert.Equal(cut, first.EventsIn);
        Assert.True(first.Checkpoints > 0);
        var beforePause = outputs.ToDictionary(o => o, o =>
        {
            var counts = new int[Partitions];
            StreamTestKit.ReadAll(kafka, o, Partitions, untilEnd: false).ForEach(r => counts[r.Partition]++);
            return counts;
        });
        await StreamTestKit.ProduceEventsAndEnd(producer, "cql-in", Partitions, events.Skip(cut));

        CqlStreamReport second;
        using (var runProducer = kafka.Clients.CreateProducer("run2"))
        {
            var runner = new CqlKafkaRunner(script, kafka.Clients, "paused", runProducer, Options(), services: new CqlStreamServices { Checkpoints = store });
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            second = runner.Run(timeout.Token);
        }

        Assert.Equal(events.Count - cut, second.EventsIn);

        CqlStreamReport reference;
        using (var runProducer = kafka.Clients.CreateProducer("ref"))
        {
            var runner = new CqlKafkaRunner(script.Replace("INTO '", "INTO 'ref.", StringComparison.Ordinal), kafka.Clients, "reference", runProducer, Options());
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            reference = runner.Run(timeout.Token);
        }

        Assert.Equal(events.Count, reference.EventsIn);
        Assert.Equal(reference.LateEvents, first.LateEvents + second.LateEvents);
        var resumed = new Dictionary<string, List<JsonElement>>(StringComparer.Ordinal);
        foreach (var topic in outputs)
        {
            var rows = StreamTestKit.ReadAll(kafka, topic, Partitions);
            Assert.Equal(StreamTestKit.ByPartition(StreamTestKit.ReadAll(kafka, "ref." + topic, Partitions)), StreamTestKit.ByPartition(rows));
            resumed[topic] = [.. rows.GroupBy(r => r.Partition).SelectMany(p => p.Skip(beforePause[topic][p.Key])).Select(r => JsonDocument.Parse(r.Value).RootElement.Clone())];
        }

        Assert.True(resumed.Values.Sum(r => r.Count) > 0, "the restored run emitted rows");
        return new RestartOutcome(beforePause, resumed);
    }

    /// <summary>Rows per output topic and partition before the pause, and the rows the restored run added.</summary>
    private sealed record RestartOutcome(Dictionary<string, int[]> BeforePause, Dictionary<string, List<JsonElement>> Resumed);
}
