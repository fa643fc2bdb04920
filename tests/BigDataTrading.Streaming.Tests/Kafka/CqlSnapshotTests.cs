using BigDataTrading.Streaming.Cql;

namespace BigDataTrading.Streaming.Tests.Kafka;

/// <summary>Engine snapshots: state captured mid-stream and restored into a fresh engine continues exactly like an engine that never stopped.</summary>
public sealed class CqlSnapshotTests
{
    private const string Script = CqlTestKit.TradesStream + """
        CREATE QUERY bars AS SELECT symbol, first(price) AS open, max(price) AS high, min(price) AS low, last(price) AS close,
            sum(size) AS volume, vwap(price, size) AS vwap, stddev(price) AS sd, avg(size) AS avg_size
          FROM trades WINDOW TUMBLING(1 MINUTE, ALLOWED LATENESS 5 SECONDS) GROUP BY symbol;
        CREATE QUERY rolling AS SELECT symbol, count(*) AS n, vwap(price, size) AS vwap
          FROM trades WINDOW HOPPING(SIZE 5 MINUTES, ADVANCE 1 MINUTE) GROUP BY symbol EMIT CHANGES;
        CREATE QUERY bursts AS SELECT symbol, count(*) AS n, first(price) AS first, last(price) AS last
          FROM trades WINDOW SESSION(GAP 20 SECONDS) GROUP BY symbol;
        CREATE QUERY market AS SELECT count(*) AS n, sum(size) AS volume FROM trades WINDOW TUMBLING(10 MINUTES);
        CREATE QUERY big AS SELECT symbol, price, size FROM trades WHERE size > 500;
        """;

    [Fact]
    public void A_restored_snapshot_continues_with_the_same_rows_as_an_uninterrupted_engine()
    {
        var trades = StreamTestKit.Trades(600, ["SPY", "AAPL", "MSFT"]);

        // Out-of-order events too: swap neighbours so lateness and session merges are exercised.
        for (var i = 10; i + 1 < trades.Count; i += 37)
        {
            (trades[i], trades[i + 1]) = (trades[i + 1], trades[i]);
        }

        var whole = new CollectingCqlSink();
        var uninterrupted = CqlEngine.Compile(Script, whole);
        trades.ForEach(t => uninterrupted.OnTrade(t));
        uninterrupted.Complete();

        foreach (var cut in new[] { 1, trades.Count / 3, trades.Count / 2 + 7, trades.Count - 1 })
        {
            var sink = new CollectingCqlSink();
            var first = CqlEngine.Compile(Script, sink);
            trades.Take(cut).ToList().ForEach(t => first.OnTrade(t));
            var snapshot = CqlSnapshots.Capture(first);
            Assert.Equal(snapshot, CqlSnapshots.Capture(first)); // capturing does not change the state

            var second = CqlEngine.Compile(Script, sink);
            CqlSnapshots.Restore(second, snapshot);
            trades.Skip(cut).ToList().ForEach(t => second.OnTrade(t));
            second.Complete();

            Assert.Equal(Describe(whole), Describe(sink));
            Assert.Equal(uninterrupted.Queries.Select(q => (q.Name, q.LateEvents)), second.Queries.Select(q => (q.Name, q.LateEvents)));
        }
    }

    [Fact]
    public void A_snapshot_of_another_script_is_refused_with_the_query_named()
    {
        var engine = CqlEngine.Compile(Script, NullCqlSink.Instance);
        engine.OnTrade(CqlTestKit.Trade("SPY", 1, 10, 100));
        var snapshot = CqlSnapshots.Capture(engine);
        var other = CqlEngine.Compile(Script.Replace("CREATE QUERY bars", "CREATE QUERY bars2", StringComparison.Ordinal), NullCqlSink.Instance);
        var error = Assert.Throws<InvalidDataException>(() => CqlSnapshots.Restore(other, snapshot));
        Assert.Contains("'bars'", error.Message, StringComparison.Ordinal);
        var used = CqlEngine.Compile(Script, NullCqlSink.Instance);
        used.OnTrade(CqlTestKit.Trade("SPY", 1, 10, 100));
        Assert.Throws<InvalidOperationException>(() => CqlSnapshots.Restore(used, snapshot));
    }

    [Fact]
    public void Sliding_windows_restored_at_any_offset_continue_with_the_same_rows_as_an_uninterrupted_engine()
    {
        var events = CheckpointScenarios.Random(500, ["SPY", "AAPL", "MSFT"], seed: 11, quotes: false);
        var (whole, _) = AssertRestoresLikeUninterrupted(CheckpointScenarios.Sliding, events, Cuts(events.Count, 13));
        Assert.Contains(whole.Rows, r => r.Query == "burst");
        Assert.Contains(whole.Rows, r => r.Query == "market");
    }

