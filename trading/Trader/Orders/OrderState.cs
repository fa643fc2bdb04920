using BigDataTrading.Core.Orders;

namespace BigDataTrading.Trading.Orders;

/// <summary>
/// The life cycle of one order as the order manager tracks it: FIX's OrdStatus values plus the trader's own
/// <see cref="LostNeverSent"/>. Stable names: they are written to the journal and the <c>orders</c> topic.
/// </summary>
public enum OrderState
{
    /// <summary>Journaled and handed to the venue, not yet acknowledged.</summary>
    PendingNew,

    /// <summary>Acknowledged by the venue, nothing filled.</summary>
    New,

    /// <summary>Some quantity filled, the rest working.</summary>
    PartiallyFilled,

    /// <summary>Completely filled (final).</summary>
    Filled,

    /// <summary>A cancel was requested and not yet answered.</summary>
    PendingCancel,

    /// <summary>A cancel/replace was requested and not yet answered.</summary>
    PendingReplace,

    /// <summary>Canceled (final).</summary>
    Canceled,

    /// <summary>Replaced by a newer order id (final for this id).</summary>
    Replaced,

    /// <summary>Refused by the venue (final).</summary>
    Rejected,

    /// <summary>Expired by the venue, e.g. a Day order at the close (final).</summary>
    Expired,

    /// <summary>Journaled but never reached the venue, and recovery decided not to send it any more (final).</summary>
    LostNeverSent,
}

/// <summary>What happened to an order: a venue report kind or a local decision. Drives <see cref="OrderStateMachine"/>.</summary>
public enum OrderStateEvent
{
    /// <summary>The venue acknowledged the order (ExecType 0).</summary>
    New,

    /// <summary>A fill (ExecType F, or 1/2 in FIX 4.2); the target depends on the leaves quantity.</summary>
    Trade,

    /// <summary>Canceled (ExecType 4).</summary>
    Canceled,

    /// <summary>Replaced (ExecType 5).</summary>
    Replaced,

    /// <summary>Rejected (ExecType 8).</summary>
    Rejected,

    /// <summary>Expired (ExecType C).</summary>
    Expired,

    /// <summary>The venue says a cancel is pending (ExecType 6) or the trader sent a cancel request.</summary>
    PendingCancel,

    /// <summary>The venue says a replace is pending (ExecType E) or the trader sent a cancel/replace request.</summary>
    PendingReplace,

    /// <summary>The venue refused a cancel or replace (OrderCancelReject 35=9): the order keeps working.</summary>
    CancelRejected,

    /// <summary>Recovery decided a journaled order that the venue never saw will not be sent.</summary>
    Lost,
}

/// <summary>
/// The legal transitions of <see cref="OrderState"/>. Pure and thread-safe. Final states accept nothing; a fill keeps a
/// pending cancel/replace pending (the request is still outstanding) unless it completes the order.
/// </summary>
public static class OrderStateMachine
{
    /// <summary>True for states after which no more events may arrive for the order id.</summary>
    public static bool IsFinal(this OrderState state) =>
        state is OrderState.Filled or OrderState.Canceled or OrderState.Replaced or OrderState.Rejected or OrderState.Expired or OrderState.LostNeverSent;

    /// <summary>The warehouse's and the executions topic's status for a state: one status per state, nothing merged.</summary>
    public static OrderStatus ToOrderStatus(this OrderState state) => state switch
    {
        OrderState.PendingNew => OrderStatus.PendingNew,
        OrderState.New => OrderStatus.New,
        OrderState.PartiallyFilled => OrderStatus.PartiallyFilled,
        OrderState.Filled => OrderStatus.Filled,
        OrderState.PendingCancel => OrderStatus.PendingCancel,
        OrderState.PendingReplace => OrderStatus.PendingReplace,
        OrderState.Canceled => OrderStatus.Canceled,
        OrderState.Replaced => OrderStatus.Replaced,
        OrderState.Rejected => OrderStatus.Rejected,
        OrderState.Expired => OrderStatus.Expired,
        OrderState.LostNeverSent => OrderStatus.LostNeverSent,
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Not an order state."),
    };

    /// <summary>
    /// The state after <paramref name="e"/>, or null when the event is illegal in <paramref name="from"/>.
    /// </summary>
    /// <param name="from">Current state.</param>
    /// <param name="e">What happened.</param>
    /// <param name="leavesQuantity">Units still open after the event (decides Filled vs PartiallyFilled for fills).</param>
    /// <param name="cumulativeQuantity">Units filled after the event (decides where a refused cancel returns to).</param>
    public static OrderState? Next(OrderState from, OrderStateEvent e, long leavesQuantity, long cumulativeQuantity)
    {
        if (from.IsFinal())
        {
            return null;
        }

        var working = cumulativeQuantity > 0 ? OrderState.PartiallyFilled : OrderState.New;
        return (from, e) switch
        {
            (OrderState.PendingNew, OrderStateEvent.New) => OrderState.New,
            (OrderState.PendingNew, OrderStateEvent.Lost) => OrderState.LostNeverSent,
            (OrderState.PendingNew or OrderState.New, OrderStateEvent.Rejected) => OrderState.Rejected,
            (_, OrderStateEvent.Trade) when leavesQuantity == 0 => OrderState.Filled,
            (OrderState.PendingCancel or OrderState.PendingReplace, OrderStateEvent.Trade) => from,
            (_, OrderStateEvent.Trade) => OrderState.PartiallyFilled,
            (_, OrderStateEvent.Canceled) => OrderState.Canceled,
            (_, OrderStateEvent.Expired) => OrderState.Expired,
            (OrderState.New or OrderState.PartiallyFilled or OrderState.PendingReplace, OrderStateEvent.Replaced) => OrderState.Replaced,
            (OrderState.PendingNew or OrderState.New or OrderState.PartiallyFilled or OrderState.PendingCancel, OrderStateEvent.PendingCancel) => OrderState.PendingCancel,
            (OrderState.New or OrderState.PartiallyFilled or OrderState.PendingReplace, OrderStateEvent.PendingReplace) => OrderState.PendingReplace,
            (OrderState.PendingCancel or OrderState.PendingReplace, OrderStateEvent.CancelRejected) => working,
            _ => null,
        };
    }
}
