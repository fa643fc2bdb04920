using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;
using BigDataTrading.Streaming.Cql;

namespace BigDataTrading.Cql.Benchmarks;

/// <summary>
/// CQL engine benchmarks on one thread over pre-decoded ticks, each against a hand-written C# baseline computing the same
/// rows in the same run; medians of 5 timed runs after one warm-up. Usage:
/// <c>dotnet run -c Release --project tests/BigDataTrading.Cql.Benchmarks -- [mode] [args]</c> with mode
/// <c>aggregate [ticks] [symbols]</c> (one grouped aggregate and OHLCV), <c>pack [events] [symbols] [live]</c> (the
/// shipped trading pack; <c>live</c>: a tape as dense as a live feed, 2 µs between events), <c>per-query</c> (the same,
/// each query alone), <c>latency [events] [symbols] [events/s] [live]</c> (per-event latency at a paced load over a whole
/// trading day compressed into the run, or with <c>live</c> a tape whose event time runs with the wall clock),
/// <c>keys [events] [keys]</c> (1M distinct keys), <c>memory [events] [keys]</c> (state and memory over a long run),
/// <c>stalls [seconds]</c> (how often the machine takes the thread away: the latency floor of any paced handler),
/// or <c>all</c> (default: every mode with its defaults).
/// </summary>
public static class Program
{
    private const int Runs = 5;

    private const string Stream = "CREATE STREAM trades (symbol STRING, time TIMESTAMP, price PRICE, size BIGINT) WITH (topic='md.ticks', key='symbol', timestamp='time');\n";

    private const string Query = "CREATE VIEW agg AS SELECT symbol, count(*) AS trades, sum(size) AS volume, vwap(price, size) AS vwap FROM trades WINDOW TUMBLING(1 MINUTE) GROUP BY symbol";

    private const string Bars = "CREATE VIEW bars AS SELECT symbol, first(price) AS open, max(price) AS high, min(price) AS low, last(price) AS close, sum(size) AS volume, count(*) AS trades, vwap(price, size) AS vwap FROM trades WINDOW TUMBLING(1 MINUTE) GROUP BY symbol";

    public static int Main(string[] args)
    {
        var mode = args.Length > 0 && !char.IsAsciiDigit(args[0][0]) ? args[0] : "aggregate";
        var rest = mode == "aggregate" && args.Length > 0 && char.IsAsciiDigit(args[0][0]) ? args : args.Skip(1).ToArray();
        long Arg(int i, long fallback) => rest.Length > i ? long.Parse(rest[i], CultureInfo.InvariantCulture) : fallback;
        Console.WriteLine($"CQL benchmark '{mode}': one thread, .NET {Environment.Version}, {Environment.ProcessorCount} cores, server GC off");
        return mode switch
        {
            "aggregate" => Aggregate((int)Arg(0, 10_000_000), (int)Arg(1, 1_000)),
            "pack" => PackBench.Throughput((int)Arg(0, 4_000_000), (int)Arg(1, 1_000), live: args.Contains("live")),
            "per-query" => PackBench.PerQuery((int)Arg(0, 4_000_000), (int)Arg(1, 1_000), live: args.Contains("live")),
            "latency" => PackBench.Latency((int)Arg(0, 4_000_000), (int)Arg(1, 1_000), Arg(2, 0), live: args.Contains("live")),
            "keys" => PackBench.DistinctKeys((int)Arg(0, 5_000_000), (int)Arg(1, 1_000_000)),
            "memory" => PackBench.Memory(Arg(0, 10_000_000), (int)Arg(1, 100_000)),
            "stalls" => MachineStalls.Run((int)Arg(0, 10)),
            "all" => Aggregate(10_000_000, 1_000) | PackBench.Throughput(4_000_000, 1_000, live: false) | PackBench.Latency(4_000_000, 1_000, 0, live: false)
                | PackBench.DistinctKeys(5_000_000, 1_000_000) | PackBench.Memory(10_000_000, 100_000),
            _ => throw new ArgumentException($"unknown mode '{mode}': aggregate, pack, per-query, latency, keys, memory, stalls or all"),
        };
    }

