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

    public static async Task RunAsync(int orders)
    {
        Console.WriteLine();
        Console.WriteLine($"Round trip NewOrderSingle -> filling ExecutionReport, loopback, {orders:N0} orders one at a time (after 500 warm-up)");
        Console.WriteLine($"{"acceptor",-34} {"p50 us",10} {"p99 us",10} {"mean us",10}");

        await using (var simulator = await ExchangeSimulator.StartAsync(new ExchangeSimulatorOptions { RunId = "B" }, TimeProvider.System))
        {
            await MeasureAsync("our ExchangeSimulator", simulator.Port, simulator.CompId, orders);
        }

        // The same acceptor through the reconnecting initiator the trader uses: what supervision costs per order.
        await using (var simulator = await ExchangeSimulator.StartAsync(new ExchangeSimulatorOptions { RunId = "R" }, TimeProvider.System))
        {
            await using var reconnecting = new ReconnectingFixInitiator("127.0.0.1", simulator.Port, new FixSessionSettings { SenderCompId = "BDT", TargetCompId = simulator.CompId });
            await reconnecting.StartAsync();
            await MeasureAsync("  ... via ReconnectingFixInitiator", m => reconnecting.SendAsync(m), reconnecting.ApplicationMessages, orders);
            await reconnecting.LogoutAsync();
        }

        if (!File.Exists(ExecutorArchive))
        {
            Console.WriteLine($"{"QuickFIX C++ executor",-34} skipped: {ExecutorArchive} not installed (apt-get install libquickfix17 libquickfix-doc)");
            return;
        }

        var directory = Directory.CreateTempSubdirectory("bdt-fix-bench-").FullName;
        Process? executor = null;
        try
        {
            (executor, var port) = await StartExecutorAsync(directory);
            await MeasureAsync("QuickFIX C++ executor 1.15", port, "EXECUTOR", orders);
        }
        finally
        {
            if (executor is not null)
            {
                executor.Kill(entireProcessTree: true);
                await executor.WaitForExitAsync();
                executor.Dispose();
            }

            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task MeasureAsync(string name, int port, string targetCompId, int orders)
    {
        await using var initiator = await FixInitiator.ConnectAsync("127.0.0.1", port, new FixSessionSettings { SenderCompId = "BDT", TargetCompId = targetCompId });
        await MeasureAsync(name, m => initiator.SendAsync(m), initiator.ApplicationMessages, orders);
        await initiator.LogoutAsync();
    }

    private static async Task MeasureAsync(string name, Func<IFixApplicationMessage, Task> send, System.Threading.Channels.ChannelReader<FixMessage> inbound, int orders)
    {
        var samples = new List<double>(orders);
        for (var i = -500; i < orders; i++)
        {
            var clOrdId = "L" + (i + 500).ToString(CultureInfo.InvariantCulture);
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
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-34} {samples[samples.Count / 2],10:N1} {samples[(int)(samples.Count * 0.99)],10:N1} {samples.Average(),10:N1}"));
    }

    private static async Task<(Process Process, int Port)> StartExecutorAsync(string directory)
    {
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

        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

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
        var process = Process.Start(new ProcessStartInfo(binary, [config])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("executor did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(IPAddress.Loopback, port);
                return (process, port);
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(50);
            }
        }
    }
}
