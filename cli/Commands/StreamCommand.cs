using System.CommandLine;
using BigDataTrading.Core;
using BigDataTrading.Infra.Kafka;
using BigDataTrading.Streaming.Cql;
using BigDataTrading.Streaming.Cql.Kafka;

namespace BigDataTrading.Cli.Commands;

/// <summary>
/// <c>bdt stream --queries FILE</c>: runs a CQL script against Kafka — trades from the input topic, each query's rows to
/// its <c>INTO</c> topic as JSON, late and undecodable events to the late topic with a reason.
/// </summary>
public static class StreamCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var queries = new Option<FileInfo>("--queries") { Description = "CQL script (e.g. streaming/Cql/Packs/trading-pack.cql).", Required = true };
        var bootstrap = new Option<string?>("--kafka") { Description = "Kafka bootstrap servers (or Kafka:BootstrapServers; e.g. the address `bdt stack` prints)." };
        var topic = new Option<string>("--topic") { Description = "Input topic of trades.", DefaultValueFactory = _ => Topics.Ticks };
        var late = new Option<string>("--late-topic") { Description = "Topic for late and undecodable events.", DefaultValueFactory = _ => "cql.late" };
        var group = new Option<string>("--group") { Description = "Consumer group.", DefaultValueFactory = _ => "bdt-stream" };
        var follow = new Option<bool>("--follow") { Description = "Keep running past end-of-stream markers until Ctrl+C." };
        var command = new Command("stream", "Run continuous CQL queries over a Kafka topic of trades.")
        {
            queries, bootstrap, topic, late, group, follow,
        };

        command.SetAction(async (parse, ct) =>
        {
            var kafkaOptions = KafkaOptions.FromConfiguration(BdtConfiguration.Load());
            if (parse.GetValue(bootstrap) is { Length: > 0 } servers)
            {
                kafkaOptions = kafkaOptions with { BootstrapServers = servers };
            }

            if (kafkaOptions.IsEmbedded)
            {
                await Console.Error.WriteLineAsync("error: bdt stream reads a topic another process writes: give --kafka (e.g. from `bdt stack`) or Kafka:BootstrapServers.");
                return 2;
            }

            var file = parse.GetValue(queries)!;
            if (!file.Exists)
            {
                await Console.Error.WriteLineAsync($"error: --queries: '{file.FullName}' does not exist.");
                return 2;
            }

            await using var kafka = KafkaEndpoint.Start(kafkaOptions);
            using var consumer = kafka.Clients.CreateLosslessConsumer(parse.GetValue(group)!, "stream");
            using var producer = kafka.Clients.CreateProducer("stream");
            CqlKafkaRunner runner;
            try
            {
                runner = new CqlKafkaRunner(await File.ReadAllTextAsync(file.FullName, ct), consumer, producer, new CqlStreamOptions(parse.GetValue(topic)!, kafkaOptions.DefaultPartitions, parse.GetValue(late)!, !parse.GetValue(follow)));
            }
            catch (CqlException ex)
            {
                await Console.Error.WriteLineAsync($"{file.Name}:{ex.Message}");
                return 1;
            }

            var outputs = runner.Queries.Select(q => q.IntoTopic).OfType<string>().Append(parse.GetValue(late)!).Distinct(StringComparer.Ordinal);
            await kafka.Topics.EnsureTopicsAsync(KafkaTopology.Of([.. outputs.Select(t => new TopicSpec(t, kafkaOptions.DefaultPartitions))]), ct);
            Console.WriteLine($"running {runner.Queries.Count} queries over {parse.GetValue(topic)} ({kafka.BootstrapServers})");
            var report = await Task.Factory.StartNew(() => runner.Run(ct), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            Console.WriteLine($"{report.EventsIn:N0} events, {report.LateEvents:N0} late, {report.Undecodable:N0} undecodable");
            foreach (var (query, rows) in report.RowsOut.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                Console.WriteLine($"  {query}: {rows:N0} rows");
            }

            return 0;
        });
        return command;
    }
}
