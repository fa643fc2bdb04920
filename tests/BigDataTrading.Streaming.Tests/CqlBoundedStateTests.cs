using BigDataTrading.Cql.Benchmarks;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;
using BigDataTrading.Streaming.Cql;

namespace BigDataTrading.Streaming.Tests;

public sealed class CqlBoundedStateTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cql-state-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class CountingSink : ICqlSink
    {
        public long Rows;
        public long Late;

        public void OnRow(CqlRow row) => Rows++;

        public void OnLate(in CqlLateEvent late) => Late++;
    }

    [Fact]
    public void The_trading_pack_allocates_nothing_per_event_in_steady_state()
    {
        // 600k trades and quotes over 10 busy symbols in 1 hour (so surges and bursts happen), up to 1 s out of order
        // (inside the pack's 2 s lateness).
        var tape = SyntheticMarket.Generate(600_000, 10, seed: 7, jitterNanos: Timestamp.NanosPerSecond, daySeconds: 3_600);
        var sink = new CountingSink();
        var engine = CqlEngine.Compile(SyntheticMarket.PackFor(File.ReadAllText(CqlTestKit.PackPath), 10, _dir), sink);
        // Steady state = past the peak of open windows, sliding events and pending matches (pools grow by doubling until
        // then); with this seed the first 5/6 reach it.
        var warm = tape.Count * 5 / 6;
        var trades = tape.Feed(engine, 0, 0, warm);
        var rowsBefore = sink.Rows;
        var before = GC.GetAllocatedBytesForCurrentThread();
        tape.Feed(engine, trades, warm, tape.Count);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(sink.Rows > rowsBefore, "the measured part must emit rows");
        Assert.Equal(0L, sink.Late);
        Assert.Equal(0L, allocated);

        // Sessions of these busy symbols never see a 30 s gap: they close at end of stream.
        engine.Complete();
        Assert.All(engine.Queries, q => Assert.True(q.RowsOut > 0, $"{q.Name} emitted nothing; the data should exercise every query"));
    }

    [Fact]
    public void Window_sliding_and_pattern_state_stays_flat_over_10_million_events_on_100k_keys()
    {
        // Every round touches all 100k keys once, 1 ms of event time apart (100 s per round), so state per key is bounded
        // by the windows and the patterns' WITHIN; after the first rounds memory must not grow with the events.
        const int Keys = 100_000;
        const int Rounds = 100;
        var symbols = SyntheticMarket.Symbols(Keys);
        var sink = new CountingSink();
        var engine = CqlEngine.Compile(CqlTestKit.TradesStream + """
            CREATE VIEW bars AS SELECT symbol, first(price) AS open, max(price) AS high, count(*) AS n, vwap(price, size) AS vwap
              FROM trades WINDOW TUMBLING(1 MINUTE, ALLOWED LATENESS 1 SECOND) GROUP BY symbol;
            CREATE VIEW rolling AS SELECT symbol, sum(size) AS volume FROM trades WINDOW SLIDING(150 SECONDS) GROUP BY symbol;
            CREATE QUERY up AS SELECT a.price AS p0, b.price AS p1
              FROM PATTERN (EVERY a = trades(size >= 500) -> b = trades(price > a.price)) WITHIN 5 MINUTES MAX PENDING 4;
            CREATE QUERY stall AS SELECT a.price FROM PATTERN (EVERY a = trades -> NOT b = trades(size > 900)) WITHIN 250 SECONDS MAX PENDING 4
            """, sink);
        var start = CqlTestKit.T0.UnixNanoseconds;
        var memory = new List<long>();
        var state = new List<int>();
        ulong seed = 3;
        long n = 0;
        for (var round = 0; round < Rounds; round++)
        {
            for (var k = 0; k < Keys; k++)
            {
                var r = Next(ref seed);
                var tick = new TradeTick(symbols[k], new Timestamp(start + (n * 1_000_000)), new Price(100_00000000 + (long)(r % 2_000) * 1_000_000), 1 + (long)((r >> 20) % 1_000), n);
                engine.OnTrade(in tick);
                n++;
            }

            if (round >= 4)
            {
                state.Add(engine.Queries.Sum(q => q.OpenWindows + q.PendingMatches));
            }

            // A full collection every 8 rounds (and after the last) is enough to see a trend and keeps the test short.
            if (round >= 4 && (round % 8 == 4 || round == Rounds - 1))
            {
                memory.Add(GC.GetTotalMemory(forceFullCollection: true));
            }
        }

        Assert.Equal(0L, sink.Late);
        Assert.True(sink.Rows > Keys, "windows and patterns must have emitted");

        // State is bounded per key (≤ 2 open bars, ≤ 2 sliding events, ≤ 4 + 4 pending matches), so it is flat from round 4
        // on; retained memory may wobble with pooled arrays but must not trend up with the 10M events.
        Assert.InRange(state.Max(), 1, Keys * 12);
        // State cycles with the windows (every third round peaks), so the halves are compared by their peaks: a leak
        // would lift the second half's peak above the first's.
        Assert.True(SecondHalfPeak(state) <= FirstHalfPeak(state) * 1.05, $"state grew: {string.Join(", ", state)}");
        Assert.True(SecondHalfPeak(memory) <= FirstHalfPeak(memory) * 1.10, $"memory grew: {string.Join(", ", memory.Select(m => m / 1_000_000 + " MB"))}");

        static double FirstHalfPeak<TValue>(List<TValue> samples)
            where TValue : System.Numerics.INumber<TValue> => double.CreateChecked(samples.Take(samples.Count / 2).Max()!);

        static double SecondHalfPeak<TValue>(List<TValue> samples)
            where TValue : System.Numerics.INumber<TValue> => double.CreateChecked(samples.Skip(samples.Count / 2).Max()!);
    }

    [Fact]
    public void Pattern_matches_that_end_early_do_not_pile_up_under_a_long_within()
    {
        // Every trade starts a match (EVERY a) that the next higher print completes or MAX PENDING evicts, so matches
        // end within a few events, yet each keeps a place in the expiry queue until its deadline an hour later. One
        // million trades in 1,000 s: those places would hold ~16 MB; the queue must stay near the 2 pending matches.
        var engine = CqlEngine.Compile(CqlTestKit.TradesStream + """
            CREATE QUERY up AS SELECT a.price AS p0, b.price AS p1
              FROM PATTERN (EVERY a = trades -> b = trades(price > a.price)) WITHIN 1 HOUR MAX PENDING 2
            """, new CountingSink());
        var start = CqlTestKit.T0.UnixNanoseconds;
        ulong seed = 11;
        var spy = Symbol.Parse("SPY");
        var memory = new List<long>();
        for (var n = 0; n < 1_000_000; n++)
        {
            var r = Next(ref seed);
            var tick = new TradeTick(spy, new Timestamp(start + (n * 1_000_000L)), new Price(100_00000000 + (long)(r % 2_000) * 1_000_000), 100, n);
            engine.OnTrade(in tick);
            if (n is 100_000 or 999_999)
            {
                memory.Add(GC.GetTotalMemory(forceFullCollection: true));
            }
        }

        Assert.InRange(engine.Queries[0].PendingMatches, 1, 2);
        Assert.True(memory[1] - memory[0] < 2_000_000, $"memory grew by {(memory[1] - memory[0]) / 1_000_000.0:F1} MB over 900,000 trades");
    }

    private static ulong Next(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        return z ^ (z >> 31);
    }
}