    private static int Aggregate(int count, int symbols)
    {
        Console.WriteLine($"{count:N0} pre-decoded ticks over {symbols:N0} symbols, {Runs} timed runs after 1 warm-up");
        var ticks = Generate(count, symbols);
        var ok = Compare("count, sum(size), vwap  TUMBLING(1 MINUTE) GROUP BY symbol", Query, ticks, Baseline.Aggregate);
        ok &= Compare("1-minute OHLCV + vwap (8 aggregates)", Bars, ticks, Baseline.Bars);
        return ok ? 0 : 1;
    }

    /// <summary>The OHLCV query over <paramref name="keys"/> symbols vs the hand-written loop.</summary>
    internal static bool CompareBars(int count, int keys) =>
        Compare($"1-minute OHLCV + vwap over {keys:N0} distinct symbols", Bars, Generate(count, keys), Baseline.Bars);

    private static bool Compare(string title, string query, TradeTick[] ticks, Func<TradeTick[], Checksum> baseline)
    {
        var engineRates = new List<double>();
        var baselineRates = new List<double>();
        var engineBytes = new List<double>();
        var steadyBytes = new List<double>();
        var baselineBytes = new List<double>();
        Checksum engineSum = default, baselineSum = default;
        for (var run = 0; run <= Runs; run++)
        {
            var sink = new ChecksumSink();
            var engine = CqlEngine.Compile(Stream + query, sink);
            var q = engine.Queries[0];
            GC.Collect();
            var bytes = GC.GetAllocatedBytesForCurrentThread();
            var watch = Stopwatch.StartNew();
            var half = ticks.Length / 2;
            for (var i = 0; i < half; i++)
            {
                q.OnTrade(in ticks[i]);
            }

            // Second half: every key and window slot already exists, so this is the steady state.
            var steady = GC.GetAllocatedBytesForCurrentThread();
            for (var i = half; i < ticks.Length; i++)
            {
                q.OnTrade(in ticks[i]);
            }

            steady = GC.GetAllocatedBytesForCurrentThread() - steady;
            q.Complete();
            watch.Stop();
            var engineAllocated = GC.GetAllocatedBytesForCurrentThread() - bytes;
            engineSum = sink.Sum;

            GC.Collect();
            bytes = GC.GetAllocatedBytesForCurrentThread();
            var baselineWatch = Stopwatch.StartNew();
            baselineSum = baseline(ticks);
            baselineWatch.Stop();
            var baselineAllocated = GC.GetAllocatedBytesForCurrentThread() - bytes;
            if (run == 0)
            {
                continue; // warm-up: JIT, tiering, first-touch of the tick array
            }

            engineRates.Add(ticks.Length / watch.Elapsed.TotalSeconds);
            baselineRates.Add(ticks.Length / baselineWatch.Elapsed.TotalSeconds);
            engineBytes.Add(engineAllocated / (double)ticks.Length);
            steadyBytes.Add(steady / (double)(ticks.Length - (ticks.Length / 2)));
            baselineBytes.Add(baselineAllocated / (double)ticks.Length);
        }

        var same = engineSum == baselineSum;
        Console.WriteLine();
        Console.WriteLine(title);
        Console.WriteLine($"  CQL engine   {Median(engineRates) / 1e6,7:F2} M events/s  (runs: {string.Join(" ", engineRates.Select(r => (r / 1e6).ToString("F1", CultureInfo.InvariantCulture)))})  {Median(engineBytes):F4} B/event allocated over the run (state growth), {Median(steadyBytes):F4} B/event in steady state (second half)");
        Console.WriteLine($"  hand-written {Median(baselineRates) / 1e6,7:F2} M events/s  (runs: {string.Join(" ", baselineRates.Select(r => (r / 1e6).ToString("F1", CultureInfo.InvariantCulture)))})  {Median(baselineBytes):F4} B/event allocated");
        Console.WriteLine($"  engine / baseline = {Median(engineRates) / Median(baselineRates):F2}; rows {engineSum.Rows:N0}; results {(same ? "identical" : "DIFFER: " + engineSum + " vs " + baselineSum)}");
        return same;
    }

