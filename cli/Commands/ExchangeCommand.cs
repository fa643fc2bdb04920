using System.CommandLine;
using System.Runtime.CompilerServices;
using BigDataTrading.Exchange;
using BigDataTrading.Sources;

namespace BigDataTrading.Cli.Commands;

/// <summary>
/// <c>bdt exchange</c>: runs the FIX exchange simulator until Ctrl+C, then prints its statistics.
/// Modes: <c>fill</c> (every order fills in full at its limit), <c>book</c> (price-time-priority order book:
/// clients trade with each other), <c>paper</c> (orders fill against a replayed LEAN tick trade zip).
/// </summary>
public static class ExchangeCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "TCP port on 127.0.0.1 (0 picks a free one).", DefaultValueFactory = _ => 9878 };
        var compId = new Option<string>("--comp-id") { Description = "The exchange's CompID (clients send it as TargetCompID 56).", DefaultValueFactory = _ => "BDTX" };
        var mode = new Option<string>("--mode") { Description = "book: order book, clients trade with each other; fill: every order fills in full at its limit; paper: fills against replayed trades (--ticks).", DefaultValueFactory = _ => "book" };
        mode.AcceptOnlyFromAmong("book", "fill", "paper");
        var logDir = new Option<DirectoryInfo?>("--log-dir") { Description = "Folder for the per-session FIX message logs. Default: no logs." };
        var symbols = new Option<string?>("--symbols") { Description = "Comma-separated symbols to accept (book/paper); others are rejected. Default: any." };
        var ticks = new Option<FileInfo?>("--ticks") { Description = "paper mode: a LEAN tick trade zip to replay as the market." };
        var speed = new Option<double>("--speed") { Description = "paper mode: replay speed as a multiple of real time (0 = as fast as possible).", DefaultValueFactory = _ => 1.0 };
        var resume = new Option<string?>("--resume-client") { Description = "Comma-separated client CompIDs: only these may log on, and each keeps its own FIX session (sequence numbers, sent messages) across its reconnects, so a trader restarted after a crash resumes it with resend/gap fill." };
        var sessionStore = new Option<DirectoryInfo?>("--session-store") { Description = "Folder keeping every client's FIX session (one file pair per BeginString and CompIDs), so clients resume their sequence numbers across their reconnects and across exchange restarts. Default: kept in memory for --resume-client clients only." };
        var command = new Command("exchange", "Run the FIX 4.4/4.2 exchange simulator on loopback until Ctrl+C.")
        {
            port, compId, mode, logDir, symbols, ticks, speed, resume, sessionStore,
        };

        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var chosen = parse.GetValue(mode)!;
            var symbolSet = parse.GetValue(symbols) is { Length: > 0 } list
                ? new HashSet<string>(list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.Ordinal)
                : null;
            var tickFile = parse.GetValue(ticks);
            if (chosen == "paper" && tickFile is not { Exists: true })
            {
                await error.WriteLineAsync("error: --mode paper needs --ticks pointing at a LEAN tick trade zip.");
                return 2;
            }

            if (parse.GetValue(speed) < 0)
            {
                await error.WriteLineAsync("error: --speed must not be negative.");
                return 2;
            }

            IExchangeMatcher? matcher = chosen switch
            {
                "book" => new OrderBookMatcher(symbolSet),
                "paper" => new PaperMatcher(symbolSet),
                _ => null,
            };
            var resumed = parse.GetValue(resume) is { Length: > 0 } clients
                ? new HashSet<string>(clients.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.Ordinal)
                : null;
            var storeFolder = parse.GetValue(sessionStore)?.FullName;
            Func<BigDataTrading.Fix.FixSessionId, BigDataTrading.Fix.ISequenceStore>? sessions = storeFolder is not null
                ? BigDataTrading.Fix.FileSequenceStore.PerSession(storeFolder)
                : resumed is null ? null : _ => new BigDataTrading.Fix.InMemorySequenceStore();
            ExchangeSimulator exchange;
            try
            {
                exchange = await ExchangeSimulator.StartAsync(
                    new ExchangeSimulatorOptions
                    {
                        Port = parse.GetValue(port),
                        SenderCompId = parse.GetValue(compId)!,
                        LogDirectory = parse.GetValue(logDir)?.FullName,
                        ExchangeMatcher = matcher,
                        AllowedClientCompIds = resumed,
                        SequenceStoreFactory = sessions,
                    },
                    TimeProvider.System,
                    ct);
            }
            catch (System.Net.Sockets.SocketException ex)
            {
                await error.WriteLineAsync($"error: cannot listen on port {parse.GetValue(port)}: {ex.Message}");
                return 1;
            }

            await using (exchange)
            {
                var endPoint = exchange.EndPoint; // read now: a stopped listener no longer reports its port
                await output.WriteLineAsync($"exchange {exchange.CompId} ({chosen}) listening on {endPoint} (FIX.4.4, FIX.4.2); Ctrl+C to stop.");
                if (storeFolder is not null)
                {
                    await output.WriteLineAsync($"client FIX sessions kept in {storeFolder}");
                }
                var replay = chosen == "paper"
                    ? ReplayAsync(exchange, tickFile!.FullName, parse.GetValue(speed), output, ct)
                    : Task.CompletedTask;
                try
                {
                    await Task.WhenAll(replay, Task.Delay(Timeout.Infinite, ct));
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    // Ctrl+C: the normal way to stop.
                }

                await exchange.StopAsync(CancellationToken.None);
                var s = exchange.Statistics;
                await output.WriteLineAsync($"exchange {exchange.CompId} on {endPoint} stopped.");
                await output.WriteLineAsync(
                    $"orders received {s.OrdersReceived}, filled {s.OrdersFilled}, rejected {s.OrdersRejected}, canceled {s.OrdersCanceled}, replaced {s.OrdersReplaced}; " +
                    $"executions {s.Executions}; cancel/replace rejects {s.CancelsRejected}; undelivered reports {s.ReportsUndelivered}");
            }

            return 0;
        });
        return command;
    }

    private static async Task ReplayAsync(ExchangeSimulator exchange, string zip, double speed, TextWriter output, CancellationToken ct)
    {
        var errors = new CountingSourceErrorSink();
        var source = new LeanTickTradeZipSource(zip, errors);
        await output.WriteLineAsync($"replaying {source.Description} at {(speed == 0 ? "full speed" : $"{speed}x")}");
        var count = await exchange.ReplayMarketDataAsync(Paced(source.ReadTradesAsync(ct), speed, ct), ct);
        await output.WriteLineAsync($"replay finished: {count} trades ({errors.Count} source errors); still accepting orders.");
    }

    /// <summary>Spaces trades by their event-time gaps divided by <paramref name="speed"/> (0: no pacing).</summary>
    private static async IAsyncEnumerable<MarketTrade> Paced(IAsyncEnumerable<Core.MarketData.TradeTick> ticks, double speed, [EnumeratorCancellation] CancellationToken ct)
    {
        DateTimeOffset? first = null;
        var clock = TimeProvider.System;
        var started = clock.GetTimestamp();
        await foreach (var tick in ticks.WithCancellation(ct))
        {
            var time = tick.Time.ToDateTimeOffset();
            first ??= time;
            if (speed > 0)
            {
                var due = (time - first.Value) / speed;
                var wait = due - clock.GetElapsedTime(started);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, clock, ct);
                }
            }

            yield return new MarketTrade(tick.Symbol.Value, time, tick.Price.ToDecimal(), tick.Size);
        }
    }
}
