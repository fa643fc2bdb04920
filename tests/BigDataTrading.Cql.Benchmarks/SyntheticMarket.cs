using System.Globalization;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;
using BigDataTrading.Streaming.Cql;

namespace BigDataTrading.Cql.Benchmarks;

/// <summary>Pre-decoded trades and quotes and their interleaving (<see cref="IsQuote"/>[i] says which array event i comes from).</summary>
public sealed class MarketTape(TradeTick[] trades, QuoteTick[] quotes, bool[] isQuote)
{
    public TradeTick[] Trades { get; } = trades;

    public QuoteTick[] Quotes { get; } = quotes;

    public bool[] IsQuote { get; } = isQuote;

    public int Count => IsQuote.Length;

    /// <summary>Feeds every event to the engine; returns the number fed.</summary>
    public int Feed(CqlEngine engine) => Feed(engine, 0, 0, Count);

    /// <summary>Feeds events [from, to), given how many trades come before <paramref name="from"/>; returns the trades fed so far.</summary>
    public int Feed(CqlEngine engine, int tradesBefore, int from, int to)
    {
        var t = tradesBefore;
        var trades = Trades;
        var quotes = Quotes;
        var isQuote = IsQuote;
        for (var i = from; i < to; i++)
        {
            if (isQuote[i])
            {
                engine.OnQuote(in quotes[i - t]);
            }
            else
            {
                engine.OnTrade(in trades[t++]);
            }
        }

        return t;
    }
}

/// <summary>
/// A deterministic synthetic market for benchmarks and state tests: symbols S0000.., each a random walk with
/// occasional 0.5 % jumps; half the events are two-sided quotes around the mid, half trades near it (some through the
/// quote), sizes 1–1,000 with 1 % block trades of 5,000–10,000. Events are in time order over a 6.5-hour day unless a
/// jitter is asked for (then each event is up to that much earlier than its slot, so some arrive out of order).
/// </summary>
public static class SyntheticMarket
{
    public static Symbol[] Symbols(int count) =>
        [.. Enumerable.Range(0, count).Select(i => Symbol.Parse("S" + i.ToString(count > 10_000 ? "D7" : "D4", CultureInfo.InvariantCulture)))];

    /// <summary>A tape of <paramref name="count"/> events spread evenly over <paramref name="daySeconds"/> of event time from 13:30 UTC.</summary>
    public static MarketTape Generate(int count, int symbols, ulong seed = 42, long jitterNanos = 0, long daySeconds = 23_400) =>
        Generate(count, symbols, seed, jitterNanos, daySeconds * Timestamp.NanosPerSecond, startNanos: 0);

    /// <summary>
    /// A tape whose events are <paramref name="spanNanos"/> / <paramref name="count"/> apart in event time, starting
    /// <paramref name="startNanos"/> after 13:30 UTC: with the spacing of a paced feed, event time runs with the wall clock.
    /// </summary>
    public static MarketTape Generate(int count, int symbols, ulong seed, long jitterNanos, long spanNanos, long startNanos)
    {
        var names = Symbols(symbols);
        var mid = new long[symbols];
        Array.Fill(mid, 100_00000000L);
        var trades = new List<TradeTick>(count / 2 + 16);
        var quotes = new List<QuoteTick>(count / 2 + 16);
        var isQuote = new bool[count];
        var start = Timestamp.FromUtc(new DateOnly(2024, 3, 15), new TimeSpan(13, 30, 0)).UnixNanoseconds + startNanos;
        var step = spanNanos / count;
        var state = seed;
        for (var i = 0; i < count; i++)
        {
            var r = Next(ref state);
            var s = (int)(r % (ulong)symbols);
            var r2 = Next(ref state);

            // Random walk of ±0.05 % per event, a 0.5 % jump one time in 200.
            var move = ((long)(r2 % 11) - 5) * (mid[s] / 20_000);
            if (r2 % 200 == 7)
            {
                move = (r2 & 1024) == 0 ? mid[s] / 200 : -(mid[s] / 200);
            }

            mid[s] = Math.Max(1_00000000L, mid[s] + move);
            var time = new Timestamp(start + (i * step) - (jitterNanos == 0 ? 0 : (long)((r2 >> 20) % (ulong)jitterNanos)));
            var half = 1_000_000L * (1 + (long)((r2 >> 8) % 5)); // 0.01–0.05
            if (((r >> 40) & 1) == 0)
            {
                isQuote[i] = true;
                quotes.Add(new QuoteTick(names[s], time, new Price(mid[s] - half), 100 * (1 + (long)((r2 >> 12) % 50)), new Price(mid[s] + half), 100 * (1 + (long)((r2 >> 18) % 50)), i + 1));
            }
            else
            {
                var size = (r2 >> 30) % 100 == 0 ? 5_000 + (long)((r2 >> 40) % 5_000) : 1 + (long)((r2 >> 40) % 1_000);
                var price = mid[s] + (((long)((r2 >> 24) % 7) - 3) * 1_000_000L);
                // About 5 % intermarket sweeps and 1 % average-price prints: volume only in the 1-minute bars' prices.
                var conditions = ((r2 >> 50) % 100) switch
                {
                    < 5 => SaleConditions.IntermarketSweep,
                    5 => SaleConditions.AveragePrice,
                    _ => SaleConditions.Regular,
                };
                trades.Add(new TradeTick(names[s], time, new Price(price), size, i + 1, 'Q', conditions));
            }
        }

        return new MarketTape([.. trades], [.. quotes], isQuote);
    }

    /// <summary>
    /// The shipped pack with its instruments table replaced by one covering <paramref name="symbols"/> synthetic symbols
    /// (written as a CSV into <paramref name="directory"/>), so the table join sees every symbol.
    /// </summary>
    public static string PackFor(string packText, int symbols, string directory)
    {
        var csv = Path.Combine(directory, "instruments.csv");
        File.WriteAllLines(csv, ["symbol,lot_size,sector", .. Symbols(symbols).Select((s, i) => $"{s.Value},{(i % 10 == 0 ? 1 : 100)},Sector{i % 11}")]);
        var start = packText.IndexOf("\nCREATE TABLE instruments", StringComparison.Ordinal) + 1;
        var end = packText.IndexOf(';', start);
        return string.Concat(packText.AsSpan(0, start), $"CREATE TABLE instruments (symbol STRING, lot_size BIGINT, sector STRING) FROM '{csv}'", packText.AsSpan(end));
    }

    private static ulong Next(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
