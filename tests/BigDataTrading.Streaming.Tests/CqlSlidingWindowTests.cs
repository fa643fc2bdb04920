using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;
using BigDataTrading.Streaming.Cql;
using static BigDataTrading.Streaming.Tests.CqlTestKit;

namespace BigDataTrading.Streaming.Tests;

public sealed class CqlSlidingWindowTests
{
    [Fact]
    public void Sliding_window_emits_on_every_event_the_aggregates_of_the_last_size()
    {
        var (engine, sink) = Run("""
            CREATE VIEW rolling AS SELECT symbol, count(*) AS n, sum(size) AS volume, max(price) AS high, first(price) AS open,
              vwap(price, size) AS vwap, stddev(price) AS sd
            FROM trades WINDOW SLIDING(10 SECONDS) GROUP BY symbol
            """,
            Trade("SPY", 0, 10m, 1), Trade("SPY", 5, 12m, 2), Trade("IBM", 6, 50m, 1), Trade("SPY", 10, 11m, 4), Trade("SPY", 15, 9m, 8), Trade("SPY", 30, 10m, 16));

        // Windows (t − 10 s, t]: at 10 s the event at 0 s has left; at 15 s only 10 s and 15 s remain.
        var spy = sink.Rows.Where(r => r.Key == "SPY").ToList();
        Assert.Equal([1L, 2L, 2L, 2L, 1L], spy.Select(r => (long)r["n"]));
        Assert.Equal([1L, 3L, 6L, 12L, 16L], spy.Select(r => (long)r["volume"]));
        Assert.Equal([10m, 12m, 12m, 11m, 10m], spy.Select(r => ((Price)r["high"]).ToDecimal()));
        Assert.Equal([10m, 10m, 12m, 11m, 10m], spy.Select(r => ((Price)r["open"]).ToDecimal()));

        // At 15 s: (11·4 + 9·8) / 12 = 116 / 12 = 9.66666667 (rounded half up at 10^-8); sample stddev of 11 and 9 = √2.
        Assert.Equal(9.66666667m, ((Price)spy[3]["vwap"]).ToDecimal());
        Assert.Equal(Math.Sqrt(2), (double)spy[3]["sd"], 12);
        Assert.Equal((At(5), At(15), false), (spy[3].WindowStart, spy[3].WindowEnd, spy[3].IsFinal));
        Assert.Single(sink.Rows, r => r.Key == "IBM");

        // Only events that can still be in a window are held: at 30 s, nothing older than 20 s (SPY 30 s and IBM 6 s, which no later IBM event evicted).
        Assert.InRange(engine.Queries[0].OpenWindows, 1, 2);
    }

    [Fact]
    public void Sliding_window_with_lateness_puts_an_out_of_order_event_in_its_place()
    {
        var (_, sink) = Run(
            "CREATE VIEW rolling AS SELECT count(*) AS n, sum(size) AS volume FROM trades WINDOW SLIDING(10 SECONDS, ALLOWED LATENESS 10 SECONDS)",
            Trade("SPY", 10, 1m, 1), Trade("SPY", 20, 1m, 2), Trade("SPY", 12, 1m, 4));

        // (10 s, 20 s] excludes the event at 10 s; the event at 12 s arrives last and its window (2 s, 12 s] holds 10 s and 12 s.
        Assert.Equal([1L, 1L, 2L], sink.Rows.Select(r => (long)r["n"]));
        Assert.Equal([1L, 2L, 5L], sink.Rows.Select(r => (long)r["volume"]));
    }

