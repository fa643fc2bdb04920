using System.Diagnostics;
using System.Globalization;
using BigDataTrading.Cli.Demo;
using BigDataTrading.Core.Wire;
using BigDataTrading.Infra.Kafka;
using BigDataTrading.Infra.Messaging;
using BigDataTrading.Streaming.Ingestion;
using Confluent.Kafka;
using BigDataTrading.Sources;
using BigDataTrading.Streaming.Quality;
using BigDataTrading.Streaming.Strategies;
using BigDataTrading.Trading;

namespace BigDataTrading.Benchmarks;

/// <summary>
/// Benchmark harness. <c>demo --ticks ZIP [--runs N]</c> times the whole <c>bdt demo</c> pipeline on a LEAN tick zip
/// and, in the same process, two baselines: reading and parsing the same file alone, and a bare Kafka producer and
/// consumer moving the same encoded records through a fresh embedded cluster (the floor of any pipeline over Kafka
/// here). Prints per-run figures, medians and the ratio of pipeline to bare-Kafka throughput.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length < 3 || args[0] != "demo" || args[1] != "--ticks")
        {
            await Console.Error.WriteLineAsync("usage: demo --ticks PATH_TO_LEAN_TRADE_ZIP [--runs N]");
            return 2;
        }

        var zip = Path.GetFullPath(args[2]);
        var runs = args.Length >= 5 && args[3] == "--runs" ? int.Parse(args[4], CultureInfo.InvariantCulture) : 5;
        var output = Directory.CreateTempSubdirectory("bdt-bench-").FullName;
        try
        {
            // Warm-up of all three (JIT, native library loads, page cache), not measured.
            var records = await EncodeAllAsync(zip);
            await ParseOnlyAsync(zip);
            await KafkaRoundTripAsync(records);
            await DemoAsync(zip, output);

            var parse = new List<double>();
            var kafka = new List<double>();
            var demo = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                parse.Add(await ParseOnlyAsync(zip));
                kafka.Add(await KafkaRoundTripAsync(records));
                demo.Add(await DemoAsync(zip, output));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"run {i + 1}: parse-only {parse[^1]:0.000} s, kafka round trip {kafka[^1]:0.000} s, demo {demo[^1]:0.000} s"));
            }

            var ticks = records.Count;
            var p = Median(parse);
            var k = Median(kafka);
            var d = Median(demo);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{ticks:N0} ticks, median of {runs} runs"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"baseline parse-only:           {p:0.000} s, {ticks / p:N0} ticks/s"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"baseline bare Kafka round trip: {k:0.000} s, {ticks / k:N0} ticks/s"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bdt demo pipeline:             {d:0.000} s, {ticks / d:N0} ticks/s"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio demo / bare Kafka round trip throughput: {k / d:0.00}"));
            return 0;
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    private static async Task<List<byte[]>> EncodeAllAsync(string zip)
    {
        var records = new List<byte[]>();
        var buffer = new byte[MarketDataCodec.MaxRecordLength];
        await foreach (var tick in new LeanTickTradeZipSource(zip, new CountingSourceErrorSink()).ReadTradesAsync())
        {
            records.Add(buffer.AsSpan(0, MarketDataCodec.Encode(tick, buffer)).ToArray());
        }

        return records;
    }

    /// <summary>
    /// The floor of any Kafka pipeline on this machine: the same encoded records, produced by a bare idempotent
    /// producer to a fresh embedded cluster and consumed by a bare consumer, with the demo's flow control.
    /// </summary>
    private static async Task<double> KafkaRoundTripAsync(List<byte[]> records)
    {
        var sw = Stopwatch.StartNew();
        await using var kafka = KafkaEndpoint.Start(new KafkaOptions());
        await kafka.Topics.EnsureTopicsAsync(KafkaTopology.Of(new TopicSpec("bench", 4)));
        using var producer = kafka.Clients.CreateProducer("bench-producer");
        using var consumer = kafka.Clients.CreateLosslessConsumer("bench", "bench-consumer");
        consumer.Subscribe("bench");
        long consumed = 0;
        var reader = Task.Factory.StartNew(
            () =>
            {
                while (Interlocked.Read(ref consumed) < records.Count)
                {
                    var result = consumer.Consume(TimeSpan.FromSeconds(1));
                    if (result is { IsPartitionEOF: false })
                    {
                        Interlocked.Increment(ref consumed);
                    }
                }
            },
            TaskCreationOptions.LongRunning);
        var flow = new ReplayFlowControl(() => Interlocked.Read(ref consumed), ReplayFlowControl.EmbeddedClusterMaxInFlight);
        var key = "SPY"u8.ToArray();
        long sent = 0;
        foreach (var value in records)
        {
            producer.ProduceWithBackpressure("bench", new Message<byte[]?, byte[]> { Key = key, Value = value }, _ => { }, CancellationToken.None);
            if (++sent - flow.Consumed() > flow.MaxInFlight)
            {
                await flow.WaitForConsumerAsync(sent, CancellationToken.None);
            }
        }

        producer.Flush(CancellationToken.None);
        await reader;
        consumer.Close();
        return sw.Elapsed.TotalSeconds;
    }

    private static async Task<double> ParseOnlyAsync(string zip)
    {
        var sw = Stopwatch.StartNew();
        long n = 0;
        long volume = 0;
        await foreach (var tick in new LeanTickTradeZipSource(zip, new CountingSourceErrorSink()).ReadTradesAsync())
        {
            n++;
            volume += tick.Size;
        }

        GC.KeepAlive(volume);
        GC.KeepAlive(n);
        return sw.Elapsed.TotalSeconds;
    }

    private static async Task<double> DemoAsync(string zip, string output)
    {
        var options = new DemoOptions(output, zip, default, [], 20_000, 0, new KafkaOptions(), new TickQualityOptions(), new MovingAverageCrossOptions(), TraderOptions.Default);
        var report = await new DemoPipeline(options, TimeProvider.System).RunAsync(CancellationToken.None);
        if (report.Processor.Consumed != report.SourceTicks || report.LakeTickRows != report.Processor.Accepted || report.Trader.OpenOrders != 0)
        {
            throw new InvalidOperationException("The demo run did not conserve ticks or left open orders; the timing would be meaningless.");
        }

        return report.Elapsed.TotalSeconds;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
