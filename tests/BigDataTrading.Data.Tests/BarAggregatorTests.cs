using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;
using BigDataTrading.Jobs.Etl;
using BigDataTrading.Streaming.Ingestion;
using Xunit;

namespace BigDataTrading.Data.Tests;

public sealed class BarAggregatorTests
{
    private static readonly Timestamp s_t0 = Timestamp.FromUtc(new DateOnly(2013, 10, 8), new TimeSpan(14, 0, 0)); // 10:00 New York

    private static TradeTick Print(string symbol, int second, decimal price, long size, SaleConditions conditions) =>
        new(Symbol.Parse(symbol), s_t0.AddNanoseconds(second * Timestamp.NanosPerSecond), Price.FromDecimal(price), size, second + 1, 'P', conditions);

    private static (decimal O, decimal H, decimal L, decimal C, long V, int N, decimal Vwap) Values(Bar b) =>
        (b.Open.ToDecimal(), b.High.ToDecimal(), b.Low.ToDecimal(), b.Close.ToDecimal(), b.Volume, b.TradeCount, b.Vwap.ToDecimal());

    [Fact]
    public void Ineligible_prints_add_volume_and_count_but_not_prices_and_an_all_ineligible_minute_prices_from_all_prints()
    {
        TradeTick[] ticks =
        [
            Print("IBM", 5, 180.00m, 10, SaleConditions.IntermarketSweep | SaleConditions.ExtendedHours), // extended hours: sets prices
            Print("SPY", 0, 50.00m, 100, SaleConditions.IntermarketSweep), // volume only (would be open and low)
            Print("SPY", 10, 50.20m, 300, SaleConditions.Regular | SaleConditions.OddLot),
            Print("SPY", 20, 55.00m, 1_000, SaleConditions.AveragePrice), // volume only (would be high)
            Print("SPY", 30, 50.10m, 100, SaleConditions.None),
            Print("SPY", 59, 50.15m, 100, SaleConditions.TradeThroughExempt),
            Print("SPY", 61, 51.00m, 200, SaleConditions.IntermarketSweep), // next minute: no eligible print at all
            Print("SPY", 62, 52.00m, 100, SaleConditions.DerivativelyPriced),
            Print("SPY", 63, 50.50m, 100, SaleConditions.AveragePrice),
        ];

        var bars = BarAggregator.Aggregate(ticks, Timestamp.NanosPerMinute);

        Assert.Equal(["IBM", "SPY", "SPY"], bars.Select(b => b.Symbol.ToString()));
        Assert.Equal((180.00m, 180.00m, 180.00m, 180.00m, 10L, 1, 180.00m), Values(bars[0]));
        // Eligible: 50.20×300, 50.10×100, 50.15×100 → VWAP 25,085 / 500 = 50.17; volume and count take all five prints.
        Assert.Equal((50.20m, 50.20m, 50.10m, 50.15m, 1_600L, 5, 50.17m), Values(bars[1]));
        // Fallback to all prints: VWAP (10,200 + 5,200 + 5,050) / 400 = 51.125.
        Assert.Equal((51.00m, 52.00m, 50.50m, 50.50m, 400L, 3, 51.125m), Values(bars[2]));
        Assert.Equal([s_t0, s_t0, s_t0.AddNanoseconds(Timestamp.NanosPerMinute)], bars.Select(b => b.Start));

        var quality = new IngestValidator(new IngestValidationOptions());
        Assert.All(bars, b => Assert.Equal(IngestRejectReason.None, quality.Check(b)));
    }

    [Fact]
    public void A_sweep_in_its_own_second_makes_a_one_second_bar_of_its_own_prices_and_leaves_the_minute_unmoved()
    {
        TradeTick[] ticks =
        [
            Print("SPY", 0, 100.00m, 100, SaleConditions.Regular),
            Print("SPY", 1, 101.00m, 500, SaleConditions.IntermarketSweep),
            Print("SPY", 2, 100.50m, 100, SaleConditions.Regular),
        ];

        var seconds = BarAggregator.Aggregate(ticks, Timestamp.NanosPerSecond);
        var minute = Assert.Single(BarAggregator.Aggregate(ticks, Timestamp.NanosPerMinute));

        Assert.Equal(3, seconds.Count);
        Assert.Equal((101.00m, 101.00m, 101.00m, 101.00m, 500L, 1, 101.00m), Values(seconds[1]));
        Assert.Equal((100.00m, 100.50m, 100.00m, 100.50m, 700L, 3, 100.25m), Values(minute));
    }
}
