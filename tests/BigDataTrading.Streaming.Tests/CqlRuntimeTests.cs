using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Streaming.Cql;
using static BigDataTrading.Streaming.Tests.CqlTestKit;

namespace BigDataTrading.Streaming.Tests;

public sealed class CqlRuntimeTests
{
    private const string AllAggregates = """
        CREATE VIEW agg AS SELECT symbol, count(*) AS n, sum(size) AS volume, sum(price) AS price_sum, avg(size) AS avg_size,
          avg(price) AS avg_price, min(price) AS low, max(price) AS high, first(price) AS open, last(price) AS close,
          vwap(price, size) AS vwap, stddev(price) AS sd, max(price) - min(price) AS range, sum(size) * 2 AS twice,
          count(*) / 8 AS eighth, min(size) AS min_size, first(size) AS first_size, last(time) AS last_time
        FROM trades WINDOW TUMBLING(1 MINUTE) GROUP BY symbol
        """;

    [Fact]
    public void Every_aggregate_matches_hand_computed_values()
    {
        // Prices 10, 12, 11, 9; sizes 100, 200, 300, 400 inside one minute.
        var (_, sink) = Run(AllAggregates,
            Trade("SPY", 1, 10m, 100), Trade("SPY", 2, 12m, 200), Trade("SPY", 3, 11m, 300), Trade("SPY", 4, 9m, 400));

        var row = Assert.Single(sink.Rows);
        Assert.Equal("SPY", row["symbol"]);
        Assert.Equal(4L, row["n"]);
        Assert.Equal(1000L, row["volume"]);
        Assert.Equal(Price.FromDecimal(42m), row["price_sum"]);
        Assert.Equal(250.0, row["avg_size"]);
        Assert.Equal(10.5, row["avg_price"]);
        Assert.Equal(Price.FromDecimal(9m), row["low"]);
        Assert.Equal(Price.FromDecimal(12m), row["high"]);
        Assert.Equal(Price.FromDecimal(10m), row["open"]);
        Assert.Equal(Price.FromDecimal(9m), row["close"]);

        // (10·100 + 12·200 + 11·300 + 9·400) / 1000 = 10300 / 1000.
        Assert.Equal(Price.FromDecimal(10.3m), row["vwap"]);

        // Mean 10.5, squared deviations 0.25 + 2.25 + 0.25 + 2.25 = 5, sample variance 5/3.
        Assert.Equal(Math.Sqrt(5.0 / 3.0), (double)row["sd"], 12);
        Assert.Equal(Price.FromDecimal(3m), row["range"]);
        Assert.Equal(2000L, row["twice"]);
        Assert.Equal(0.5, row["eighth"]);
        Assert.Equal(100L, row["min_size"]);
        Assert.Equal(100L, row["first_size"]);
        Assert.Equal(At(4), row["last_time"]);
        Assert.Equal(At(0), row.WindowStart);
        Assert.Equal(At(60), row.WindowEnd);
        Assert.True(row.IsFinal);
        Assert.Equal([CqlType.String, CqlType.BigInt, CqlType.BigInt, CqlType.Price, CqlType.Double], row.Columns.Take(5).Select(c => c.Type));
    }

    [Fact]
    public void First_and_last_follow_event_time_not_arrival_order_and_stddev_of_one_value_is_nan()
    {
        var (_, sink) = Run(
            "CREATE VIEW v AS SELECT first(price) AS open, last(price) AS close, stddev(size) AS sd FROM trades WINDOW TUMBLING(1 MINUTE, ALLOWED LATENESS 1 MINUTE)",
            Trade("SPY", 10, 10m, 1), Trade("SPY", 30, 12m, 1), Trade("SPY", 5, 11m, 1), Trade("SPY", 20, 13m, 1),
            Trade("SPY", 70, 1m, 1));

        Assert.Equal(2, sink.Rows.Count);
        Assert.Equal(Price.FromDecimal(11m), sink.Rows[0]["open"]);
        Assert.Equal(Price.FromDecimal(12m), sink.Rows[0]["close"]);
        Assert.Equal(0.0, (double)sink.Rows[0]["sd"]);
        Assert.True(double.IsNaN((double)sink.Rows[1]["sd"]));
    }

