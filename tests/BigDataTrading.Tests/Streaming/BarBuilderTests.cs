using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;
using BigDataTrading.Streaming.Bars;

namespace BigDataTrading.Tests.Streaming;

public class BarBuilderTests
{
    private static readonly Symbol Spy = Symbol.Parse("SPY");
    private static long seq;

    private static TradeTick T(int second, decimal price, long size) =>
        new(Spy, new Timestamp(second * Timestamp.NanosPerSecond), Price.FromDecimal(price), size, ++seq);

    [Fact]
    public void A_trade_in_the_next_minute_closes_the_bar_with_hand_computed_ohlcv_and_vwap()
    {
        var builder = new BarBuilder(Timestamp.NanosPerMinute);
        Assert.False(builder.Add(T(0, 10m, 100), out _));
        Assert.False(builder.Add(T(10, 12m, 300), out _));
        Assert.False(builder.Add(T(59, 9m, 100), out _));
        Assert.True(builder.Add(T(60, 11m, 1), out var bar));

        Assert.Equal(new Timestamp(0), bar.Start);
        Assert.Equal(10m, bar.Open.ToDecimal());
        Assert.Equal(12m, bar.High.ToDecimal());
        Assert.Equal(9m, bar.Low.ToDecimal());
        Assert.Equal(9m, bar.Close.ToDecimal());
        Assert.Equal(500, bar.Volume);
        Assert.Equal(3, bar.TradeCount);
        Assert.Equal(11m, bar.Vwap.ToDecimal()); // (1000 + 3600 + 900) / 500
    }

    [Fact]
    public void Flush_closes_every_open_bar_and_a_late_trade_is_merged_and_counted()
    {
        var builder = new BarBuilder(Timestamp.NanosPerMinute);
        builder.Add(T(0, 10m, 1), out _);
        builder.Add(T(61, 10m, 1), out _);
        builder.Add(T(59, 10m, 5), out _);
        Assert.Equal(1, builder.LateTradesMerged);
        var bars = builder.Flush();
        var bar = Assert.Single(bars);
        Assert.Equal(6, bar.Volume);
        Assert.Empty(builder.Flush());
    }

    [Fact]
    public void Vwap_does_not_overflow_on_a_busy_minute()
    {
        var builder = new BarBuilder(Timestamp.NanosPerMinute);
        for (var i = 0; i < 100_000; i++)
        {
            builder.Add(new TradeTick(Spy, new Timestamp(i), Price.FromDecimal(50_000m), 1_000_000, i + 1), out _);
        }

        var bar = Assert.Single(builder.Flush());
        Assert.Equal(50_000m, bar.Vwap.ToDecimal());
    }

    [Fact]
    public void Adding_trades_of_known_symbols_allocates_nothing()
    {
        var builder = new BarBuilder(Timestamp.NanosPerMinute);
        var ibm = Symbol.Parse("IBM");
        for (var i = 0; i < 1_000; i++)
        {
            builder.Add(new TradeTick(i % 2 == 0 ? Spy : ibm, new Timestamp(i * Timestamp.NanosPerSecond), Price.FromDecimal(100m), 10, i + 1), out _);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        var completed = 0;
        for (var i = 1_000; i < 100_000; i++)
        {
            if (builder.Add(new TradeTick(i % 2 == 0 ? Spy : ibm, new Timestamp(i * Timestamp.NanosPerSecond), Price.FromDecimal(100m), 10, i + 1), out _))
            {
                completed++;
            }
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(completed > 3_000);
    }
}
