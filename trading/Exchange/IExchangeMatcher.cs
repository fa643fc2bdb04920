using BigDataTrading.Fix;

namespace BigDataTrading.Exchange;

/// <summary>
/// The stateful matching seam: orders rest, can be canceled or replaced, and one request may produce reports for
/// several parties (the resting orders of other sessions it trades against). The simulator routes each
/// <see cref="OrderEvent"/> to the session of its <see cref="OrderEvent.Owner"/>, in the order appended.
/// Unlike the stateless <see cref="IOrderMatcher"/>, this one sees cancels and replaces.
/// </summary>
/// <remarks>
/// Implementations must be thread-safe. The simulator additionally serializes calls so that the reports of one
/// call reach their sessions before those of the next (a party never sees a cancel before an earlier fill).
/// Validation of side, type, quantity and price is the matcher's job: it answers with
/// <see cref="OrderEventKind.Rejected"/> and a reason code.
/// </remarks>
public interface IExchangeMatcher
{
    /// <summary>Handles a NewOrderSingle of <paramref name="owner"/> (its CompID); appends the resulting events.</summary>
    void Submit(string owner, NewOrderSingle order, List<OrderEvent> events);

    /// <summary>Handles an OrderCancelRequest; appends Canceled, or CancelRejected with a reason.</summary>
    void Cancel(string owner, OrderCancelRequest request, List<OrderEvent> events);

    /// <summary>Handles an OrderCancelReplaceRequest; appends Replaced (and any fills it causes), or CancelRejected.</summary>
    void Replace(string owner, OrderCancelReplaceRequest request, List<OrderEvent> events);
}

/// <summary>A matcher that also executes against market data: the simulator feeds it every replayed trade.</summary>
public interface IMarketDataMatcher : IExchangeMatcher
{
    /// <summary>A trade printed on the market; appends the fills it causes.</summary>
    void OnTrade(in MarketTrade trade, List<OrderEvent> events);
}

/// <summary>One trade of replayed market data. Price in quote currency per unit, size in instrument units.</summary>
/// <param name="Symbol">Instrument.</param>
/// <param name="Time">Event time of the print (UTC).</param>
/// <param name="Price">Trade price (positive).</param>
/// <param name="Size">Traded quantity (positive).</param>
public readonly record struct MarketTrade(string Symbol, DateTimeOffset Time, decimal Price, decimal Size);