    [Fact]
    public void Tumbling_windows_emit_final_rows_when_the_watermark_passes_their_end()
    {
        var sink = new CollectingCqlSink();
        var engine = CqlEngine.Compile(TradesStream + "CREATE VIEW v AS SELECT count(*) AS n, sum(size) AS volume FROM trades WINDOW TUMBLING(1 MINUTE)", sink);
        var emittedAfter = new List<int>();
        foreach (var tick in new[] { Trade("SPY", 10, 1m, 1), Trade("SPY", 50, 1m, 2), Trade("SPY", 60, 1m, 4), Trade("SPY", 150, 1m, 8) })
        {
            engine.OnTrade(tick);
            emittedAfter.Add(sink.Rows.Count);
        }

        // [0,60) closes at the event at exactly 60 s (the end is exclusive); [60,120) when 150 s arrives.
        Assert.Equal([0, 0, 1, 2], emittedAfter);
        Assert.Equal(0, engine.Queries[0].LateEvents);
        Assert.Equal(1, engine.Queries[0].OpenWindows);
        engine.Complete();
        Assert.Equal(0, engine.Queries[0].OpenWindows);
        Assert.Equal([(At(0), 2L, 3L), (At(60), 1L, 4L), (At(120), 1L, 8L)], sink.Rows.Select(r => (r.WindowStart, (long)r["n"], (long)r["volume"])));
    }

    [Fact]
    public void Hopping_windows_count_each_event_in_every_window_that_covers_it()
    {
        var (_, sink) = Run("CREATE VIEW v AS SELECT window_start, window_end, count(*) AS n FROM trades WINDOW HOPPING(SIZE 2 MINUTES, ADVANCE 1 MINUTE)",
            Trade("SPY", 30, 1m, 1), Trade("SPY", 90, 1m, 1), Trade("SPY", 150, 1m, 1));

        // Windows [-60,60): a; [0,120): a b; [60,180): b c; [120,240): c.
        Assert.Equal([(At(-60), At(60), 1L), (At(0), At(120), 2L), (At(60), At(180), 2L), (At(120), At(240), 1L)],
            sink.Rows.Select(r => ((Core.Time.Timestamp)r["window_start"], (Core.Time.Timestamp)r["window_end"], (long)r["n"])));
    }

    [Fact]
    public void Session_windows_split_on_the_gap_and_merge_when_an_out_of_order_event_bridges_two()
    {
        var (_, sink) = Run("CREATE VIEW v AS SELECT symbol, count(*) AS n, sum(size) AS volume FROM trades WINDOW SESSION(GAP 30 SECONDS) GROUP BY symbol",
            Trade("SPY", 0, 1m, 1), Trade("SPY", 10, 1m, 2), Trade("SPY", 20, 1m, 4), Trade("SPY", 60, 1m, 8), Trade("SPY", 70, 1m, 16), Trade("SPY", 200, 1m, 32));
        Assert.Equal([(At(0), At(20), 3L, 7L), (At(60), At(70), 2L, 24L), (At(200), At(200), 1L, 32L)],
            sink.Rows.Select(r => (r.WindowStart, r.WindowEnd, (long)r["n"], (long)r["volume"])));

        // 0 and 50 are 50 s apart (two sessions) until 25 arrives late but within the lateness and joins them.
        (_, sink) = Run("CREATE VIEW v AS SELECT count(*) AS n, sum(size) AS volume, stddev(size) AS sd, first(size) AS f, last(size) AS l FROM trades WINDOW SESSION(GAP 30 SECONDS, ALLOWED LATENESS 1 MINUTE) GROUP BY symbol",
            Trade("SPY", 0, 1m, 1), Trade("SPY", 50, 1m, 3), Trade("SPY", 25, 1m, 2));
        var row = Assert.Single(sink.Rows);
        Assert.Equal((At(0), At(50), 3L, 6L, 1L, 3L), (row.WindowStart, row.WindowEnd, (long)row["n"], (long)row["volume"], (long)row["f"], (long)row["l"]));
        Assert.Equal(1.0, (double)row["sd"], 12); // sizes 1, 2, 3: sample stddev 1
    }

