using System.Globalization;
using System.Text;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Wire;
using BigDataTrading.Infra.Embedded;
using BigDataTrading.Infra.Kafka;
using BigDataTrading.Infra.Messaging;
using BigDataTrading.Sources;
using Confluent.Kafka;
using Npgsql;

namespace BigDataTrading.Streaming.Tests.Kafka;

/// <summary>Trades, topics and databases for the stream runtime tests.</summary>
internal static class StreamTestKit
{
    /// <summary>The trades stream on topic <c>cql-in</c> and a 1-minute OHLCV view, EMIT CHANGES into the ODS view <c>bars_1m</c>.</summary>
    public const string BarsView = """
        CREATE STREAM trades (symbol STRING, time TIMESTAMP, price PRICE, size BIGINT) WITH (topic = 'cql-in', key = 'symbol', timestamp = 'time');
        CREATE VIEW bars_1m AS
          SELECT symbol, first(price) AS open, max(price) AS high, min(price) AS low, last(price) AS close, sum(size) AS volume, count(*) AS trades
          FROM trades WINDOW TUMBLING(1 MINUTE) GROUP BY symbol EMIT CHANGES INTO VIEW bars_1m;

        """;

    public static readonly string[] Symbols = ["SPY", "AAPL", "MSFT", "QQQ", "IBM", "GE", "F", "T"];

    /// <summary>Synthetic trades of <paramref name="symbols"/> over one session, in time order (no bad ticks).</summary>
    public static List<TradeTick> Trades(int tradesPerSymbol, IEnumerable<string>? symbols = null) =>
        new SyntheticMarketSource(new SyntheticMarketOptions
        {
            Symbols = [.. (symbols ?? Symbols).Select(Symbol.Parse)],
            TradesPerSymbol = tradesPerSymbol,
            BadTickRate = 0,
        }).ReadTrades().ToList();

    /// <summary>Creates topics on the embedded cluster.</summary>
    public static Task Topics(KafkaEndpoint kafka, int partitions, params string[] names) =>
        kafka.Topics.EnsureTopicsAsync(KafkaTopology.Of([.. names.Select(n => new TopicSpec(n, partitions))]));

    /// <summary>Produces trades keyed by symbol (so a symbol stays in one partition) and waits for delivery.</summary>
    public static void Produce(IProducer<byte[]?, byte[]> producer, string topic, IEnumerable<TradeTick> trades) =>
        ProduceEvents(producer, topic, trades.Cast<object>());

    /// <summary>
    /// Produces trades and quotes (<see cref="TradeTick"/> or <see cref="QuoteTick"/>, market-data codec) keyed by symbol,
    /// in the given order, to <paramref name="partition"/> or (null) the partition of the key, and waits for delivery.
    /// </summary>
    public static void ProduceEvents(IProducer<byte[]?, byte[]> producer, string topic, IEnumerable<object> events, int? partition = null)
    {
        var buffer = new byte[MarketDataCodec.MaxRecordLength];
        foreach (var e in events)
        {
            var (n, symbol) = e switch
            {
                TradeTick t => (MarketDataCodec.Encode(t, buffer), t.Symbol.Value),
                QuoteTick q => (MarketDataCodec.Encode(q, buffer), q.Symbol.Value),
                _ => throw new ArgumentException($"not a tick: {e}", nameof(events)),
            };
            var message = new Message<byte[]?, byte[]> { Key = Encoding.ASCII.GetBytes(symbol), Value = buffer.AsSpan(0, n).ToArray() };
            if (partition is { } p)
            {
                producer.ProduceWithBackpressure(new TopicPartition(topic, new Partition(p)), message, r => Assert.False(r.Error.IsError, r.Error.Reason), CancellationToken.None);
            }
            else
            {
                producer.ProduceWithBackpressure(topic, message, r => Assert.False(r.Error.IsError, r.Error.Reason), CancellationToken.None);
            }
        }

        producer.Flush(TimeSpan.FromSeconds(30));
    }

