using BigDataTrading.Fix;

namespace BigDataTrading.Exchange;

/// <summary>
/// A price-time-priority limit order book per symbol: orders of all sessions trade against each other.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Limit orders (Day or GTC; both rest until filled or canceled — there is no end-of-day expiry) trade at the
/// resting order's price, best price first, oldest first; the rest of the quantity rests.</item>
/// <item>Market orders take what the other side offers at any price; the remainder is canceled. With nothing on the
/// other side they are rejected (<see cref="OrderRejectReason.NoLiquidity"/>).</item>
/// <item>IOC: executes what it can, the remainder is canceled. FOK: executes completely or is rejected
/// (<see cref="OrderRejectReason.FokNotFillable"/>).</item>
/// <item>Replace amends price and quantity; the order keeps its queue position only when the price is unchanged and
/// the quantity does not grow. A replaced price that crosses the book trades at once.</item>
/// <item>Orders of the same party may trade with each other (no self-trade prevention).</item>
/// </list>
/// Prices are kept as fixed-point ticks of 10^-8 (finer prices are rejected); quantities as <see cref="decimal"/>.
/// Thread-safe (one lock for all symbols: a simulator is not latency-bound by lock contention).
/// </remarks>
public sealed class OrderBookMatcher : IExchangeMatcher
{
    private readonly MatchingCore _core;

    /// <summary>Creates an empty book; when <paramref name="symbols"/> is given, orders for other symbols are rejected.</summary>
    public OrderBookMatcher(IReadOnlySet<string>? symbols = null) => _core = new MatchingCore(symbols, paper: false);

    /// <summary>Resting levels of one side of <paramref name="symbol"/>, best first (a snapshot).</summary>
    public IReadOnlyList<BookLevel> Depth(string symbol, FixSide side) => _core.Depth(symbol, side);

    /// <inheritdoc />
    public void Submit(string owner, NewOrderSingle order, List<OrderEvent> events) => _core.Submit(owner, order, events);

    /// <inheritdoc />
    public void Cancel(string owner, OrderCancelRequest request, List<OrderEvent> events) => _core.Cancel(owner, request, events);

    /// <inheritdoc />
    public void Replace(string owner, OrderCancelReplaceRequest request, List<OrderEvent> events) => _core.Replace(owner, request, events);
}

/// <summary>
/// Paper trading: orders never trade with each other, only against replayed market prints
/// (<see cref="OnTrade"/>).
/// </summary>
/// <remarks>
/// Assumptions (optimistic about queue position, pessimistic about price):
/// <list type="bullet">
/// <item>A resting buy limit fills when a print is at or below its limit (a sell: at or above), at its own limit
/// price, up to the printed size; several of our orders share one print's size in price-time priority; each side
/// gets the full print size.</item>
/// <item>No queue position: our orders are treated as first in line at their price.</item>
/// <item>No market impact: our fills do not change later prints.</item>
/// <item>Market, IOC and FOK orders execute immediately against the latest print of the symbol (its price and at
/// most its size); Day/GTC limits only fill on prints after they arrived.</item>
/// </list>
/// Cancel and replace work as in <see cref="OrderBookMatcher"/>. Thread-safe.
/// </remarks>
public sealed class PaperMatcher : IMarketDataMatcher
{
    private readonly MatchingCore _core;

    /// <summary>Creates the matcher; when <paramref name="symbols"/> is given, orders for other symbols are rejected.</summary>
    public PaperMatcher(IReadOnlySet<string>? symbols = null) => _core = new MatchingCore(symbols, paper: true);

    /// <summary>Resting orders of one side of <paramref name="symbol"/>, best first (a snapshot).</summary>
    public IReadOnlyList<BookLevel> Depth(string symbol, FixSide side) => _core.Depth(symbol, side);

    /// <inheritdoc />
    public void Submit(string owner, NewOrderSingle order, List<OrderEvent> events) => _core.Submit(owner, order, events);

    /// <inheritdoc />
    public void Cancel(string owner, OrderCancelRequest request, List<OrderEvent> events) => _core.Cancel(owner, request, events);

    /// <inheritdoc />
    public void Replace(string owner, OrderCancelReplaceRequest request, List<OrderEvent> events) => _core.Replace(owner, request, events);

    /// <inheritdoc />
    public void OnTrade(in MarketTrade trade, List<OrderEvent> events) => _core.OnTrade(trade, events);

    /// <summary>Feeds every trade of <paramref name="trades"/> in order, handing each trade's fills to <paramref name="onEvents"/>.</summary>
    /// <returns>The number of trades consumed.</returns>
    public async Task<long> ReplayAsync(IAsyncEnumerable<MarketTrade> trades, Func<IReadOnlyList<OrderEvent>, ValueTask> onEvents, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trades);
        ArgumentNullException.ThrowIfNull(onEvents);
        var events = new List<OrderEvent>();
        long count = 0;
        await foreach (var trade in trades.WithCancellation(cancellationToken))
        {
            events.Clear();
            OnTrade(trade, events);
            count++;
            if (events.Count > 0)
            {
                await onEvents(events);
            }
        }

        return count;
    }
}
