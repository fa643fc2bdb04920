using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Orders;
using BigDataTrading.Core.Time;
using BigDataTrading.Trading.Risk;

namespace BigDataTrading.Tests.Trading;

public class PreTradeRiskTests
{
    private static readonly Symbol Spy = Symbol.Parse("SPY");
    private static readonly Price Market = Price.FromDecimal(100m);
    private readonly PreTradeRisk _risk = new(new PreTradeRiskOptions(MaxOrderQuantity: 500, MaxOrderNotional: 40_000m, MaxAbsolutePosition: 600, PriceCollarFraction: 0.02m));

    private static Order O(Side side, long qty, decimal limit) =>
        new(new ClientOrderId("C1"), Spy, side, qty, OrderType.Limit, Price.FromDecimal(limit), TimeInForce.Day, new Timestamp(0), "S1");

    [Fact]
    public void An_order_inside_every_limit_is_accepted()
    {
        Assert.True(_risk.Check(O(Side.Buy, 300, 101m), 0, Market).IsAccepted);
    }

    [Theory]
    [InlineData(0, 100, 0, RiskRejectReason.InvalidQuantity)]
    [InlineData(501, 100, 0, RiskRejectReason.MaxOrderQuantity)]
    [InlineData(450, 100, 0, RiskRejectReason.MaxOrderNotional)]
    [InlineData(300, 100, 400, RiskRejectReason.MaxPosition)]
    [InlineData(100, 102.5, 0, RiskRejectReason.PriceCollar)]
    [InlineData(100, 97.5, 0, RiskRejectReason.PriceCollar)]
    public void Each_limit_rejects_with_its_reason_code(long qty, double limit, long position, RiskRejectReason expected)
    {
        var decision = _risk.Check(O(Side.Buy, qty, (decimal)limit), position, Market);
        Assert.Equal(expected, decision.Reason);
        Assert.StartsWith(expected.ToString(), decision.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sell_that_reduces_a_long_is_inside_the_position_limit()
    {
        Assert.True(_risk.Check(O(Side.Sell, 300, 100m), 600, Market).IsAccepted);
    }

    [Fact]
    public void Without_a_market_price_the_order_is_refused()
    {
        Assert.Equal(RiskRejectReason.NoMarketPrice, _risk.Check(O(Side.Buy, 1, 100m), 0, null).Reason);
    }
}
