using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;
using BigDataTrading.Streaming.Cql;

namespace BigDataTrading.Streaming.Tests;

/// <summary>Small builders for CQL tests: a trade stream declaration and ticks at offsets from a round minute.</summary>
internal static class CqlTestKit
{
    public const string TradesStream = "CREATE STREAM trades (symbol STRING, time TIMESTAMP, price PRICE, size BIGINT, sequence BIGINT, exchange CHAR, conditions BIGINT, price_eligible BOOLEAN) WITH (topic='md.ticks', key='symbol', timestamp='time');\n";

    /// <summary>2024-01-02T14:30:00Z, a minute boundary.</summary>
    public static readonly Timestamp T0 = Timestamp.FromUtc(new DateOnly(2024, 1, 2), new TimeSpan(14, 30, 0));

    private static long s_sequence;

    public static TradeTick Trade(string symbol, double seconds, decimal price, long size, char exchange = 'Q', SaleConditions conditions = SaleConditions.None) =>
        new(Symbol.Parse(symbol), At(seconds), Price.FromDecimal(price), size, Interlocked.Increment(ref s_sequence), exchange, conditions);

    public static Timestamp At(double seconds) => T0.AddNanoseconds((long)Math.Round(seconds * 1e9));

    public const string QuotesStream = "CREATE STREAM quotes (symbol STRING, time TIMESTAMP, bid PRICE, bid_size BIGINT, ask PRICE, ask_size BIGINT) WITH (topic='md.quotes', key='symbol', timestamp='time');\n";

    /// <summary>The shipped trading pack (streaming/Cql/Packs/trading-pack.cql) in the repository.</summary>
    public static string PackPath
    {
        get
        {
            var root = new DirectoryInfo(AppContext.BaseDirectory);
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "BigDataTrading.sln")))
            {
                root = root.Parent;
            }

            return Path.Combine(root?.FullName ?? throw new InvalidOperationException("BigDataTrading.sln not found above the test folder."), "streaming", "Cql", "Packs", "trading-pack.cql");
        }
    }

    public const string IbmTradeZip = "data/market/lean-sample/Data/equity/usa/tick/ibm/20131008_trade.zip";

    public const string IbmQuoteZip = "data/market/lean-sample/Data/equity/usa/tick/ibm/20131008_quote.zip";

    public static QuoteTick Quote(string symbol, double seconds, decimal bid, long bidSize, decimal ask, long askSize) =>
        new(Symbol.Parse(symbol), At(seconds), Price.FromDecimal(bid), bidSize, Price.FromDecimal(ask), askSize, Interlocked.Increment(ref s_sequence));

    /// <summary>Runs a script (stream declarations included) over trades and quotes in the given order.</summary>
    public static (CqlEngine Engine, CollectingCqlSink Sink) RunEvents(string script, params object[] events)
    {
        var sink = new CollectingCqlSink();
        var engine = CqlEngine.Compile(script, sink);
        Feed(engine, events);
        engine.Complete();
        return (engine, sink);
    }

    public static void Feed(CqlEngine engine, IEnumerable<object> events)
    {
        foreach (var e in events)
        {
            switch (e)
            {
                case TradeTick t:
                    engine.OnTrade(t);
                    break;
                case QuoteTick q:
                    engine.OnQuote(q);
                    break;
                default:
                    throw new ArgumentException($"not a tick: {e}", nameof(events));
            }
        }
    }

    /// <summary>IBM trades and quotes of 2013-10-08 from the shared LEAN sample, merged by event time (a quote before a trade at the same time).</summary>
    public static async Task<(List<TradeTick> Trades, List<QuoteTick> Quotes, List<object> Merged)> IbmDayAsync()
    {
        var errors = new BigDataTrading.Sources.CountingSourceErrorSink();
        var trades = new List<TradeTick>();
        await foreach (var t in new BigDataTrading.Sources.LeanTickTradeZipSource(SharedData.Require(IbmTradeZip), errors).ReadTradesAsync())
        {
            trades.Add(t);
        }

        var quotes = new List<QuoteTick>();
        await foreach (var q in new BigDataTrading.Sources.LeanTickQuoteZipSource(SharedData.Require(IbmQuoteZip), errors).ReadQuotesAsync())
        {
            quotes.Add(q);
        }

        var merged = new List<object>(trades.Count + quotes.Count);
        int i = 0, j = 0;
        while (i < trades.Count || j < quotes.Count)
        {
            if (j < quotes.Count && (i == trades.Count || quotes[j].Time <= trades[i].Time))
            {
                merged.Add(quotes[j++]);
            }
            else
            {
                merged.Add(trades[i++]);
            }
        }

        return (trades, quotes, merged);
    }

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
