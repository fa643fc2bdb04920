using System.Globalization;
using BigDataTrading.Fix.Benchmarks;

// FIX codec and session benchmarks. Run in Release:
//   dotnet run -c Release --project tests/BigDataTrading.Fix.Benchmarks -- [--rounds 7] [--messages 200000] [--latency-orders 5000] [--latency-warmup 20000] [--latency-rounds 3] [--no-latency] [--profile]
var rounds = Option("--rounds", 7);
var messages = Option("--messages", 200_000);
var latencyOrders = Option("--latency-orders", 5_000);
var latencyWarmup = Option("--latency-warmup", 20_000);
var latencyRounds = Option("--latency-rounds", 3);
#if DEBUG
Console.WriteLine("warning: Debug build; figures are only meaningful with -c Release");
#endif
Console.WriteLine($".NET {Environment.Version}, {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
if (args.Contains("--profile"))
{
    CodecProfile.Run(rounds, messages);
    return;
}

CodecBenchmark.Run(rounds, messages);
if (!args.Contains("--no-latency"))
{
    await LatencyBenchmark.RunAsync(latencyOrders, latencyWarmup, latencyRounds);
}

int Option(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
}
