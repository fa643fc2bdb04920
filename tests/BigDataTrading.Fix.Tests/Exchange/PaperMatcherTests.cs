using BigDataTrading.Exchange;

namespace BigDataTrading.Fix.Tests.Exchange;

/// <summary>Paper mode: orders fill against replayed prints only.</summary>
public sealed class PaperMatcherTests
{
    private static readonly DateTimeOffset T0 = new(2024, 3, 15, 14, 30, 0, TimeSpan.Zero);
    private readonly PaperMatcher _paper = new();

    private List<OrderEvent> Submit(string owner, NewOrderSingle order)
    {
        var events = new List<OrderEvent>();
        _paper.Submit(owner, order, events);
        return events;
    }

    private List<OrderEvent> Print(decimal price, decimal size, string symbol = "AAPL")
    {
        var events = new List<OrderEvent>();
        _paper.OnTrade(new MarketTrade(symbol, T0, price, size), events);
        return events;
    }

    [Fact]
    public void Buy_limit_fills_at_its_limit_when_a_print_reaches_it_up_to_the_printed_size()
    {
        Submit("B", OrderBookMatcherTests.Order("b1", FixSide.Buy, 50, 10m));
        Submit("S", OrderBookMatcherTests.Order("s1", FixSide.Sell, 5, 10.2m));

        var above = Print(10.01m, 100);
        var first = Assert.Single(Print(10m, 30));
        var second = Assert.Single(Print(9.9m, 100));
        var sell = Assert.Single(Print(10.25m, 3));

        Assert.Empty(above);
        Assert.Equal(("B", 30m, 10m, 30m, 20m, FixOrdStatus.PartiallyFilled), (first.Owner, first.LastQty, first.LastPx, first.CumQty, first.LeavesQty, first.OrdStatus));
        Assert.Equal((20m, 10m, 50m, 0m, FixOrdStatus.Filled), (second.LastQty, second.LastPx, second.CumQty, second.LeavesQty, second.OrdStatus));
        Assert.Equal(("S", 3m, 10.2m, FixOrdStatus.PartiallyFilled), (sell.Owner, sell.LastQty, sell.LastPx, sell.OrdStatus));
    }

    [Fact]
    public void One_print_is_shared_by_resting_orders_in_price_then_time_priority()
    {
        Submit("A", OrderBookMatcherTests.Order("old", FixSide.Buy, 10, 10m));
        Submit("B", OrderBookMatcherTests.Order("young", FixSide.Buy, 10, 10m));
        Submit("C", OrderBookMatcherTests.Order("better", FixSide.Buy, 10, 10.05m));

        var fills = Print(10m, 15);

        Assert.Equal([("better", 10m, 10.05m), ("old", 5m, 10m)], fills.Select(e => (e.ClOrdId, e.LastQty, e.LastPx)));
    }

    [Fact]
    public void Orders_never_trade_with_each_other_in_paper_mode()
    {
        Submit("B", OrderBookMatcherTests.Order("b1", FixSide.Buy, 10, 10m));
        var sell = Submit("S", OrderBookMatcherTests.Order("s1", FixSide.Sell, 10, 9m));

        Assert.Equal(OrderEventKind.New, Assert.Single(sell).Kind);
        Assert.Equal([new BookLevel(10m, 10, 1)], _paper.Depth("AAPL", FixSide.Buy));
        Assert.Equal([new BookLevel(9m, 10, 1)], _paper.Depth("AAPL", FixSide.Sell));
    }

    [Fact]
    public void Market_ioc_and_fok_execute_against_the_latest_print_only()
    {
        var marketBeforeAnyPrint = Assert.Single(Submit("B", OrderBookMatcherTests.Order("m0", FixSide.Buy, 10, null)));
        var iocBeforeAnyPrint = Submit("B", OrderBookMatcherTests.Order("i0", FixSide.Buy, 10, 11m, FixTimeInForce.ImmediateOrCancel));
        Print(10m, 7);

        var market = Submit("B", OrderBookMatcherTests.Order("m1", FixSide.Buy, 10, null));
        var fokTooBig = Assert.Single(Submit("B", OrderBookMatcherTests.Order("f1", FixSide.Buy, 10, 10m, FixTimeInForce.FillOrKill)));
        var fokBelowPrint = Assert.Single(Submit("B", OrderBookMatcherTests.Order("f2", FixSide.Buy, 5, 9.99m, FixTimeInForce.FillOrKill)));
        var fok = Submit("B", OrderBookMatcherTests.Order("f3", FixSide.Buy, 5, 10m, FixTimeInForce.FillOrKill));

        Assert.Equal(OrderRejectReason.NoLiquidity, marketBeforeAnyPrint.Reason);
        Assert.Equal([OrderEventKind.New, OrderEventKind.Canceled], iocBeforeAnyPrint.Select(e => e.Kind));
        Assert.Equal([(OrderEventKind.New, 0m), (OrderEventKind.Trade, 7m), (OrderEventKind.Canceled, 7m)], market.Select(e => (e.Kind, e.CumQty)));
        Assert.Equal(OrderRejectReason.FokNotFillable, fokTooBig.Reason);
        Assert.Equal(OrderRejectReason.FokNotFillable, fokBelowPrint.Reason);
        Assert.Equal((FixOrdStatus.Filled, 5m, 10m), (fok[^1].OrdStatus, fok[^1].CumQty, fok[^1].AvgPx));
    }

    [Fact]
    public async Task Replay_feeds_every_trade_of_an_async_stream_and_hands_over_the_fills()
    {
        Submit("B", OrderBookMatcherTests.Order("b1", FixSide.Buy, 10, 10m));
        var received = new List<OrderEvent>();

        var count = await _paper.ReplayAsync(
            Trades([(10.5m, 100m), (10m, 4m), (9m, 100m)]),
            events =>
            {
                received.AddRange(events);
                return ValueTask.CompletedTask;
            });

        Assert.Equal(3, count);
        Assert.Equal([(4m, FixOrdStatus.PartiallyFilled), (6m, FixOrdStatus.Filled)], received.Select(e => (e.LastQty, e.OrdStatus)));
    }

    private static async IAsyncEnumerable<MarketTrade> Trades(IEnumerable<(decimal Price, decimal Size)> prints)
    {
        foreach (var (price, size) in prints)
        {
            await Task.Yield();
            yield return new MarketTrade("AAPL", T0, price, size);
        }
    }
}
