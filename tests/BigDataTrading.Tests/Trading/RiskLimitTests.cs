using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Orders;
using BigDataTrading.Core.Time;
using BigDataTrading.Trading.Risk;
using Microsoft.Extensions.Time.Testing;

namespace BigDataTrading.Tests.Trading;

/// <summary>The portfolio limits, the order-rate window and the volatility gate, each with hand-computed values.</summary>
public sealed class RiskLimitTests
{
    private static readonly Symbol Spy = Symbol.Parse("SPY");
    private static readonly Price Market = Price.FromDecimal(50m);

    private static readonly PreTradeRiskOptions Limits = new(
        MaxOrderQuantity: 1_000,
        MaxOrderNotional: 1_000_000m,
        MaxAbsolutePosition: 10_000,
        PriceCollarFraction: 0.02m,
        MaxGrossExposure: 100_000m,
        MaxOrdersPerWindow: 5,
        OrderRateWindowMilliseconds: 1_000,
        MaxOpenOrders: 3,
        MaxDailyLoss: 1_000m);

    private static Order O(long qty) =>
        new(new ClientOrderId("C1"), Spy, Side.Buy, qty, OrderType.Limit, Market, TimeInForce.Day, new Timestamp(0), "S1");

    private static RiskDecision Check(long qty, decimal gross = 0m, int open = 0, int inWindow = 0, decimal pnl = 0m, IRiskModelGate? gate = null) =>
        new PreTradeRisk(Limits, gate is null ? null : [gate]).Check(O(qty), new RiskSnapshot(0, Market, gross, open, inWindow, pnl));

    [Fact]
    public void Gross_exposure_may_reach_the_limit_but_not_pass_it()
    {
        // 95,000 held + 100 × 50.00 = 100,000 (= limit) passes; 101 × 50.00 → 100,050 does not.
        Assert.True(Check(100, gross: 95_000m).IsAccepted);
        var refused = Check(101, gross: 95_000m);
        Assert.Equal(RiskRejectReason.MaxGrossExposure, refused.Reason);
        Assert.Contains("100050", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_order_that_would_exceed_the_rate_in_the_window_is_refused()
    {
        Assert.True(Check(1, inWindow: 4).IsAccepted);
        Assert.Equal(RiskRejectReason.OrderRate, Check(1, inWindow: 5).Reason);
    }

    [Fact]
    public void No_new_order_while_the_open_order_limit_is_reached()
    {
        Assert.True(Check(1, open: 2).IsAccepted);
        Assert.Equal(RiskRejectReason.MaxOpenOrders, Check(1, open: 3).Reason);
    }

    [Fact]
    public void New_orders_stop_once_the_loss_today_reaches_the_daily_limit()
    {
        Assert.True(Check(1, pnl: -999.99m).IsAccepted);
        Assert.Equal(RiskRejectReason.DailyLoss, Check(1, pnl: -1_000m).Reason);
        Assert.True(Check(1, pnl: 5_000m).IsAccepted);
    }

    [Fact]
    public void The_rate_window_forgets_orders_exactly_one_window_later()
    {
        var clock = new FakeTimeProvider();
        var window = new OrderRateWindow(clock, TimeSpan.FromSeconds(1));
        window.Record();
        clock.Advance(TimeSpan.FromMilliseconds(500));
        window.Record();
        Assert.Equal(2, window.Count());

        clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(1, window.Count());
        clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(0, window.Count());
    }

    [Fact]
    public void Realized_volatility_is_the_root_mean_square_of_recent_returns()
    {
        // 100 → 101 → 100 → 101: returns +1 %, −0.990099 %, +1 %; σ = √((1e-4 + 0.98029605e-4 + 1e-4) / 3) = 0.0099671...
        var gate = new VolatilityGate(new VolatilityGateOptions(Window: 20, MaxVolatility: 0.01));
        var narrow = new VolatilityGate(new VolatilityGateOptions(Window: 2, MaxVolatility: 0.01));
        foreach (var p in new[] { 100m, 101m, 100m, 101m })
        {
            gate.Observe(Spy, Price.FromDecimal(p));
            narrow.Observe(Spy, Price.FromDecimal(p));
        }

        Assert.Equal(0.0099671, gate.Volatility(Spy)!.Value, 7);

        // Only the last two returns in a window of 2: √((0.98029605e-4 + 1e-4) / 2) = 0.0099506...
        Assert.Equal(0.0099506, narrow.Volatility(Spy)!.Value, 7);
        Assert.Null(gate.Volatility(Symbol.Parse("QQQ")));
    }

    [Fact]
    public void The_volatility_gate_refuses_orders_in_a_symbol_above_its_bound_with_the_model_gate_code()
    {
        var strict = new VolatilityGate(new VolatilityGateOptions(Window: 20, MaxVolatility: 0.0099));
        var lenient = new VolatilityGate(new VolatilityGateOptions(Window: 20, MaxVolatility: 0.01));
        foreach (var p in new[] { 100m, 101m, 100m, 101m })
        {
            strict.Observe(Spy, Price.FromDecimal(p));
            lenient.Observe(Spy, Price.FromDecimal(p));
        }

        var refused = Check(1, gate: strict);
        Assert.Equal(RiskRejectReason.ModelGate, refused.Reason);
        Assert.StartsWith("ModelGate: volatility gate: realized volatility of SPY 0.997", refused.Message, StringComparison.Ordinal);
        Assert.Contains("exceeds 0.990", refused.Message, StringComparison.Ordinal);
        Assert.True(Check(1, gate: lenient).IsAccepted);
    }

    [Fact]
    public void Without_enough_history_the_volatility_gate_accepts()
    {
        var gate = new VolatilityGate(new VolatilityGateOptions(Window: 5, MaxVolatility: 0.0001));
        gate.Observe(Spy, Price.FromDecimal(100m));
        gate.Observe(Spy, Price.FromDecimal(110m));
        Assert.True(Check(1, gate: gate).IsAccepted);
    }

    [Theory]
    [InlineData(0, 1_000, 3)]
    [InlineData(5, 0, 3)]
    [InlineData(5, 1_000, 0)]
    public void Limits_that_are_not_positive_are_refused_naming_the_setting(int perWindow, int windowMs, int maxOpen)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => (Limits with { MaxOrdersPerWindow = perWindow, OrderRateWindowMilliseconds = windowMs, MaxOpenOrders = maxOpen }).Validate());
        Assert.Contains(perWindow == 0 ? "MaxOrdersPerWindow" : windowMs == 0 ? "OrderRateWindowMilliseconds" : "MaxOpenOrders", ex.ParamName, StringComparison.Ordinal);
    }
}
