using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;
using BigDataTrading.Streaming.Cql;
using static BigDataTrading.Streaming.Tests.CqlTestKit;

namespace BigDataTrading.Streaming.Tests;

public sealed class CqlPatternTests
{
    private const string Spike = """
        CREATE QUERY spike AS SELECT a.symbol, a.price AS start_price, b.price AS end_price
        FROM PATTERN (EVERY a = trades(size >= 1000) -> b = trades(price >= a.price * 1.01)) WITHIN 5 SECONDS
        """;

    [Fact]
    public void Every_a_followed_by_b_within_the_bound_matches_per_symbol_and_expired_matches_are_dropped()
    {
        var (engine, sink) = Run(Spike,
            Trade("SPY", 0, 100m, 1000),   // a1
            Trade("SPY", 1, 100.5m, 10),
            Trade("SPY", 2, 101m, 10),     // b of a1 (101 ≥ 101)
            Trade("SPY", 3, 101m, 2000),   // a2
            Trade("IBM", 4, 50m, 5000),    // a3
            Trade("SPY", 9, 103m, 10),     // too late for a2 (deadline 8 s)
            Trade("IBM", 9, 50.5m, 10));   // b of a3 exactly at its deadline (inclusive)

        Assert.Equal(2, sink.Rows.Count);
        Assert.Equal(("SPY", Price.FromDecimal(100m), Price.FromDecimal(101m), At(0), At(2)), ((string)sink.Rows[0]["symbol"], (Price)sink.Rows[0]["start_price"], (Price)sink.Rows[0]["end_price"], sink.Rows[0].WindowStart, sink.Rows[0].WindowEnd));
        Assert.Equal(("IBM", Price.FromDecimal(50m), Price.FromDecimal(50.5m)), ((string)sink.Rows[1]["symbol"], (Price)sink.Rows[1]["start_price"], (Price)sink.Rows[1]["end_price"]));
        Assert.Equal(0, engine.Queries[0].PendingMatches);
    }

    [Fact]
    public void Absence_fires_when_the_watermark_passes_the_bound_even_if_the_key_goes_quiet()
    {
        var sink = new CollectingCqlSink();
        var engine = CqlEngine.Compile(TradesStream + """
            CREATE QUERY no_follow_through AS SELECT a.symbol, a.price, a.size
            FROM PATTERN (EVERY a = trades(size >= 1000) -> NOT b = trades(price > a.price)) WITHIN 5 SECONDS
            """, sink);
        Feed(engine, [
            Trade("SPY", 0, 100m, 1000),   // a1
            Trade("SPY", 2, 99m, 10),
            Trade("SPY", 4, 100.5m, 10),   // b: a1 is followed through, no row
            Trade("SPY", 10, 100m, 1500),  // a2
            Trade("SPY", 12, 99m, 10),
        ]);
        Assert.Empty(sink.Rows);

        // An IBM event moves the watermark to 20 s, past a2's bound (15 s): the absence fires without another SPY event.
        engine.OnTrade(Trade("IBM", 20, 1m, 1));
        var row = Assert.Single(sink.Rows);
        Assert.Equal(("SPY", Price.FromDecimal(100m), 1500L, At(10), At(15)), ((string)row["symbol"], (Price)row["price"], (long)row["size"], row.WindowStart, row.WindowEnd));

        // End of stream passes every bound: a3 emits at Complete.
        engine.OnTrade(Trade("SPY", 30, 101m, 1000));
        engine.Complete();
        Assert.Equal(2, sink.Rows.Count);
        Assert.Equal(At(35), sink.Rows[1].WindowEnd);
    }

    [Fact]
    public void Three_step_gap_and_reverse_without_every_keeps_one_pending_match_per_key()
    {
        var (_, sink) = Run("""
            CREATE QUERY gap_reverse AS SELECT a.price AS base, b.price AS gap, c.price AS reversal
            FROM PATTERN (a = trades -> b = trades(price >= a.price * 1.01) -> c = trades(price <= a.price)) WITHIN 10 SECONDS
            """,
            Trade("SPY", 0, 100m, 1),      // a
            Trade("SPY", 1, 100.5m, 1),    // not a gap; not a new a (a match is pending)
            Trade("SPY", 2, 101.2m, 1),    // b
            Trade("SPY", 3, 100.8m, 1),
            Trade("SPY", 4, 99.9m, 1),     // c → match
            Trade("SPY", 5, 100m, 1),      // a again
            Trade("SPY", 20, 100m, 1));    // that match expired at 15 s; a new one starts and expires at end of stream

        var row = Assert.Single(sink.Rows);
        Assert.Equal((Price.FromDecimal(100m), Price.FromDecimal(101.2m), Price.FromDecimal(99.9m)), ((Price)row["base"], (Price)row["gap"], (Price)row["reversal"]));
    }

