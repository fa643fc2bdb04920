using System.Text;
using System.Text.Json;
using BigDataTrading.Core;
using BigDataTrading.Infra.Kafka;
using BigDataTrading.Infra.Messaging;
using BigDataTrading.Streaming.Cql.Kafka;
using BigDataTrading.Streaming.Cql.Ods;
using Confluent.Kafka;
using Timestamp = BigDataTrading.Core.Time.Timestamp;

namespace BigDataTrading.Streaming.Tests.Kafka;

/// <summary>bdt stream with continuous views and checkpoints, against the embedded Kafka cluster and real databases.</summary>
public sealed class CqlViewRunnerTests : IClassFixture<PostgresServerFixture>, IDisposable
{
    private const int Partitions = 4;

    private const string Script = StreamTestKit.BarsView + """
        CREATE QUERY vwap_5m AS
          SELECT symbol, vwap(price, size) AS vwap, stddev(price) AS sd
          FROM trades WINDOW HOPPING(SIZE 5 MINUTES, ADVANCE 1 MINUTE) GROUP BY symbol EMIT FINAL INTO 'cql-vwap';
        """;

    private readonly PostgresServerFixture _postgres;
    private readonly string _dir = Directory.CreateTempSubdirectory("bdt-stream-").FullName;

    public CqlViewRunnerTests(PostgresServerFixture postgres) => _postgres = postgres;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task View_rows_equal_the_windows_and_rows_of_unknown_instruments_are_dead_lettered_while_processing_continues()
    {
        await using var kafka = KafkaEndpoint.Start(new KafkaOptions { DefaultPartitions = Partitions });
        await StreamTestKit.Topics(kafka, Partitions, "cql-in", "cql-vwap", "cql.late", "cql.ods.dead");
        var trades = StreamTestKit.Trades(400, ["SPY", "AAPL", "MSFT"]);
        using var producer = kafka.Clients.CreateProducer("test");
        await StreamTestKit.ProduceAndEnd(producer, "cql-in", Partitions, trades);

        using var views = new DuckDbContinuousViewStore(Path.Combine(_dir, "ods.duckdb"));
        views.RegisterInstruments(["SPY", "AAPL"]); // MSFT is not a known instrument: its rows break bars_1m_instrument
        var report = Run(kafka, "g1", views, checkpoints: null);

        Assert.Equal(trades.Count, report.EventsIn);
        var minutes = trades.GroupBy(t => (t.Symbol.Value, t.Time.FloorTo(Timestamp.NanosPerMinute))).ToList();
        Assert.Equal(minutes.Count(g => g.Key.Value != "MSFT"), views.Count("bars_1m"));

        // Each bar equals the minute's trades (final values after every EMIT CHANGES update was upserted).
        var spy = minutes.Where(g => g.Key.Value == "SPY").OrderBy(g => g.Key.Item2).First();
        var row = views.Dump("bars_1m").First(r => r.StartsWith("symbol=SPY|", StringComparison.Ordinal));
        Assert.Contains($"|high={spy.Max(t => t.Price).ToDecimal():0.########}|low={spy.Min(t => t.Price).ToDecimal():0.########}|", row, StringComparison.Ordinal);
        Assert.EndsWith($"|volume={spy.Sum(t => t.Size)}|trades={spy.Count()}", row, StringComparison.Ordinal);

        var dead = ReadAll(kafka, "cql.ods.dead");
        Assert.Equal(report.ViewRowsRejected, dead.Count);
        Assert.All(dead, d =>
        {
            Assert.Equal("bars_1m_instrument", d.Reason);
            Assert.Equal("MSFT", JsonDocument.Parse(d.Value).RootElement.GetProperty("key").GetString());
        });

        // Every MSFT window was refused (an EMIT CHANGES window whose updates span two write batches is refused once per batch).
        Assert.Equal(
            minutes.Count(g => g.Key.Value == "MSFT"),
            dead.Select(d => JsonDocument.Parse(d.Value).RootElement.GetProperty("window_start").GetString()).Distinct().Count());
        // Freshness is measured (a catch-up over a backlog is bounded by throughput, not by the 1 s live budget, which
        // A_view_row_is_visible_in_postgres_within_one_second_of_its_event pins).
        Assert.True(report.Freshness is { Batches: > 0 });
    }

