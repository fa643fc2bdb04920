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
    public static void Produce(IProducer<byte[]?, byte[]> producer, string topic, IEnumerable<TradeTick> trades)
    {
        var buffer = new byte[MarketDataCodec.MaxRecordLength];
        foreach (var t in trades)
        {
            var n = MarketDataCodec.Encode(t, buffer);
            producer.ProduceWithBackpressure(topic, new Message<byte[]?, byte[]> { Key = Encoding.ASCII.GetBytes(t.Symbol.Value), Value = buffer.AsSpan(0, n).ToArray() }, r => Assert.False(r.Error.IsError, r.Error.Reason), CancellationToken.None);
        }

        producer.Flush(TimeSpan.FromSeconds(30));
    }

    /// <summary>Produces trades then an end-of-stream marker on every partition.</summary>
    public static async Task ProduceAndEnd(IProducer<byte[]?, byte[]> producer, string topic, int partitions, IEnumerable<TradeTick> trades)
    {
        Produce(producer, topic, trades);
        await EndOfStream.WriteAsync(producer, topic, partitions, CancellationToken.None);
    }

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
