using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using Timestamp = BigDataTrading.Core.Time.Timestamp;
using BigDataTrading.Core.Wire;
using BigDataTrading.Infra.Kafka;
using BigDataTrading.Infra.Messaging;
using BigDataTrading.Streaming.Cql.Kafka;
using BigDataTrading.Streaming.Cql.Ods;
using Confluent.Kafka;

namespace BigDataTrading.Streaming.Benchmarks;

/// <summary>
/// Kafka → query → Kafka latency on the embedded cluster: a paced feed produces trades; <c>bdt stream</c>'s runner
/// (an EMIT CHANGES windowed aggregate, one output row per event) and, as the baseline in the same run, a hand-written
/// consume → decode → produce forwarder over the same clients publish a row per event; a reader timestamps each row
/// against its event's send time. Also the ODS view freshness of the runner (DuckDB). Prints the median over the runs of
/// each percentile.
/// Usage: <c>dotnet run -c Release --project tests/BigDataTrading.Streaming.Benchmarks -- [events=20000] [rate/s=5000] [runs=3] [fetch.wait.max.ms=10]</c>.
/// </summary>
public static class Program
{
    private const string Script = """
        CREATE STREAM trades (symbol STRING, time TIMESTAMP, price PRICE, size BIGINT, sequence BIGINT) WITH (topic = 'bench-in', key = 'symbol', timestamp = 'time');
        CREATE QUERY rolling AS SELECT symbol, last(sequence) AS seq, count(*) AS n, vwap(price, size) AS vwap
          FROM trades WINDOW TUMBLING(1 MINUTE) GROUP BY symbol EMIT CHANGES INTO 'bench-out';
        """;

    private const string ViewScript = """
        CREATE STREAM trades (symbol STRING, time TIMESTAMP, price PRICE, size BIGINT, sequence BIGINT) WITH (topic = 'bench-in', key = 'symbol', timestamp = 'time');
        CREATE VIEW bars AS SELECT symbol, first(price) AS open, max(price) AS high, min(price) AS low, last(price) AS close, sum(size) AS volume
          FROM trades WINDOW TUMBLING(1 MINUTE) GROUP BY symbol EMIT CHANGES INTO VIEW bars_1m;
        """;

    private static int s_topic;

    public static int Main(string[] args)
    {
        var events = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20_000;
        var rate = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5_000;
        var runs = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
        FetchWaitMs = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 10;
        Console.WriteLine($"Kafka -> query -> Kafka latency: {events:N0} events at {rate:N0}/s over 100 symbols, 1 partition, embedded cluster (3 mock brokers), consumers' fetch.wait.max.ms = {FetchWaitMs}; {runs} runs each, first 10% of each run discarded as warm-up; .NET {Environment.Version}, {Environment.ProcessorCount} cores");
        var ticks = Generate(events, 100);
        using var kafka = KafkaEndpoint.Start(new KafkaOptions { DefaultPartitions = 1 }, log: _ => { });

        foreach (var linger in new[] { 5, 0 })
        {
            var results = new Dictionary<string, List<double[]>> { ["hand-written forwarder (baseline)"] = [], ["CQL runner (bdt stream)"] = [] };
            for (var run = 0; run < runs; run++)
            {
                results["hand-written forwarder (baseline)"].Add(Measure(kafka, ticks, rate, linger, Forward));
                results["CQL runner (bdt stream)"].Add(Measure(kafka, ticks, rate, linger, RunCql));
            }

            Console.WriteLine();
            Console.WriteLine($"output producer linger.ms = {linger}{(linger == 5 ? " (the client factory's default)" : string.Empty)}; latency in ms, median of {runs} runs:");
            Console.WriteLine("| pipeline | p50 | p99 | p99.9 | max |");
            Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
            foreach (var (name, samples) in results)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {name} | {Median(samples, 0):F2} | {Median(samples, 1):F2} | {Median(samples, 2):F2} | {Median(samples, 3):F2} |"));
            }
        }

        Console.WriteLine();
        Console.WriteLine("ODS view freshness (DuckDB, EMIT CHANGES bars; consume of a batch's oldest event -> batch committed), ms:");
        Console.WriteLine("| run | batches | p50 | p99 | max |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        for (var run = 0; run < runs; run++)
        {
            var fresh = Freshness(kafka, ticks, rate);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {run + 1} | {fresh.Batches} | {fresh.P50Ms:F1} | {fresh.P99Ms:F1} | {fresh.MaxMs:F1} |"));
        }

        return 0;
    }

    /// <summary>Feeds <paramref name="ticks"/> at <paramref name="rate"/>, runs <paramref name="pipeline"/> between the topics, returns p50/p99/p99.9/max latency in ms.</summary>
    private static double[] Measure(KafkaEndpoint kafka, TradeTick[] ticks, int rate, int linger, Action<KafkaEndpoint, string, string, int, CancellationToken> pipeline)
    {
        var n = Interlocked.Increment(ref s_topic);
        var input = $"bench-in-{n}";
        var output = $"bench-out-{n}";
        kafka.Topics.EnsureTopicsAsync(KafkaTopology.Of(new TopicSpec(input, 1), new TopicSpec(output, 1), new TopicSpec("cql.late", 1), new TopicSpec("cql.ods.dead", 1))).GetAwaiter().GetResult();
        var sent = new long[ticks.Length];
        var latency = new double[ticks.Length];
        var received = 0;

        using var stop = new CancellationTokenSource();
        var stage = Task.Factory.StartNew(() => pipeline(kafka, input, output, linger, stop.Token), TaskCreationOptions.LongRunning);
        var reader = Task.Factory.StartNew(() =>
        {
            using var consumer = kafka.Clients.CreateConsumer($"reader-{n}", "reader", LowLatency);
            consumer.Assign(new TopicPartitionOffset(output, 0, Offset.Beginning));
            var deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * 120);
            while (received < ticks.Length && Stopwatch.GetTimestamp() < deadline)
            {
                if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false } r && !EndOfStream.Is(r.Message.Headers))
                {
                    var now = Stopwatch.GetTimestamp();
                    var seq = Sequence(r.Message.Value);
                    latency[seq] = (now - sent[seq]) * 1000.0 / Stopwatch.Frequency;
                    received++;
                }
            }
        }, TaskCreationOptions.LongRunning);

