using System.Text;
using System.Text.Json;
using BigDataTrading.Core;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Wire;
using BigDataTrading.Infra.Kafka;
using BigDataTrading.Infra.Messaging;
using BigDataTrading.Sources;
using BigDataTrading.Streaming.Cql.Kafka;
using Confluent.Kafka;

namespace BigDataTrading.Streaming.Tests.Kafka;

/// <summary>A CQL script run against a real (embedded) Kafka topic: trades in, windowed rows out on the INTO topic.</summary>
public sealed class CqlKafkaRunnerTests
{
    private const string Script = """
        CREATE STREAM trades (symbol STRING, time TIMESTAMP, price PRICE, size BIGINT) WITH (topic = 'cql-in', key = 'symbol', timestamp = 'time');
        CREATE QUERY bars_1m AS
          SELECT symbol, count(*) AS trades, sum(size) AS volume, vwap(price, size) AS vwap
          FROM trades WINDOW TUMBLING(1 MINUTE) GROUP BY symbol EMIT FINAL INTO 'cql-bars';
        """;

    [Fact]
    public async Task Rows_reach_the_into_topic_and_their_counts_and_volumes_add_up_to_the_input()
    {
        await using var kafka = KafkaEndpoint.Start(new KafkaOptions { DefaultPartitions = 1 });
        await kafka.Topics.EnsureTopicsAsync(KafkaTopology.Of(new TopicSpec("cql-in", 1), new TopicSpec("cql-bars", 1), new TopicSpec("cql-late", 1)));
        var trades = new SyntheticMarketSource(new SyntheticMarketOptions { TradesPerSymbol = 2_000, BadTickRate = 0 }).ReadTrades().ToList();
        using (var producer = kafka.Clients.CreateProducer("feed"))
        {
            var buffer = new byte[MarketDataCodec.MaxRecordLength];
            foreach (var t in trades)
            {
                var n = MarketDataCodec.Encode(t, buffer);
                producer.Produce("cql-in", new Message<byte[]?, byte[]> { Key = Encoding.ASCII.GetBytes(t.Symbol.Value), Value = buffer.AsSpan(0, n).ToArray() });
            }

            // One record that is not a trade: it must come out on the late/dead-letter topic with its reason.
            producer.Produce("cql-in", new Message<byte[]?, byte[]> { Key = null, Value = [9, 9, 9] });
            producer.Flush(TimeSpan.FromSeconds(20));
            await EndOfStream.WriteAsync(producer, "cql-in", 1, CancellationToken.None);
        }

        CqlStreamReport report;
        using (var producer = kafka.Clients.CreateProducer("cql"))
        {
            var runner = new CqlKafkaRunner(Script, kafka.Clients, "cql", producer, new CqlStreamOptions("cql-in", 1, "cql-late"));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            report = runner.Run(timeout.Token);
        }

        Assert.Equal(trades.Count, report.EventsIn);
        Assert.Equal(1, report.Undecodable);
        Assert.Equal(0, report.LateEvents);

        var rows = new List<JsonElement>();
        using var reader = kafka.Clients.CreateConsumer("reader", "reader");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        TopicReader.ReadToEndOfStream(reader, "cql-bars", 1, r => rows.Add(JsonDocument.Parse(r.Message.Value).RootElement.Clone()), cts.Token);
        Assert.Equal(report.RowsOut["bars_1m"], rows.Count);
        Assert.Equal(trades.Count, rows.Sum(r => r.GetProperty("trades").GetInt64()));
        Assert.Equal(trades.Sum(t => t.Size), rows.Sum(r => r.GetProperty("volume").GetInt64()));
        Assert.All(rows, r => Assert.True(r.GetProperty("final").GetBoolean()));
        Assert.Equal(
            trades.GroupBy(t => (t.Symbol, t.Time.FloorTo(Core.Time.Timestamp.NanosPerMinute))).Count(),
            rows.Count);

        var late = new List<string?>();
        using var lateReader = kafka.Clients.CreateConsumer("late-reader", "late-reader");
        lateReader.Assign(new TopicPartitionOffset("cql-late", 0, Offset.Beginning));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (late.Count < 1 && DateTime.UtcNow < deadline)
        {
            if (lateReader.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false } record)
            {
                late.Add(record.Message.Headers.TryGetLastBytes(Topics.ReasonHeader, out var b) ? Encoding.ASCII.GetString(b) : null);
            }
        }

        Assert.Equal(["Undecodable"], late);
    }
}

/// <summary>The query pack shipped with the project must always compile: it is what operators run.</summary>
public sealed class TradingPackTests
{
    [Fact]
    public void The_shipped_trading_pack_compiles_and_every_query_writes_to_a_topic()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "BigDataTrading.sln")))
        {
            root = root.Parent;
        }

        Assert.NotNull(root);
        var packs = Path.Combine(root.FullName, "streaming", "Cql", "Packs");
        var text = File.ReadAllText(Path.Combine(packs, "trading-pack.cql"));
        var engine = BigDataTrading.Streaming.Cql.CqlEngine.Compile(text, BigDataTrading.Streaming.Cql.NullCqlSink.Instance, new BigDataTrading.Streaming.Cql.CqlOptions { BaseDirectory = packs });
        Assert.Equal(11, engine.Queries.Length);
        Assert.All(engine.Queries, q => Assert.StartsWith("cql.", q.IntoTopic, StringComparison.Ordinal));
    }
}
