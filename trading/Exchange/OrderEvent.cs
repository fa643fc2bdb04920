using BigDataTrading.Fix;

namespace BigDataTrading.Exchange;

/// <summary>
/// Why a matcher refused an order, a cancel or a replace. Business rejections are values, not exceptions: every
/// reason maps to a FIX code (<see cref="OrderRejectReasons.ToOrdRejReason"/>, <see cref="OrderRejectReasons.ToCxlRejReason"/>).
/// </summary>
public enum OrderRejectReason
{
    /// <summary>Not rejected.</summary>
    None = 0,

    /// <summary>A symbol list is configured and the symbol is not in it (OrdRejReason 1).</summary>
    UnknownSymbol,

    /// <summary>Price missing, not positive, or finer than 10^-8 (OrdRejReason 99 "other", as FIX 4.4 has no code).</summary>
    InvalidPrice,

    /// <summary>Quantity not positive, or a replace that does not leave quantity open (OrdRejReason 13).</summary>
    InvalidQuantity,

    /// <summary>A fill-or-kill order could not be filled completely on arrival.</summary>
    FokNotFillable,

    /// <summary>A market order (or FOK/IOC in paper mode) found nothing to execute against.</summary>
    NoLiquidity,

    /// <summary>The ClOrdID is already used by this party (OrdRejReason 6).</summary>
    DuplicateClOrdId,

    /// <summary>Side, order type or time in force the venue does not support.</summary>
    Unsupported,

    /// <summary>Cancel/replace for an order the party never sent, or by a superseded ClOrdID (CxlRejReason 1).</summary>
    UnknownOrder,

    /// <summary>Cancel/replace for an order that is already filled or canceled (CxlRejReason 0).</summary>
    TooLateToCancel,
}

/// <summary>FIX codes and default texts of <see cref="OrderRejectReason"/>.</summary>
public static class OrderRejectReasons
{
    /// <summary>OrdRejReason (103) for an order rejection.</summary>
    public static int ToOrdRejReason(this OrderRejectReason reason) => reason switch
    {
        OrderRejectReason.UnknownSymbol => FixOrdRejReason.UnknownSymbol,
        OrderRejectReason.InvalidQuantity => FixOrdRejReason.IncorrectQuantity,
        OrderRejectReason.DuplicateClOrdId => FixOrdRejReason.DuplicateOrder,
        OrderRejectReason.UnknownOrder => FixOrdRejReason.UnknownOrder,
        OrderRejectReason.TooLateToCancel => FixOrdRejReason.BrokerOption,
        _ => FixOrdRejReason.Other,
    };

    /// <summary>CxlRejReason (102) for a cancel or replace rejection.</summary>
    public static int ToCxlRejReason(this OrderRejectReason reason) => reason switch
    {
        OrderRejectReason.TooLateToCancel => 0,
        OrderRejectReason.UnknownOrder => 1,
        OrderRejectReason.DuplicateClOrdId => 6,
        _ => 99,
    };
}

/// <summary>What an <see cref="OrderEvent"/> announces; the simulator turns it into ExecType (150) per FIX version.</summary>
public enum OrderEventKind
{
    /// <summary>Order accepted (ExecType 0).</summary>
    New,

    /// <summary>A fill (FIX 4.4 ExecType F; FIX 4.2 ExecType 1 or 2).</summary>
    Trade,

    /// <summary>Remaining quantity canceled, by request or because IOC/market orders do not rest (ExecType 4).</summary>
    Canceled,

    /// <summary>Price/quantity amended by OrderCancelReplaceRequest (ExecType 5).</summary>
    Replaced,

    /// <summary>Order refused (ExecType 8), see <see cref="OrderEvent.Reason"/>.</summary>
    Rejected,

    /// <summary>A cancel or replace request refused: sent as OrderCancelReject (35=9), not as an ExecutionReport.</summary>
    CancelRejected,
}

/// <summary>
/// One report a matcher emits for one party (<see cref="Owner"/>): everything an ExecutionReport or OrderCancelReject
/// needs, as of the moment it happened. Quantities in instrument units, prices in quote currency per unit.
/// Immutable value; the matcher appends them in the order the owner must receive them.
/// </summary>
public readonly record struct OrderEvent
{
    /// <summary>What happened.</summary>
    public required OrderEventKind Kind { get; init; }

    /// <summary>The party to notify: the client's CompID (SenderCompID of its session).</summary>
    public required string Owner { get; init; }

    /// <summary>Venue order number (1, 2, …); 0 when the order was rejected before getting one.</summary>
    public required long OrderId { get; init; }

    /// <summary>ClOrdID (11) of the request this report answers (the order's latest ClOrdID for fills).</summary>
    public required string ClOrdId { get; init; }

    /// <summary>OrigClOrdID (41) on cancel/replace answers; null otherwise.</summary>
    public string? OrigClOrdId { get; init; }

    /// <summary>Symbol (55).</summary>
    public required string Symbol { get; init; }

    /// <summary>Side (54).</summary>
    public required FixSide Side { get; init; }

    /// <summary>OrdType (40).</summary>
    public FixOrdType OrdType { get; init; }

    /// <summary>OrderQty (38): the order's current quantity.</summary>
    public required decimal OrderQty { get; init; }

    /// <summary>Price (44): the limit price; null for market orders.</summary>
    public decimal? Price { get; init; }

    /// <summary>OrdStatus (39) after this event.</summary>
    public required FixOrdStatus OrdStatus { get; init; }

    /// <summary>LastQty (32): quantity of this fill; 0 when not a fill.</summary>
    public decimal LastQty { get; init; }

    /// <summary>LastPx (31): price of this fill; 0 when not a fill.</summary>
    public decimal LastPx { get; init; }

    /// <summary>CumQty (14).</summary>
    public decimal CumQty { get; init; }

    /// <summary>LeavesQty (151): 0 once the order is done (filled, canceled, rejected).</summary>
    public decimal LeavesQty { get; init; }

    /// <summary>AvgPx (6): volume-weighted price of all fills; 0 before any.</summary>
    public decimal AvgPx { get; init; }

    /// <summary>Reason code of a rejection or cancel reject (None otherwise).</summary>
    public OrderRejectReason Reason { get; init; }

    /// <summary>Text (58): the human-readable reason; null when nothing to say.</summary>
    public string? Text { get; init; }

    /// <summary>For <see cref="OrderEventKind.CancelRejected"/>: true when answering a replace (CxlRejResponseTo 2), false for a cancel (1).</summary>
    public bool IsReplaceResponse { get; init; }
}
