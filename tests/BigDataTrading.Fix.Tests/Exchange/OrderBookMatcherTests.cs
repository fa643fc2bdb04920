using BigDataTrading.Exchange;

namespace BigDataTrading.Fix.Tests.Exchange;

/// <summary>The price-time-priority book, with fills computed by hand.</summary>
public sealed class OrderBookMatcherTests
{
    private static readonly DateTimeOffset T0 = new(2024, 3, 15, 14, 30, 0, TimeSpan.Zero);
    private readonly OrderBookMatcher _book = new();

    internal static NewOrderSingle Order(string clOrdId, FixSide side, decimal qty, decimal? limit, FixTimeInForce tif = FixTimeInForce.Day, string symbol = "AAPL") => new()
    {
        ClOrdId = clOrdId,
        Symbol = symbol,
        Side = side,
        TransactTime = T0,
        OrderQty = qty,
        OrdType = limit is null ? FixOrdType.Market : FixOrdType.Limit,
        Price = limit,
        TimeInForce = tif,
    };

    private List<OrderEvent> Submit(string owner, NewOrderSingle order)
    {
        var events = new List<OrderEvent>();
        _book.Submit(owner, order, events);
        return events;
    }

    private List<OrderEvent> Cancel(string owner, string orig, string clOrdId, FixSide side = FixSide.Buy)
    {
        var events = new List<OrderEvent>();
        _book.Cancel(owner, new OrderCancelRequest { OrigClOrdId = orig, ClOrdId = clOrdId, Symbol = "AAPL", Side = side, TransactTime = T0 }, events);
        return events;
    }

    private List<OrderEvent> Replace(string owner, string orig, string clOrdId, FixSide side, decimal qty, decimal price)
    {
        var events = new List<OrderEvent>();
        _book.Replace(owner, new OrderCancelReplaceRequest { OrigClOrdId = orig, ClOrdId = clOrdId, Symbol = "AAPL", Side = side, TransactTime = T0, OrderQty = qty, OrdType = FixOrdType.Limit, Price = price }, events);
        return events;
    }

    private static (OrderEventKind, string, string, FixOrdStatus, decimal LastQty, decimal LastPx, decimal Cum, decimal Leaves, decimal Avg) Shape(OrderEvent e) =>
        (e.Kind, e.Owner, e.ClOrdId, e.OrdStatus, e.LastQty, e.LastPx, e.CumQty, e.LeavesQty, e.AvgPx);

    [Fact]
    public void Buy_sweeping_two_ask_levels_fills_best_price_first_then_oldest_first_and_rests_the_rest()
    {
        Submit("S1", Order("a1", FixSide.Sell, 100, 10.02m));
        Submit("S2", Order("a2", FixSide.Sell, 50, 10.01m));
        Submit("S3", Order("a3", FixSide.Sell, 30, 10.01m));

        var events = Submit("B", Order("b1", FixSide.Buy, 120, 10.02m));

        // 50 @ 10.01 (a2, older), 30 @ 10.01 (a3), 40 @ 10.02 (a1): buyer avg = (80*10.01 + 40*10.02)/120 = 10.01333…
        var buyerAvg = ((80 * 10.01m) + (40 * 10.02m)) / 120;
        Assert.Equal(
            [
                (OrderEventKind.New, "B", "b1", FixOrdStatus.New, 0m, 0m, 0m, 120m, 0m),
                (OrderEventKind.Trade, "S2", "a2", FixOrdStatus.Filled, 50m, 10.01m, 50m, 0m, 10.01m),
                (OrderEventKind.Trade, "B", "b1", FixOrdStatus.PartiallyFilled, 50m, 10.01m, 50m, 70m, 10.01m),
                (OrderEventKind.Trade, "S3", "a3", FixOrdStatus.Filled, 30m, 10.01m, 30m, 0m, 10.01m),
                (OrderEventKind.Trade, "B", "b1", FixOrdStatus.PartiallyFilled, 30m, 10.01m, 80m, 40m, 10.01m),
                (OrderEventKind.Trade, "S1", "a1", FixOrdStatus.PartiallyFilled, 40m, 10.02m, 40m, 60m, 10.02m),
                (OrderEventKind.Trade, "B", "b1", FixOrdStatus.Filled, 40m, 10.02m, 120m, 0m, buyerAvg),
            ],
            events.Select(Shape));
        Assert.Equal([new BookLevel(10.02m, 60, 1)], _book.Depth("AAPL", FixSide.Sell));
        Assert.Empty(_book.Depth("AAPL", FixSide.Buy));
    }

    [Fact]
    public void Aggressor_trades_at_the_resting_price_and_its_unfilled_rest_becomes_the_best_bid()
    {
        Submit("S", Order("a1", FixSide.Sell, 10, 99.5m));

        var events = Submit("B", Order("b1", FixSide.Buy, 25, 100m));

        Assert.Equal((10m, 99.5m, 15m, FixOrdStatus.PartiallyFilled), (events[^1].LastQty, events[^1].LastPx, events[^1].LeavesQty, events[^1].OrdStatus));
        Assert.Equal([new BookLevel(100m, 15, 1)], _book.Depth("AAPL", FixSide.Buy));
        Assert.Empty(_book.Depth("AAPL", FixSide.Sell));
    }

