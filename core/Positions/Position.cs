using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Orders;

namespace BigDataTrading.Core.Positions;

/// <summary>
/// A position in one instrument with average-cost accounting. Immutable: <see cref="Apply"/> returns the new position.
/// Money is <see cref="decimal"/> so realized P&amp;L never drifts however many fills are summed.
/// </summary>
/// <param name="Symbol">Instrument.</param>
/// <param name="Quantity">Signed units: positive long, negative short.</param>
/// <param name="AveragePrice">Average entry price of the open quantity (0 when flat).</param>
/// <param name="RealizedPnl">P&amp;L locked in by closing trades, quote currency.</param>
public sealed record Position(Symbol Symbol, long Quantity, decimal AveragePrice, decimal RealizedPnl)
{
    /// <summary>A flat position with no history.</summary>
    public static Position Flat(Symbol symbol) => new(symbol, 0, 0m, 0m);

    /// <summary>Returns the position after a fill. Closing trades realize P&amp;L against the average price; a trade that
    /// flips the side opens the remainder at the fill price.</summary>
    public Position Apply(Fill fill)
    {
        if (fill.Symbol != Symbol)
        {
            throw new ArgumentException($"Fill for {fill.Symbol} applied to position in {Symbol}.", nameof(fill));
        }

        var delta = fill.SignedQuantity;
        var price = fill.Price.ToDecimal();
        if (Quantity == 0 || Math.Sign(Quantity) == Math.Sign(delta))
        {
            var newQty = Quantity + delta;
            var avg = ((AveragePrice * Math.Abs(Quantity)) + (price * Math.Abs(delta))) / Math.Abs(newQty);
            return this with { Quantity = newQty, AveragePrice = avg };
        }

        var closing = Math.Min(Math.Abs(delta), Math.Abs(Quantity));
        var realized = closing * (price - AveragePrice) * Math.Sign(Quantity);
        var remaining = Quantity + delta;
        var newAvg = remaining == 0 ? 0m : Math.Sign(remaining) == Math.Sign(Quantity) ? AveragePrice : price;
        return new Position(Symbol, remaining, newAvg, RealizedPnl + realized);
    }

    /// <summary>Unrealized P&amp;L of the open quantity at a mark price.</summary>
    public decimal UnrealizedPnl(Price mark) => Quantity == 0 ? 0m : Quantity * (mark.ToDecimal() - AveragePrice);
}
