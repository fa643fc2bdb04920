using BigDataTrading.Fix;

namespace BigDataTrading.Exchange;

/// <summary>One price level of an <see cref="OrderBook"/>: price in quote currency per unit, total open quantity, order count.</summary>
/// <param name="Price">Limit price of the level.</param>
/// <param name="Quantity">Sum of the open (leaves) quantity of its orders, instrument units.</param>
/// <param name="Orders">Number of orders resting at this price.</param>
public readonly record struct BookLevel(decimal Price, decimal Quantity, int Orders);

/// <summary>
/// The resting orders of one symbol in price-time priority: per side, price levels sorted best-last, each a FIFO
/// (intrusive doubly-linked list, so cancel is O(1) within a level).
/// </summary>
/// <remarks>
/// <para>Prices are fixed-point: <see cref="long"/> counts of 10^-8 ("ticks", the same scale as the domain's
/// <c>Price</c>), so level lookup is an integer compare and no decimal rounding can split a level. Quantities stay
/// <see cref="decimal"/> (fractional units are allowed by the FIX messages and sums stay exact).</para>
/// <para>Allocation-light: one object per resting order; level objects are pooled; keeping levels in a sorted list
/// with the best price last makes removing the best level O(1) and inserting O(log n + moves).</para>
/// <para>Not thread-safe: its owning matcher serializes access. The read members are safe to call under that lock
/// or when no order is being processed (as in tests).</para>
/// </remarks>
public sealed class OrderBook
{
    private readonly List<PriceLevel> _bids = []; // ascending price: best (highest) last
    private readonly List<PriceLevel> _asks = []; // descending price: best (lowest) last
    private readonly Stack<PriceLevel> _pool = new();

    /// <summary>Creates an empty book.</summary>
    public OrderBook(string symbol)
    {
        ArgumentException.ThrowIfNullOrEmpty(symbol);
        Symbol = symbol;
    }

    /// <summary>The instrument.</summary>
    public string Symbol { get; }

    /// <summary>Highest bid, or null when no buy order rests.</summary>
    public decimal? BestBid => _bids.Count == 0 ? null : Ticks.ToDecimal(_bids[^1].Price);

    /// <summary>Lowest ask, or null when no sell order rests.</summary>
    public decimal? BestAsk => _asks.Count == 0 ? null : Ticks.ToDecimal(_asks[^1].Price);

    /// <summary>The levels of one side, best first.</summary>
    public IReadOnlyList<BookLevel> Depth(FixSide side)
    {
        var levels = Levels(side);
        var result = new BookLevel[levels.Count];
        for (var i = 0; i < result.Length; i++)
        {
            var level = levels[levels.Count - 1 - i];
            result[i] = new BookLevel(Ticks.ToDecimal(level.Price), level.Quantity, level.Count);
        }

        return result;
    }

    /// <summary>The best level of a side, or null.</summary>
    internal PriceLevel? Best(FixSide side)
    {
        var levels = Levels(side);
        return levels.Count == 0 ? null : levels[^1];
    }

    /// <summary>Open quantity on <paramref name="side"/> at prices an order limited to <paramref name="limit"/> may take (stops at <paramref name="enough"/>).</summary>
    internal decimal LiquidityFor(FixSide side, long? limit, decimal enough)
    {
        var levels = Levels(side);
        decimal total = 0;
        for (var i = levels.Count - 1; i >= 0 && total < enough; i--)
        {
            if (limit is { } l && !Crosses(side, levels[i].Price, l))
            {
                break;
            }

            total += levels[i].Quantity;
        }

        return total;
    }

    /// <summary>True when a resting order on <paramref name="restingSide"/> at <paramref name="restingPrice"/> trades with an incoming limit of <paramref name="limit"/>.</summary>
    internal static bool Crosses(FixSide restingSide, long restingPrice, long limit) =>
        restingSide == FixSide.Sell ? restingPrice <= limit : restingPrice >= limit;

    /// <summary>Appends the order at the back of its price level (lowest time priority).</summary>
    internal void Add(BookOrder order)
    {
        var levels = Levels(order.Side);
        var index = Find(levels, order.Side, order.Price, out var found);
        PriceLevel level;
        if (found)
        {
            level = levels[index];
        }
        else
        {
            level = _pool.Count > 0 ? _pool.Pop() : new PriceLevel();
            level.Price = order.Price;
            levels.Insert(index, level);
        }

        level.Append(order);
    }

    /// <summary>Unlinks a resting order; drops its level when it empties.</summary>
    internal void Remove(BookOrder order)
    {
        var level = order.Level ?? throw new InvalidOperationException("Order is not resting.");
        level.Unlink(order);
        if (level.Count == 0)
        {
            var levels = Levels(order.Side);
            var index = levels.Count > 0 && ReferenceEquals(levels[^1], level)
                ? levels.Count - 1
                : Find(levels, order.Side, level.Price, out _);
            levels.RemoveAt(index);
            _pool.Push(level);
        }
    }

