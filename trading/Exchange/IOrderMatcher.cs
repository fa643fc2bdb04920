namespace BigDataTrading.Exchange;

/// <summary>One execution produced by an <see cref="IOrderMatcher"/>: quantity in instrument units, price per unit.</summary>
/// <param name="Quantity">Filled quantity (positive).</param>
/// <param name="Price">Execution price.</param>
public readonly record struct OrderFill(decimal Quantity, decimal Price);

/// <summary>What an <see cref="IOrderMatcher"/> decided for one validated order. Immutable.</summary>
public sealed record OrderMatchResult
{
    private OrderMatchResult(string? rejectReason, IReadOnlyList<OrderFill> fills)
    {
        RejectReason = rejectReason;
        Fills = fills;
    }

    /// <summary>Set when the order is refused (sent as ExecType=8 with this Text); no New report is sent then.</summary>
    public string? RejectReason { get; }

    /// <summary>Fills in order; their quantities must not exceed the order quantity. Empty = the order rests.</summary>
    public IReadOnlyList<OrderFill> Fills { get; }

    /// <summary>Refuses the order.</summary>
    public static OrderMatchResult Rejected(string reason) => new(reason, []);

    /// <summary>Accepts the order with the given fills.</summary>
    public static OrderMatchResult Accepted(params OrderFill[] fills) => new(null, fills);
}

/// <summary>
/// Decides how a validated NewOrderSingle executes. This is the seam for a real order book (a later issue); the
/// simulator ships <see cref="FillInFullMatcher"/>. Called concurrently from every session: implementations must be
/// thread-safe.
/// </summary>
public interface IOrderMatcher
{
    /// <summary>Matches one order (already validated: positive quantity, known side/type/TIF, limit price present).</summary>
    OrderMatchResult Match(Fix.NewOrderSingle order);
}

/// <summary>
/// Fills every order in full immediately, like QuickFIX's <c>executor</c> example: limit orders at their limit
/// price, market orders at the reference price for the symbol (rejected with "no reference price for market order"
/// when none is known). Thread-safe if the reference-price function is.
/// </summary>
public sealed class FillInFullMatcher : IOrderMatcher
{
    private readonly Func<string, decimal?>? _referencePrice;

    /// <summary>Creates the matcher; <paramref name="referencePrice"/> maps a symbol to its current price (or null).</summary>
    public FillInFullMatcher(Func<string, decimal?>? referencePrice) => _referencePrice = referencePrice;

    /// <inheritdoc />
    public OrderMatchResult Match(Fix.NewOrderSingle order)
    {
        ArgumentNullException.ThrowIfNull(order);
        if (order.OrdType == Fix.FixOrdType.Limit)
        {
            return OrderMatchResult.Accepted(new OrderFill(order.OrderQty, order.Price!.Value));
        }

        var price = _referencePrice?.Invoke(order.Symbol);
        return price is > 0m
            ? OrderMatchResult.Accepted(new OrderFill(order.OrderQty, price.Value))
            : OrderMatchResult.Rejected("no reference price for market order");
    }
}