    [Fact]
    public void Ioc_fills_what_it_can_and_cancels_the_rest_without_resting()
    {
        Submit("S", Order("a1", FixSide.Sell, 30, 20m));

        var events = Submit("B", Order("b1", FixSide.Buy, 100, 20m, FixTimeInForce.ImmediateOrCancel));

        Assert.Equal([OrderEventKind.New, OrderEventKind.Trade, OrderEventKind.Trade, OrderEventKind.Canceled], events.Select(e => e.Kind));
        Assert.Equal((FixOrdStatus.Canceled, 30m, 0m, 20m), (events[^1].OrdStatus, events[^1].CumQty, events[^1].LeavesQty, events[^1].AvgPx));
        Assert.Empty(_book.Depth("AAPL", FixSide.Buy));
    }

    [Fact]
    public void Fok_that_cannot_fill_completely_is_rejected_and_leaves_the_book_untouched()
    {
        Submit("S", Order("a1", FixSide.Sell, 30, 20m));
        Submit("S", Order("a2", FixSide.Sell, 30, 20.5m));

        var rejected = Submit("B", Order("b1", FixSide.Buy, 50, 20m, FixTimeInForce.FillOrKill));
        var filled = Submit("B", Order("b2", FixSide.Buy, 50, 20.5m, FixTimeInForce.FillOrKill));

        var reject = Assert.Single(rejected);
        Assert.Equal((OrderEventKind.Rejected, OrderRejectReason.FokNotFillable, FixOrdStatus.Rejected), (reject.Kind, reject.Reason, reject.OrdStatus));
        Assert.Equal((FixOrdStatus.Filled, 50m, (30 * 20m + 20 * 20.5m) / 50), (filled[^1].OrdStatus, filled[^1].CumQty, filled[^1].AvgPx));
        Assert.Equal([new BookLevel(20.5m, 10, 1)], _book.Depth("AAPL", FixSide.Sell));
    }

    [Fact]
    public void Market_order_takes_any_price_and_cancels_what_the_book_cannot_fill_or_is_rejected_on_an_empty_book()
    {
        var none = Assert.Single(Submit("B", Order("m0", FixSide.Buy, 10, null)));
        Submit("S", Order("a1", FixSide.Sell, 5, 50m));
        Submit("S", Order("a2", FixSide.Sell, 5, 60m));

        var events = Submit("B", Order("m1", FixSide.Buy, 12, null));

        Assert.Equal(OrderRejectReason.NoLiquidity, none.Reason);
        Assert.Equal((FixOrdStatus.Canceled, 10m, 55m), (events[^1].OrdStatus, events[^1].CumQty, events[^1].AvgPx));
        Assert.Null(events[^1].Price);
    }

    [Fact]
    public void Rejects_carry_reason_codes_for_symbol_price_quantity_and_duplicate_clordid()
    {
        var book = new OrderBookMatcher(new HashSet<string>(StringComparer.Ordinal) { "AAPL" });
        var events = new List<OrderEvent>();
        book.Submit("B", Order("x1", FixSide.Buy, 1, 10m, symbol: "ZZZZ"), events);
        book.Submit("B", Order("x2", FixSide.Buy, 0, 10m), events);
        book.Submit("B", Order("x3", FixSide.Buy, 1, -1m), events);
        book.Submit("B", Order("x4", FixSide.Buy, 1, 10.123456789m), events);
        book.Submit("B", Order("x5", FixSide.Buy, 1, 10m), events);
        book.Submit("B", Order("x5", FixSide.Buy, 1, 10m), events);

        Assert.Equal(
            [OrderRejectReason.UnknownSymbol, OrderRejectReason.InvalidQuantity, OrderRejectReason.InvalidPrice, OrderRejectReason.InvalidPrice, OrderRejectReason.None, OrderRejectReason.DuplicateClOrdId],
            events.Select(e => e.Reason));
        Assert.Equal(1, OrderRejectReason.UnknownSymbol.ToOrdRejReason());
        Assert.Equal(6, OrderRejectReason.DuplicateClOrdId.ToOrdRejReason());
    }

