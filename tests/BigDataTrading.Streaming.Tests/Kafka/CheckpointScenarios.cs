using BigDataTrading.Cql.Benchmarks;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;

namespace BigDataTrading.Streaming.Tests.Kafka;

/// <summary>Scripts and event tapes of the checkpoint tests, shared by the engine-level and the Kafka-level ones.</summary>
internal static class CheckpointScenarios
{
    /// <summary>Grouped and global sliding windows, with lateness (events held in rings across a checkpoint).</summary>
    public const string Sliding = CqlTestKit.TradesStream + """
        CREATE QUERY burst AS SELECT symbol, count(*) AS n, sum(size) AS volume, max(price) - min(price) AS range,
            vwap(price, size) AS vwap, stddev(price) AS sd
          FROM trades WINDOW SLIDING(10 SECONDS, ALLOWED LATENESS 2 SECONDS) GROUP BY symbol HAVING count(*) >= 3 INTO 'out-burst';
        CREATE QUERY market AS SELECT count(*) AS n, avg(size) AS avg_size, first(price) AS first, last(price) AS last
          FROM trades WINDOW SLIDING(5 SECONDS, ALLOWED LATENESS 1 SECOND) INTO 'out-market';
        """;

    /// <summary>As-of joins (inner, LEFT, with a staleness bound) alone, in a tumbling window and in a sliding window, with a table join.</summary>
    public const string AsOf = CqlTestKit.TradesStream + CqlTestKit.QuotesStream + """
        CREATE TABLE instruments (symbol STRING, lot_size BIGINT) WITH (key = 'symbol') VALUES ('SPY', 100), ('AAPL', 10);
        CREATE QUERY through AS SELECT t.symbol, t.time, t.price, q.bid, q.ask
          FROM trades t ASOF JOIN quotes q WITHIN 5 SECONDS
          WHERE t.price > q.ask OR t.price < q.bid INTO 'out-through';
        CREATE QUERY quoted AS SELECT t.symbol, t.price, q.bid, matched(q) AS has_quote
          FROM trades t LEFT ASOF JOIN quotes q WITHIN 2 SECONDS INTO 'out-quoted';
        CREATE QUERY flow AS SELECT symbol, sum(t.size / i.lot_size) AS lots, avg(q.ask - q.bid) AS spread, count(*) AS n
          FROM trades t ASOF JOIN quotes q WITHIN 5 SECONDS JOIN instruments i ON t.symbol = i.symbol
          WINDOW TUMBLING(1 MINUTE, ALLOWED LATENESS 2 SECONDS) GROUP BY symbol EMIT FINAL INTO 'out-flow';
        CREATE QUERY rolling_spread AS SELECT symbol, avg(q.ask - q.bid) AS spread, sum(t.size / i.lot_size) AS lots, count(*) AS n
          FROM trades t ASOF JOIN quotes q JOIN instruments i ON t.symbol = i.symbol
          WINDOW SLIDING(10 SECONDS, ALLOWED LATENESS 2 SECONDS) GROUP BY symbol INTO 'out-rolling';
        """;

    /// <summary>Sequence patterns (two and three steps, EVERY and not), an absence pattern, reorder buffers and small MAX PENDING bounds.</summary>
    public const string Patterns = CqlTestKit.TradesStream + """
        CREATE QUERY spike AS SELECT a.symbol, a.price AS start_price, b.price AS end_price, b.time AS end_time
          FROM PATTERN (EVERY a = trades(size >= 500) -> b = trades(price >= a.price * 1.002))
          WITHIN 10 SECONDS ALLOWED LATENESS 1 SECOND MAX PENDING 3 INTO 'out-spike';
        CREATE QUERY reversal AS SELECT a.symbol, a.price AS base, b.price AS gap, c.price AS back
          FROM PATTERN (EVERY a = trades(size >= 1000) -> b = trades(price >= a.price * 1.003) -> c = trades(price <= a.price))
          WITHIN 60 SECONDS MAX PENDING 2 INTO 'out-reversal';
        CREATE QUERY stall AS SELECT a.symbol, a.time, a.price, a.size
          FROM PATTERN (EVERY a = trades(size >= 800) -> NOT b = trades(price > a.price))
          WITHIN 5 SECONDS ALLOWED LATENESS 1 SECOND MAX PENDING 4 INTO 'out-stall';
        CREATE QUERY first_pair AS SELECT a.price AS p0, b.price AS p1
          FROM PATTERN (a = trades(size >= 900) -> b = trades(size >= 900)) WITHIN 30 SECONDS INTO 'out-first';
        """;

