using BigDataTrading.Core.MarketData;
using BigDataTrading.Streaming.Cql;
using static BigDataTrading.Streaming.Tests.CqlTestKit;

namespace BigDataTrading.Streaming.Tests;

/// <summary><see cref="CqlOptions.WindowClosesPerEvent"/>: a minute boundary's due windows close a few per event, with the same rows.</summary>
public sealed class CqlWindowCloseBudgetTests
{
    private const string Bars = TradesStream + "CREATE VIEW bars AS SELECT symbol, count(*) AS n, sum(size) AS volume FROM trades WINDOW TUMBLING(1 MINUTE) GROUP BY symbol EMIT FINAL";

    [Fact]
    public void Due_windows_close_a_budget_per_event_and_the_rest_on_request_with_the_rows_of_closing_all_at_once()
    {
        var minute0 = Enumerable.Range(0, 100).Select(i => Trade($"S{i:D3}", i * 0.1, 10m, i + 1)).ToArray();
        var budgeted = new CollectingCqlSink();
        var engine = CqlEngine.Compile(Bars, budgeted, new CqlOptions { WindowClosesPerEvent = 4 });
        var allAtOnce = new CollectingCqlSink();
        var reference = CqlEngine.Compile(Bars, allAtOnce, new CqlOptions { WindowClosesPerEvent = 0 });
        void Feed(TradeTick t)
        {
            engine.OnTrade(t);
            reference.OnTrade(t);
        }

        foreach (var t in minute0)
        {
            Feed(t);
        }

        // The first event of minute 1 makes all 100 windows of minute 0 due.
        Feed(Trade("S000", 60.5, 11m, 1));
        Assert.Equal(4, budgeted.Rows.Count);
        Assert.Equal(100, allAtOnce.Rows.Count);

        // Each later accepted event closes four more; an event for a due window is late either way (and closes none).
        Feed(Trade("S001", 61, 11m, 1));
        Feed(Trade("S050", 59, 11m, 1));
        Assert.Equal(8, budgeted.Rows.Count);
        Assert.Equal(budgeted.Late.Select(l => l.Tick), allAtOnce.Late.Select(l => l.Tick));
        Assert.Single(budgeted.Late);

        engine.CloseDueWindows();
        Assert.Equal(100, budgeted.Rows.Count);
        engine.Complete();
        reference.Complete();
        Assert.Equal(Describe(allAtOnce), Describe(budgeted));
    }

    private static IEnumerable<string> Describe(CollectingCqlSink sink) =>
        sink.Rows.Select(r => $"{r.Key} {r.WindowStart} {r["n"]} {r["volume"]}");
}