    [Fact]
    public void Sliding_windows_whose_lateness_exceeds_their_size_restore_bit_for_bit()
    {
        // With lateness ≥ size an accepted out-of-order event can be older than its key's whole current window: SPY's
        // window at 3 s is (1 s, 3 s], and the event at 0.8 s lands right before it. The restored window must start
        // where the running one does (after 0.8 s), or the restored state differs from the captured one.
        const string Script = CqlTestKit.TradesStream + """
            CREATE QUERY wide AS SELECT symbol, count(*) AS n, sum(size) AS volume, stddev(price) AS sd, avg(size) AS avg_size,
                first(price) AS first, last(price) AS last
              FROM trades WINDOW SLIDING(2 SECONDS, ALLOWED LATENESS 5 SECONDS) GROUP BY symbol INTO 'out-wide';
            """;
        List<object> events =
        [
            CqlTestKit.Trade("SPY", 0, 10.00m, 100), CqlTestKit.Trade("SPY", 0.5, 10.10m, 200), CqlTestKit.Trade("SPY", 2.5, 10.05m, 300),
            CqlTestKit.Trade("SPY", 3, 10.20m, 400), CqlTestKit.Trade("SPY", 0.8, 9.90m, 500), CqlTestKit.Trade("SPY", 3.5, 10.30m, 600),
            CqlTestKit.Trade("SPY", 4.2, 10.25m, 700),
        ];
        events.AddRange(CheckpointScenarios.Random(600, ["SPY", "AAPL"], seed: 21, quotes: false, fromSeconds: 5));
        AssertRestoresLikeUninterrupted(Script, events, [.. Enumerable.Range(1, 7), .. Cuts(events.Count, 7)]);
    }

    [Fact]
    public void As_of_joins_restored_at_any_offset_keep_the_latest_quotes_and_continue_with_the_same_rows()
    {
        var events = CheckpointScenarios.Random(500, ["SPY", "AAPL", "MSFT"], seed: 12, quotes: true);
        var (whole, engine) = AssertRestoresLikeUninterrupted(CheckpointScenarios.AsOf, events, Cuts(events.Count, 11));
        Assert.All(engine.Queries, q => Assert.Contains(whole.Rows, r => r.Query == q.Name));
        Assert.True(engine["flow"].Unmatched > 0, "MSFT is not in the table: inner joins drop its trades");
    }

    [Fact]
    public void Patterns_restored_at_any_offset_keep_pending_matches_deadlines_buffers_and_evictions()
    {
        var events = CheckpointScenarios.PatternHead();
        events.AddRange(CheckpointScenarios.Random(500, ["SPY", "AAPL", "MSFT"], seed: 13, quotes: false, fromSeconds: 10));
        var (whole, engine) = AssertRestoresLikeUninterrupted(CheckpointScenarios.Patterns, events, [1, 2, CheckpointScenarios.PatternHeadCut, 4, 5, .. Cuts(events.Count, 9)]);
        Assert.All(engine.Queries, q => Assert.Contains(whole.Rows, r => r.Query == q.Name));
        Assert.True(engine["reversal"].Evicted > 0, "MAX PENDING 2 evicts some reversal matches");

        // At the head's cut the matches opened at 0 s are pending and AAPL's first event still waits in the reorder buffer.
        var paused = CqlEngine.Compile(CheckpointScenarios.Patterns, NullCqlSink.Instance);
        CqlTestKit.Feed(paused, events.Take(CheckpointScenarios.PatternHeadCut));
        Assert.Equal(1, paused["spike"].PendingMatches);
        Assert.Equal(1, paused["stall"].PendingMatches);
    }

    [Fact]
    public void The_trading_pack_restored_at_any_offset_continues_with_the_same_rows_as_an_uninterrupted_engine()
    {
        var pack = File.ReadAllText(CqlTestKit.PackPath);
        Assert.Empty(CqlSnapshots.Unsupported(CqlEngine.Compile(pack, NullCqlSink.Instance)));
        var events = CheckpointScenarios.PackTape(12_000);
        var (whole, _) = AssertRestoresLikeUninterrupted(pack, events, [1, 4_321, 7_777, 11_999]);
        Assert.True(whole.Rows.Select(r => r.Query).Distinct().Count() >= 8, string.Join(", ", whole.Rows.Select(r => r.Query).Distinct()));
    }

