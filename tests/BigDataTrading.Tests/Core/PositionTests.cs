using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Orders;
using BigDataTrading.Core.Positions;
using BigDataTrading.Core.Time;

namespace BigDataTrading.Tests.Core;

public class PositionTests
{
    private static readonly Symbol Spy = Symbol.Parse("SPY");

    private static Fill F(Side side, long qty, decimal px, string id) =>
        new(new ClientOrderId("C" + id), id, Spy, side, qty, Price.FromDecimal(px), default);

    [Fact]
    public void Buys_average_their_cost()
    {
        var p = Position.Flat(Spy).Apply(F(Side.Buy, 100, 10m, "1")).Apply(F(Side.Buy, 100, 12m, "2"));
        Assert.Equal(200, p.Quantity);
        Assert.Equal(11m, p.AveragePrice);
        Assert.Equal(0m, p.RealizedPnl);
        Assert.Equal(200m, p.UnrealizedPnl(Price.FromDecimal(12m)));
    }

    [Fact]
    public void Closing_realizes_against_the_average_and_a_flip_opens_at_the_fill_price()
    {
        var p = Position.Flat(Spy)
            .Apply(F(Side.Buy, 100, 10m, "1"))
            .Apply(F(Side.Sell, 150, 11m, "2"));
        Assert.Equal(-50, p.Quantity);
        Assert.Equal(100m, p.RealizedPnl);
        Assert.Equal(11m, p.AveragePrice);

        var flat = p.Apply(F(Side.Buy, 50, 10.5m, "3"));
        Assert.Equal(0, flat.Quantity);
        Assert.Equal(125m, flat.RealizedPnl);
        Assert.Equal(0m, flat.AveragePrice);
    }

    [Fact]
    public void A_fill_for_another_symbol_is_refused()
    {
        var fill = new Fill(new ClientOrderId("X"), "E", Symbol.Parse("IBM"), Side.Buy, 1, Price.FromDecimal(1m), new Timestamp(0));
        Assert.Throws<ArgumentException>(() => Position.Flat(Spy).Apply(fill));
    }
}
