using System.Diagnostics;
using System.Globalization;
using BigDataTrading.Cli.Demo;
using BigDataTrading.Infra.Kafka;
using BigDataTrading.Sources;
using BigDataTrading.Streaming.Quality;
using BigDataTrading.Streaming.Strategies;
using BigDataTrading.Trading;

namespace BigDataTrading.Benchmarks;

/// <summary>
/// Benchmark harness. <c>demo --ticks ZIP [--runs N]</c> times the whole <c>bdt demo</c> pipeline on a LEAN tick zip
/// and, in the same process, a baseline that only reads and parses the same file — the floor any pipeline over it has.
/// Prints per-run figures, medians and the ratio of pipeline to baseline throughput.
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
            // Warm-up of both (JIT, native library loads, page cache), not measured.
            await ParseOnlyAsync(zip);
            await DemoAsync(zip, output);

            var baseline = new List<(double Seconds, long Ticks)>();
            var demo = new List<(double Seconds, long Ticks)>();
            for (var i = 0; i < runs; i++)
            {
                baseline.Add(await ParseOnlyAsync(zip));
                demo.Add(await DemoAsync(zip, output));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"run {i + 1}: parse-only {baseline[^1].Seconds:0.000} s, demo {demo[^1].Seconds:0.000} s ({demo[^1].Ticks:N0} ticks)"));
            }

            var b = Median(baseline.Select(x => x.Seconds));
            var d = Median(demo.Select(x => x.Seconds));
            var ticks = demo[0].Ticks;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"baseline parse-only: median {b:0.000} s, {ticks / b:N0} ticks/s"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bdt demo pipeline:   median {d:0.000} s, {ticks / d:N0} ticks/s"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio demo/parse-only throughput: {b / d:0.000}"));
            return 0;
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    private static async Task<(double, long)> ParseOnlyAsync(string zip)
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
        return (sw.Elapsed.TotalSeconds, n);
    }

    private static async Task<(double, long)> DemoAsync(string zip, string output)
    {
        var options = new DemoOptions(output, zip, default, [], 20_000, 0, new KafkaOptions(), new TickQualityOptions(), new MovingAverageCrossOptions(), TraderOptions.Default);
        var report = await new DemoPipeline(options, TimeProvider.System).RunAsync(CancellationToken.None);
        if (report.Processor.Consumed != report.SourceTicks || report.LakeTickRows != report.Processor.Accepted || report.Trader.OpenOrders != 0)
        {
            throw new InvalidOperationException("The demo run did not conserve ticks or left open orders; the timing would be meaningless.");
        }

        return (report.Elapsed.TotalSeconds, report.SourceTicks);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
