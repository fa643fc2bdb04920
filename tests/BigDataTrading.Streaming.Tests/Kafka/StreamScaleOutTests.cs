using System.Diagnostics;
using System.Text.RegularExpressions;
using BigDataTrading.Infra.Kafka;
using BigDataTrading.Streaming.Cql.Kafka;
using BigDataTrading.Streaming.Cql.Ods;

namespace BigDataTrading.Streaming.Tests.Kafka;

/// <summary>
/// Scale-out: two real <c>bdt stream</c> OS processes in one consumer group share the input partitions and write one
/// PostgreSQL ODS; one is killed (SIGKILL, no goodbye) mid-run; its partitions move with their checkpointed state to the
/// survivor, and the final views equal a single-process run's.
/// </summary>
public sealed partial class StreamScaleOutTests : IClassFixture<PostgresServerFixture>, IDisposable
{
    private const int Partitions = 4;

    private const string Script = StreamTestKit.BarsView + """
        CREATE VIEW vwap_5m AS
          SELECT symbol, vwap(price, size) AS vwap, sum(size) AS volume
          FROM trades WINDOW HOPPING(SIZE 5 MINUTES, ADVANCE 1 MINUTE) GROUP BY symbol EMIT FINAL INTO VIEW vwap_5m;
        """;

    private readonly PostgresServerFixture _postgres;
    private readonly Xunit.Abstractions.ITestOutputHelper _output;
    private readonly string _dir = Directory.CreateTempSubdirectory("bdt-scale-").FullName;

    public StreamScaleOutTests(PostgresServerFixture postgres, Xunit.Abstractions.ITestOutputHelper output)
    {
        _postgres = postgres;
        _output = output;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Two_processes_share_the_partitions_and_after_one_is_killed_the_views_equal_a_single_process_run()
    {
        await using var kafka = KafkaEndpoint.Start(new KafkaOptions { DefaultPartitions = Partitions });
        await StreamTestKit.Topics(kafka, Partitions, "cql-in", "cql.late", "cql.ods.dead");
        var trades = StreamTestKit.Trades(400);
        int phase1 = trades.Count * 4 / 10, phase2 = trades.Count * 6 / 10;
        using var producer = kafka.Clients.CreateProducer("feed");
        StreamTestKit.Produce(producer, "cql-in", trades.Take(phase1));

        var script = Path.Combine(_dir, "views.cql");
        await File.WriteAllTextAsync(script, Script);
        var ods = _postgres.CreateDatabase();
        string[] arguments =
        [
            "--queries", script, "--kafka", kafka.BootstrapServers, "--topic", "cql-in", "--group", "scale",
            "--ods", "postgres:" + ods, "--instruments", string.Join(",", StreamTestKit.Symbols),
            "--checkpoint-dir", Path.Combine(_dir, "checkpoints"), "--checkpoint-interval-ms", "200", "--session-timeout-ms", "3000",
        ];
        var environment = new Dictionary<string, string> { ["BDT_Kafka__DefaultPartitions"] = Partitions.ToString(System.Globalization.CultureInfo.InvariantCulture) };

        using var survivor = new Child(StreamProcessHost.Start(arguments, environment));
        using var victim = new Child(StreamProcessHost.Start(arguments, environment));
        try
        {
            // Both members own partitions once the group settled.
            Assert.True(StreamTestKit.Eventually(() => victim.Owned().Count > 0 && survivor.Owned().Count > 0 && victim.Owned().Count + survivor.Owned().Count == Partitions, TimeSpan.FromSeconds(60)),
                $"the group never split the partitions.\n{survivor}\n{victim}");
            var victimPartitions = victim.Owned();

            // More data; the victim processes all of it in at least one partition and checkpoints it (its windows are
            // open), then dies without a word.
            StreamTestKit.Produce(producer, "cql-in", trades.Skip(phase1).Take(phase2 - phase1));
            using var probe = kafka.Clients.CreateConsumer("probe", "probe");
            var ends = victimPartitions.Select(p => (p, probe.QueryWatermarkOffsets(new Confluent.Kafka.TopicPartition("cql-in", p), TimeSpan.FromSeconds(10)).High.Value))
                .Where(e => e.Value > 0).ToList();
            Assert.NotEmpty(ends);
            Assert.True(StreamTestKit.Eventually(() => ends.Any(e => victim.Lines().Contains($"checkpoint p{e.p} at offset {e.Value}")), TimeSpan.FromSeconds(30)),
                $"the victim never checkpointed the new data.\n{victim}");
            victim.Process.Kill(entireProcessTree: true);
            await victim.Process.WaitForExitAsync();

            await StreamTestKit.ProduceAndEnd(producer, "cql-in", Partitions, trades.Skip(phase2));
            using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120)))
            {
                await survivor.Process.WaitForExitAsync(timeout.Token);
            }

