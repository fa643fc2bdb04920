using System.Globalization;
using BigDataTrading.Fix;

namespace BigDataTrading.Exchange;

/// <summary>
/// Order state, validation, cancel and replace shared by <see cref="OrderBookMatcher"/> (orders cross each other)
/// and <see cref="PaperMatcher"/> (orders execute only against replayed prints). Thread-safe: one lock per instance.
/// </summary>
internal sealed class MatchingCore
{
    private readonly Lock _lock = new();
    private readonly IReadOnlySet<string>? _symbols;
    private readonly bool _paper;
    private readonly Dictionary<string, OrderBook> _books = new(StringComparer.Ordinal);

    // Every ClOrdID a party ever used (orders, cancels, replaces) → its order, so late or duplicate requests get the
    // right reason. Grows for the life of the simulator (one session day); nothing is evicted.
    private readonly Dictionary<(string Owner, string ClOrdId), BookOrder> _orders = [];
    private readonly Dictionary<string, MarketTrade> _lastPrints = new(StringComparer.Ordinal);
    private long _nextOrderId;

    public MatchingCore(IReadOnlySet<string>? symbols, bool paper)
    {
        _symbols = symbols;
        _paper = paper;
    }

    public IReadOnlyList<BookLevel> Depth(string symbol, FixSide side)
    {
        lock (_lock)
        {
            return _books.TryGetValue(symbol, out var book) ? book.Depth(side) : [];
        }
    }

