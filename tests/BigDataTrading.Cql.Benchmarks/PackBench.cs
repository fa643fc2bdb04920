using System.Diagnostics;
using System.Globalization;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;
using BigDataTrading.Streaming.Cql;

namespace BigDataTrading.Cql.Benchmarks;

/// <summary>The trading-pack, latency, distinct-key and memory benchmarks (see <see cref="Program"/>).</summary>
internal static class PackBench
{
    private const int Runs = 5;

    /// <summary>Engine options of the latency runs: <c>CQL_BENCH_CLOSES</c> overrides the window closing budget per event.</summary>
    private static CqlOptions Options => new()
    {
        WindowClosesPerEvent = int.TryParse(Environment.GetEnvironmentVariable("CQL_BENCH_CLOSES"), out var closes) ? closes : new CqlOptions().WindowClosesPerEvent,
    };

    /// <summary>The shipped pack over a synthetic market (half trades, half quotes) vs <see cref="PackBaseline"/>.</summary>
    public static int Throughput(int events, int symbols, bool live)
    {
        var (pack, tape, dir) = Setup(events, symbols, live);
        try
        {
            Console.WriteLine($"trading pack ({Queries(pack)} queries) over {events:N0} pre-decoded events ({tape.Trades.Length:N0} trades, {tape.Quotes.Length:N0} quotes), {symbols:N0} symbols, {Runs} timed runs after 1 warm-up; {TapeText(live)}");
            var engineRates = new List<double>();
            var baselineRates = new List<double>();
            var steadyBytes = new List<double>();
            var runBytes = new List<double>();
            Dictionary<string, (long Rows, long Sum)> engineSum = [], baselineSum = [];
            for (var run = 0; run <= Runs; run++)
            {
                var sink = new ChecksumSink();
                var engine = CqlEngine.Compile(pack, sink);
                GC.Collect();
                var bytes = GC.GetAllocatedBytesForCurrentThread();
                var watch = Stopwatch.StartNew();
                var half = tape.Count / 2;
                var trades = tape.Feed(engine, 0, 0, half);
                var steady = GC.GetAllocatedBytesForCurrentThread();
                tape.Feed(engine, trades, half, tape.Count);
                steady = GC.GetAllocatedBytesForCurrentThread() - steady;
                engine.Complete();
                watch.Stop();
                var allocated = GC.GetAllocatedBytesForCurrentThread() - bytes;
                engineSum = sink.Sums;

                GC.Collect();
                var baselineWatch = Stopwatch.StartNew();
                baselineSum = PackBaseline.Run(tape);
                baselineWatch.Stop();
                if (run == 0)
                {
                    continue;
                }

                engineRates.Add(tape.Count / watch.Elapsed.TotalSeconds);
                baselineRates.Add(tape.Count / baselineWatch.Elapsed.TotalSeconds);
                steadyBytes.Add(steady / (double)(tape.Count - half));
                runBytes.Add(allocated / (double)tape.Count);
            }

            var same = true;
            Console.WriteLine("  query                 rows (engine = baseline)");
            foreach (var name in engineSum.Keys.Union(baselineSum.Keys).Order(StringComparer.Ordinal))
            {
                var e = engineSum.GetValueOrDefault(name);
                var b = baselineSum.GetValueOrDefault(name);
                same &= e == b;
                Console.WriteLine($"  {name,-20} {e.Rows,10:N0} {(e == b ? "identical" : $"DIFFER: engine {e} vs baseline {b}")}");
            }

            Console.WriteLine($"  CQL engine   {Program.Median(engineRates) / 1e6,7:F2} M ticks/s  (runs: {Runs1(engineRates)})  {Program.Median(runBytes):F4} B/event over the run (state growth), {Program.Median(steadyBytes):F4} B/event in steady state (second half)");
            Console.WriteLine($"  hand-written {Program.Median(baselineRates) / 1e6,7:F2} M ticks/s  (runs: {Runs1(baselineRates)})");
            Console.WriteLine($"  engine / baseline = {Program.Median(engineRates) / Program.Median(baselineRates):F2}; results {(same ? "identical" : "DIFFER")}");
            return same ? 0 : 1;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Each query of the pack alone (with the pack's streams and table), to see where the time goes.</summary>
    public static int PerQuery(int events, int symbols, bool live)
    {
        var (pack, tape, dir) = Setup(events, symbols, live);
        try
        {
            Console.WriteLine($"each query of the pack alone over {events:N0} events, {symbols:N0} symbols, median of 3 runs; {TapeText(live)}");
            var script = CqlParser.Parse(pack);
            // CQL_BENCH_ONLY=name[,name…] times only those queries (shorter runs for before/after comparisons).
            var only = Environment.GetEnvironmentVariable("CQL_BENCH_ONLY")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            foreach (var query in script.Statements.OfType<CreateQueryStatement>().Where(q => only is null || only.Contains(q.Name, StringComparer.Ordinal)))
            {
                var one = Environment.GetEnvironmentVariable("CQL_BENCH_CUMULATIVE") == "1"
                    ? new CqlScript([.. script.Statements.TakeWhile(s => s != query), query])
                    : new CqlScript([.. script.Statements.Where(s => s is not CreateQueryStatement || s == query)]);
                var rates = new List<double>();
                for (var run = 0; run <= 3; run++)
                {
                    var engine = CqlEngine.Compile(one, NullCqlSink.Instance);
                    var watch = Stopwatch.StartNew();
                    tape.Feed(engine);
                    engine.Complete();
                    watch.Stop();
                    if (run > 0)
                    {
                        rates.Add(tape.Count / watch.Elapsed.TotalSeconds);
                    }
                }

                Console.WriteLine($"  {query.Name,-20} {Program.Median(rates) / 1e6,7:F2} M ticks/s ({1e9 / Program.Median(rates),6:F0} ns/tick)");
            }

            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// Per-event latency of the pack at a paced load (default: half the throughput measured first): event i is due at
    /// start + i / rate; latency = when the handler returned − when the event was due (so falling behind counts, no
    /// coordinated omission). Also the service time (return − call). The baseline is the same paced loop over the same
    /// tape with a handler that only reads the event: what the machine alone adds (timer, scheduler, hypervisor stalls).
    /// The busy baseline also spins for the engine's mean time per event: what those stalls cost any handler that keeps
    /// the thread as busy as the engine does. The hand-written pack (<see cref="PackBaseline"/>) runs the same queries
    /// without an engine. Rounds alternate baseline, busy baseline, hand-written pack and engine; the first quarter of
    /// each paced run is not recorded (the engine's pools grow to their peak there; the throughput benchmark reports
    /// that growth).
    /// </summary>
    public static int Latency(int events, int symbols, long rate, bool live)
    {
        if (live)
        {
            return LiveLatency(events, symbols, rate);
        }

        var (pack, tape, dir) = Setup(events, symbols);
        try
        {
            // Warm-up over the whole tape (JIT, tiering), then one unpaced run for the capacity.
            var engine = CqlEngine.Compile(pack, NullCqlSink.Instance, Options);
            tape.Feed(engine);
            engine.Complete();
            PackBaseline.Run(tape);
            engine = CqlEngine.Compile(pack, NullCqlSink.Instance, Options);
            var watch = Stopwatch.StartNew();
            tape.Feed(engine);
            watch.Stop();
            var capacity = tape.Count / watch.Elapsed.TotalSeconds;
            if (rate <= 0)
            {
                rate = (long)(capacity / 2);
            }

            Console.WriteLine($"trading pack latency: {events:N0} events over {symbols:N0} symbols paced at {rate:N0} events/s (capacity measured just before: {capacity:N0}/s); 3 rounds of baseline, busy baseline, hand-written pack, engine; last 3/4 of each run recorded");
            Console.WriteLine("  tape: compressed day — 6.5 hours of event time in the run, a minute boundary (1,000 symbols' windows due) every ~8 ms of wall time");
            var results = new List<PacedRun>();
            for (var round = 0; round < 3; round++)
            {
                var touch = new TouchHandler();
                results.Add(Paced("baseline", tape, rate, ref touch));
                var busy = new BusyHandler(capacity);
                results.Add(Paced("busy", tape, rate, ref busy));
                var hand = new HandWrittenHandler(new PackBaseline.HandWrittenPack());
                results.Add(Paced("hand", tape, rate, ref hand));
                var handler = new EngineHandler(CqlEngine.Compile(pack, NullCqlSink.Instance, Options));
                results.Add(Paced("engine", tape, rate, ref handler));
                GC.KeepAlive(touch.Sum);
            }

            Report(results, rate);
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void Report(List<PacedRun> results, long rate)
    {
        foreach (var (side, latency, service, near, far) in results)
        {
            // Utilization while paced: the share of the wall time the handler was busy (service time over the interval).
            Console.WriteLine($"  {side,-8} busy {service.Sum / (service.Count * 1e9 / rate) * 100,5:F1} % of the time (mean service {service.Sum / (double)service.Count:N0} ns, one event every {1e9 / rate:N0} ns)");
            Console.WriteLine($"  {side,-8} latency (due → done)  p50 {latency.Percentile(50),7:N0} ns  p90 {latency.Percentile(90),7:N0} ns  p99 {latency.Percentile(99),9:N0} ns  p99.9 {latency.Percentile(99.9),10:N0} ns  max {latency.Max,11:N0} ns");
            Console.WriteLine($"  {string.Empty,-8} latency, first {AfterBoundary:N0} events after a minute boundary or its close ({near.Count:N0}): p50 {near.Percentile(50),7:N0} ns  p99 {near.Percentile(99),9:N0} ns; the others ({far.Count:N0}): p50 {far.Percentile(50),7:N0} ns  p99 {far.Percentile(99),9:N0} ns");
            Console.WriteLine($"  {string.Empty,-8} service (call → done) p50 {service.Percentile(50),7:N0} ns  p90 {service.Percentile(90),7:N0} ns  p99 {service.Percentile(99),9:N0} ns  p99.9 {service.Percentile(99.9),10:N0} ns  max {service.Max,11:N0} ns");
        }

        double Median(string side, Func<PacedRun, double> f) =>
            Program.Median([.. results.Where(r => r.Side == side).Select(f)]);
        foreach (var (name, percentile) in new[] { ("p50", 50.0), ("p99", 99.0) })
        {
            var e = Median("engine", r => r.Latency.Percentile(percentile));
            var b = Median("baseline", r => r.Latency.Percentile(percentile));
            var u = Median("busy", r => r.Latency.Percentile(percentile));
            var h = Median("hand", r => r.Latency.Percentile(percentile));
            Console.WriteLine($"  median latency {name}: engine {e:N0} ns, hand-written {h:N0} ns, baseline {b:N0} ns, busy baseline {u:N0} ns; engine / hand-written {e / h:F2}, engine / busy baseline {e / u:F2}");
        }

        Console.WriteLine($"  median latency p99 away from minute boundaries: engine {Median("engine", r => r.FarFromBoundary.Percentile(99)):N0} ns, hand-written {Median("hand", r => r.FarFromBoundary.Percentile(99)):N0} ns, busy baseline {Median("busy", r => r.FarFromBoundary.Percentile(99)):N0} ns");
        Console.WriteLine($"  median service p99: engine {Median("engine", r => r.Service.Percentile(99)):N0} ns, hand-written {Median("hand", r => r.Service.Percentile(99)):N0} ns");
    }

    /// <summary>
    /// Latency on a tape as dense as a live feed: event i is 1/<paramref name="rate"/> s after event i − 1 in event time,
    /// so event time runs with the wall clock. The pack's state only reaches its peak once its longest horizon has
    /// passed (the 10 s sliding window plus 2 s lateness; the patterns' reorder buffers), so one engine is first fed
    /// 12 s of market unpaced; then three rounds pace the next segments, each through the do-nothing baseline, the
    /// busy baseline, the hand-written pack (warmed on the same segment) and then that same warmed engine. A minute
    /// boundary (every symbol's tumbling windows due) falls in the middle of the second round; the engine closes those
    /// windows when its watermark passes the boundary, 2 s of market (the allowed lateness) later. The default rate is half the capacity measured the same way (warmed, unpaced,
    /// on a tape as dense as the rounds').
    /// </summary>
    private static int LiveLatency(int events, int symbols, long rate)
    {
        var dir = Directory.CreateTempSubdirectory("cql-bench-").FullName;
        try
        {
            var pack = SyntheticMarket.PackFor(File.ReadAllText(PackPath()), symbols, dir);
            var capacity = 2.0 * rate;
            var measured = rate <= 0;
            if (measured)
            {
                // Capacity in the steady state: 12 s of market fed to warm an engine up, then the next events timed
                // unpaced. The density of the tape matters (a 10 s window holds more events on a denser tape), so the
                // second probe uses the spacing the rounds would have at half the first probe's capacity (close to
                // theirs when the two probes agree).
                capacity = ProbeCapacity(pack, events, symbols, LiveSpacingNanos);
                capacity = ProbeCapacity(pack, events, symbols, (long)(2e9 / capacity));
                rate = (long)(capacity / 2);
            }

            const int Rounds = 3;
            var spacing = Timestamp.NanosPerSecond / rate;
            var warm = (int)Math.Min(int.MaxValue - (Rounds * (long)events), 12 * rate);
            var total = warm + (Rounds * events);
            var boundary = warm + (events * 3 / 2);
            var tape = SyntheticMarket.Generate(total, symbols, 42, 0, total * spacing, Timestamp.NanosPerMinute - (boundary * spacing));
            var engine = CqlEngine.Compile(pack, NullCqlSink.Instance, Options);
            var watch = Stopwatch.StartNew();
            var trades = tape.Feed(engine, 0, 0, warm);
            watch.Stop();
            var handPack = new PackBaseline.HandWrittenPack();
            handPack.Feed(tape, 0, 0, warm);

            var spinText = measured ? "1 / capacity" : "half the interval: no capacity measured";
            Console.WriteLine($"trading pack latency, live tape: {symbols:N0} symbols, {spacing:N0} ns between events, paced at {rate:N0} events/s; busy baseline spins {1e9 / capacity:N0} ns per event ({spinText})");
            Console.WriteLine($"  warm-up: {warm:N0} events ({warm * spacing / 1e9:F1} s of market) fed unpaced in {watch.Elapsed.TotalSeconds:F1} s; then {Rounds} rounds of {events:N0} events, baseline, busy baseline, the hand-written pack (warmed on the same segment), then the same engine, all recorded; a minute boundary in round 2, its windows closing 2 s of market later (the allowed lateness)");
            GC.Collect();
            var results = new List<PacedRun>();
            var gcs = GC.CollectionCount(0);
            for (var round = 0; round < Rounds; round++)
            {
                var from = warm + (round * events);
                var touch = new TouchHandler();
                results.Add(Paced("baseline", tape, trades, from, from + events, from, rate, ref touch));
                var busy = new BusyHandler(capacity);
                results.Add(Paced("busy", tape, trades, from, from + events, from, rate, ref busy));
                var hand = new HandWrittenHandler(handPack);
                results.Add(Paced("hand", tape, trades, from, from + events, from, rate, ref hand));
                var handler = new EngineHandler(engine);
                results.Add(Paced("engine", tape, trades, from, from + events, from, rate, ref handler));
                GC.KeepAlive(touch.Sum);
                for (var i = from; i < from + events; i++)
                {
                    trades += tape.IsQuote[i] ? 0 : 1;
                }
            }

            Console.WriteLine($"  GCs during the rounds: {GC.CollectionCount(0) - gcs}; open windows + held events + pending matches after: {engine.Queries.Sum(q => q.OpenWindows + q.PendingMatches):N0}");
            Report(results, rate);
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Events/s of one engine warmed with 12 s of a live tape <paramref name="spacingNanos"/> apart, then timed unpaced.</summary>
    private static double ProbeCapacity(string pack, int events, int symbols, long spacingNanos)
    {
        var warm = (int)(12 * Timestamp.NanosPerSecond / spacingNanos);
        var tape = SyntheticMarket.Generate(warm + events, symbols, 42, 0, (warm + events) * spacingNanos, 0);
        var engine = CqlEngine.Compile(pack, NullCqlSink.Instance, Options);
        var trades = tape.Feed(engine, 0, 0, warm);
        GC.Collect();
        var watch = Stopwatch.StartNew();
        tape.Feed(engine, trades, warm, warm + events);
        watch.Stop();
        var capacity = events / watch.Elapsed.TotalSeconds;
        Console.WriteLine($"capacity in the steady state (live tape {spacingNanos:N0} ns apart, after {warm:N0} warm-up events, {events:N0} timed): {capacity:N0} events/s");
        return capacity;
    }

    /// <summary>Where a live tape of <paramref name="spanNanos"/> starts so that a minute boundary falls at 60 % of it (in the recorded part).</summary>
    private static long LiveStart(long spanNanos) => Timestamp.NanosPerMinute - (spanNanos * 6 / 10);

    /// <summary>Feeds the tape to <paramref name="handler"/> at <paramref name="rate"/> events/s; records the last 3/4.</summary>
    private static PacedRun Paced<THandler>(string side, MarketTape tape, long rate, ref THandler handler)
        where THandler : struct, ITickHandler =>
        Paced(side, tape, 0, 0, tape.Count, tape.Count / 4, rate, ref handler);

    /// <summary>
    /// Feeds events [<paramref name="from"/>, <paramref name="to"/>) (<paramref name="tradesBefore"/> trades precede
    /// <paramref name="from"/>) at <paramref name="rate"/> events/s; records from <paramref name="recordFrom"/> on.
    /// </summary>
    private static PacedRun Paced<THandler>(string side, MarketTape tape, int tradesBefore, int from, int to, int recordFrom, long rate, ref THandler handler)
        where THandler : struct, ITickHandler
    {
        var run = new PacedRun(side, new LatencyHistogram(), new LatencyHistogram(), new LatencyHistogram(), new LatencyHistogram());
        var latency = run.Latency;
        var service = run.Service;
        // "Near a boundary": the first events after the event time crosses a minute, or after it crosses a minute plus
        // the pack's allowed lateness (2 s), when the watermark passes the boundary and the engine closes the windows.
        var minute = MinuteOf(tape, from, tradesBefore, 0);
        var closeMinute = MinuteOf(tape, from, tradesBefore, PackLatenessNanos);
        var sinceMinute = AfterBoundary;
        GC.Collect();
        var gcBefore = GC.CollectionCount(0);
        var nanosPerTick = 1e9 / Stopwatch.Frequency;
        var interval = Stopwatch.Frequency / (double)rate;
        var start = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 100);
        var t = tradesBefore;
        for (var i = from; i < to; i++)
        {
            var eventMinute = MinuteOf(tape, i, t, 0);
            var eventCloseMinute = MinuteOf(tape, i, t, PackLatenessNanos);
            sinceMinute = eventMinute == minute && eventCloseMinute == closeMinute ? sinceMinute + 1 : 0;
            (minute, closeMinute) = (eventMinute, eventCloseMinute);
            var due = start + (long)((i - from) * interval);
            while (Stopwatch.GetTimestamp() < due)
            {
                Thread.SpinWait(1);
            }

            var begin = Stopwatch.GetTimestamp();
            if (tape.IsQuote[i])
            {
                handler.OnQuote(in tape.Quotes[i - t]);
            }
            else
            {
                handler.OnTrade(in tape.Trades[t++]);
            }

            var end = Stopwatch.GetTimestamp();
            if (i >= recordFrom)
            {
                latency.Record((long)((end - due) * nanosPerTick));
                (sinceMinute < AfterBoundary ? run.NearBoundary : run.FarFromBoundary).Record((long)((end - due) * nanosPerTick));
                service.Record((long)((end - begin) * nanosPerTick));
            }
        }

        var gcs = GC.CollectionCount(0) - gcBefore;
        if (gcs > 0)
        {
            Console.WriteLine($"  note: {gcs} gen-0 GC(s) during a paced run of {typeof(THandler).Name}");
        }

        return run;
    }

    /// <summary>Events counted as "near a minute boundary": the first 3,000 after the event-time minute changes, or after
    /// event time − <see cref="PackLatenessNanos"/> does (when the watermark passes the boundary and windows close).</summary>
    private const int AfterBoundary = 3_000;

    /// <summary>The allowed lateness of every windowed query of the shipped pack.</summary>
    private const long PackLatenessNanos = 2 * Timestamp.NanosPerSecond;

    /// <summary>The event-time minute of event <paramref name="i"/> (<paramref name="trades"/> trades before it) minus <paramref name="minus"/> ns.</summary>
    private static long MinuteOf(MarketTape tape, int i, int trades, long minus) =>
        ((tape.IsQuote[i] ? tape.Quotes[i - trades].Time : tape.Trades[trades].Time).UnixNanoseconds - minus) / Timestamp.NanosPerMinute;

    /// <summary>One paced run: latency (due → done), service (call → done), and the latency split by distance from a minute boundary.</summary>
    private sealed record PacedRun(string Side, LatencyHistogram Latency, LatencyHistogram Service, LatencyHistogram NearBoundary, LatencyHistogram FarFromBoundary);

    private interface ITickHandler
    {
        void OnTrade(in TradeTick tick);

        void OnQuote(in QuoteTick quote);
    }

    private struct EngineHandler(CqlEngine engine) : ITickHandler
    {
        public readonly void OnTrade(in TradeTick tick) => engine.OnTrade(in tick);

        public readonly void OnQuote(in QuoteTick quote) => engine.OnQuote(in quote);
    }

    /// <summary>
    /// The busy baseline: reads each event, then spins for the engine's mean time per event (1 / capacity), so the
    /// thread is as busy as the engine's at the same pacing, but with no variance of its own. Its latency is what the
    /// machine's stalls alone cost a handler at that utilization: a stall's backlog drains at the spare capacity only.
    /// </summary>
    private struct BusyHandler(double capacity) : ITickHandler
    {
        private readonly long _ticks = Math.Max(1, (long)(Stopwatch.Frequency / capacity));
        public long Sum;

        public void OnTrade(in TradeTick tick)
        {
            Sum += tick.Price.Raw;
            Spin();
        }

        public void OnQuote(in QuoteTick quote)
        {
            Sum += quote.BidPrice.Raw;
            Spin();
        }

        private readonly void Spin()
        {
            var until = Stopwatch.GetTimestamp() + _ticks;
            while (Stopwatch.GetTimestamp() < until)
            {
            }
        }
    }

    /// <summary>The hand-written pack (<see cref="PackBaseline"/>) fed one event at a time: the same queries without an engine.</summary>
    private readonly struct HandWrittenHandler(PackBaseline.HandWrittenPack pack) : ITickHandler
    {
        public void OnTrade(in TradeTick tick) => pack.OnTrade(in tick);

        public void OnQuote(in QuoteTick quote) => pack.OnQuote(in quote);
    }

    /// <summary>The baseline: reads each event (so the tape is touched as the engine touches it) and does nothing else.</summary>
    private struct TouchHandler : ITickHandler
    {
        public long Sum;

        public void OnTrade(in TradeTick tick) => Sum += tick.Price.Raw;

        public void OnQuote(in QuoteTick quote) => Sum += quote.BidPrice.Raw;
    }

    /// <summary>1-minute OHLCV over a million distinct symbols (every event of a key opens, later closes, a window slot).</summary>
    public static int DistinctKeys(int events, int keys)
    {
        Console.WriteLine($"distinct keys: {events:N0} trades over {keys:N0} symbols");
        return Program.CompareBars(events, keys) ? 0 : 1;
    }

    /// <summary>
    /// Windows, a sliding window and two patterns over <paramref name="events"/> trades that touch every one of
    /// <paramref name="keys"/> symbols once per round (1 ms apart): state counts and retained memory after full GCs.
    /// </summary>
    public static int Memory(long events, int keys)
    {
        Console.WriteLine($"memory: {events:N0} trades over {keys:N0} symbols; tumbling bars, sliding 150 s, EVERY a -> b within 5 min (max 4 pending), EVERY a -> NOT b within 250 s (max 4)");
        var symbols = SyntheticMarket.Symbols(keys);
        var engine = CqlEngine.Compile("""
            CREATE STREAM trades (symbol STRING, time TIMESTAMP, price PRICE, size BIGINT) WITH (topic='md.ticks');
            CREATE VIEW bars AS SELECT symbol, first(price) AS open, max(price) AS high, count(*) AS n, vwap(price, size) AS vwap
              FROM trades WINDOW TUMBLING(1 MINUTE, ALLOWED LATENESS 1 SECOND) GROUP BY symbol;
            CREATE VIEW rolling AS SELECT symbol, sum(size) AS volume FROM trades WINDOW SLIDING(150 SECONDS) GROUP BY symbol;
            CREATE QUERY up AS SELECT a.price AS p0, b.price AS p1
              FROM PATTERN (EVERY a = trades(size >= 500) -> b = trades(price > a.price)) WITHIN 5 MINUTES MAX PENDING 4;
            CREATE QUERY stall AS SELECT a.price FROM PATTERN (EVERY a = trades -> NOT b = trades(size > 900)) WITHIN 250 SECONDS MAX PENDING 4
            """, NullCqlSink.Instance);
        var start = Timestamp.FromUtc(new DateOnly(2024, 3, 15), new TimeSpan(13, 30, 0)).UnixNanoseconds;
        ulong seed = 3;
        var report = Math.Max(keys, events / 10);
        var samples = new List<(long Events, long Memory, int State)>();
        var watch = Stopwatch.StartNew();
        for (long n = 0; n < events; n++)
        {
            var r = Next(ref seed);
            var tick = new TradeTick(symbols[n % keys], new Timestamp(start + (n * 1_000_000)), new Price(100_00000000 + (long)(r % 2_000) * 1_000_000), 1 + (long)((r >> 20) % 1_000), n);
            engine.OnTrade(in tick);
            if ((n + 1) % report == 0)
            {
                watch.Stop();
                var memory = GC.GetTotalMemory(forceFullCollection: true);
                var state = engine.Queries.Sum(q => q.OpenWindows + q.PendingMatches);
                samples.Add((n + 1, memory, state));
                Console.WriteLine($"  after {n + 1,12:N0} events: retained {memory / 1e6,8:F1} MB, state (open windows + sliding events + pending matches) {state,9:N0}");
                watch.Start();
            }
        }

        watch.Stop();
        var settled = samples.Skip(samples.Count / 3).ToList();
        var growth = settled[^1].Memory / (double)settled[0].Memory;
        Console.WriteLine($"  {events / watch.Elapsed.TotalSeconds / 1e6:F2} M events/s (4 queries); retained memory from {settled[0].Events:N0} to {events:N0} events: x{growth:F3}; state x{settled[^1].State / (double)settled[0].State:F3}");
        return growth <= 1.10 ? 0 : 1;
    }

    /// <summary>
    /// The pack and its tape: a compressed trading day, or with <paramref name="live"/> events 2 µs apart in event time
    /// (a 500 k events/s feed: each of 1,000 symbols trades ~250 times a second, so a 10 s window holds ~2,500 trades).
    /// </summary>
    private static (string Pack, MarketTape Tape, string Dir) Setup(int events, int symbols, bool live = false)
    {
        var dir = Directory.CreateTempSubdirectory("cql-bench-").FullName;
        var pack = SyntheticMarket.PackFor(File.ReadAllText(PackPath()), symbols, dir);
        var span = events * LiveSpacingNanos;
        return (pack, live ? SyntheticMarket.Generate(events, symbols, 42, 0, span, LiveStart(span)) : SyntheticMarket.Generate(events, symbols), dir);
    }

    private const long LiveSpacingNanos = 2_000;

    private static string TapeText(bool live) => live
        ? $"tape: live density, {LiveSpacingNanos / 1000} µs between events ({1e9 / LiveSpacingNanos:N0} events/s of market)"
        : "tape: compressed day (6.5 hours of event time)";

    private static int Queries(string pack) => CqlParser.Parse(pack).Statements.OfType<CreateQueryStatement>().Count();

    private static string PackPath()
    {
        foreach (var from in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(from); dir is not null; dir = dir.Parent)
            {
                var path = Path.Combine(dir.FullName, "streaming", "Cql", "Packs", "trading-pack.cql");
                if (File.Exists(path))
                {
                    return path;
                }
            }
        }

        throw new FileNotFoundException("streaming/Cql/Packs/trading-pack.cql not found above the current or the program's folder; run from the repository.");
    }

    private static string Runs1(List<double> rates) => string.Join(" ", rates.Select(r => (r / 1e6).ToString("F2", CultureInfo.InvariantCulture)));

    private static ulong Next(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        return z ^ (z >> 31);
    }

    /// <summary>Per query: rows and the sum of every non-DOUBLE, non-STRING column.</summary>
    private sealed class ChecksumSink : ICqlSink
    {
        private readonly Dictionary<CqlRow, int> _index = new(ReferenceEqualityComparer.Instance);
        private readonly List<(CqlRow Row, int[] Longs, long Rows, long Sum)> _queries = [];
        private CqlRow? _last;
        private int _lastIndex;

        public Dictionary<string, (long Rows, long Sum)> Sums => _queries.ToDictionary(q => q.Row.Query, q => (q.Rows, q.Sum), StringComparer.Ordinal);

        public void OnRow(CqlRow row)
        {
            // Each query reuses one row instance and rows come in bursts per query: resolve the layout once per query.
            if (!ReferenceEquals(row, _last))
            {
                if (!_index.TryGetValue(row, out _lastIndex))
                {
                    _lastIndex = Register(row);
                }

                _last = row;
            }

            var entry = _queries[_lastIndex];
            long sum = 0;
            foreach (var i in entry.Longs)
            {
                sum += row.GetInt64(i);
            }

            _queries[_lastIndex] = (entry.Row, entry.Longs, entry.Rows + 1, entry.Sum + sum);
        }

        public void OnLate(in CqlLateEvent late) => throw new InvalidOperationException("The benchmark's events are in time order.");

        // Separate method: a lambda capturing 'row' in OnRow would allocate its closure on every call.
        private int Register(CqlRow row)
        {
            _index.Add(row, _queries.Count);
            _queries.Add((row, [.. Enumerable.Range(0, row.Columns.Length).Where(i => row.Columns[i].Type is not (CqlType.Double or CqlType.String))], 0, 0));
            return _queries.Count - 1;
        }
    }
}