    internal static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    /// <summary>In time order, ~6.5 hours of trading (one tick every 2.34 ms on average), random symbols, prices around 100.</summary>
    private static TradeTick[] Generate(int count, int symbols)
    {
        var names = Enumerable.Range(0, symbols).Select(i => Symbol.Parse("S" + i.ToString("D4", CultureInfo.InvariantCulture))).ToArray();
        var ticks = new TradeTick[count];
        var start = Timestamp.FromUtc(new DateOnly(2024, 3, 15), new TimeSpan(13, 30, 0)).UnixNanoseconds;
        var step = 23_400L * Timestamp.NanosPerSecond / count;
        ulong state = 42;
        for (var i = 0; i < count; i++)
        {
            var r = Next(ref state);
            var price = 100_00000000L + (long)(r % 2_000_000) * 1_000L;
            ticks[i] = new TradeTick(names[(int)((r >> 24) % (ulong)symbols)], new Timestamp(start + (i * step)), new Price(price), 1 + (long)((r >> 44) % 1000), i + 1);
        }

        return ticks;
    }

    private static ulong Next(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    /// <summary>Order-independent digest of the rows, so engine and baseline can be compared without storing rows.</summary>
    internal readonly record struct Checksum(long Rows, long Trades, long Volume, long Prices);

    private sealed class ChecksumSink : ICqlSink
    {
        public Checksum Sum;

        // The query reuses one row instance: resolve its column layout once, not per row (the baseline pays nothing similar).
        private CqlRow? _layoutOf;
        private int _trades;
        private int _volume;
        private int[] _prices = [];

        public void OnRow(CqlRow row)
        {
            if (!ReferenceEquals(row, _layoutOf))
            {
                Layout(row);
            }

            var prices = 0L;
            foreach (var i in _prices)
            {
                prices += row.GetInt64(i);
            }

            Sum = new Checksum(Sum.Rows + 1, Sum.Trades + row.GetInt64(_trades), Sum.Volume + row.GetInt64(_volume), Sum.Prices + prices);
        }

        public void OnLate(in CqlLateEvent late) => throw new InvalidOperationException("The benchmark's ticks are in time order.");

        // Separate method: a lambda capturing 'row' in OnRow would allocate its closure on every call.
        private void Layout(CqlRow row)
        {
            _layoutOf = row;
            _trades = row.Ordinal("trades");
            _volume = row.Ordinal("volume");
            _prices = [.. Enumerable.Range(0, row.Columns.Length).Where(i => row.Columns[i].Type == CqlType.Price)];
        }
    }

    /// <summary>The same computations written by hand: one struct per symbol, a bar closes when its symbol's next minute starts.</summary>
    private static class Baseline
    {
        private struct State
        {
            public long Start;
            public long Trades;
            public long Volume;
            public Int128 Notional;
            public long Open;
            public long High;
            public long Low;
            public long Close;
        }

        public static Checksum Aggregate(TradeTick[] ticks) => Run(ticks, bars: false);

        public static Checksum Bars(TradeTick[] ticks) => Run(ticks, bars: true);

        private static Checksum Run(TradeTick[] ticks, bool bars)
        {
            var open = new Dictionary<Symbol, State>();
            long rows = 0, trades = 0, volume = 0, prices = 0;
            void Close(in State s)
            {
                rows++;
                trades += s.Trades;
                volume += s.Volume;
                prices += (long)((s.Notional + (s.Volume / 2)) / s.Volume);
                if (bars)
                {
                    prices += s.Open + s.High + s.Low + s.Close;
                }
            }

            foreach (ref readonly var t in ticks.AsSpan())
            {
                var minute = t.Time.UnixNanoseconds - (t.Time.UnixNanoseconds % Timestamp.NanosPerMinute);
                ref var s = ref CollectionsMarshal.GetValueRefOrAddDefault(open, t.Symbol, out var exists);
                if (exists && s.Start != minute)
                {
                    Close(s);
                    exists = false;
                }

                var p = t.Price.Raw;
                if (!exists)
                {
                    s = new State { Start = minute, Open = p, High = p, Low = p };
                }

                s.Trades++;
                s.Volume += t.Size;
                s.Notional += (Int128)p * t.Size;
                if (bars)
                {
                    s.High = Math.Max(s.High, p);
                    s.Low = Math.Min(s.Low, p);
                    s.Close = p;
                }
            }

            foreach (var s in open.Values)
            {
                Close(s);
            }

            return new Checksum(rows, trades, volume, prices);
        }
    }
}
