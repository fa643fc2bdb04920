using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Time;

namespace BigDataTrading.Core.Orders;

/// <summary>What kind of event an execution report announces (FIX tag 150, the subset we act on).</summary>
public enum ExecutionKind
{
    /// <summary>Order accepted (150=0).</summary>
    New,

    /// <summary>A fill (150=F).</summary>
    Trade,

    /// <summary>Canceled (150=4).</summary>
    Canceled,

    /// <summary>Rejected (150=8).</summary>
    Rejected,
}

/// <summary>A venue's execution report, normalized from its wire format.</summary>
/// <param name="ClientOrderId">Our order id (FIX 11).</param>
/// <param name="VenueOrderId">Venue's order id (FIX 37).</param>
/// <param name="ExecutionId">Venue's unique execution id (FIX 17); fills are de-duplicated on it.</param>
/// <param name="Kind">Event kind.</param>
/// <param name="Status">Order status after this event.</param>
/// <param name="Symbol">Instrument.</param>
/// <param name="Side">Side.</param>
/// <param name="LastQuantity">Units filled by this event (0 unless <see cref="ExecutionKind.Trade"/>).</param>
/// <param name="LastPrice">Price of this fill.</param>
/// <param name="CumulativeQuantity">Units filled so far.</param>
/// <param name="LeavesQuantity">Units still working.</param>
/// <param name="TransactTime">Venue's event time.</param>
/// <param name="Text">Reason text for rejects, if any.</param>
public sealed record ExecutionReport(
    ClientOrderId ClientOrderId,
    string VenueOrderId,
    string ExecutionId,
    ExecutionKind Kind,
    OrderStatus Status,
    Symbol Symbol,
    Side Side,
    long LastQuantity,
    Price LastPrice,
    long CumulativeQuantity,
    long LeavesQuantity,
    Timestamp TransactTime,
    string? Text);

/// <summary>One fill: a quantity traded at a price. Derived from a Trade execution report.</summary>
/// <param name="ClientOrderId">Order filled.</param>
/// <param name="ExecutionId">Venue execution id.</param>
/// <param name="Symbol">Instrument.</param>
/// <param name="Side">Side.</param>
/// <param name="Quantity">Units, positive.</param>
/// <param name="Price">Fill price.</param>
/// <param name="Time">Venue time of the fill.</param>
public sealed record Fill(ClientOrderId ClientOrderId, string ExecutionId, Symbol Symbol, Side Side, long Quantity, Price Price, Timestamp Time)
{
    /// <summary>Signed quantity: positive for buys, negative for sells.</summary>
    public long SignedQuantity => Side.Sign() * Quantity;
}
