using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using BigDataTrading.Exchange;

namespace BigDataTrading.Fix.Benchmarks;

/// <summary>
/// NewOrderSingle → filling ExecutionReport round trip over loopback, one order in flight at a time, our initiator
/// against our exchange simulator and against QuickFIX C++'s <c>executor</c> (when libquickfix-doc and
/// libquickfix17 are installed). Both acceptors run without message logs (QuickFIX: screen log off, PersistMessages=N).
/// </summary>
internal static class LatencyBenchmark
{
    private const string ExecutorArchive = "/usr/share/doc/libquickfix-doc/examples/executor/C++/.libs/executor.gz";

    /// <summary>
    /// Runs <paramref name="rounds"/> rounds; each round measures every acceptor once, in the same order, and each
    /// measurement first sends <paramref name="warmupOrders"/> unmeasured orders (JIT tiering and the thread pool of a
    /// .NET acceptor settle within a second or two; the native executor needs none, and gets the same). Prints each
    /// measurement and the medians over the rounds.
    /// </summary>
    public static async Task RunAsync(int orders, int warmupOrders, int rounds)
    {
        Console.WriteLine();
        Console.WriteLine($"Round trip NewOrderSingle -> filling ExecutionReport, loopback, {orders:N0} orders one at a time after {warmupOrders:N0} warm-up, {rounds} interleaved rounds");
        Console.WriteLine($"{"acceptor",-36} {"p50 us",10} {"p99 us",10} {"mean us",10}");
        var results = new Dictionary<string, List<(double P50, double P99)>>(StringComparer.Ordinal);
        void Record(string name, (double P50, double P99, double Mean) r)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-36} {r.P50,10:N1} {r.P99,10:N1} {r.Mean,10:N1}"));
            (results.TryGetValue(name, out var list) ? list : results[name] = []).Add((r.P50, r.P99));
        }

        var cli = Path.Combine(AppContext.BaseDirectory, "bdt.dll");
        var directory = Directory.CreateTempSubdirectory("bdt-fix-bench-").FullName;
        try
        {
            for (var round = 0; round < rounds; round++)
            {
                await using (var simulator = await ExchangeSimulator.StartAsync(new ExchangeSimulatorOptions { RunId = "B" + round }, TimeProvider.System))
                {
                    Record("our ExchangeSimulator (in-process)", await MeasureAsync(simulator.Port, simulator.CompId, orders, warmupOrders));
                }

                // The same acceptor through the reconnecting initiator the trader uses: what supervision costs per order.
                await using (var simulator = await ExchangeSimulator.StartAsync(new ExchangeSimulatorOptions { RunId = "R" + round }, TimeProvider.System))
                {
                    await using var reconnecting = new ReconnectingFixInitiator("127.0.0.1", simulator.Port, new FixSessionSettings { SenderCompId = "BDT", TargetCompId = simulator.CompId });
                    await reconnecting.StartAsync();
                    Record("  ... via ReconnectingFixInitiator", await MeasureAsync(m => reconnecting.SendAsync(m), reconnecting.ApplicationMessages, orders, warmupOrders));
                    await reconnecting.LogoutAsync();
                }

                // QuickFIX's executor is a process of its own; so is `bdt exchange` here, the like-for-like comparison
                // (the rows above share this process's cores and thread pool with the initiator being timed).
                if (File.Exists(cli))
                {
                    var port = FreePort();
                    Record("our `bdt exchange` (own process)", await MeasureChildAsync(new ProcessStartInfo("dotnet", [cli, "exchange", "--port", port.ToString(CultureInfo.InvariantCulture), "--mode", "fill", "--comp-id", "BDTX"]), port, "BDTX", orders, warmupOrders));
                }

                if (File.Exists(ExecutorArchive))
                {
                    var (binary, config, port) = await PrepareExecutorAsync(Path.Combine(directory, "r" + round.ToString(CultureInfo.InvariantCulture)));
                    Record("QuickFIX C++ executor 1.15", await MeasureChildAsync(new ProcessStartInfo(binary, [config]), port, "EXECUTOR", orders, warmupOrders));
                }
                else if (round == 0)
                {
                    Console.WriteLine($"{"QuickFIX C++ executor",-36} skipped: {ExecutorArchive} not installed (apt-get install libquickfix17 libquickfix-doc)");
                }
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        Console.WriteLine($"medians over {rounds} rounds:");
        foreach (var (name, list) in results)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-36} {Median(list.Select(r => r.P50)),10:N1} {Median(list.Select(r => r.P99)),10:N1}"));
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>Starts an acceptor process, waits until it accepts connections, measures it, and stops it.</summary>
    private static async Task<(double P50, double P99, double Mean)> MeasureChildAsync(ProcessStartInfo start, int port, string targetCompId, int orders, int warmupOrders)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{start.FileName} did not start");
        try
        {
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await socket.ConnectAsync(IPAddress.Loopback, port);
                    break;
                }
                catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited)
                {
                    await Task.Delay(50);
                }
            }

            return await MeasureAsync(port, targetCompId, orders, warmupOrders);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static async Task<(double P50, double P99, double Mean)> MeasureAsync(int port, string targetCompId, int orders, int warmupOrders)
    {
        await using var initiator = await FixInitiator.ConnectAsync("127.0.0.1", port, new FixSessionSettings { SenderCompId = "BDT", TargetCompId = targetCompId });
        var result = await MeasureAsync(m => initiator.SendAsync(m), initiator.ApplicationMessages, orders, warmupOrders);
        await initiator.LogoutAsync();
        return result;
    }

    private static async Task<(double P50, double P99, double Mean)> MeasureAsync(Func<IFixApplicationMessage, Task> send, System.Threading.Channels.ChannelReader<FixMessage> inbound, int orders, int warmupOrders)
    {
        var samples = new List<double>(orders);
        for (var i = -warmupOrders; i < orders; i++)
        {
            var clOrdId = "L" + (i + warmupOrders).ToString(CultureInfo.InvariantCulture);
            var start = Stopwatch.GetTimestamp();
            await send(new NewOrderSingle
            {
                ClOrdId = clOrdId,
                Symbol = "AAPL",
                Side = FixSide.Buy,
                TransactTime = DateTimeOffset.UtcNow,
                OrderQty = 100m,
                OrdType = FixOrdType.Limit,
                Price = 187.25m,
            });
            while (true)
            {
                var message = await inbound.ReadAsync();
                if (message.MsgType == FixMsgType.ExecutionReport && message.ValueEquals(FixTag.ClOrdId, clOrdId) && message.ValueEquals(FixTag.OrdStatus, "2"))
                {
                    break;
                }
            }

            if (i >= 0)
            {
                samples.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
            }
        }

        samples.Sort();
        return (samples[samples.Count / 2], samples[(int)(samples.Count * 0.99)], samples.Average());
    }

    private static async Task<(string Binary, string Config, int Port)> PrepareExecutorAsync(string directory)
    {
        Directory.CreateDirectory(directory);
        var binary = Path.Combine(directory, "executor");
        await using (var gz = new GZipStream(File.OpenRead(ExecutorArchive), CompressionMode.Decompress))
        await using (var file = File.Create(binary))
        {
            await gz.CopyToAsync(file);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(binary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var port = FreePort();
        var config = Path.Combine(directory, "executor.cfg");
        await File.WriteAllTextAsync(config, $"""
            [DEFAULT]
            ConnectionType=acceptor
            SocketAcceptPort={port}
            SocketAcceptHost=127.0.0.1
            SocketNodelay=Y
            StartTime=00:00:00
            EndTime=00:00:00
            UseDataDictionary=N
            ResetOnLogon=Y
            PersistMessages=N
            ScreenLogShowIncoming=N
            ScreenLogShowOutgoing=N
            ScreenLogShowEvents=N
            FileStorePath={Path.Combine(directory, "store")}

            [SESSION]
            BeginString=FIX.4.4
            SenderCompID=EXECUTOR
            TargetCompID=BDT
            """);
        return (binary, config, port);
    }
}