    private List<PriceLevel> Levels(FixSide side) => side == FixSide.Buy ? _bids : _asks;

    /// <summary>Binary search in a side's list; returns the index of the level or where to insert it.</summary>
    private static int Find(List<PriceLevel> levels, FixSide side, long price, out bool found)
    {
        int lo = 0, hi = levels.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var p = levels[mid].Price;
            if (p == price)
            {
                found = true;
                return mid;
            }

            // Bids ascend and asks descend towards the best price at the end.
            var before = side == FixSide.Buy ? p < price : p > price;
            if (before)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        found = false;
        return lo;
    }
}

/// <summary>A FIFO of orders at one price. Mutable; owned by one <see cref="OrderBook"/>.</summary>
internal sealed class PriceLevel
{
    public long Price { get; set; }

    public BookOrder? Head { get; private set; }

    public BookOrder? Tail { get; private set; }

    public int Count { get; private set; }

    public decimal Quantity { get; set; }

    public void Append(BookOrder order)
    {
        order.Level = this;
        order.Prev = Tail;
        order.Next = null;
        if (Tail is null)
        {
            Head = order;
        }
        else
        {
            Tail.Next = order;
        }

        Tail = order;
        Count++;
        Quantity += order.Leaves;
    }

    public void Unlink(BookOrder order)
    {
        if (order.Prev is null)
        {
            Head = order.Next;
        }
        else
        {
            order.Prev.Next = order.Next;
        }

        if (order.Next is null)
        {
            Tail = order.Prev;
        }
        else
        {
            order.Next.Prev = order.Prev;
        }

        Count--;
        Quantity -= order.Leaves;
        order.Prev = order.Next = null;
        order.Level = null;
    }
}

/// <summary>The matcher's state of one order (resting or done). Mutable; guarded by the matcher's lock.</summary>
internal sealed class BookOrder
{
    /// <summary>Venue order number; 0 until accepted.</summary>
    public required long Id { get; set; }

    public required string Owner { get; init; }

    public required string Symbol { get; init; }

    public required FixSide Side { get; init; }

    public required FixOrdType OrdType { get; init; }

    public required FixTimeInForce TimeInForce { get; init; }

    /// <summary>Latest ClOrdID (changes on replace).</summary>
    public required string ClOrdId { get; set; }

    public string? OrigClOrdId { get; set; }

    public required decimal OrderQty { get; set; }

    /// <summary>Limit in ticks of 10^-8; 0 for market orders.</summary>
    public long Price { get; set; }

    public decimal CumQty { get; set; }

    /// <summary>Sum of fill quantity × price (for AvgPx).</summary>
    public decimal Notional { get; set; }

    public FixOrdStatus Status { get; set; } = FixOrdStatus.New;

    public decimal Leaves => IsDone ? 0 : OrderQty - CumQty;

    public decimal AvgPx => CumQty == 0 ? 0 : Notional / CumQty;

    public bool IsDone => Status is FixOrdStatus.Filled or FixOrdStatus.Canceled or FixOrdStatus.Rejected or FixOrdStatus.Expired;

    public PriceLevel? Level { get; set; }

    public BookOrder? Prev { get; set; }

    public BookOrder? Next { get; set; }

    /// <summary>Records a fill and returns whether the order is now complete.</summary>
    public void Fill(decimal quantity, decimal price)
    {
        CumQty += quantity;
        Notional += quantity * price;
        Status = CumQty >= OrderQty ? FixOrdStatus.Filled : FixOrdStatus.PartiallyFilled;
    }
}

/// <summary>Conversions between <see cref="decimal"/> prices and fixed-point ticks of 10^-8.</summary>
public static class Ticks
{
    /// <summary>Ticks per unit of price (10^8).</summary>
    public const long PerUnit = 100_000_000;

    /// <summary>Converts a price to ticks; false when it is not positive, finer than 10^-8 or out of range.</summary>
    public static bool TryFromDecimal(decimal price, out long ticks)
    {
        ticks = 0;
        if (price <= 0 || price > long.MaxValue / PerUnit)
        {
            return false;
        }

        var scaled = price * PerUnit;
        if (scaled != decimal.Truncate(scaled))
        {
            return false;
        }

        ticks = (long)scaled;
        return true;
    }

    /// <summary>Converts ticks to a price without trailing zeros (150.25, not 150.25000000).</summary>
    public static decimal ToDecimal(long ticks) => new decimal(ticks) / PerUnit / 1.000000000000000000000000000000000m;
}
