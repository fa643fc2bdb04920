using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Time;

namespace BigDataTrading.Core.Orders;

/// <summary>An order intent as the trader sends it to a venue. Immutable; state lives in the order manager.</summary>
/// <param name="ClientOrderId">Our id for the order (FIX 11).</param>
/// <param name="Symbol">Instrument.</param>
/// <param name="Side">Buy or sell.</param>
/// <param name="Quantity">Whole units, positive.</param>
/// <param name="Type">Market or limit.</param>
/// <param name="LimitPrice">Limit price; required for <see cref="OrderType.Limit"/>, null for market orders.</param>
/// <param name="TimeInForce">How long the order works.</param>
/// <param name="CreatedAt">Wall-clock time the intent was created (from the injected clock).</param>
/// <param name="SignalId">The signal that caused it, for lineage.</param>
public sealed record Order(
    ClientOrderId ClientOrderId,
    Symbol Symbol,
    Side Side,
    long Quantity,
    OrderType Type,
    Price? LimitPrice,
    TimeInForce TimeInForce,
    Timestamp CreatedAt,
    string SignalId)
{
    /// <summary>Notional at the limit (or given reference) price, in quote currency.</summary>
    public decimal Notional(Price reference) => Quantity * (LimitPrice ?? reference).ToDecimal();
}