    [Fact]
    public void A_format_2_snapshot_of_sliding_windows_restores_and_continues_with_the_uninterrupted_rows()
    {
        // Fixtures/sliding-format2.snapshot: written by 747edab (format 2, before the incremental sliding windows, whose
        // rings carry no split offsets) after the first 250 of these events.
        var events = CheckpointScenarios.Random(500, ["SPY", "AAPL", "MSFT"], seed: 11, quotes: false);
        var snapshot = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "sliding-format2.snapshot"));
        Assert.Equal(2, BitConverter.ToInt32(snapshot, 0));

        var whole = new CollectingCqlSink();
        var uninterrupted = CqlEngine.Compile(CheckpointScenarios.Sliding, whole);
        CqlTestKit.Feed(uninterrupted, events.Take(250));
        var before = whole.Rows.Count;
        CqlTestKit.Feed(uninterrupted, events.Skip(250));
        uninterrupted.Complete();

        var sink = new CollectingCqlSink();
        var restored = CqlEngine.Compile(CheckpointScenarios.Sliding, sink);
        CqlSnapshots.Restore(restored, snapshot);
        CqlTestKit.Feed(restored, events.Skip(250));
        restored.Complete();

        // The restored windows fold in another order than the uninterrupted ones, so DOUBLE aggregates (stddev, avg) may
        // differ in the last bits (stddev of SPY-like prices: from the 12th significant digit); everything else is exact.
        Assert.Equal(Describe(whole, doubleDigits: 10).Skip(before), Describe(sink, doubleDigits: 10));
        Assert.Equal(Counters(uninterrupted), Counters(restored));
    }

    [Fact]
    public void A_snapshot_of_an_older_format_is_refused_with_the_format_named()
    {
        var engine = CqlEngine.Compile(Script, NullCqlSink.Instance);
        var snapshot = CqlSnapshots.Capture(engine);
        BitConverter.TryWriteBytes(snapshot.AsSpan(0, 4), 1);
        var error = Assert.Throws<InvalidDataException>(() => CqlSnapshots.Restore(CqlEngine.Compile(Script, NullCqlSink.Instance), snapshot));
        Assert.Contains("format 1", error.Message, StringComparison.Ordinal);
        Assert.Contains($"format {CqlSnapshots.Format}", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Cuts spread over the stream, every <paramref name="stride"/>-th offset plus the first and the last.</summary>
    private static int[] Cuts(int count, int stride) => [.. Enumerable.Range(0, count / stride).Select(i => 1 + (i * stride)).Append(count - 1)];

    /// <summary>
    /// For each cut: feeds the events before it, snapshots, restores into a fresh engine (whose own snapshot must equal
    /// the restored one), feeds the rest and completes; the rows (all queries, in order) and every query's counters must
    /// equal one uninterrupted engine's.
    /// </summary>
    private static (CollectingCqlSink Whole, CqlEngine Uninterrupted) AssertRestoresLikeUninterrupted(string script, List<object> events, IEnumerable<int> cuts)
    {
        var whole = new CollectingCqlSink();
        var uninterrupted = CqlEngine.Compile(script, whole);
        CqlTestKit.Feed(uninterrupted, events);
        uninterrupted.Complete();
        Assert.NotEmpty(whole.Rows);

        foreach (var cut in cuts)
        {
            var sink = new CollectingCqlSink();
            var first = CqlEngine.Compile(script, sink);
            CqlTestKit.Feed(first, events.Take(cut));
            var snapshot = CqlSnapshots.Capture(first);
            Assert.Equal(snapshot, CqlSnapshots.Capture(first)); // capturing does not change the state

            var second = CqlEngine.Compile(script, sink);
            CqlSnapshots.Restore(second, snapshot);
            Assert.Equal(Counters(first), Counters(second));
            Assert.Equal(snapshot, CqlSnapshots.Capture(second)); // the restored state is the captured one, byte for byte
            CqlTestKit.Feed(second, events.Skip(cut));
            second.Complete();

            Assert.Equal(Describe(whole), Describe(sink));
            Assert.Equal(Counters(uninterrupted), Counters(second));
        }

        return (whole, uninterrupted);
    }

    private static List<string> Counters(CqlEngine engine) =>
        [.. engine.Queries.Select(q => $"{q.Name} in={q.EventsIn} out={q.RowsOut} late={q.LateEvents} unmatched={q.Unmatched} evicted={q.Evicted} pending={q.PendingMatches} open={q.OpenWindows} wm={q.Watermark}")];

    private static List<string> Describe(CollectingCqlSink sink, int? doubleDigits = null) =>
        [.. sink.Rows.Select(r => $"{r.Query} {r.Key} {r.WindowStart} {r.WindowEnd} {r.IsFinal} {string.Join(",", r.Values.Select(v => v is double d ? Text(d, doubleDigits) : v.ToString()))}")];

    private static string Text(double value, int? digits) =>
        value.ToString(digits is { } n ? "G" + n : "R", System.Globalization.CultureInfo.InvariantCulture);
}
