using System.CommandLine;
using BigDataTrading.Core;
using BigDataTrading.Exchange;
using BigDataTrading.Infra.Embedded;
using BigDataTrading.Infra.Kafka;

namespace BigDataTrading.Cli.Commands;

/// <summary>
/// <c>bdt stack</c>: hosts the embedded stack (3-broker Kafka cluster, lake root, FIX exchange simulator) as a process of
/// its own until Ctrl+C, so components started as separate processes (<c>--kafka</c> bootstrap servers) can share it
/// exactly as they would share a real cluster.
/// </summary>
public static class StackCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var lake = new Option<DirectoryInfo>("--lake") { Description = "Lake root folder.", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("bdt-out", "lake")) };
        var partitions = new Option<int>("--partitions") { Description = "Partitions of each pipeline topic.", DefaultValueFactory = _ => 4 };
        var fixPort = new Option<int>("--fix-port") { Description = "Port of the exchange simulator's FIX acceptor (0 = any free port).", DefaultValueFactory = _ => 0 };
        var command = new Command("stack", "Run the embedded Kafka cluster and the FIX exchange simulator until Ctrl+C, for components in other processes.")
        {
            lake, partitions, fixPort,
        };

        command.SetAction(async (parse, ct) =>
        {
            // The embedded cluster cannot create topics through the admin API, so everything a component of the system
            // may use is created here: the pipeline topics and the output topics of the shipped CQL query pack.
            var names = new[]
            {
                Topics.RawTicks, Topics.Ticks, Topics.RejectedTicks, Topics.Bars, Topics.Signals, Topics.Orders, Topics.Executions,
                "cql.late", "cql.ods.dead", "cql.ohlcv.1m", "cql.vwap.5m", "cql.alerts.volume", "cql.alerts.burst", "cql.sessions",
                "cql.spread.1m", "cql.alerts.trade_through", "cql.flow.1m", "cql.alerts.momentum", "cql.alerts.gap_reverse",
                "cql.alerts.no_follow_through",
            };
            var topics = KafkaTopology.Of([.. names.Select(name => new TopicSpec(name, parse.GetValue(partitions)))]);
            await using var stack = await EmbeddedStack.StartAsync(
                new EmbeddedStackOptions(new KafkaOptions { DefaultPartitions = parse.GetValue(partitions) }, topics, parse.GetValue(lake)!.FullName, new ExchangeSimulatorOptions { Port = parse.GetValue(fixPort) }),
                TimeProvider.System,
                ct);
            Console.WriteLine($"kafka bootstrap servers: {stack.Kafka.BootstrapServers}");
            Console.WriteLine($"FIX exchange simulator:  {stack.Exchange.EndPoint} (SenderCompID {stack.Exchange.CompId})");
            Console.WriteLine($"lake root:               {stack.LakeRoot}");
            Console.WriteLine("topics:                  " + string.Join(", ", topics.Topics.Select(t => t.Name)));
            Console.WriteLine("running; Ctrl+C stops it.");
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C: dispose the stack (exchange logs out its sessions first, then Kafka stops).
            }

            var stats = stack.Exchange.Statistics;
            Console.WriteLine($"stopped. exchange: {stats.OrdersReceived} orders received, {stats.OrdersFilled} filled, {stats.OrdersRejected} rejected.");
            return 0;
        });
        return command;
    }
}