    [Theory]
    [InlineData(0.1, 0.1, 0.0)]
    [InlineData(0.0, 0.05, 0.0)]
    [InlineData(0.002, 0.05, 0.01)]
    public void Incremental_sliding_aggregates_equal_a_scan_of_the_window_with_out_of_order_ties_late_events_and_filters(double backShare, double tieShare, double gapShare)
    {
        // Three symbols, 6,000 trades: time mostly advances by up to 40 ms; a share steps back (up to 1.5 s, so some fall
        // past the 1 s lateness and are late), a share repeats the previous time, a share jumps 0.5–2.5 s ahead (evicting
        // much or all of a window at once). Every row must equal a scan of its window.
        var random = new Random(20261124);
        var symbols = new[] { "SPY", "IBM", "AAPL" };
        var ticks = new List<TradeTick>();
        var now = 0;
        for (var i = 0; i < 6_000; i++)
        {
            var roll = random.NextDouble();
            var ms = roll < backShare ? now - random.Next(0, 1_500)
                : roll < backShare + tieShare ? now
                : roll < backShare + tieShare + gapShare ? now += random.Next(500, 2_500)
                : now += random.Next(0, 40);
            ticks.Add(Trade(symbols[random.Next(symbols.Length)], ms / 1000.0, 100m + (random.Next(-500, 500) / 100m), random.Next(1, 6) * 100));
        }

        var (_, sink) = Run("""
            CREATE VIEW rolling AS SELECT symbol, count(*) AS n, sum(size) AS volume, min(price) AS low, max(price) AS high,
              first(price) AS open, last(price) AS close, stddev(price) AS sd, avg(size) AS avg_size,
              count(*) FILTER (WHERE size >= 300) AS big, sum(size) FILTER (WHERE size >= 300) AS big_volume,
              first(price) FILTER (WHERE size >= 300) AS big_open, last(price) FILTER (WHERE size >= 300) AS big_close
            FROM trades WINDOW SLIDING(2 SECONDS, ALLOWED LATENESS 1 SECOND) GROUP BY symbol
            """, [.. ticks]);

        var accepted = new List<TradeTick>();
        var maxTime = long.MinValue;
        var row = 0;
        foreach (var t in ticks)
        {
            var time = t.Time.UnixNanoseconds;
            if (maxTime != long.MinValue && time < maxTime - Timestamp.NanosPerSecond)
            {
                continue;
            }

            maxTime = Math.Max(maxTime, time);
            accepted.Add(t);

            // The window in ring order: by time, equal times by arrival; later arrivals are not in this row yet.
            var window = accepted.Where(e => e.Symbol == t.Symbol && e.Time.UnixNanoseconds > time - (2 * Timestamp.NanosPerSecond) && e.Time.UnixNanoseconds <= time)
                .Select((e, arrival) => (e, arrival)).OrderBy(x => x.e.Time.UnixNanoseconds).ThenBy(x => x.arrival).Select(x => x.e).ToList();
            var big = window.Where(e => e.Size >= 300).ToList();
            var prices = window.Select(e => (double)e.Price.ToDecimal()).ToList();
            var mean = prices.Average();
            var r = sink.Rows[row++];
            Assert.Equal(
                (t.Symbol.ToString(), (long)window.Count, window.Sum(e => e.Size), window.Min(e => e.Price), window.Max(e => e.Price), window[0].Price, window[^1].Price),
                (r.Key, (long)r["n"], (long)r["volume"], (Price)r["low"], (Price)r["high"], (Price)r["open"], (Price)r["close"]));
            Assert.Equal(
                ((long)big.Count, big.Sum(e => e.Size), big.Count == 0 ? default : big[0].Price, big.Count == 0 ? default : big[^1].Price),
                ((long)r["big"], (long)r["big_volume"], (Price)r["big_open"], (Price)r["big_close"]));
            Assert.Equal(window.Average(e => (double)e.Size), (double)r["avg_size"], 9);
            var sd = window.Count < 2 ? double.NaN : Math.Sqrt(prices.Sum(p => (p - mean) * (p - mean)) / (window.Count - 1));
            Assert.Equal(sd, (double)r["sd"], 9);
        }

        Assert.Equal(row, sink.Rows.Count);
        Assert.Equal(ticks.Count - accepted.Count, sink.Late.Count);
        Assert.InRange(sink.Late.Count, backShare > 0.01 ? 1 : 0, ticks.Count / 10);
    }

    [Theory]
    [InlineData("SELECT count(*) FROM trades WINDOW SLIDING(1 MINUTE) EMIT FINAL", 1, 29, "EMIT CHANGES")]
    [InlineData("SELECT count(*) FROM trades WINDOW SLIDING(0 SECONDS)", 1, 44, "positive")]
    public void Sliding_window_errors_have_line_column_and_hint(string query, int line, int column, string hint)
    {
        var e = Assert.Throws<CqlException>(() => CqlEngine.Compile(TradesStream + "CREATE VIEW v AS\n" + query, NullCqlSink.Instance));
        Assert.Equal(new CqlPosition(line + 2, column), e.Position);
        Assert.Contains(hint, e.Hint ?? string.Empty, StringComparison.Ordinal);
    }

    [SharedDataFact(IbmTradeZip)]
    public async Task Rolling_one_minute_volume_and_vwap_over_ibm_2013_10_08_equal_a_two_pointer_loop()
    {
        var (trades, _, _) = await IbmDayAsync();
        var (_, sink) = Run("CREATE VIEW rolling AS SELECT sum(size) AS volume, vwap(price, size) AS vwap, min(price) AS low FROM trades WINDOW SLIDING(1 MINUTE) GROUP BY symbol", [.. trades]);

        Assert.Equal(trades.Count, sink.Rows.Count);
        var start = 0;
        long volume = 0;
        Int128 notional = 0;
        var window = Timestamp.NanosPerMinute;
        for (var i = 0; i < trades.Count; i++)
        {
            var t = trades[i];
            volume += t.Size;
            notional += (Int128)t.Price.Raw * t.Size;
            while (trades[start].Time.UnixNanoseconds <= t.Time.UnixNanoseconds - window)
            {
                volume -= trades[start].Size;
                notional -= (Int128)trades[start].Price.Raw * trades[start].Size;
                start++;
            }

            // Trades at the same time as t that arrive after it are not in t's row yet (the row is emitted on arrival).
            var low = long.MaxValue;
            for (var j = start; j <= i; j++)
            {
                low = Math.Min(low, trades[j].Price.Raw);
            }

            var row = sink.Rows[i];
            Assert.Equal((volume, (long)((notional + (volume / 2)) / volume), low), ((long)row["volume"], ((Price)row["vwap"]).Raw, ((Price)row["low"]).Raw));
        }
    }
}
