using System.CommandLine;
using BigDataTrading.Core.Diagnostics;
using BigDataTrading.Infra.Kafka;
using BigDataTrading.Trading;
using BigDataTrading.Trading.Control;
using BigDataTrading.Trading.Journal;
using BigDataTrading.Trading.Venues;
using BigDataTrading.Warehouse;

namespace BigDataTrading.Cli.Commands;

/// <summary>
/// <c>bdt trader</c>: the long-running trader service for a VM. Consumes signals (and bars for market prices) from
/// Kafka, checks risk, routes orders over FIX, keeps positions, records every order and execution in the warehouse and
/// on the <c>orders</c>/<c>executions</c> topics, and serves the kill switch on a loopback HTTP endpoint. Stops on
/// Ctrl+C or SIGTERM: no new signals, open orders drained, FIX logout.
/// </summary>
public static class TraderCommand
{
    /// <summary>Environment variable holding the control endpoint's bearer token.</summary>
    public const string TokenVariable = "BDT_TRADER_TOKEN";

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var kafka = new Option<string?>("--kafka") { Description = "Kafka bootstrap servers (or Kafka:BootstrapServers in configuration; e.g. the address `bdt stack` prints)." };
        var fix = new Option<string>("--fix") { Description = "FIX venue as host:port.", Required = true };
        var target = new Option<string>("--target-comp-id") { Description = "The venue's CompID (FIX 56).", DefaultValueFactory = _ => "BDTX" };
        var sender = new Option<string>("--sender-comp-id") { Description = "Our CompID (FIX 49).", DefaultValueFactory = _ => "BDT" };
        var warehouse = new Option<FileInfo>("--warehouse") { Description = "DuckDB warehouse file (ignored when Warehouse:PostgresConnectionString is set).", DefaultValueFactory = _ => new FileInfo(Path.Combine("bdt-out", "trader", "warehouse.duckdb")) };
        var logs = new Option<DirectoryInfo>("--fix-log-dir") { Description = "Folder of the FIX message log.", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("bdt-out", "trader", "fix")) };
        var controlPort = new Option<int>("--control-port") { Description = $"Loopback port of the HTTP control endpoint (kill switch, status); needs {TokenVariable}.", DefaultValueFactory = _ => 8089 };
        var group = new Option<string>("--group") { Description = "Kafka consumer group: restarts resume where the last run committed.", DefaultValueFactory = _ => "bdt-trader" };
        var journal = new Option<FileInfo>("--journal") { Description = "Durable order journal: every intent is fsync'd here before it is sent; replayed on start-up to recover after a crash.", DefaultValueFactory = _ => new FileInfo(Path.Combine("bdt-out", "trader", "orders.journal")) };
        var fixState = new Option<DirectoryInfo>("--fix-state-dir") { Description = "Folder of the FIX session's durable sequence numbers and sent messages (resend/gap fill after a restart).", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("bdt-out", "trader", "fix-state")) };
        var reconnectMax = new Option<double>("--fix-reconnect-max-seconds") { Description = "Longest wait between reconnect attempts after the venue session drops (backoff from 20 ms, doubling, with jitter; retried until Ctrl+C).", DefaultValueFactory = _ => FixOrderVenue.DefaultReconnect.MaxDelay.TotalSeconds };
        var exitAtEnd = new Option<bool>("--exit-at-end-of-stream") { Description = "Stop (drain, log out, exit) once every signal partition has an end-of-stream marker, instead of running until Ctrl+C." };
        var limits = RiskLimitOptions.Create();

        var command = new Command("trader", "Run the trader service: signals from Kafka → risk → FIX orders → positions, warehouse and audit topics, with a kill switch.")
        {
            kafka, fix, target, sender, warehouse, logs, controlPort, group, journal, fixState, reconnectMax, exitAtEnd,
        };
        limits.AddTo(command);

        command.SetAction(async (parse, ct) =>
        {
            var config = BdtConfiguration.Load();
            var kafkaOptions = KafkaOptions.FromConfiguration(config);
            if (parse.GetValue(kafka) is { Length: > 0 } servers)
            {
                kafkaOptions = kafkaOptions with { BootstrapServers = servers };
            }

            if (kafkaOptions.IsEmbedded)
            {
                await Console.Error.WriteLineAsync("error: the trader needs a Kafka cluster to share with the strategy: give --kafka (e.g. from `bdt stack`) or Kafka:BootstrapServers.");
                return 2;
            }

            var endpoint = parse.GetValue(fix)!.Split(':');
            if (endpoint.Length != 2 || !int.TryParse(endpoint[1], System.Globalization.CultureInfo.InvariantCulture, out var fixPort))
            {
                await Console.Error.WriteLineAsync($"error: --fix '{parse.GetValue(fix)}' is not host:port.");
                return 2;
            }

            var reconnectMaxSeconds = parse.GetValue(reconnectMax);
            if (!double.IsFinite(reconnectMaxSeconds) || reconnectMaxSeconds < FixOrderVenue.DefaultReconnect.InitialDelay.TotalSeconds || reconnectMaxSeconds > 3600)
            {
                await Console.Error.WriteLineAsync($"error: --fix-reconnect-max-seconds {reconnectMaxSeconds}: must be between {FixOrderVenue.DefaultReconnect.InitialDelay.TotalSeconds} and 3600.");
                return 2;
            }

            var reconnect = FixOrderVenue.DefaultReconnect with { MaxDelay = TimeSpan.FromSeconds(reconnectMaxSeconds) };

            if (!limits.TryBuild(parse, out var traderOptions, out var invalid))
            {
                await Console.Error.WriteLineAsync($"error: {invalid}");
                return 2;
            }

            var clock = TimeProvider.System;
            using var orderJournal = OrderJournal.Open(parse.GetValue(journal)!.FullName, out var replay);
            if (replay.TruncatedBytes > 0)
            {
                Console.WriteLine($"journal: truncated a torn last record ({replay.TruncatedBytes} bytes) left by a crash.");
            }

            await using var kafkaEndpoint = KafkaEndpoint.Start(kafkaOptions);
            using IOrderWarehouse orders = config["Warehouse:PostgresConnectionString"] is { Length: > 0 } pg
                ? new PostgresOrderWarehouse(pg)
                : new DuckDbOrderWarehouse(parse.GetValue(warehouse)!.FullName);
            await using var venue = await FixOrderVenue.ConnectAsync(
                new FixVenueOptions(endpoint[0], fixPort, parse.GetValue(sender)!, parse.GetValue(target)!, parse.GetValue(logs)!.FullName, SequenceStoreDirectory: parse.GetValue(fixState)!.FullName, Reconnect: reconnect),
                clock,
                ct);
            using var consumer = kafkaEndpoint.Clients.CreateLosslessConsumer(parse.GetValue(group)!, "trader");
            using var producer = kafkaEndpoint.Clients.CreateProducer("trader");
            var trader = new TraderService(traderOptions, consumer, producer, venue, orders, new PipelineCounters(), clock, journal: orderJournal, replay: replay, log: Console.Error);

            await using var control = Environment.GetEnvironmentVariable(TokenVariable) is { Length: >= 16 } token
                ? TraderControlServer.Start(new TraderControlOptions(parse.GetValue(controlPort), token), trader.KillSwitch, trader.Status)
                : null;
            Console.WriteLine($"trader: {venue.Name}, Kafka {kafkaEndpoint.BootstrapServers}, warehouse {orders.Location}");
            Console.WriteLine(control is null
                ? $"control endpoint disabled: set {TokenVariable} (16+ characters) to enable the HTTP kill switch."
                : $"control endpoint: {control.BaseAddress} (GET /status, POST|DELETE /kill-switch, Authorization: Bearer ${TokenVariable})");
            Console.WriteLine($"journal: {orderJournal.Path}, {replay.Records.Count} records replayed, {trader.Orders.OpenCount} orders open.");
            var run = parse.GetValue(exitAtEnd) ? trader.RunAsync(0, ct) : trader.RunUntilStoppedAsync(ct);
            var recovered = await trader.Ready.WaitAsync(ct);
            Console.WriteLine($"ready: recovery asked about {recovered.OpenOrders} open orders (resent {recovered.Resent}, lost {recovered.Lost}, unanswered {recovered.Unanswered}); Ctrl+C stops taking signals, drains open orders and logs out.");

            var result = await run;
            Console.WriteLine($"stopped: {result.Signals} signals, {result.OrdersSent} orders sent, {result.Fills} fills, {result.OpenOrders} open, {result.DuplicateReports} duplicate reports, {result.IllegalTransitions} illegal transitions, {result.VenueOutages} venue outages ({result.VenueDowntime.TotalSeconds:0.#} s down).");
            foreach (var position in result.Positions)
            {
                Console.WriteLine(FormattableString.Invariant($"position {position.Symbol} {position.Quantity} avg {position.AveragePrice:0.####} realized {position.RealizedPnl:0.00}"));
            }

            return result.OpenOrders == 0 ? 0 : 1;
        });
        return command;
    }
}
