using BigDataTrading.Core.Instruments;
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