    [Fact]
    public async Task A_run_paused_mid_stream_resumes_from_its_checkpoint_with_the_same_rows_and_view_as_an_uninterrupted_run()
    {
        await using var kafka = KafkaEndpoint.Start(new KafkaOptions { DefaultPartitions = Partitions });
        await StreamTestKit.Topics(kafka, Partitions, "cql-in", "cql-vwap", "cql.late", "cql.ods.dead");
        var trades = StreamTestKit.Trades(300);
        var half = trades.Count / 2;
        using var producer = kafka.Clients.CreateProducer("test");
        StreamTestKit.Produce(producer, "cql-in", trades.Take(half));

        var store = new FileCqlCheckpointStore(Path.Combine(_dir, "checkpoints"));
        var instruments = StreamTestKit.Symbols;
        using var paused = new DuckDbContinuousViewStore(Path.Combine(_dir, "paused.duckdb"));
        paused.RegisterInstruments(instruments);

        // First run: consume the first half (windows open in every partition), then stop: state and offsets are checkpointed.
        using (var cts = new CancellationTokenSource())
        using (var runProducer = kafka.Clients.CreateProducer("run1"))
        {
            var runner = new CqlKafkaRunner(Script, kafka.Clients, "paused", runProducer, Options(Partitions),
                services: new CqlStreamServices { Views = paused, Checkpoints = store });
            var run = Task.Run(() => runner.Run(cts.Token));
            Assert.True(StreamTestKit.Eventually(() => runner.EventsConsumed == half || run.IsCompleted, TimeSpan.FromSeconds(60)), "the first run did not consume the first half");
            await cts.CancelAsync();
            var first = await run;
            Assert.Equal(half, first.EventsIn);
            Assert.True(first.Checkpoints > 0);
        }

        var rowsAfterPause = ReadAll(kafka, "cql-vwap", untilEnd: false).Count;
        await StreamTestKit.ProduceAndEnd(producer, "cql-in", Partitions, trades.Skip(half));

        // Second run: a new runner (new consumer, new engines) restores each partition and finishes the stream.
        CqlStreamReport second;
        using (var runProducer = kafka.Clients.CreateProducer("run2"))
        {
            var runner = new CqlKafkaRunner(Script, kafka.Clients, "paused", runProducer, Options(Partitions),
                services: new CqlStreamServices { Views = paused, Checkpoints = store });
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            second = runner.Run(timeout.Token);
        }

        Assert.Equal(trades.Count - half, second.EventsIn);
        var resumed = ReadAll(kafka, "cql-vwap");
        Assert.True(rowsAfterPause > 0 && rowsAfterPause < resumed.Count, $"{rowsAfterPause} rows before the pause, {resumed.Count} in all");

        // Reference: one uninterrupted run over the whole topic, its rows to other topics and another view file.
        await StreamTestKit.Topics(kafka, Partitions, "ref-vwap");
        using var reference = new DuckDbContinuousViewStore(Path.Combine(_dir, "reference.duckdb"));
        reference.RegisterInstruments(instruments);
        using (var runProducer = kafka.Clients.CreateProducer("ref"))
        {
            var runner = new CqlKafkaRunner(Script.Replace("'cql-vwap'", "'ref-vwap'", StringComparison.Ordinal), kafka.Clients, "reference", runProducer,
                Options(Partitions), services: new CqlStreamServices { Views = reference });
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            Assert.Equal(trades.Count, runner.Run(timeout.Token).EventsIn);
        }

        Assert.Equal(reference.Dump("bars_1m"), paused.Dump("bars_1m"));
        // Per partition, the same rows in the same order (partitions interleave differently on every read).
        Assert.Equal(ByPartition(ReadAll(kafka, "ref-vwap")), ByPartition(resumed));
    }

