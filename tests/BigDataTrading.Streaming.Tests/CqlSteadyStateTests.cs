using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;
using BigDataTrading.Sources;
using BigDataTrading.Streaming.Cql;
using static BigDataTrading.Streaming.Tests.CqlTestKit;

namespace BigDataTrading.Streaming.Tests;

public sealed class CqlSteadyStateTests
{
    private const string Bars = "SELECT symbol, first(price) AS open, max(price) AS high, min(price) AS low, last(price) AS close, sum(size) AS volume, count(*) AS trades, vwap(price, size) AS vwap FROM trades";

    private sealed class CountingSink : ICqlSink
    {
        public long Rows;
        public long Late;

        public void OnRow(CqlRow row) => Rows++;

        public void OnLate(in CqlLateEvent late) => Late++;
    }

    /// <summary>Ticks over <paramref name="symbols"/> symbols, 10 per symbol per second, with some out-of-order jitter.</summary>
    private static TradeTick[] Synthetic(int symbols, int seconds, long startSeconds)
    {
        var names = Enumerable.Range(0, symbols).Select(i => Symbol.Parse("S" + i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToArray();
        var ticks = new TradeTick[symbols * seconds * 10];
        var random = new Random(7);
        var i = 0;
        for (var t = 0; t < seconds * 10; t++)
        {
            foreach (var symbol in names)
            {
                var nanos = ((startSeconds * 10) + t) * 100_000_000L - random.Next(0, 50_000_000);
                ticks[i++] = new TradeTick(symbol, At(0).AddNanoseconds(nanos), new Price(100_00000000 + random.Next(-1000, 1000) * 1_000_000L), random.Next(1, 500), i);
            }
        }

        return ticks;
    }

    [Theory]
    [InlineData("WINDOW TUMBLING(1 MINUTE, ALLOWED LATENESS 1 SECOND) GROUP BY symbol")]
    [InlineData("WINDOW TUMBLING(10 SECONDS, ALLOWED LATENESS 1 SECOND) GROUP BY symbol HAVING count(*) > 1 EMIT CHANGES")]
    [InlineData("WINDOW HOPPING(SIZE 30 SECONDS, ADVANCE 10 SECONDS, ALLOWED LATENESS 1 SECOND) GROUP BY symbol")]
    [InlineData("WINDOW SESSION(GAP 50 MILLISECONDS, ALLOWED LATENESS 100 MILLISECONDS) GROUP BY symbol")]
    [InlineData("WHERE size > 10 WINDOW TUMBLING(1 SECOND, ALLOWED LATENESS 1 SECOND)")]
    public void Steady_state_allocates_nothing_per_event(string tail)
    {
        var sink = new CountingSink();
        var engine = CqlEngine.Compile(TradesStream + "CREATE VIEW v AS " + Bars.Replace("symbol, ", tail.Contains("GROUP BY", StringComparison.Ordinal) ? "symbol, " : string.Empty, StringComparison.Ordinal) + " " + tail, sink);
        var warmUp = Synthetic(200, 120, 0);
        var measured = Synthetic(200, 120, 120);
        foreach (var tick in warmUp)
        {
            engine.OnTrade(tick);
        }

        var rowsBefore = sink.Rows;
        var before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var tick in measured)
        {
            engine.OnTrade(tick);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(sink.Rows > rowsBefore, "the measured part must emit rows");
        Assert.Equal(0L, sink.Late);
        Assert.Equal(0L, allocated);
    }

    [Fact]
    public void Closed_windows_are_freed_so_open_state_stays_bounded()
    {
        var engine = CqlEngine.Compile(TradesStream + "CREATE VIEW v AS " + Bars + " WINDOW TUMBLING(1 SECOND, ALLOWED LATENESS 1 SECOND) GROUP BY symbol", new CountingSink());
        var query = engine.Queries[0];
        var peak = 0;
        foreach (var tick in Synthetic(100, 60, 0))
        {
            engine.OnTrade(tick);
            peak = Math.Max(peak, query.OpenWindows);
        }

        // Bound: keys × (⌈(size + lateness) / advance⌉ + 1) = 100 × 3.
        Assert.InRange(peak, 100, 300);
        engine.Complete();
        Assert.Equal(0, query.OpenWindows);
    }

    [SharedDataFact(SharedData.SpyTradeZip)]
    public async Task One_minute_ohlcv_over_spy_2013_10_08_equals_a_hand_written_loop()
    {
        var ticks = new List<TradeTick>(460_000);
        var errors = new CountingSourceErrorSink();
        await foreach (var tick in new LeanTickTradeZipSource(SharedData.Require(SharedData.SpyTradeZip), errors).ReadTradesAsync())
        {
            ticks.Add(tick);
        }

        Assert.Equal(0, errors.Count);
        var sink = new CollectingCqlSink();
        var engine = CqlEngine.Compile(TradesStream + "CREATE VIEW bars_1m AS " + Bars + " WINDOW TUMBLING(1 MINUTE) GROUP BY symbol EMIT FINAL", sink);
        foreach (var tick in ticks)
        {
            engine.OnTrade(tick);
        }

        engine.Complete();

        // The same bars by a plain loop: minute → (open, high, low, close, volume, trades, Σ price·size).
        var expected = new SortedDictionary<long, (long Open, long High, long Low, long Close, long Volume, long Trades, Int128 Notional)>();
        foreach (var t in ticks)
        {
            var minute = t.Time.FloorTo(Timestamp.NanosPerMinute).UnixNanoseconds;
            var p = t.Price.Raw;
            expected[minute] = expected.TryGetValue(minute, out var b)
                ? (b.Open, Math.Max(b.High, p), Math.Min(b.Low, p), p, b.Volume + t.Size, b.Trades + 1, b.Notional + ((Int128)p * t.Size))
                : (p, p, p, p, t.Size, 1, (Int128)p * t.Size);
        }

        Assert.Empty(sink.Late);
        Assert.Equal(expected.Count, sink.Rows.Count);
        var i = 0;
        foreach (var (minute, b) in expected)
        {
            var row = sink.Rows[i++];
            var vwap = (long)((b.Notional + (b.Volume / 2)) / b.Volume);
            Assert.Equal(
                ("SPY", minute, b.Open, b.High, b.Low, b.Close, b.Volume, b.Trades, vwap),
                (row.Key, row.WindowStart.UnixNanoseconds, ((Price)row["open"]).Raw, ((Price)row["high"]).Raw, ((Price)row["low"]).Raw, ((Price)row["close"]).Raw, (long)row["volume"], (long)row["trades"], ((Price)row["vwap"]).Raw));
        }

        Assert.Equal(ticks.Count, sink.Rows.Sum(r => (long)r["trades"]));
    }
}