    [Fact]
    public void Group_by_symbol_with_having_emits_only_the_groups_that_pass()
    {
        var (_, sink) = Run("CREATE VIEW v AS SELECT symbol, count(*) AS n, sum(size) AS volume FROM trades WINDOW TUMBLING(1 MINUTE) GROUP BY symbol HAVING count(*) >= 2 AND sum(size) > 10",
            Trade("SPY", 1, 1m, 5), Trade("AAPL", 2, 1m, 50), Trade("SPY", 3, 1m, 6), Trade("MSFT", 4, 1m, 1), Trade("MSFT", 5, 1m, 1),
            Trade("AAPL", 61, 1m, 1), Trade("AAPL", 62, 1m, 100));

        // SPY 2 trades / 11 shares passes; AAPL has 1 trade in the first minute; MSFT 2 trades but 2 shares; AAPL passes in the second.
        Assert.Equal([("SPY", At(0), 2L, 11L), ("AAPL", At(60), 2L, 101L)], sink.Rows.Select(r => (r.Key, r.WindowStart, (long)r["n"], (long)r["volume"])));
    }

    [Fact]
    public void Where_filters_events_before_they_reach_the_window()
    {
        var (_, sink) = Run("CREATE VIEW v AS SELECT symbol, count(*) AS n FROM trades WHERE size >= 100 AND exchange = 'Q' AND price > 10.5 AND NOT symbol = 'MSFT' WINDOW TUMBLING(1 MINUTE) GROUP BY symbol",
            Trade("SPY", 1, 11m, 100), Trade("SPY", 2, 11m, 99), Trade("SPY", 3, 11m, 100, 'N'), Trade("SPY", 4, 10.5m, 100), Trade("SPY", 5, 10.50000001m, 500),
            Trade("MSFT", 6, 20m, 100));
        var row = Assert.Single(sink.Rows);
        Assert.Equal(("SPY", 2L), (row.Key, (long)row["n"]));
    }

    [Fact]
    public void Out_of_order_events_within_the_lateness_count_and_later_ones_go_to_the_side_output_with_a_reason()
    {
        var sink = new CollectingCqlSink();
        var engine = CqlEngine.Compile(TradesStream + "CREATE VIEW v AS SELECT count(*) AS n, sum(size) AS volume FROM trades WHERE size < 1000 WINDOW TUMBLING(1 MINUTE, ALLOWED LATENESS 30 SECONDS)", sink);
        var query = engine["v"];
        engine.OnTrade(Trade("SPY", 10, 1m, 1));
        engine.OnTrade(Trade("SPY", 65, 1m, 2));   // watermark 35 s: [0,60) stays open
        Assert.Equal(At(35), query.Watermark);
        engine.OnTrade(Trade("SPY", 50, 1m, 4));   // out of order, 15 s ahead of the watermark: counted in [0,60)
        Assert.Empty(sink.Rows);
        engine.OnTrade(Trade("SPY", 100, 1m, 8));  // watermark 70 s: [0,60) closes with 1 + 4
        engine.OnTrade(Trade("SPY", 20, 1m, 16));  // 50 s behind the watermark: late
        engine.OnTrade(Trade("SPY", 21, 1m, 5000)); // late but filtered out by WHERE: not reported
        engine.OnTrade(Trade("SPY", 70, 1m, 32));  // exactly at the watermark: accepted into [60,120)
        engine.Complete();

        Assert.Equal([(At(0), 2L, 5L), (At(60), 3L, 42L)], sink.Rows.Select(r => (r.WindowStart, (long)r["n"], (long)r["volume"])));
        var late = Assert.Single(sink.Late);
        Assert.Equal(16, late.Tick.Size);
        Assert.Equal(At(70), late.Watermark);
        Assert.Equal(CqlLateReason.BehindWatermark, late.Reason);
        Assert.Contains("50 s behind the watermark", late.Describe(), StringComparison.Ordinal);
        Assert.Equal(1, query.LateEvents);
    }

    [Fact]
    public void Without_lateness_any_event_older_than_the_newest_is_late()
    {
        var (engine, sink) = Run("CREATE VIEW v AS SELECT count(*) AS n FROM trades WINDOW TUMBLING(1 MINUTE)",
            Trade("SPY", 10, 1m, 1), Trade("SPY", 12, 1m, 1), Trade("SPY", 11, 1m, 1), Trade("SPY", 12, 1m, 1));
        Assert.Equal(3L, Assert.Single(sink.Rows)["n"]);
        Assert.Equal(1, engine.Queries[0].LateEvents);
    }