    /// <summary>Produces trades then an end-of-stream marker on every partition.</summary>
    public static Task ProduceAndEnd(IProducer<byte[]?, byte[]> producer, string topic, int partitions, IEnumerable<TradeTick> trades) =>
        ProduceEventsAndEnd(producer, topic, partitions, trades.Cast<object>());

    /// <summary>Produces trades and quotes then an end-of-stream marker on every partition.</summary>
    public static async Task ProduceEventsAndEnd(IProducer<byte[]?, byte[]> producer, string topic, int partitions, IEnumerable<object> events)
    {
        ProduceEvents(producer, topic, events);
        await EndOfStream.WriteAsync(producer, topic, partitions, CancellationToken.None);
    }

    /// <summary>
    /// Reads every partition of an output topic from the beginning: up to each partition's end-of-stream marker
    /// (<paramref name="untilEnd"/>; dead-letter topics have none) or, for a topic read mid-run, to its current end.
    /// </summary>
    public static List<(int Partition, byte[] Value, string? Reason)> ReadAll(KafkaEndpoint kafka, string topic, int partitions, bool untilEnd = true)
    {
        var rows = new List<(int, byte[], string?)>();
        using var reader = kafka.Clients.CreateConsumer("reader-" + Guid.NewGuid().ToString("N"), "reader");
        reader.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var ended = new HashSet<int>();
        var eof = new HashSet<int>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var byMarker = untilEnd && topic is not ("cql.ods.dead" or "cql.late");
        while ((byMarker ? ended.Count : eof.Count) < partitions && DateTime.UtcNow < deadline)
        {
            if (reader.Consume(TimeSpan.FromMilliseconds(100)) is not { } r)
            {
                continue;
            }

            if (r.IsPartitionEOF)
            {
                eof.Add(r.Partition.Value);
            }
            else if (EndOfStream.Is(r.Message.Headers))
            {
                ended.Add(r.Partition.Value);
            }
            else
            {
                rows.Add((r.Partition.Value, r.Message.Value, r.Message.Headers.TryGetLastBytes(BigDataTrading.Core.Topics.ReasonHeader, out var b) ? Encoding.ASCII.GetString(b) : null));
            }
        }

        Assert.True((byMarker ? ended.Count : eof.Count) == partitions, $"{topic}: did not reach the end of every partition");
        return rows;
    }

    /// <summary>Rows as text, grouped by partition in offset order (partitions interleave differently on every read).</summary>
    public static List<(int, string)> ByPartition(IEnumerable<(int Partition, byte[] Value, string? Reason)> rows) =>
        [.. rows.Select(r => (r.Partition, Encoding.UTF8.GetString(r.Value))).OrderBy(r => r.Item1)];

    /// <summary>Polls <paramref name="condition"/> until it holds or <paramref name="timeout"/> passes.</summary>
    public static bool Eventually(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            Thread.Yield();
            Thread.Sleep(5); // polling interval of a deadline loop, not a wait for an outcome
        }

        return true;
    }
}

/// <summary>One throwaway PostgreSQL server per test class; each test creates its own database.</summary>
public sealed class PostgresServerFixture : IDisposable
{
    private int _databases;

    public PostgresServerFixture() => Server = ThrowawayPostgres.Start();

    public ThrowawayPostgres Server { get; }

    /// <summary>Creates a fresh database and returns its connection string.</summary>
    public string CreateDatabase()
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"ods{Interlocked.Increment(ref _databases)}");
        using (var connection = new NpgsqlConnection(Server.ConnectionString))
        {
            connection.Open();
            using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            command.ExecuteNonQuery();
        }

        return new NpgsqlConnectionStringBuilder(Server.ConnectionString) { Database = name }.ConnectionString;
    }

    public void Dispose() => Server.Dispose();
}
