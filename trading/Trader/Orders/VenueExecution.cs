using BigDataTrading.Core.Orders;

namespace BigDataTrading.Trading.Orders;

/// <summary>
/// One event from a venue about one of our orders, richer than the warehouse's <see cref="ExecutionReport"/>: the
/// exact event kind (expired, replaced, pending cancel, status answers, cancel rejects) and the venue's view of the
/// order (its state and average price) so recovery can reconcile against it.
/// </summary>
/// <param name="Event">What happened.</param>
/// <param name="Report">The report normalized for the warehouse and the <c>executions</c> topic (ClientOrderId is our order's id, never a cancel request's).</param>
/// <param name="VenueState">The order's state according to the venue after this event.</param>
/// <param name="AveragePrice">Volume-weighted price of all fills so far, quote currency (0 before any fill).</param>
/// <param name="IsStatusAnswer">True for an answer to an OrderStatusRequest (FIX ExecType I): a snapshot, not an event.</param>
/// <param name="IsUnknownOrder">True when the venue answered that it does not know the order (status answer, OrdRejReason 5).</param>
public sealed record VenueExecution(
    OrderStateEvent Event,
    ExecutionReport Report,
    OrderState VenueState,
    decimal AveragePrice,
    bool IsStatusAnswer = false,
    bool IsUnknownOrder = false);