    public void Submit(string owner, NewOrderSingle order, List<OrderEvent> events)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(order);
        ArgumentNullException.ThrowIfNull(events);
        lock (_lock)
        {
            var (reason, text, ticks) = Validate(order);
            if (reason == OrderRejectReason.None && _orders.ContainsKey((owner, order.ClOrdId)))
            {
                (reason, text) = (OrderRejectReason.DuplicateClOrdId, $"duplicate ClOrdID {order.ClOrdId}");
            }

            var book = reason == OrderRejectReason.None ? BookFor(order.Symbol) : null;
            var accepted = book is null ? null : new BookOrder
            {
                Id = 0,
                Owner = owner,
                Symbol = order.Symbol,
                Side = order.Side,
                OrdType = order.OrdType,
                TimeInForce = order.TimeInForce,
                ClOrdId = order.ClOrdId,
                OrderQty = order.OrderQty,
                Price = ticks,
            };
            if (accepted is not null)
            {
                // FOK and market orders are decided before acknowledging: an FOK that cannot fill completely, or a
                // market order with nothing to trade against, is rejected rather than acknowledged and canceled.
                var immediate = Available(book!, accepted, order.OrderQty);
                if (order.TimeInForce == FixTimeInForce.FillOrKill && immediate < order.OrderQty)
                {
                    (reason, text) = (OrderRejectReason.FokNotFillable, string.Create(CultureInfo.InvariantCulture, $"FOK not fillable: {immediate} available of {order.OrderQty}"));
                }
                else if (order.OrdType == FixOrdType.Market && immediate == 0)
                {
                    (reason, text) = (OrderRejectReason.NoLiquidity, "no liquidity for market order");
                }
            }

            if (reason != OrderRejectReason.None)
            {
                events.Add(new OrderEvent
                {
                    Kind = OrderEventKind.Rejected,
                    Owner = owner,
                    OrderId = 0,
                    ClOrdId = order.ClOrdId,
                    Symbol = order.Symbol,
                    Side = order.Side,
                    OrdType = order.OrdType,
                    OrderQty = order.OrderQty,
                    Price = order.OrdType == FixOrdType.Limit ? order.Price : null,
                    OrdStatus = FixOrdStatus.Rejected,
                    Reason = reason,
                    Text = text,
                });
                return;
            }

            accepted!.Id = ++_nextOrderId;
            _orders[(owner, accepted.ClOrdId)] = accepted;
            events.Add(EventOf(accepted, OrderEventKind.New));
            Execute(book!, accepted, events);
            RestOrCancel(book!, accepted, events);
        }
    }

    public void Cancel(string owner, OrderCancelRequest request, List<OrderEvent> events)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(events);
        lock (_lock)
        {
            var order = Lookup(owner, request.OrigClOrdId, request.ClOrdId, request.Symbol, request.Side, out var reason, out var text);
            if (order is null)
            {
                events.Add(CancelReject(owner, request.ClOrdId, request.OrigClOrdId, request.Symbol, request.Side, _orders.GetValueOrDefault((owner, request.OrigClOrdId)), reason, text, replace: false));
                return;
            }

            if (order.Level is not null)
            {
                BookFor(order.Symbol).Remove(order);
            }

            order.Status = FixOrdStatus.Canceled;
            Rename(order, request.ClOrdId);
            events.Add(EventOf(order, OrderEventKind.Canceled) with { Text = "canceled on request" });
        }
    }

    public void Replace(string owner, OrderCancelReplaceRequest request, List<OrderEvent> events)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(events);
        lock (_lock)
        {
            var order = Lookup(owner, request.OrigClOrdId, request.ClOrdId, request.Symbol, request.Side, out var reason, out var text);
            long ticks = 0;
            if (order is not null)
            {
                if (request.OrdType != order.OrdType)
                {
                    (reason, text) = (OrderRejectReason.Unsupported, "OrdType cannot be changed by a replace");
                }
                else if (request.OrderQty <= order.CumQty)
                {
                    (reason, text) = (OrderRejectReason.InvalidQuantity, string.Create(CultureInfo.InvariantCulture, $"OrderQty {request.OrderQty} must exceed CumQty {order.CumQty}"));
                }
                else if (order.OrdType == FixOrdType.Limit && (request.Price is not { } p || !Ticks.TryFromDecimal(p, out ticks)))
                {
                    (reason, text) = (OrderRejectReason.InvalidPrice, "Price must be positive with at most 8 decimals");
                }
            }

            if (order is null || reason != OrderRejectReason.None)
            {
                events.Add(CancelReject(owner, request.ClOrdId, request.OrigClOrdId, request.Symbol, request.Side, _orders.GetValueOrDefault((owner, request.OrigClOrdId)), reason, text, replace: true));
                return;
            }

            var book = BookFor(order.Symbol);
            // Price-time priority: a new price or a larger quantity goes to the back of the queue; a pure
            // quantity reduction keeps its place (it cannot hurt anyone queued behind it).
            var losesPriority = ticks != order.Price || request.OrderQty > order.OrderQty;
            if (losesPriority)
            {
                book.Remove(order);
                order.OrderQty = request.OrderQty;
                order.Price = ticks;
            }
            else
            {
                order.Level!.Quantity -= order.OrderQty - request.OrderQty;
                order.OrderQty = request.OrderQty;
            }

            Rename(order, request.ClOrdId);
            events.Add(EventOf(order, OrderEventKind.Replaced));
            if (losesPriority)
            {
                // The new price may cross the other side: the amended order then trades as an aggressor.
                Execute(book, order, events);
                RestOrCancel(book, order, events);
            }
        }
    }

    /// <summary>Paper mode: a print executes resting orders whose limit it reaches, up to its size per side.</summary>
    public void OnTrade(in MarketTrade trade, List<OrderEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (trade.Size <= 0 || !Ticks.TryFromDecimal(trade.Price, out var printTicks))
        {
            return; // Bad prints are the feed's problem; they must not trade.
        }

        lock (_lock)
        {
            _lastPrints[trade.Symbol] = trade;
            if (!_books.TryGetValue(trade.Symbol, out var book))
            {
                return;
            }

            foreach (var side in (ReadOnlySpan<FixSide>)[FixSide.Buy, FixSide.Sell])
            {
                // No queue position and no market impact: every print can fill our resting orders on each side up
                // to its full size, best price first, then oldest first; the fill is at the order's own limit.
                var remaining = trade.Size;
                while (remaining > 0 && book.Best(side) is { } level && OrderBook.Crosses(side, level.Price, printTicks))
                {
                    var resting = level.Head!;
                    var quantity = Math.Min(resting.Leaves, remaining);
                    FillResting(book, level, resting, quantity, events);
                    remaining -= quantity;
                }
            }
        }
    }

    private (OrderRejectReason Reason, string? Text, long Ticks) Validate(NewOrderSingle order)
    {
        if (order.OrderQty <= 0)
        {
            return (OrderRejectReason.InvalidQuantity, string.Create(CultureInfo.InvariantCulture, $"OrderQty must be positive (was {order.OrderQty})"), 0);
        }

        if (!Enum.IsDefined(order.Side))
        {
            return (OrderRejectReason.Unsupported, $"unsupported Side '{(char)order.Side}'", 0);
        }

        if (!Enum.IsDefined(order.OrdType))
        {
            return (OrderRejectReason.Unsupported, $"unsupported OrdType '{(char)order.OrdType}'", 0);
        }

        if (!Enum.IsDefined(order.TimeInForce))
        {
            return (OrderRejectReason.Unsupported, $"unsupported TimeInForce '{(char)order.TimeInForce}'", 0);
        }

        if (_symbols is not null && !_symbols.Contains(order.Symbol))
        {
            return (OrderRejectReason.UnknownSymbol, $"unknown symbol {order.Symbol}", 0);
        }

        if (order.OrdType == FixOrdType.Limit)
        {
            if (order.Price is not > 0m)
            {
                return (OrderRejectReason.InvalidPrice, "limit order requires a positive Price", 0);
            }

            if (!Ticks.TryFromDecimal(order.Price.Value, out var ticks))
            {
                return (OrderRejectReason.InvalidPrice, string.Create(CultureInfo.InvariantCulture, $"Price {order.Price} has more than 8 decimals or is out of range"), 0);
            }

            return (OrderRejectReason.None, null, ticks);
        }

        return (OrderRejectReason.None, null, 0);
    }

    /// <summary>Finds the open order a cancel/replace targets, or says why not.</summary>
    private BookOrder? Lookup(string owner, string origClOrdId, string clOrdId, string symbol, FixSide side, out OrderRejectReason reason, out string? text)
    {
        (reason, text) = (OrderRejectReason.None, null);
        if (!_orders.TryGetValue((owner, origClOrdId), out var order))
        {
            (reason, text) = (OrderRejectReason.UnknownOrder, $"unknown order {origClOrdId}");
        }
        else if (order.IsDone)
        {
            (reason, text) = (OrderRejectReason.TooLateToCancel, order.Status == FixOrdStatus.Filled ? "too late to cancel: order already filled" : "too late to cancel: order already canceled");
        }
        else if (order.ClOrdId != origClOrdId)
        {
            (reason, text) = (OrderRejectReason.UnknownOrder, $"ClOrdID {origClOrdId} was replaced by {order.ClOrdId}");
        }
        else if (order.Symbol != symbol || order.Side != side)
        {
            (reason, text) = (OrderRejectReason.UnknownOrder, $"Symbol/Side do not match order {origClOrdId}");
        }
        else if (_orders.ContainsKey((owner, clOrdId)))
        {
            (reason, text) = (OrderRejectReason.DuplicateClOrdId, $"duplicate ClOrdID {clOrdId}");
        }

        return reason == OrderRejectReason.None ? order : null;
    }

    private void Rename(BookOrder order, string clOrdId)
    {
        order.OrigClOrdId = order.ClOrdId;
        order.ClOrdId = clOrdId;
        _orders[(order.Owner, clOrdId)] = order;
    }

    private OrderBook BookFor(string symbol)
    {
        if (!_books.TryGetValue(symbol, out var book))
        {
            book = new OrderBook(symbol);
            _books.Add(symbol, book);
        }

        return book;
    }

    /// <summary>What the order could execute immediately on arrival (up to <paramref name="enough"/>).</summary>
    private decimal Available(OrderBook book, BookOrder order, decimal enough)
    {
        if (!_paper)
        {
            return book.LiquidityFor(Opposite(order.Side), order.OrdType == FixOrdType.Limit ? order.Price : null, enough);
        }

        // Paper mode: immediate orders (market, IOC, FOK) take the latest print as the liquidity on offer; orders
        // that rest wait for the next prints instead.
        if (!IsImmediate(order) || !_lastPrints.TryGetValue(order.Symbol, out var last) || !PrintReaches(order, last))
        {
            return 0;
        }

        return Math.Min(last.Size, enough);
    }

    private void Execute(OrderBook book, BookOrder order, List<OrderEvent> events)
    {
        if (_paper)
        {
            var available = Available(book, order, order.Leaves);
            if (available > 0)
            {
                var price = _lastPrints[order.Symbol].Price;
                order.Fill(available, price);
                events.Add(EventOf(order, OrderEventKind.Trade, available, price));
            }

            return;
        }

        var opposite = Opposite(order.Side);
        while (order.Leaves > 0 && book.Best(opposite) is { } level
            && (order.OrdType == FixOrdType.Market || OrderBook.Crosses(opposite, level.Price, order.Price)))
        {
            // Trades happen at the resting order's price: the aggressor gets any price improvement.
            var resting = level.Head!;
            var quantity = Math.Min(order.Leaves, resting.Leaves);
            var price = FillResting(book, level, resting, quantity, events);
            order.Fill(quantity, price);
            events.Add(EventOf(order, OrderEventKind.Trade, quantity, price));
        }
    }

    private static decimal FillResting(OrderBook book, PriceLevel level, BookOrder resting, decimal quantity, List<OrderEvent> events)
    {
        var price = Ticks.ToDecimal(level.Price);
        level.Quantity -= quantity;
        resting.Fill(quantity, price);
        if (resting.Status == FixOrdStatus.Filled)
        {
            book.Remove(resting);
        }

        events.Add(EventOf(resting, OrderEventKind.Trade, quantity, price));
        return price;
    }

    private static void RestOrCancel(OrderBook book, BookOrder order, List<OrderEvent> events)
    {
        if (order.Leaves == 0)
        {
            return;
        }

        if (IsImmediate(order))
        {
            order.Status = FixOrdStatus.Canceled;
            events.Add(EventOf(order, OrderEventKind.Canceled) with
            {
                Text = order.OrdType == FixOrdType.Market ? "market order: unfilled quantity canceled" : "IOC: unfilled quantity canceled",
            });
            return;
        }

        book.Add(order);
    }

    private static bool IsImmediate(BookOrder order) =>
        order.OrdType == FixOrdType.Market || order.TimeInForce is FixTimeInForce.ImmediateOrCancel or FixTimeInForce.FillOrKill;

    private static bool PrintReaches(BookOrder order, MarketTrade print) =>
        order.OrdType == FixOrdType.Market
        || (Ticks.TryFromDecimal(print.Price, out var ticks) && (order.Side == FixSide.Buy ? ticks <= order.Price : ticks >= order.Price));

    private static FixSide Opposite(FixSide side) => side == FixSide.Buy ? FixSide.Sell : FixSide.Buy;

    private static OrderEvent EventOf(BookOrder order, OrderEventKind kind, decimal lastQty = 0, decimal lastPx = 0) => new()
    {
        Kind = kind,
        Owner = order.Owner,
        OrderId = order.Id,
        ClOrdId = order.ClOrdId,
        OrigClOrdId = kind is OrderEventKind.Canceled or OrderEventKind.Replaced ? order.OrigClOrdId : null,
        Symbol = order.Symbol,
        Side = order.Side,
        OrdType = order.OrdType,
        OrderQty = order.OrderQty,
        Price = order.OrdType == FixOrdType.Limit ? Ticks.ToDecimal(order.Price) : null,
        OrdStatus = order.Status,
        LastQty = lastQty,
        LastPx = lastPx,
        CumQty = order.CumQty,
        LeavesQty = order.Leaves,
        AvgPx = order.AvgPx,
    };

    private static OrderEvent CancelReject(string owner, string clOrdId, string origClOrdId, string symbol, FixSide side, BookOrder? order, OrderRejectReason reason, string? text, bool replace) => new()
    {
        Kind = OrderEventKind.CancelRejected,
        Owner = owner,
        OrderId = order?.Id ?? 0,
        ClOrdId = clOrdId,
        OrigClOrdId = origClOrdId,
        Symbol = symbol,
        Side = side,
        OrdType = order?.OrdType ?? FixOrdType.Limit,
        OrderQty = order?.OrderQty ?? 0,
        OrdStatus = order?.Status ?? FixOrdStatus.Rejected,
        CumQty = order?.CumQty ?? 0,
        LeavesQty = order?.Leaves ?? 0,
        AvgPx = order?.AvgPx ?? 0,
        Reason = reason,
        Text = text,
        IsReplaceResponse = replace,
    };
}
