using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using static BigDataTrading.Streaming.Tests.CqlTestKit;

namespace BigDataTrading.Streaming.Tests;

/// <summary><c>aggregate(...) FILTER (WHERE condition)</c>: each filtered aggregate sees only the events its condition admits.</summary>
public sealed class CqlAggregateFilterTests
{
    private const string Query = TradesStream + """
        CREATE VIEW v AS
          SELECT symbol, count(*) AS n, count(*) FILTER (WHERE conditions & 0x20 = 0) AS n_plain,
                 first(price) FILTER (WHERE conditions & 0x20 = 0) AS first_plain, last(price) FILTER (WHERE conditions & 0x20 = 0) AS last_plain,
                 last(price) AS last_any, min(price) FILTER (WHERE conditions & 0x20 = 0) AS low_plain,
                 avg(size) FILTER (WHERE conditions & 0x20 = 0) AS avg_plain, stddev(price) FILTER (WHERE conditions & 0x20 = 0) AS sd_plain,
                 max(price) FILTER (WHERE size > 1000000) AS never
          FROM trades WINDOW $window GROUP BY symbol EMIT FINAL
        """;

    private static readonly TradeTick[] Ticks =
    [
        Trade("SPY", 0, 10m, 100),
        Trade("SPY", 18, 50m, 300, conditions: SaleConditions.IntermarketSweep),
        // Out of order, within the lateness: in a session window it bridges the two sessions above into one.
        Trade("SPY", 9, 20m, 200),
    ];

    [Theory]
    [InlineData("SESSION(GAP 10 SECONDS, ALLOWED LATENESS 30 SECONDS)")]
    [InlineData("TUMBLING(1 MINUTE, ALLOWED LATENESS 30 SECONDS)")]
    public void Filtered_aggregates_count_time_and_merge_only_the_admitted_events(string window)
    {
        var (_, sink) = RunEvents(Query.Replace("$window", window, StringComparison.Ordinal), [.. Ticks]);

        var row = Assert.Single(sink.Rows);
        Assert.Equal((3L, 2L), ((long)row["n"], (long)row["n_plain"]));
        // first/last follow event time among the admitted events: 10 at 0 s, 20 at 9 s (the 50 at 18 s is a sweep).
        Assert.Equal((10m, 20m, 50m, 10m), (((Price)row["first_plain"]).ToDecimal(), ((Price)row["last_plain"]).ToDecimal(), ((Price)row["last_any"]).ToDecimal(), ((Price)row["low_plain"]).ToDecimal()));
        Assert.Equal(150.0, (double)row["avg_plain"], 9);
        Assert.Equal(Math.Sqrt(50), (double)row["sd_plain"], 9);
        // No event admitted: CQL has no NULL, so a price reads 0.
        Assert.Equal(0m, ((Price)row["never"]).ToDecimal());
    }

    [Fact]
    public void Case_picks_the_first_true_branch_and_mixed_numbers_become_double()
    {
        var (_, sink) = RunEvents(
            TradesStream + "CREATE QUERY q AS SELECT CASE WHEN size >= 1000 THEN 'block' WHEN size >= 100 THEN 'round' ELSE 'odd' END AS lot, CASE WHEN size > 150 THEN price ELSE 0.5 END AS x FROM trades",
            Trade("SPY", 1, 10m, 5_000),
            Trade("SPY", 2, 10m, 200),
            Trade("SPY", 3, 10m, 7));

        Assert.Equal(["block", "round", "odd"], sink.Rows.Select(r => (string)r["lot"]));
        Assert.Equal([10.0, 10.0, 0.5], sink.Rows.Select(r => (double)r["x"]));
    }
}