    [Fact]
    public async Task A_checkpoint_taken_with_another_script_is_refused_with_what_to_do()
    {
        await using var kafka = KafkaEndpoint.Start(new KafkaOptions { DefaultPartitions = 1 });
        await StreamTestKit.Topics(kafka, 1, "cql-in", "cql-vwap", "cql.late", "cql.ods.dead");
        using var producer = kafka.Clients.CreateProducer("feed");
        await StreamTestKit.ProduceAndEnd(producer, "cql-in", 1, StreamTestKit.Trades(50, ["SPY"]));
        var store = new FileCqlCheckpointStore(Path.Combine(_dir, "checkpoints"));
        using var views = new DuckDbContinuousViewStore(Path.Combine(_dir, "ods.duckdb"));
        views.RegisterInstruments(["SPY"]);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var first = new CqlKafkaRunner(Script, kafka.Clients, "g", producer, Options(1), services: new CqlStreamServices { Views = views, Checkpoints = store });
        Assert.Equal(50, first.Run(timeout.Token).EventsIn);
        Assert.True(store.IsCompleted("cql-in", 0));

        var changed = new CqlKafkaRunner(Script.Replace("1 MINUTE", "2 MINUTES", StringComparison.Ordinal), kafka.Clients, "g", producer, Options(1),
            services: new CqlStreamServices { Views = views, Checkpoints = store });
        var error = Assert.Throws<InvalidDataException>(() => changed.Run(timeout.Token));
        Assert.Contains("another CQL script", error.Message, StringComparison.Ordinal);
        Assert.Contains("new checkpoint folder", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_view_row_is_visible_in_postgres_within_one_second_of_its_event()
    {
        await using var kafka = KafkaEndpoint.Start(new KafkaOptions { DefaultPartitions = 1 });
        await StreamTestKit.Topics(kafka, 1, "cql-in", "cql-vwap", "cql.late", "cql.ods.dead");
        using var views = new PostgresContinuousViewStore(_postgres.CreateDatabase());
        views.RegisterInstruments(["SPY"]);
        using var producer = kafka.Clients.CreateProducer("feed");
        using var runProducer = kafka.Clients.CreateProducer("run");
        var runner = new CqlKafkaRunner(Script, kafka.Clients, "fresh", runProducer, Options(1) with { StopAtEndOfStream = false },
            services: new CqlStreamServices { Views = views });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var run = Task.Run(() => runner.Run(cts.Token));

        // Each event opens a new minute: its bar row must appear. Measured from just before producing (so it includes
        // the Kafka hop) to the moment a separate connection sees the row.
        var latencies = new List<double>();
        for (var i = 0; i < 10; i++)
        {
            var tick = CqlTestKit.Trade("SPY", (i * 60) + 1, 100 + i, 10);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            StreamTestKit.Produce(producer, "cql-in", [tick]);
            Assert.True(StreamTestKit.Eventually(() => views.Count("bars_1m") == i + 1 || run.IsCompleted, TimeSpan.FromSeconds(10)), $"row {i} never appeared");
            latencies.Add(clock.Elapsed.TotalMilliseconds);
        }

        await cts.CancelAsync();
        var report = await run;
        Assert.Equal(10, report.EventsIn);
        Assert.True(latencies.Max() <= 1000, $"slowest row became visible after {latencies.Max():F0} ms (all: {string.Join(", ", latencies.Select(l => l.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))})");
        Assert.True(report.Freshness!.MaxMs <= 1000, $"runner-measured freshness max {report.Freshness.MaxMs} ms");
    }

    [Fact]
    public async Task The_embedded_cluster_runs_the_transaction_api_but_shows_aborted_records_to_read_committed_consumers()
    {
        await using var kafka = KafkaEndpoint.Start(new KafkaOptions { DefaultPartitions = 1 });
        await StreamTestKit.Topics(kafka, 1, "tx-out");
        using var producer = kafka.Clients.CreateProducer("tx", c => c.TransactionalId = "bdt-stream-tx-test");
        producer.InitTransactions(TimeSpan.FromSeconds(30));
        foreach (var (value, commit) in new[] { ("aborted", false), ("committed", true) })
        {
            producer.BeginTransaction();
            await producer.ProduceAsync("tx-out", new Message<byte[]?, byte[]> { Value = Encoding.ASCII.GetBytes(value) });
            if (commit)
            {
                producer.CommitTransaction(TimeSpan.FromSeconds(30));
            }
            else
            {
                producer.AbortTransaction(TimeSpan.FromSeconds(30));
            }
        }

        using var consumer = kafka.Clients.CreateConsumer("tx-reader", "tx-reader", c => c.IsolationLevel = IsolationLevel.ReadCommitted);
        consumer.Assign(new TopicPartitionOffset("tx-out", 0, Offset.Beginning));
        var seen = new List<string>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline && consumer.Consume(TimeSpan.FromMilliseconds(200)) is var r && (r is null || !r.IsPartitionEOF || seen.Count == 0))
        {
            if (r is { IsPartitionEOF: false })
            {
                seen.Add(Encoding.ASCII.GetString(r.Message.Value));
            }
        }

        // librdkafka's mock broker accepts init/begin/commit/abort but writes no abort markers, so isolation is not real
        // here: exactly-once through Kafka transactions cannot be verified on the embedded cluster (hence at-least-once
        // with idempotent sinks; see streaming/Cql/README.md). On a real cluster read_committed would show ["committed"].
        Assert.Equal(["aborted", "committed"], seen);
    }

    /// <summary>Runner options with a short group session: the mock cluster completes a join only when the session timeout (minus 1 s) expires.</summary>
    private static CqlStreamOptions Options(int partitions) => new("cql-in", partitions, "cql.late") { SessionTimeout = TimeSpan.FromSeconds(2) };

    private static List<(int, string)> ByPartition(List<(int Partition, byte[] Value, string? Reason)> rows) => StreamTestKit.ByPartition(rows);

    private static CqlStreamReport Run(KafkaEndpoint kafka, string group, ContinuousViewStore views, FileCqlCheckpointStore? checkpoints)
    {
        using var producer = kafka.Clients.CreateProducer(group);
        var runner = new CqlKafkaRunner(Script, kafka.Clients, group, producer, Options(Partitions),
            services: new CqlStreamServices { Views = views, Checkpoints = checkpoints });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return runner.Run(timeout.Token);
    }

    private static List<(int Partition, byte[] Value, string? Reason)> ReadAll(KafkaEndpoint kafka, string topic, bool untilEnd = true) =>
        StreamTestKit.ReadAll(kafka, topic, Partitions, untilEnd);
}
