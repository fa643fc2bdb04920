using System.CommandLine;
using BigDataTrading.Core;
using BigDataTrading.Infra.Kafka;
using BigDataTrading.Streaming.Cql;
using BigDataTrading.Streaming.Cql.Kafka;
using BigDataTrading.Streaming.Cql.Ods;

namespace BigDataTrading.Cli.Commands;

/// <summary>
/// <c>bdt stream --queries FILE</c>: runs a CQL script against Kafka — trades from the input topic, each query's rows to
/// its <c>INTO</c> topic as JSON, <c>INTO VIEW</c> rows upserted into the ODS (<c>--ods</c>), late, undecodable and
/// rule-breaking records to dead-letter topics with a reason; with <c>--checkpoint-dir</c> state and offsets are
/// checkpointed per partition, so restarts and the members of one consumer group (<c>--group</c>) share the work.
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
        var ods = new Option<string?>("--ods") { Description = "ODS for INTO VIEW queries: duckdb:PATH (embedded, one process) or postgres:CONNECTION-STRING (shared by a consumer group)." };
        var instruments = new Option<string?>("--instruments") { Description = "Instruments the views may reference: a comma-separated list or a file with one symbol per line." };
        var checkpoints = new Option<DirectoryInfo?>("--checkpoint-dir") { Description = "Checkpoint folder shared by the consumer group: state + offsets per partition; a restart or rebalance resumes from it." };
        var interval = new Option<int>("--checkpoint-interval-ms") { Description = "Periodic checkpoint interval.", DefaultValueFactory = _ => 5_000 };
        var session = new Option<int?>("--session-timeout-ms") { Description = "Consumer-group session timeout: how soon a crashed member's partitions move to the others." };
        var command = new Command("stream", "Run continuous CQL queries over a Kafka topic of trades.")
        {
            queries, bootstrap, topic, late, group, follow, ods, instruments, checkpoints, interval, session,
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
            using var producer = kafka.Clients.CreateProducer("stream");
            ContinuousViewStore? opened = null;
            try
            {
                opened = parse.GetValue(ods) is { Length: > 0 } spec ? ContinuousViewStore.Open(spec) : null;
                if (opened is not null && parse.GetValue(instruments) is { Length: > 0 } list)
                {
                    opened.RegisterInstruments(File.Exists(list)
                        ? File.ReadLines(list).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))
                        : list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                }
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or ArgumentException or IOException)
            {
                opened?.Dispose();
                await Console.Error.WriteLineAsync($"error: --ods/--instruments: {ex.Message}");
                return 2;
            }

            using var views = opened;

            var services = new CqlStreamServices
            {
                Views = views,
                Checkpoints = parse.GetValue(checkpoints) is { } dir ? new FileCqlCheckpointStore(dir.FullName) : null,
                Log = line => Console.WriteLine(line),
            };
            var options = new CqlStreamOptions(parse.GetValue(topic)!, kafkaOptions.DefaultPartitions, parse.GetValue(late)!, !parse.GetValue(follow))
            {
                CheckpointInterval = TimeSpan.FromMilliseconds(Math.Max(1, parse.GetValue(interval))),
                SessionTimeout = parse.GetValue(session) is int ms ? TimeSpan.FromMilliseconds(ms) : null,
            };
            CqlKafkaRunner runner;
            try
            {
                runner = new CqlKafkaRunner(await File.ReadAllTextAsync(file.FullName, ct), kafka.Clients, parse.GetValue(group)!, producer, options, services: services);
            }
            catch (CqlException ex)
            {
                await Console.Error.WriteLineAsync($"{file.Name}:{ex.Message}");
                return 1;
            }
            catch (ArgumentException ex)
            {
                await Console.Error.WriteLineAsync($"error: {ex.Message}");
                return 2;
            }

            var outputs = runner.Queries.Select(q => q.IntoTopic).OfType<string>().Append(parse.GetValue(late)!).Append(options.ViewDeadLetterTopic).Distinct(StringComparer.Ordinal);
            await kafka.Topics.EnsureTopicsAsync(KafkaTopology.Of([.. outputs.Select(t => new TopicSpec(t, kafkaOptions.DefaultPartitions))]), ct);
            Console.WriteLine($"running {runner.Queries.Count} queries over {parse.GetValue(topic)} ({kafka.BootstrapServers})");
            CqlStreamReport report;
            try
            {
                report = await Task.Factory.StartNew(() => runner.Run(ct), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }
            catch (InvalidDataException ex)
            {
                // A checkpoint that cannot be restored (another script, a damaged file): the message says what to do.
                await Console.Error.WriteLineAsync($"error: {ex.Message}");
                return 1;
            }

            Console.WriteLine(SummaryLine(report));
            if (report.Freshness is { } fresh)
            {
                Console.WriteLine($"views ({views!.Location}): {report.ViewRowsWritten:N0} rows written, {report.ViewRowsRejected:N0} rejected to {options.ViewDeadLetterTopic}; freshness p50 {fresh.P50Ms:F1} ms, p99 {fresh.P99Ms:F1} ms, max {fresh.MaxMs:F1} ms");
            }

            foreach (var (query, rows) in report.RowsOut.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                Console.WriteLine($"  {query}: {rows:N0} rows");
            }

            return 0;
        });
        return command;
    }

    /// <summary>
    /// The stop summary's first line. Fenced partitions are named only when there were some: a newer owner took them
    /// over, so this process stopped processing them, and their rows since its last checkpoint repeat downstream.
    /// </summary>
    internal static string SummaryLine(CqlStreamReport report) =>
        $"{report.EventsIn:N0} events, {report.LateEvents:N0} late, {report.Undecodable:N0} undecodable, {report.Checkpoints:N0} checkpoints"
        + (report.FencedPartitions > 0
            ? $", {report.FencedPartitions:N0} fenced partition(s): a newer owner took them over, and their rows since this process's last checkpoint repeat downstream"
            : string.Empty);
}