    [Fact]
    public void Cancel_removes_the_rest_and_later_cancels_are_too_late_or_unknown()
    {
        Submit("S", Order("a1", FixSide.Sell, 10, 10m));
        Submit("B", Order("b1", FixSide.Buy, 25, 10m));

        var canceled = Assert.Single(Cancel("B", "b1", "c1"));
        var tooLate = Assert.Single(Cancel("B", "b1", "c2"));
        var filledTooLate = Assert.Single(Cancel("S", "a1", "c3", FixSide.Sell));
        var unknown = Assert.Single(Cancel("B", "nope", "c4"));
        var otherParty = Assert.Single(Cancel("S", "b1", "c5"));

        Assert.Equal((OrderEventKind.Canceled, "c1", "b1", FixOrdStatus.Canceled, 10m, 0m), (canceled.Kind, canceled.ClOrdId, canceled.OrigClOrdId, canceled.OrdStatus, canceled.CumQty, canceled.LeavesQty));
        Assert.Empty(_book.Depth("AAPL", FixSide.Buy));
        Assert.Equal((OrderEventKind.CancelRejected, OrderRejectReason.TooLateToCancel, FixOrdStatus.Canceled), (tooLate.Kind, tooLate.Reason, tooLate.OrdStatus));
        Assert.Equal((OrderRejectReason.TooLateToCancel, FixOrdStatus.Filled, "too late to cancel: order already filled"), (filledTooLate.Reason, filledTooLate.OrdStatus, filledTooLate.Text));
        Assert.Equal((OrderRejectReason.UnknownOrder, 1), (unknown.Reason, unknown.Reason.ToCxlRejReason()));
        Assert.Equal(OrderRejectReason.UnknownOrder, otherParty.Reason);
        Assert.Equal(0, OrderRejectReason.TooLateToCancel.ToCxlRejReason());
    }

    [Fact]
    public void Quantity_reduction_keeps_queue_priority_but_an_increase_or_new_price_loses_it()
    {
        Submit("S1", Order("a1", FixSide.Sell, 10, 10m));
        Submit("S2", Order("a2", FixSide.Sell, 10, 10m));
        Submit("S3", Order("a3", FixSide.Sell, 10, 10m));

        var reduced = Assert.Single(Replace("S1", "a1", "a1r", FixSide.Sell, 8, 10m));     // stays first
        Replace("S2", "a2", "a2r", FixSide.Sell, 12, 10m);                                  // goes behind a3
        Assert.Equal(new BookLevel(10m, 30, 3), Assert.Single(_book.Depth("AAPL", FixSide.Sell)));

        var fills = Submit("B", Order("b1", FixSide.Buy, 30, 10m)).Where(e => e.Kind == OrderEventKind.Trade && e.Owner != "B").ToList();

        Assert.Equal((OrderEventKind.Replaced, "a1r", "a1", 8m, 8m), (reduced.Kind, reduced.ClOrdId, reduced.OrigClOrdId, reduced.OrderQty, reduced.LeavesQty));
        Assert.Equal([("a1r", 8m), ("a3", 10m), ("a2r", 12m)], fills.Select(e => (e.ClOrdId, e.LastQty)));
    }

    [Fact]
    public void Replace_to_a_crossing_price_trades_immediately_and_bad_replaces_are_rejected_with_reasons()
    {
        Submit("S", Order("a1", FixSide.Sell, 10, 10.5m));
        Submit("B", Order("b1", FixSide.Buy, 4, 10m));

        var crossing = Replace("B", "b1", "b2", FixSide.Buy, 4, 10.5m);
        var replaced = Assert.Single(Replace("S", "a1", "a2", FixSide.Sell, 6, 11m));
        var byOldId = Assert.Single(Replace("S", "a1", "a3", FixSide.Sell, 6, 11m));
        var belowCum = Assert.Single(Replace("S", "a2", "a4", FixSide.Sell, 4, 11m));
        var badPrice = Assert.Single(Replace("S", "a2", "a5", FixSide.Sell, 6, 0m));

        Assert.Equal([OrderEventKind.Replaced, OrderEventKind.Trade, OrderEventKind.Trade], crossing.Select(e => e.Kind));
        Assert.Equal((FixOrdStatus.Filled, 4m, 10.5m), (crossing[^1].OrdStatus, crossing[^1].CumQty, crossing[^1].AvgPx));
        Assert.Equal((OrderEventKind.Replaced, FixOrdStatus.PartiallyFilled, 4m, 2m), (replaced.Kind, replaced.OrdStatus, replaced.CumQty, replaced.LeavesQty));
        Assert.Equal((OrderEventKind.CancelRejected, OrderRejectReason.UnknownOrder, true), (byOldId.Kind, byOldId.Reason, byOldId.IsReplaceResponse));
        Assert.Equal(OrderRejectReason.InvalidQuantity, belowCum.Reason);
        Assert.Equal(OrderRejectReason.InvalidPrice, badPrice.Reason);
        Assert.Equal([new BookLevel(11m, 2, 1)], _book.Depth("AAPL", FixSide.Sell));
    }

    [Fact]
    public void Ticks_are_exact_to_eight_decimals_and_print_without_trailing_zeros()
    {
        Assert.True(Ticks.TryFromDecimal(150.25m, out var ticks));
        Assert.Equal(15_025_000_000, ticks);
        Assert.Equal("150.25", Ticks.ToDecimal(ticks).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.False(Ticks.TryFromDecimal(0.000000001m, out _));
        Assert.False(Ticks.TryFromDecimal(0m, out _));
    }
}