    [Fact]
    public void Default_lateness_comes_from_the_options_when_the_window_does_not_say()
    {
        var sink = new CollectingCqlSink();
        var engine = CqlEngine.Compile(TradesStream + "CREATE VIEW v AS SELECT count(*) AS n FROM trades WINDOW TUMBLING(1 MINUTE)", sink, new CqlOptions { AllowedLatenessNanos = 5_000_000_000 });
        engine.OnTrade(Trade("SPY", 10, 1m, 1));
        engine.OnTrade(Trade("SPY", 6, 1m, 1));
        engine.OnTrade(Trade("SPY", 4, 1m, 1));
        engine.Complete();
        Assert.Equal(2L, Assert.Single(sink.Rows)["n"]);
        Assert.Single(sink.Late);
    }

    [Fact]
    public void Emit_changes_emits_the_running_value_on_every_update_and_nothing_at_close()
    {
        var (_, sink) = Run("CREATE VIEW v AS SELECT symbol, count(*) AS n, max(price) AS high FROM trades WINDOW TUMBLING(1 MINUTE) GROUP BY symbol EMIT CHANGES",
            Trade("SPY", 1, 10m, 1), Trade("SPY", 2, 12m, 1), Trade("SPY", 3, 11m, 1), Trade("SPY", 61, 9m, 1));
        Assert.Equal([(1L, 10m), (2L, 12m), (3L, 12m), (1L, 9m)], sink.Rows.Select(r => ((long)r["n"], ((Price)r["high"]).ToDecimal())));
        Assert.All(sink.Rows, r => Assert.False(r.IsFinal));
    }

    [Fact]
    public void Stateless_query_filters_and_projects_every_event()
    {
        var (_, sink) = Run("CREATE QUERY big AS SELECT symbol, price * size AS notional, price + 0.01 AS up, size / 4 AS quarter, exchange FROM trades WHERE price * size >= 1000 INTO 'alerts'",
            Trade("SPY", 1, 10m, 99), Trade("SPY", 2, 10m, 100), Trade("AAPL", 3, 20.5m, 200, 'N'));
        Assert.Equal(2, sink.Rows.Count);
        Assert.Equal(["SPY", 1000.0, Price.FromDecimal(10.01m), 25.0, 'Q'], sink.Rows[0].Values);
        Assert.Equal(["AAPL", 4100.0, Price.FromDecimal(20.51m), 50.0, 'N'], sink.Rows[1].Values);
        Assert.Equal("AAPL", sink.Rows[1].Key);
    }

    [Fact]
    public void Select_star_projects_every_declared_column()
    {
        var (_, sink) = Run("CREATE QUERY all_trades AS SELECT * FROM trades", Trade("SPY", 1, 10m, 7, 'P', SaleConditions.AveragePrice));
        var row = Assert.Single(sink.Rows);
        Assert.Equal(["symbol", "time", "price", "size", "sequence", "exchange", "conditions", "price_eligible"], row.Columns.Select(c => c.Name));
        Assert.Equal(((long)SaleConditions.AveragePrice, false), ((long)row["conditions"], (bool)row["price_eligible"]));
        Assert.Equal(At(1), row["time"]);
        Assert.Equal(7L, row["size"]);
        Assert.Equal('P', row["exchange"]);
    }

    [Fact]
    public void Check_lists_each_statement()
    {
        var lines = CqlEngine.Check(TradesStream + """
            CREATE CONTINUOUS VIEW bars AS SELECT symbol, vwap(price, size) AS vwap FROM trades
              WINDOW HOPPING(SIZE 5 MINUTES, ADVANCE 1 MINUTE, GRACE PERIOD 2 SECONDS) GROUP BY symbol INTO 'bars';
            CREATE QUERY big AS SELECT symbol FROM trades WHERE size > 10000
            """);
        Assert.Equal(3, lines.Count);
        Assert.StartsWith("1:1 CREATE STREAM trades (symbol STRING", lines[0], StringComparison.Ordinal);
        Assert.Equal("2:1 CREATE VIEW bars from trades: hopping 5min every 1min by symbol, lateness 2s, emit final -> (symbol STRING, vwap PRICE) into 'bars'", lines[1]);
        Assert.Equal("4:1 CREATE QUERY big from trades: stateless -> (symbol STRING)", lines[2]);
    }
}
