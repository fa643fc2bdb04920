using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;
using BigDataTrading.Streaming.Quality;

namespace BigDataTrading.Tests.Streaming;

public class TickQualityFilterTests
{
    private static readonly Symbol Spy = Symbol.Parse("SPY");

    private static TradeTick T(long seq, int second, decimal price, long size = 100) =>
        new(Spy, new Timestamp(second * Timestamp.NanosPerSecond), Price.FromDecimal(price), size, seq);

    [Fact]
    public void Each_rule_rejects_with_its_reason_and_good_ticks_pass()
    {
        var filter = new TickQualityFilter(new TickQualityOptions());
        for (var i = 1; i <= 10; i++)
        {
            Assert.Equal(TickRejectReason.None, filter.Check(T(i, i + 10, 100m + (i * 0.01m))));
        }

        Assert.Equal(TickRejectReason.NonPositivePrice, filter.Check(T(11, 30, 0m)));
        Assert.Equal(TickRejectReason.NonPositiveSize, filter.Check(T(12, 30, 100m, 0)));
        Assert.Equal(TickRejectReason.Duplicate, filter.Check(T(10, 30, 100m)));
        Assert.Equal(TickRejectReason.OutOfOrder, filter.Check(T(13, 15, 100m)));
        Assert.Equal(TickRejectReason.PriceOutlier, filter.Check(T(14, 30, 110m)));
        Assert.Equal(TickRejectReason.None, filter.Check(T(15, 30, 100.5m)));
    }

    [Fact]
    public void A_tick_slightly_out_of_order_within_tolerance_passes()
    {
        var filter = new TickQualityFilter(new TickQualityOptions(OutOfOrderToleranceNanos: 2 * Timestamp.NanosPerSecond));
        Assert.Equal(TickRejectReason.None, filter.Check(T(1, 10, 100m)));
        Assert.Equal(TickRejectReason.None, filter.Check(T(2, 9, 100m)));
        Assert.Equal(TickRejectReason.OutOfOrder, filter.Check(T(3, 7, 100m)));
    }

    [Fact]
    public void Invalid_options_name_the_setting()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new TickQualityFilter(new TickQualityOptions(MaxDeviationFraction: 2)));
        Assert.Equal("MaxDeviationFraction", ex.ParamName);
    }

    [Fact]
    public void Checking_known_symbols_allocates_nothing()
    {
        var filter = new TickQualityFilter(new TickQualityOptions());
        for (var i = 1; i <= 1_000; i++)
        {
            filter.Check(T(i, i, 100m));
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 1_001; i < 10_000; i++)
        {
            filter.Check(T(i, i, 100m));
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