        Feed(kafka, n, input, ticks, rate, sent);
        reader.Wait();
        stop.Cancel();
        stage.Wait();
        if (received < ticks.Length)
        {
            throw new InvalidOperationException($"only {received} of {ticks.Length} rows arrived");
        }

        var measured = latency.Skip(ticks.Length / 10).Order().ToArray();
        return [At(measured, 0.50), At(measured, 0.99), At(measured, 0.999), measured[^1]];
    }

    /// <summary>The runner under test: the EMIT CHANGES query, rows to the output topic.</summary>
    private static void RunCql(KafkaEndpoint kafka, string input, string output, int linger, CancellationToken ct)
    {
        using var producer = kafka.Clients.CreateProducer("cql", c => c.LingerMs = linger);
        var script = Script.Replace("'bench-in'", $"'{input}'", StringComparison.Ordinal).Replace("'bench-out'", $"'{output}'", StringComparison.Ordinal);
        var runner = new CqlKafkaRunner(script, kafka.Clients, "cql-" + input, producer, new CqlStreamOptions(input, 1, "cql.late", StopAtEndOfStream: false),
            services: new CqlStreamServices { ConfigureConsumer = LowLatency });
        runner.Run(ct);
    }

    /// <summary>The baseline: the least a Kafka stage can do per event — consume, decode, produce one small JSON row.</summary>
    private static void Forward(KafkaEndpoint kafka, string input, string output, int linger, CancellationToken ct)
    {
        using var producer = kafka.Clients.CreateProducer("forward", c => c.LingerMs = linger);
        using var consumer = kafka.Clients.CreateConsumer("forward-" + input, "forward", LowLatency);
        consumer.Subscribe(input);
        var symbols = new SymbolCache();
        while (!ct.IsCancellationRequested)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(50)) is not { IsPartitionEOF: false } r)
            {
                continue;
            }

            var tick = MarketDataCodec.DecodeTrade(r.Message.Value, symbols);
            var json = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{{\"key\":\"{tick.Symbol}\",\"seq\":{tick.Sequence}}}"));
            producer.Produce(new TopicPartition(output, 0), new Message<byte[]?, byte[]> { Key = r.Message.Key, Value = json });
        }

        producer.Flush(TimeSpan.FromSeconds(10));
        consumer.Close();
    }

    private static ViewFreshness Freshness(KafkaEndpoint kafka, TradeTick[] ticks, int rate)
    {
        var n = Interlocked.Increment(ref s_topic);
        var input = $"bench-in-{n}";
        kafka.Topics.EnsureTopicsAsync(KafkaTopology.Of(new TopicSpec(input, 1), new TopicSpec("cql.late", 1), new TopicSpec("cql.ods.dead", 1))).GetAwaiter().GetResult();
        var folder = Directory.CreateTempSubdirectory("bdt-bench-ods-").FullName;
        try
        {
            using var views = new DuckDbContinuousViewStore(Path.Combine(folder, "ods.duckdb"));
            views.RegisterInstruments(ticks.Select(t => t.Symbol.Value).Distinct());
            using var producer = kafka.Clients.CreateProducer("view");
            var runner = new CqlKafkaRunner(ViewScript.Replace("'bench-in'", $"'{input}'", StringComparison.Ordinal), kafka.Clients, "view-" + input, producer,
                new CqlStreamOptions(input, 1, "cql.late"), services: new CqlStreamServices { Views = views, ConfigureConsumer = LowLatency });
            var run = Task.Factory.StartNew(() => runner.Run(CancellationToken.None), TaskCreationOptions.LongRunning);
            Feed(kafka, n, input, ticks, rate, sent: null);
            using (var marker = kafka.Clients.CreateProducer($"marker-{n}"))
            {
                EndOfStream.WriteAsync(marker, input, 1, CancellationToken.None).GetAwaiter().GetResult();
            }

            return run.GetAwaiter().GetResult().Freshness ?? throw new InvalidOperationException("no view batch was written");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// Every consumer here (stage and reader alike): the mock broker answers a fetch only after fetch.wait.max.ms
    /// (default 500 ms) when the partition has nothing new, which is what an idle-then-one-event stream sees.
    /// </summary>
    private static void LowLatency(ConsumerConfig config) => config.FetchWaitMaxMs = FetchWaitMs;

    private static int FetchWaitMs { get; set; } = 500;

    /// <summary>Produces <paramref name="ticks"/> at <paramref name="rate"/> per second, recording each send time in <paramref name="sent"/>.</summary>
    private static void Feed(KafkaEndpoint kafka, int n, string input, TradeTick[] ticks, int rate, long[]? sent)
    {
        using var producer = kafka.Clients.CreateProducer($"feed-{n}", c => c.LingerMs = 0);
        var buffer = new byte[MarketDataCodec.MaxRecordLength];
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < ticks.Length; i++)
        {
            var due = start + (long)(i * (double)Stopwatch.Frequency / rate);
            while (Stopwatch.GetTimestamp() < due)
            {
                Thread.SpinWait(20); // pacing the feed, not waiting for an outcome
            }

            var length = MarketDataCodec.Encode(ticks[i], buffer);
            if (sent is not null)
            {
                sent[i] = Stopwatch.GetTimestamp();
            }

            producer.Produce(input, new Message<byte[]?, byte[]> { Key = Encoding.ASCII.GetBytes(ticks[i].Symbol.Value), Value = buffer.AsSpan(0, length).ToArray() });
        }

        producer.Flush(TimeSpan.FromSeconds(30));
    }

    private static long Sequence(byte[] json)
    {
        var reader = new Utf8JsonReader(json);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("seq"u8))
            {
                reader.Read();
                return reader.GetInt64();
            }
        }

        throw new InvalidDataException("row without seq: " + Encoding.UTF8.GetString(json));
    }

    private static double At(double[] sorted, double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];

    private static double Median(List<double[]> runs, int index)
    {
        var values = runs.Select(r => r[index]).Order().ToArray();
        return values[values.Length / 2];
    }

    private static TradeTick[] Generate(int count, int symbols)
    {
        var names = Enumerable.Range(0, symbols).Select(i => Symbol.Parse("S" + i.ToString(CultureInfo.InvariantCulture))).ToArray();
        var start = Timestamp.FromUtc(new DateOnly(2024, 1, 2), new TimeSpan(14, 30, 0));
        var random = new Random(42);
        var ticks = new TradeTick[count];
        for (var i = 0; i < count; i++)
        {
            // Sequence = index: the reader maps each output row back to its event's send time.
            ticks[i] = new TradeTick(names[random.Next(symbols)], start.AddNanoseconds(i * 1_000_000L), Price.FromDecimal(100m + (random.Next(1000) / 100m)), 1 + random.Next(500), i, 'Q');
        }

        return ticks;
    }
}