    [Fact]
    public void Max_pending_bounds_partial_matches_per_key_by_evicting_the_oldest()
    {
        var ticks = Enumerable.Range(0, 10).Select(i => Trade("SPY", i, 100m + i, 1)).Append(Trade("SPY", 20, 2000m, 1)).ToArray();
        var sink = new CollectingCqlSink();
        var engine = CqlEngine.Compile(TradesStream + """
            CREATE QUERY p AS SELECT a.price AS start_price FROM PATTERN (EVERY a = trades -> b = trades(price > 1000)) WITHIN 1 HOUR MAX PENDING 3
            """, sink);
        Feed(engine, ticks.Take(10).Cast<object>());
        var query = engine.Queries[0];
        Assert.Equal((3, 7L), (query.PendingMatches, query.Evicted));

        engine.OnTrade(ticks[10]);

        // The three newest starts (107, 108, 109) complete on the 2000 print, which itself starts a new match.
        Assert.Equal([107m, 108m, 109m], sink.Rows.Select(r => ((Price)r["start_price"]).ToDecimal()));
        Assert.Equal(1, query.PendingMatches);
    }

    [Fact]
    public void Out_of_order_events_within_the_lateness_are_matched_in_event_time_and_later_ones_go_to_the_side_output()
    {
        var (engine, sink) = Run(Spike.Replace("WITHIN 5 SECONDS", "WITHIN 5 SECONDS ALLOWED LATENESS 2 SECONDS", StringComparison.Ordinal),
            Trade("SPY", 0, 100m, 1000),   // a
            Trade("SPY", 3, 102m, 10),     // arrives first but is later in event time
            Trade("SPY", 1, 101.5m, 10),   // the first b in event time
            Trade("SPY", 10, 100m, 10),    // watermark 8 s
            Trade("SPY", 5, 120m, 10));    // behind the watermark: late

        var row = Assert.Single(sink.Rows);
        Assert.Equal(Price.FromDecimal(101.5m), row["end_price"]);
        var late = Assert.Single(sink.Late);
        Assert.Equal((At(5), At(8)), (late.Tick.Time, late.Watermark));
        Assert.Equal(1, engine.Queries[0].LateEvents);
    }

    [Fact]
    public void With_no_allowed_lateness_a_match_is_emitted_by_the_event_that_completes_it()
    {
        // The engine default allows 2 s, so the pattern's own clause must override it.
        var sink = new CollectingCqlSink();
        var engine = CqlEngine.Compile(
            TradesStream + Spike.Replace("WITHIN 5 SECONDS", "WITHIN 5 SECONDS ALLOWED LATENESS 0 SECONDS", StringComparison.Ordinal),
            sink,
            new CqlOptions { AllowedLatenessNanos = 2 * Timestamp.NanosPerSecond });
        engine.OnTrade(Trade("SPY", 0, 100m, 1000));   // a
        engine.OnTrade(Trade("SPY", 1, 100.5m, 10));
        Assert.Empty(sink.Rows);

        engine.OnTrade(Trade("SPY", 2, 101m, 10));     // b: the row is out before any later event or Complete
        var row = Assert.Single(sink.Rows);
        Assert.Equal((Price.FromDecimal(100m), Price.FromDecimal(101m), At(2)), ((Price)row["start_price"], (Price)row["end_price"], row.WindowEnd));

        // An event older than the newest seen cannot wait for its turn: it goes to the late side output.
        engine.OnTrade(Trade("SPY", 1, 102m, 10));
        var late = Assert.Single(sink.Late);
        Assert.Equal((At(1), At(2)), (late.Tick.Time, late.Watermark));
        Assert.Single(sink.Rows);
    }

