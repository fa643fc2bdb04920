using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Streaming.Cql;
using BigDataTrading.Streaming.Cql.Packs;
using BigDataTrading.TestSupport;
using Xunit;

namespace BigDataTrading.Streaming.Tests;

/// <summary>
/// The trading pack's <c>ohlcv_1m</c> over the shared LEAN tick files against the LEAN minute files of the same day and
/// symbol, field by field and exactly (both are integer deci-cents and whole shares, so there is no rounding).
/// </summary>
/// <remarks>The comparison rule (auction minutes for presence only, the known vendor differences) is
/// <see cref="LeanMinuteBars"/>'s, shared with the ETL bar job's test.</remarks>
public sealed class CqlLeanMinuteBarTests
{
    public static TheoryData<string, string> Days => LeanMinuteBars.Days;

    [SharedDataTheory(LeanMinuteBars.GuardFile)]
    [MemberData(nameof(Days))]
    public async Task Pack_one_minute_bars_equal_the_LEAN_minute_file_outside_the_auction_minutes(string symbol, string day)
    {
        var sink = new CollectingCqlSink();
        var engine = CqlEngine.Compile(CqlPacks.TradingPack, sink);
        var ticks = await LeanMinuteBars.ReadTicksAsync(symbol, day);
        foreach (var tick in ticks)
        {
            engine.OnTrade(tick);
        }

        engine.Complete();
        var expected = await LeanMinuteBars.ReadMinuteBarsAsync(symbol, day);

        var actual = sink.Rows.Where(r => r.Query == "ohlcv_1m").ToList();
        Assert.Equal(ticks.Count, actual.Sum(r => (long)r["trades"]));
        LeanMinuteBars.AssertEqualOutsideAuctionMinutes(symbol, expected, actual.ToDictionary(
            r => r.WindowStart.UnixNanoseconds,
            r => (((Price)r["open"]).Raw, ((Price)r["high"]).Raw, ((Price)r["low"]).Raw, ((Price)r["close"]).Raw, (long)r["volume"])));
    }

    [Fact]
    public void Prices_come_from_eligible_prints_while_every_print_counts_toward_volume()
    {
        var spy = Symbol.Parse("SPY");
        var t0 = Core.Time.Timestamp.FromUtc(new DateOnly(2013, 10, 8), new TimeSpan(14, 0, 0));
        TradeTick Print(int second, decimal price, long size, SaleConditions conditions) =>
            new(spy, t0.AddNanoseconds(second * Core.Time.Timestamp.NanosPerSecond), Price.FromDecimal(price), size, second + 1, 'P', conditions);

        var (_, sink) = CqlTestKit.RunEvents(
            CqlPacks.TradingPack,
            Print(1, 100.00m, 100, SaleConditions.IntermarketSweep), // regular hours ISO: volume only
            Print(2, 100.10m, 200, SaleConditions.Regular),
            Print(3, 150.00m, 5_000, SaleConditions.AveragePrice), // average price: volume only
            Print(4, 100.05m, 300, SaleConditions.Regular),
            Print(5, 99.00m, 400, SaleConditions.DerivativelyPriced), // volume only
            Print(70, 101.00m, 100, SaleConditions.IntermarketSweep | SaleConditions.ExtendedHours), // extended hours: prices too
            Print(130, 102.00m, 300, SaleConditions.AveragePrice), // a minute of ineligible prints only:
            Print(131, 103.00m, 100, SaleConditions.IntermarketSweep)); // its prices come from all of them
        var bars = sink.Rows.Where(r => r.Query == "ohlcv_1m").ToList();

        Assert.Equal(3, bars.Count);
        var first = bars[0];
        Assert.Equal(
            (100.10m, 100.10m, 100.05m, 100.05m, 6_000L, 5L, 2L),
            (((Price)first["open"]).ToDecimal(), ((Price)first["high"]).ToDecimal(), ((Price)first["low"]).ToDecimal(), ((Price)first["close"]).ToDecimal(), (long)first["volume"], (long)first["trades"], (long)first["priced_trades"]));
        // VWAP over the eligible prints only: (100.10·200 + 100.05·300) / 500.
        Assert.Equal(100.07m, ((Price)first["vwap"]).ToDecimal());
        Assert.Equal((101.00m, 1L), (((Price)bars[1]["open"]).ToDecimal(), (long)bars[1]["priced_trades"]));
        var fallback = bars[2];
        Assert.Equal(
            (102.00m, 103.00m, 102.00m, 103.00m, 400L, 0L, 102.25m),
            (((Price)fallback["open"]).ToDecimal(), ((Price)fallback["high"]).ToDecimal(), ((Price)fallback["low"]).ToDecimal(), ((Price)fallback["close"]).ToDecimal(), (long)fallback["volume"], (long)fallback["priced_trades"], ((Price)fallback["vwap"]).ToDecimal()));
    }
}
