using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;
using BigDataTrading.Streaming.Bars;
using BigDataTrading.Streaming.Ingestion;

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
    public void Ineligible_trades_count_toward_volume_only_and_a_minute_without_an_eligible_trade_prices_from_all_of_them()
    {
        static TradeTick C(int second, decimal price, long size, SaleConditions conditions) =>
            new(Spy, new Timestamp(second * Timestamp.NanosPerSecond), Price.FromDecimal(price), size, ++seq, 'P', conditions);

        var builder = new BarBuilder(Timestamp.NanosPerMinute);
        builder.Add(C(0, 20.00m, 500, SaleConditions.AveragePrice), out _); // volume only (would be open and low)
        builder.Add(C(5, 21.00m, 100, SaleConditions.Regular), out _);
        builder.Add(C(6, 25.00m, 100, SaleConditions.IntermarketSweep), out _); // volume only (would be high)
        builder.Add(C(7, 20.50m, 300, SaleConditions.IntermarketSweep | SaleConditions.ExtendedHours), out _); // extended hours: prices too
        builder.Add(C(8, 24.00m, 50, SaleConditions.DerivativelyPriced), out _); // volume only (would be close)
        Assert.True(builder.Add(C(60, 30.00m, 100, SaleConditions.IntermarketSweep), out var mixed));
        builder.Add(C(70, 31.00m, 300, SaleConditions.AveragePrice), out _);
        var fallback = Assert.Single(builder.Flush());

        // Eligible: 21.00×100 and 20.50×300 → VWAP 8,250 / 400 = 20.625; volume and count take all five trades.
        Assert.Equal((21.00m, 21.00m, 20.50m, 20.50m, 1_050L, 5, 20.625m), Values(mixed));
        // No eligible trade: prices from all of them, VWAP (3,000 + 9,300) / 400 = 30.75; the bar passes the ingest bar check.
        Assert.Equal((30.00m, 31.00m, 30.00m, 31.00m, 400L, 2, 30.75m), Values(fallback));
        var quality = new IngestValidator(new() { Session = TradingSession.Always });
        Assert.Equal(IngestRejectReason.None, quality.Check(mixed));
        Assert.Equal(IngestRejectReason.None, quality.Check(fallback));
    }

    private static (decimal O, decimal H, decimal L, decimal C, long V, int N, decimal Vwap) Values(Bar b) =>
        (b.Open.ToDecimal(), b.High.ToDecimal(), b.Low.ToDecimal(), b.Close.ToDecimal(), b.Volume, b.TradeCount, b.Vwap.ToDecimal());

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
            if (builder.Add(new TradeTick(i % 2 == 0 ? Spy : ibm, new Timestamp(i * Timestamp.NanosPerSecond), Price.FromDecimal(100m), 10, i + 1, 'P', i % 3 == 0 ? SaleConditions.IntermarketSweep : SaleConditions.Regular), out _))
            {
                completed++;
            }
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(completed > 3_000);
    }
}