    [Fact]
    public void Patterns_over_quotes_detect_a_widening_spread_that_does_not_recover()
    {
        var (_, sink) = RunEvents(QuotesStream + """
            CREATE QUERY stuck_wide AS SELECT a.symbol, a.ask - a.bid AS spread
            FROM PATTERN (EVERY a = quotes(ask - bid >= 0.10) -> NOT b = quotes(ask - bid < 0.05)) WITHIN 2 SECONDS
            """,
            Quote("SPY", 0, 100m, 1, 100.10m, 1), Quote("SPY", 1, 100m, 1, 100.02m, 1),   // recovers
            Quote("SPY", 5, 100m, 1, 100.20m, 1), Quote("SPY", 6, 100m, 1, 100.08m, 1));  // stays wide

        var row = Assert.Single(sink.Rows);
        Assert.Equal(Price.FromDecimal(0.20m), row["spread"]);
    }

    [Theory]
    [InlineData("SELECT a.price FROM PATTERN (a = trades -> NOT b = trades -> c = trades) WITHIN 5 SECONDS", 1, 44, "write a -> b -> NOT c")]
    [InlineData("SELECT a.price FROM PATTERN (a = trades -> b = trades)", 1, 55, "WITHIN 5 SECONDS")]
    [InlineData("SELECT a.price FROM PATTERN (a = trades(price > b.price) -> b = trades) WITHIN 5 SECONDS", 1, 49, "earlier steps")]
    [InlineData("SELECT b.price FROM PATTERN (a = trades -> NOT b = trades) WITHIN 5 SECONDS", 1, 8, "other steps")]
    [InlineData("SELECT a.price FROM PATTERN (a = trades -> b = trades) WITHIN 5 SECONDS WHERE a.size > 1", 1, 86, "put conditions in the steps")]
    [InlineData("SELECT a.price FROM PATTERN (a = trades -> b = trades(size)) WITHIN 5 SECONDS", 1, 55, "compare something")]
    [InlineData("SELECT a.price FROM PATTERN (a = trades -> b = trades) WITHIN 5 SECONDS MAX PENDING 0", 1, 85, "MAX PENDING 16")]
    public void Pattern_errors_have_line_column_and_hint(string query, int line, int column, string hint)
    {
        var e = Assert.Throws<CqlException>(() => CqlEngine.Compile(TradesStream + "CREATE QUERY p AS\n" + query, NullCqlSink.Instance));
        Assert.Equal(new CqlPosition(line + 2, column), e.Position);
        Assert.Contains(hint, e.Hint ?? string.Empty, StringComparison.Ordinal);
    }

    [SharedDataFact(IbmTradeZip)]
    public async Task Patterns_over_ibm_2013_10_08_equal_a_brute_force_search()
    {
        var (trades, _, _) = await IbmDayAsync();
        var (_, sink) = Run("""
            CREATE QUERY up AS SELECT a.price AS start_price, b.price AS end_price, b.time AS end_time
            FROM PATTERN (EVERY a = trades(size >= 2000) -> b = trades(price >= a.price + 0.10)) WITHIN 60 SECONDS MAX PENDING 100000;
            CREATE QUERY stall AS SELECT a.price AS start_price
            FROM PATTERN (EVERY a = trades(size >= 2000) -> NOT b = trades(price >= a.price + 0.10)) WITHIN 60 SECONDS MAX PENDING 100000
            """, [.. trades]);

        // Brute force: for every block trade, the first later trade within 60 s (inclusive) at least 10 cents higher.
        var matches = new List<(long Start, long End, long EndTime)>();
        var stalls = 0;
        var within = 60 * Timestamp.NanosPerSecond;
        var oneDime = Price.FromDecimal(0.10m).Raw;
        for (var i = 0; i < trades.Count; i++)
        {
            if (trades[i].Size < 2000)
            {
                continue;
            }

            var found = false;
            for (var j = i + 1; j < trades.Count && trades[j].Time.UnixNanoseconds <= trades[i].Time.UnixNanoseconds + within; j++)
            {
                if (trades[j].Price.Raw >= trades[i].Price.Raw + oneDime)
                {
                    matches.Add((trades[i].Price.Raw, trades[j].Price.Raw, trades[j].Time.UnixNanoseconds));
                    found = true;
                    break;
                }
            }

            stalls += found ? 0 : 1;
        }

        Assert.NotEmpty(matches);
        Assert.True(stalls > 0, "the day has block trades without a 10-cent follow-through");
        var up = sink.Rows.Where(r => r.Query == "up").Select(r => (((Price)r["start_price"]).Raw, ((Price)r["end_price"]).Raw, ((Timestamp)r["end_time"]).UnixNanoseconds)).ToList();
        Assert.Equal(matches.Order(), up.Order());
        Assert.Equal(stalls, sink.Rows.Count(r => r.Query == "stall"));
    }
}
