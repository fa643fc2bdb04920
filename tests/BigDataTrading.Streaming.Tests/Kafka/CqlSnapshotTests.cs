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

    private static List<string> Describe(CollectingCqlSink sink) =>
        [.. sink.Rows.Select(r => $"{r.Query} {r.Key} {r.WindowStart} {r.WindowEnd} {r.IsFinal} {string.Join(",", r.Values.Select(v => v is double d ? d.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : v.ToString()))}")];
}
