using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;
using BigDataTrading.Streaming.Cql;

namespace BigDataTrading.Streaming.Tests;

/// <summary>Small builders for CQL tests: a trade stream declaration and ticks at offsets from a round minute.</summary>
internal static class CqlTestKit
{
    public const string TradesStream = "CREATE STREAM trades (symbol STRING, time TIMESTAMP, price PRICE, size BIGINT, sequence BIGINT, exchange CHAR) WITH (topic='md.ticks', key='symbol', timestamp='time');\n";

    /// <summary>2024-01-02T14:30:00Z, a minute boundary.</summary>
    public static readonly Timestamp T0 = Timestamp.FromUtc(new DateOnly(2024, 1, 2), new TimeSpan(14, 30, 0));

    private static long s_sequence;

    public static TradeTick Trade(string symbol, double seconds, decimal price, long size, char exchange = 'Q') =>
        new(Symbol.Parse(symbol), At(seconds), Price.FromDecimal(price), size, Interlocked.Increment(ref s_sequence), exchange);

    public static Timestamp At(double seconds) => T0.AddNanoseconds((long)Math.Round(seconds * 1e9));

    public static (CqlEngine Engine, CollectingCqlSink Sink) Run(string query, params TradeTick[] ticks)
    {
        var sink = new CollectingCqlSink();
        var engine = CqlEngine.Compile(TradesStream + query, sink);
        foreach (var tick in ticks)
        {
            engine.OnTrade(tick);
        }

        engine.Complete();
        return (engine, sink);
    }
}