            Assert.True(survivor.Process.ExitCode == 0, $"survivor exit code {survivor.Process.ExitCode}\n{survivor}");

            // The victim's partitions reached the survivor with their state, from the victim's checkpoints.
            foreach (var p in victimPartitions)
            {
                Assert.Contains(survivor.Lines(), l => l.StartsWith($"assigned p{p} from checkpoint @", StringComparison.Ordinal));
            }
        }
        finally
        {
            survivor.KillIfRunning();
            victim.KillIfRunning();
            _output.WriteLine($"survivor {survivor}\nvictim {victim}");
        }

        // Reference: one process, no checkpoints, the whole topic.
        using var reference = new PostgresContinuousViewStore(_postgres.CreateDatabase());
        reference.RegisterInstruments(StreamTestKit.Symbols);
        using (var runProducer = kafka.Clients.CreateProducer("reference"))
        {
            var runner = new CqlKafkaRunner(Script, kafka.Clients, "reference", runProducer, new CqlStreamOptions("cql-in", Partitions, "cql.late") { SessionTimeout = TimeSpan.FromSeconds(2) },
                services: new CqlStreamServices { Views = reference });
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            Assert.Equal(trades.Count, runner.Run(timeout.Token).EventsIn);
        }

        using var shared = new PostgresContinuousViewStore(ods);
        Assert.Equal(trades.GroupBy(t => (t.Symbol, t.Time.FloorTo(Core.Time.Timestamp.NanosPerMinute))).Count(), reference.Count("bars_1m"));
        Assert.Equal(reference.Dump("bars_1m"), shared.Dump("bars_1m"));
        Assert.Equal(reference.Dump("vwap_5m"), shared.Dump("vwap_5m"));
    }

    [GeneratedRegex(@"^(assigned|revoked|lost) p(\d+)")]
    private static partial Regex Ownership();

    /// <summary>A child process with its output lines collected.</summary>
    private sealed class Child : IDisposable
    {
        private readonly List<string> _lines = [];
        private readonly List<string> _errors = [];

        public Child(Process process)
        {
            Process = process;
            process.OutputDataReceived += (_, e) => Add(_lines, e.Data);
            process.ErrorDataReceived += (_, e) => Add(_errors, e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public Process Process { get; }

        public List<string> Lines()
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }

        /// <summary>Partitions owned according to the process's assigned/revoked/lost lines.</summary>
        public SortedSet<int> Owned()
        {
            var owned = new SortedSet<int>();
            foreach (var line in Lines())
            {
                if (Ownership().Match(line) is { Success: true } m)
                {
                    var p = int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
                    if (m.Groups[1].Value == "assigned")
                    {
                        owned.Add(p);
                    }
                    else
                    {
                        owned.Remove(p);
                    }
                }
            }

            return owned;
        }

        public void KillIfRunning()
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                Process.WaitForExit();
            }
        }

        public override string ToString()
        {
            lock (_lines)
            {
                return $"pid {Process.Id} stdout:\n  {string.Join("\n  ", _lines)}\nstderr:\n  {string.Join("\n  ", _errors)}";
            }
        }

        public void Dispose() => Process.Dispose();

        private static void Add(List<string> lines, string? line)
        {
            if (line is not null)
            {
                lock (lines)
                {
                    lines.Add(line);
                }
            }
        }
    }
}