    /// <summary>
    /// The pattern scenario's head, cut after <see cref="PatternHeadCut"/> events: SPY opens a spike and a stall at 0 s,
    /// AAPL a stall at 0.5 s; after the cut SPY's spike completes (its pending match crossed the restart) and breaks its
    /// stall, and AAPL's stall deadline (5.5 s) passes only when a later event moves the watermark — after the restart.
    /// </summary>
    public static List<object> PatternHead() =>
    [
        CqlTestKit.Trade("SPY", 0, 100.00m, 900),
        CqlTestKit.Trade("AAPL", 0.5, 50.00m, 1000),
        CqlTestKit.Trade("SPY", 1, 99.95m, 100),
        CqlTestKit.Trade("SPY", 2, 100.25m, 100),
        CqlTestKit.Trade("AAPL", 3, 49.90m, 100),
        CqlTestKit.Trade("SPY", 7, 99.00m, 100),
    ];

    /// <summary>Where <see cref="PatternHead"/> is cut.</summary>
    public const int PatternHeadCut = 3;

    /// <summary>
    /// Random trades (and, with <paramref name="quotes"/>, quotes) of <paramref name="symbols"/> every 0–0.4 s from
    /// <paramref name="fromSeconds"/>: a random walk with occasional jumps, 10 % block sizes, 5 % of events up to 1.5 s
    /// out of order and 1 % 4 s behind (late for every query here). Deterministic for a seed.
    /// </summary>
    public static List<object> Random(int count, string[] symbols, int seed, bool quotes, double fromSeconds = 0)
    {
        var rng = new Random(seed);
        var mid = symbols.ToDictionary(s => s, _ => 100m);
        var events = new List<object>(count);
        var t = fromSeconds;
        for (var i = 0; i < count; i++)
        {
            t += rng.NextDouble() * 0.4;
            var s = symbols[rng.Next(symbols.Length)];
            var jump = rng.Next(20) == 0 ? 0.012 : 0.002;
            var m = mid[s] = Math.Round(mid[s] * (1 + (decimal)((rng.NextDouble() - 0.5) * jump)), 2);
            var at = t - (rng.Next(20) == 0 ? rng.NextDouble() * 1.5 : 0) - (rng.Next(100) == 0 ? 4 : 0);
            events.Add(quotes && rng.Next(2) == 0
                ? CqlTestKit.Quote(s, at, m - 0.02m, rng.Next(1, 50) * 100, m + 0.02m, rng.Next(1, 50) * 100)
                : CqlTestKit.Trade(s, at, m + (rng.Next(8) == 0 ? 0.05m : 0m), rng.Next(10) == 0 ? rng.Next(500, 1500) : rng.Next(1, 400)));
        }

        return events;
    }

    /// <summary>
    /// A busy synthetic market for the trading pack: the benchmark's tape (random walk with jumps, block trades, trades
    /// through the quote, events up to 3 s out of order) over 150 s, its symbols renamed to instruments of the pack's table.
    /// </summary>
    public static List<object> PackTape(int count)
    {
        string[] names = ["SPY", "AAPL", "MSFT", "XOM"];
        var tape = SyntheticMarket.Generate(count, names.Length, seed: 7, jitterNanos: 3_000_000_000, daySeconds: 150);
        var rename = SyntheticMarket.Symbols(names.Length).Select((s, i) => (s, Symbol.Parse(names[i]))).ToDictionary(p => p.s, p => p.Item2);
        var events = new List<object>(tape.Count);
        int t = 0, q = 0;
        for (var i = 0; i < tape.Count; i++)
        {
            if (tape.IsQuote[i])
            {
                var quote = tape.Quotes[q++];
                events.Add(quote with { Symbol = rename[quote.Symbol] });
            }
            else
            {
                var trade = tape.Trades[t++];
                events.Add(trade with { Symbol = rename[trade.Symbol] });
            }
        }

        return events;
    }
}
