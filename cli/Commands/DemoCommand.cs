using System.CommandLine;
using System.Globalization;
using BigDataTrading.Cli.Demo;
using BigDataTrading.Infra.Kafka;
using BigDataTrading.Streaming.Quality;
using BigDataTrading.Streaming.Strategies;
using BigDataTrading.Trading;
using Spectre.Console;

namespace BigDataTrading.Cli.Commands;

/// <summary><c>bdt demo</c>: replays one trading day through every layer and prints a summary.</summary>
public static class DemoCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var ticks = new Option<FileInfo?>("--ticks") { Description = "A LEAN tick trade zip to replay (e.g. ../shared/data/market/lean-sample/Data/equity/usa/tick/spy/20131008_trade.zip). Default: the built-in synthetic market." };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for the run's lake, warehouse and FIX logs (one sub-folder per run).", DefaultValueFactory = _ => new DirectoryInfo("bdt-out") };
        var date = new Option<string>("--date") { Description = "Trading date of the synthetic market (yyyy-MM-dd).", DefaultValueFactory = _ => "2024-03-15" };
        var symbols = new Option<string>("--symbols") { Description = "Comma-separated symbols of the synthetic market.", DefaultValueFactory = _ => "SPY,AAPL,MSFT" };
        var trades = new Option<int>("--trades-per-symbol") { Description = "Trades per symbol of the synthetic market.", DefaultValueFactory = _ => 20_000 };
        var seed = new Option<int>("--seed") { Description = "Seed of the synthetic market.", DefaultValueFactory = _ => 42 };
        var bootstrap = new Option<string?>("--kafka") { Description = "Kafka bootstrap servers of a real cluster (overrides Kafka:BootstrapServers). Default: an embedded 3-broker cluster." };

        var command = new Command("demo", "Replay one trading day end to end: source → Kafka → filter, bars, lake, strategy → trader → FIX exchange → warehouse.")
        {
            ticks, output, date, symbols, trades, seed, bootstrap,
        };

        command.SetAction(async (parse, ct) =>
        {
            var config = BdtConfiguration.Load();
            var kafka = KafkaOptions.FromConfiguration(config);
            if (parse.GetValue(bootstrap) is { Length: > 0 } servers)
            {
                kafka = new KafkaOptions { BootstrapServers = servers, DefaultPartitions = kafka.DefaultPartitions, ClientId = kafka.ClientId, ReplicationFactor = kafka.ReplicationFactor };
            }

            if (!DateOnly.TryParseExact(parse.GetValue(date), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            {
                await Console.Error.WriteLineAsync($"--date: '{parse.GetValue(date)}' is not a date in yyyy-MM-dd form.");
                return 2;
            }

            var options = new DemoOptions(
                parse.GetValue(output)!.FullName,
                parse.GetValue(ticks)?.FullName,
                day,
                parse.GetValue(symbols)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                parse.GetValue(trades),
                parse.GetValue(seed),
                kafka,
                new TickQualityOptions(),
                new MovingAverageCrossOptions(),
                TraderOptions.Default,
                config["Warehouse:PostgresConnectionString"]);
            try
            {
                options.Validate();
            }
            catch (ArgumentException ex)
            {
                await Console.Error.WriteLineAsync("error: " + ex.Message);
                return 2;
            }

            var pipeline = new DemoPipeline(options, TimeProvider.System);
            DemoReport report;
            try
            {
                report = await DemoConsole.RunWithProgressAsync(pipeline, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync("demo cancelled.");
                return 130;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A fault in any stage stops the run; say which and why, without a wall of stack trace.
                await Console.Error.WriteLineAsync($"error: the demo failed: {ex.GetType().Name}: {ex.Message}");
                await Console.Error.WriteLineAsync("Run with BDT_DEBUG=1 for the full exception.");
                if (Environment.GetEnvironmentVariable("BDT_DEBUG") == "1")
                {
                    await Console.Error.WriteLineAsync(ex.ToString());
                }

                return 1;
            }

            DemoConsole.PrintSummary(report);
            var conserved = report.Processor.Consumed == report.SourceTicks && report.LakeTickRows == report.Processor.Accepted && report.Trader.OpenOrders == 0;
            if (!conserved)
            {
                await Console.Error.WriteLineAsync("error: the run did not conserve ticks or left orders open; see the summary above.");
            }

            return conserved ? 0 : 1;
        });
        return command;
    }
}
