using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Orders;
using BigDataTrading.Core.Time;
using BigDataTrading.Streaming.Strategies;

namespace BigDataTrading.Tests.Streaming;

public class MovingAverageCrossStrategyTests
{
    private static readonly Symbol Spy = Symbol.Parse("SPY");

    private static Bar B(int minute, decimal close)
    {
        var p = Price.FromDecimal(close);
        return new Bar(Spy, new Timestamp(minute * Timestamp.NanosPerMinute), Timestamp.NanosPerMinute, p, p, p, p, 100, 1, p);
    }

    [Fact]
    public void Rising_then_falling_prices_go_long_then_reverse_short_with_deterministic_ids()
    {
        var strategy = new MovingAverageCrossStrategy(new MovingAverageCrossOptions(FastBars: 2, SlowBars: 4, TargetQuantity: 100));
        var closes = new[] { 10m, 11m, 12m, 13m, 14m, 13m, 11m, 9m };
        var signals = closes.Select((c, i) => strategy.OnBar(B(i, c))).Where(s => s is not null).Select(s => s!).ToList();

        Assert.Equal(2, signals.Count);
        Assert.Equal((Side.Buy, 100L), (signals[0].Side, signals[0].Quantity));
        Assert.Equal("smax-SPY-3", signals[0].SignalId);
        Assert.Equal((Side.Sell, 200L), (signals[1].Side, signals[1].Quantity));
        Assert.Equal(new Timestamp(7 * Timestamp.NanosPerMinute), signals[1].Time);
    }

    [Fact]
    public void Nothing_is_signalled_before_the_slow_average_has_enough_bars()
    {
        var strategy = new MovingAverageCrossStrategy(new MovingAverageCrossOptions(FastBars: 2, SlowBars: 4));
        Assert.All(Enumerable.Range(0, 3), i => Assert.Null(strategy.OnBar(B(i, 10m + i))));
    }
}
