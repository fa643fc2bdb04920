using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;
using BigDataTrading.Streaming.Cql;
using static BigDataTrading.Streaming.Tests.CqlTestKit;

namespace BigDataTrading.Streaming.Tests;

public sealed class CqlQuoteJoinTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cql-table-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Quote_stream_computes_spread_and_imbalance_per_quote()
    {
        var (_, sink) = RunEvents(QuotesStream + """
            CREATE QUERY book AS SELECT symbol, ask - bid AS spread, (bid_size - ask_size) / (bid_size + ask_size) AS imbalance
            FROM quotes WHERE ask > bid
            """,
            Quote("SPY", 1, 100.00m, 300, 100.02m, 100), Quote("SPY", 2, 100.01m, 100, 100.01m, 100), Quote("SPY", 3, 99.99m, 100, 100.04m, 400));

        // The locked quote (bid = ask) fails WHERE. (300 − 100) / 400 = 0.5; (100 − 400) / 500 = −0.6.
        Assert.Equal(2, sink.Rows.Count);
        Assert.Equal(Price.FromDecimal(0.02m), sink.Rows[0]["spread"]);
        Assert.Equal(0.5, (double)sink.Rows[0]["imbalance"], 12);
        Assert.Equal(Price.FromDecimal(0.05m), sink.Rows[1]["spread"]);
        Assert.Equal(-0.6, (double)sink.Rows[1]["imbalance"], 12);
    }

    [Fact]
    public void Quote_stream_windows_average_the_spread_and_trades_do_not_reach_it()
    {
        var (engine, sink) = RunEvents(TradesStream + QuotesStream + """
            CREATE VIEW spread_1m AS SELECT symbol, avg(ask - bid) AS avg_spread, max(ask_size) AS max_ask_size, count(*) AS quotes
            FROM quotes WINDOW TUMBLING(1 MINUTE) GROUP BY symbol
            """,
            Quote("SPY", 1, 100.00m, 300, 100.02m, 100), Trade("SPY", 2, 100.01m, 5), Quote("SPY", 3, 100.00m, 100, 100.04m, 400), Quote("SPY", 61, 1m, 1, 2m, 1));

        // Minute 0: spreads 0.02 and 0.04 → 0.03; max ask size 400; 2 quotes (the trade is not a quote).
        Assert.Equal(2, sink.Rows.Count);
        Assert.Equal(0.03, (double)sink.Rows[0]["avg_spread"], 12);
        Assert.Equal(400L, sink.Rows[0]["max_ask_size"]);
        Assert.Equal(2L, sink.Rows[0]["quotes"]);
        Assert.True(engine.ReadsQuotes);
        Assert.Equal(3, engine.Queries[0].EventsIn);
    }

    [Fact]
    public void As_of_join_takes_the_latest_quote_at_or_before_the_trade_within_the_staleness_bound()
    {
        var (engine, sink) = RunEvents(TradesStream + QuotesStream + """
            CREATE QUERY enriched AS SELECT t.symbol, t.price, q.bid, q.ask, t.price - q.bid AS above_bid, q.time AS quote_time
            FROM trades t ASOF JOIN quotes q ON t.symbol = q.symbol WITHIN 5 SECONDS
            """,
            Trade("SPY", 0.5, 100m, 1),                           // no quote yet: dropped (inner)
            Quote("SPY", 1, 100.00m, 300, 100.02m, 100),
            Quote("IBM", 1.5, 180.00m, 1, 180.10m, 1),
            Trade("SPY", 2, 100.01m, 10),                         // SPY quote at 1 s
            Quote("SPY", 3, 100.01m, 300, 100.03m, 100),
            Trade("SPY", 3, 100.02m, 10),                         // the quote at the same time counts (at or before)
            Trade("IBM", 4, 180.05m, 10),                         // IBM's own quote
            Trade("SPY", 8.5, 100.03m, 10));                      // last SPY quote is 5.5 s old: too stale

        Assert.Equal(3, sink.Rows.Count);
        Assert.Equal(("SPY", Price.FromDecimal(100.00m), Price.FromDecimal(0.01m), At(1)), ((string)sink.Rows[0]["symbol"], (Price)sink.Rows[0]["bid"], (Price)sink.Rows[0]["above_bid"], (Timestamp)sink.Rows[0]["quote_time"]));
        Assert.Equal(("SPY", Price.FromDecimal(100.01m), At(3)), ((string)sink.Rows[1]["symbol"], (Price)sink.Rows[1]["bid"], (Timestamp)sink.Rows[1]["quote_time"]));
        Assert.Equal(("IBM", Price.FromDecimal(180.10m)), ((string)sink.Rows[2]["symbol"], (Price)sink.Rows[2]["ask"]));
        Assert.Equal(2, engine.Queries[0].Unmatched);
        Assert.Equal(5, engine.Queries[0].EventsIn);
    }

    [Fact]
    public void Left_as_of_join_keeps_unmatched_trades_with_zero_quote_and_matched_false()
    {
        var (engine, sink) = RunEvents(TradesStream + QuotesStream + """
            CREATE QUERY enriched AS SELECT t.symbol, q.bid, matched(q) AS has_quote
            FROM trades t LEFT ASOF JOIN quotes q
            """,
            Trade("SPY", 0.5, 100m, 1), Quote("SPY", 1, 100.00m, 300, 100.02m, 100), Trade("SPY", 2, 100.01m, 10));

        Assert.Equal([false, true], sink.Rows.Select(r => (bool)r["has_quote"]));
        Assert.Equal([Price.Zero, Price.FromDecimal(100m)], sink.Rows.Select(r => (Price)r["bid"]));
        Assert.Equal(0, engine.Queries[0].Unmatched);
    }

    [Fact]
    public void Table_join_from_csv_adds_reference_columns_and_inner_drops_unknown_symbols()
    {
        var csv = Path.Combine(_dir, "instruments.csv");
        File.WriteAllText(csv, "symbol,lot_size,sector,tick\nSPY,100,ETF,0.01\n\"IBM\",100,\"Technology, Hardware\",0.01\nBRK,1,Financials,0.05\n");
        var sink = new CollectingCqlSink();
        var engine = CqlEngine.Compile(TradesStream + """
            CREATE TABLE instruments (symbol STRING, lot_size BIGINT, sector STRING, tick PRICE) FROM 'instruments.csv';
            CREATE VIEW lots AS SELECT t.symbol, sum(t.size / i.lot_size) AS lots, last(i.tick) AS tick
            FROM trades t JOIN instruments i ON t.symbol = i.symbol WINDOW TUMBLING(1 MINUTE) GROUP BY symbol;
            CREATE QUERY sectors AS SELECT symbol, i.sector FROM trades LEFT JOIN instruments i
            """, sink, new CqlOptions { BaseDirectory = _dir });
        Feed(engine, [Trade("SPY", 1, 100m, 250), Trade("IBM", 2, 180m, 50), Trade("XYZ", 3, 1m, 100), Trade("SPY", 4, 100m, 150)]);
        engine.Complete();

        // SPY: 250/100 + 150/100 = 4 lots; IBM: 0.5; XYZ is not in the table: dropped by the inner join, kept by the left one.
        var lots = sink.Rows.Where(r => r.Query == "lots").ToDictionary(r => r.Key, r => (double)r["lots"]);
        Assert.Equal(new Dictionary<string, double> { ["SPY"] = 4.0, ["IBM"] = 0.5 }, lots);
        Assert.Equal(1, engine["lots"].Unmatched);
        Assert.Equal(["ETF", "Technology, Hardware", string.Empty, "ETF"], sink.Rows.Where(r => r.Query == "sectors").Select(r => (string)r["sector"]));
    }

    [Fact]
    public void Table_with_inline_values_joins_a_quote_stream()
    {
        var (_, sink) = RunEvents(QuotesStream + """
            CREATE TABLE instruments (symbol STRING, tick PRICE) VALUES ('SPY', 0.01), ('IBM', 0.05);
            CREATE QUERY ticks_wide AS SELECT q.symbol, (ask - bid) / i.tick AS spread_ticks FROM quotes q JOIN instruments i
            """,
            Quote("SPY", 1, 100.00m, 1, 100.03m, 1), Quote("IBM", 1, 180.00m, 1, 180.10m, 1), Quote("QQQ", 1, 1m, 1, 2m, 1));

        Assert.Equal([3.0, 2.0], sink.Rows.Select(r => Math.Round((double)r["spread_ticks"], 9)));
    }

    [Theory]
    [InlineData("SELECT t.price FROM trades t ASOF JOIN instrumentz", 1, 40, "declare the quote stream")]
    [InlineData("SELECT t.price FROM trades t JOIN quotes q ON t.symbol = q.symbol", 1, 35, "streams join as of")]
    [InlineData("SELECT t.price FROM trades t ASOF JOIN quotes q ON t.price = q.bid", 1, 60, "ON t.symbol = q.symbol")]
    [InlineData("SELECT q.price FROM trades t ASOF JOIN quotes q", 1, 8, "q has columns symbol, time, bid")]
    [InlineData("SELECT x.price FROM trades t ASOF JOIN quotes q", 1, 8, "qualify columns with t, q")]
    [InlineData("SELECT bid FROM quotes q ASOF JOIN quotes r", 1, 26, "write FROM trades t ASOF JOIN quotes q")]
    [InlineData("SELECT t.price FROM trades t JOIN instruments i WITHIN 5 SECONDS", 1, 49, "ASOF")]
    [InlineData("SELECT price, matched(z) FROM trades t LEFT ASOF JOIN quotes q", 1, 23, "did you mean q?")]
    public void Join_errors_have_line_column_and_hint(string query, int line, int column, string hint)
    {
        var script = TradesStream + QuotesStream + "CREATE TABLE instruments (symbol STRING, lot BIGINT) VALUES ('SPY', 100);\n";
        var e = Assert.Throws<CqlException>(() => CqlEngine.Compile(script + "CREATE QUERY j AS\n" + query, NullCqlSink.Instance));
        Assert.Equal(new CqlPosition(line + 4, column), e.Position);
        Assert.Contains(hint, e.Hint ?? string.Empty, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_table_csv_value_names_file_line_and_column()
    {
        File.WriteAllText(Path.Combine(_dir, "bad.csv"), "symbol,lot_size\nSPY,100\nIBM,ten\n");
        var e = Assert.Throws<CqlException>(() => CqlEngine.Compile(
            "CREATE TABLE t (symbol STRING, lot_size BIGINT)\n  FROM 'bad.csv'", NullCqlSink.Instance, new CqlOptions { BaseDirectory = _dir }));
        Assert.Equal(new CqlPosition(2, 8), e.Position);
        Assert.Contains("bad.csv:3: column 'lot_size': 'ten' is not a BIGINT", e.Problem, StringComparison.Ordinal);
    }

    [SharedDataFact(IbmQuoteZip)]
    public async Task As_of_spread_over_ibm_2013_10_08_matches_hand_computed_first_trade_and_a_plain_loop_per_minute()
    {
        var (trades, _, merged) = await IbmDayAsync();
        var (engine, sink) = RunEvents(TradesStream + QuotesStream + """
            CREATE QUERY first_trades AS SELECT t.price, t.size, q.bid, q.ask, q.ask - q.bid AS spread,
              (q.bid_size - q.ask_size) / (q.bid_size + q.ask_size) AS imbalance
            FROM trades t ASOF JOIN quotes q;
            CREATE VIEW spread_1m AS SELECT symbol, avg(q.ask - q.bid) AS avg_spread, count(*) AS trades, sum(t.size) AS volume
            FROM trades t ASOF JOIN quotes q WINDOW TUMBLING(1 MINUTE) GROUP BY symbol
            """, merged.ToArray());

        // The day's first trade (08:47:49.457 EDT, 182.10 × 300) meets the quote of exchange P at 08:47:49.456: bid 182.10 × 300
        // (from 08:34) and ask 182.61 × 100 → spread 0.51, imbalance (300 − 100) / 400 = 0.5. (The K line at .456 has no ask yet.)
        var first = sink.Rows.First(r => r.Query == "first_trades");
        Assert.Equal(Price.FromDecimal(182.10m), first["price"]);
        Assert.Equal(Price.FromDecimal(182.61m), first["ask"]);
        Assert.Equal(Price.FromDecimal(0.51m), first["spread"]);
        Assert.Equal(0.5, (double)first["imbalance"], 12);

        // Every trade had an earlier quote (quotes start at 04:00), so nothing is unmatched; per-minute average spreads equal a plain loop.
        Assert.Equal(0, engine["first_trades"].Unmatched);
        var expected = new SortedDictionary<long, (double Sum, long N, long Volume)>();
        QuoteTick? last = null;
        foreach (var e in merged)
        {
            if (e is QuoteTick q)
            {
                last = q;
                continue;
            }

            var t = (TradeTick)e;
            var minute = t.Time.FloorTo(Timestamp.NanosPerMinute).UnixNanoseconds;
            var spread = (last!.Value.AskPrice.Raw - last.Value.BidPrice.Raw) / (double)Price.Scale;
            var b = expected.GetValueOrDefault(minute);
            expected[minute] = (b.Sum + spread, b.N + 1, b.Volume + t.Size);
        }

        var rows = sink.Rows.Where(r => r.Query == "spread_1m").ToList();
        Assert.Equal(expected.Count, rows.Count);
        Assert.Equal(trades.Count, rows.Sum(r => (long)r["trades"]));
        var i = 0;
        foreach (var (minute, b) in expected)
        {
            var row = rows[i++];
            Assert.Equal((minute, b.N, b.Volume), (row.WindowStart.UnixNanoseconds, (long)row["trades"], (long)row["volume"]));
            Assert.Equal(b.Sum / b.N, (double)row["avg_spread"], 9);
        }
    }

    [SharedDataFact(IbmQuoteZip)]
    public async Task The_trading_pack_over_ibm_2013_10_08_has_no_late_events_and_its_bars_and_trade_throughs_match_plain_loops()
    {
        var (trades, _, merged) = await IbmDayAsync();
        var (engine, sink) = RunEvents(File.ReadAllText(PackPath), [.. merged]);

        Assert.Empty(sink.Late);
        Assert.All(engine.Queries, q => Assert.Equal(0, q.LateEvents));

        // One bar per minute with trades; every trade in exactly one bar.
        var bars = sink.Rows.Where(r => r.Query == "ohlcv_1m").ToList();
        Assert.Equal(trades.Select(t => t.Time.FloorTo(Timestamp.NanosPerMinute)).Distinct().Count(), bars.Count);
        Assert.Equal(trades.Count, bars.Sum(r => (long)r["trades"]));

        // Trades printing outside the latest quote (at most 5 s old, bid > 0), counted by a plain loop over the merged day.
        QuoteTick? last = null;
        var expected = 0;
        foreach (var e in merged)
        {
            if (e is QuoteTick q)
            {
                last = q;
            }
            else if (e is TradeTick t && last is { } quote && t.Time.UnixNanoseconds - quote.Time.UnixNanoseconds <= 5 * Timestamp.NanosPerSecond
                     && quote.BidPrice.Raw > 0 && (t.Price > quote.AskPrice || t.Price < quote.BidPrice))
            {
                expected++;
            }
        }

        Assert.True(expected > 0);
        Assert.Equal(expected, sink.Rows.Count(r => r.Query == "trade_through"));
    }
}
