using BigDataTrading.Exchange;

namespace BigDataTrading.Fix.Tests.Exchange;

/// <summary>Two FIX initiators trading with each other through the simulator's order book over TCP loopback.</summary>
public sealed class OrderBookSessionTests
{
    private static readonly TimeSpan Timeout = RawFixPeer.Timeout;

    private static Task<ExchangeSimulator> StartAsync(IExchangeMatcher matcher) =>
        ExchangeSimulator.StartAsync(new ExchangeSimulatorOptions { RunId = "OB", ExchangeMatcher = matcher }, TimeProvider.System);

    private static Task<FixInitiator> ConnectAsync(ExchangeSimulator exchange, string compId, string beginString = FixVersions.Fix44) =>
        FixInitiator.ConnectAsync("127.0.0.1", exchange.Port, new FixSessionSettings
        {
            SenderCompId = compId,
            TargetCompId = exchange.CompId,
            BeginString = beginString,
        });

    private static NewOrderSingle Order(string clOrdId, FixSide side, decimal qty, decimal limit) => new()
    {
        ClOrdId = clOrdId,
        Symbol = "AAPL",
        Side = side,
        TransactTime = DateTimeOffset.UtcNow,
        OrderQty = qty,
        OrdType = FixOrdType.Limit,
        Price = limit,
        HandlInst = FixHandlInst.AutomatedPrivate,
    };

    private static async Task<FixMessage> NextAsync(FixInitiator initiator)
    {
        using var cts = new CancellationTokenSource(Timeout);
        return await initiator.ApplicationMessages.ReadAsync(cts.Token);
    }

    private static async Task<ExecutionReport> NextReportAsync(FixInitiator initiator)
    {
        var message = await NextAsync(initiator);
        Assert.True(ExecutionReport.TryParse(message, out var report, out var error), $"{error}: {message}");
        return report;
    }

    [Fact]
    public async Task Bigger_buy_crossing_a_resting_sell_partially_fills_the_buyer_and_fully_fills_the_seller_each_on_its_session()
    {
        await using var exchange = await StartAsync(new OrderBookMatcher());
        await using var seller = await ConnectAsync(exchange, "SELLER");
        await using var buyer = await ConnectAsync(exchange, "BUYER");

        await seller.SendAsync(Order("S1", FixSide.Sell, 100, 50m));
        var sellerAck = await NextReportAsync(seller);
        await buyer.SendAsync(Order("B1", FixSide.Buy, 150, 50.5m));
        var buyerAck = await NextReportAsync(buyer);
        var buyerFill = await NextReportAsync(buyer);
        var sellerFill = await NextReportAsync(seller);

        Assert.Equal((FixExecType.New, FixOrdStatus.New, 100m, 0m), (sellerAck.ExecType, sellerAck.OrdStatus, sellerAck.LeavesQty, sellerAck.CumQty));
        Assert.Equal((FixExecType.New, FixOrdStatus.New, 150m, 0m), (buyerAck.ExecType, buyerAck.OrdStatus, buyerAck.LeavesQty, buyerAck.CumQty));
        Assert.Equal(
            ("B1", FixExecType.Trade, FixOrdStatus.PartiallyFilled, 100m, 50m, 100m, 50m, 50m),
            (buyerFill.ClOrdId, buyerFill.ExecType, buyerFill.OrdStatus, buyerFill.LastQty, buyerFill.LastPx, buyerFill.CumQty, buyerFill.LeavesQty, buyerFill.AvgPx));
        Assert.Equal(
            ("S1", FixExecType.Trade, FixOrdStatus.Filled, 100m, 50m, 100m, 0m, 50m),
            (sellerFill.ClOrdId, sellerFill.ExecType, sellerFill.OrdStatus, sellerFill.LastQty, sellerFill.LastPx, sellerFill.CumQty, sellerFill.LeavesQty, sellerFill.AvgPx));
        Assert.Equal(sellerAck.OrderId, sellerFill.OrderId);
        Assert.Equal(buyerAck.OrderId, buyerFill.OrderId);
        Assert.NotEqual(buyerFill.OrderId, sellerFill.OrderId);

        // The buyer's rest (50) is on the book: cancel it; the seller's filled order is too late to cancel.
        await buyer.SendAsync(new OrderCancelRequest { OrigClOrdId = "B1", ClOrdId = "B1-X", Symbol = "AAPL", Side = FixSide.Buy, TransactTime = DateTimeOffset.UtcNow });
        var canceledMessage = await NextAsync(buyer);
        Assert.True(ExecutionReport.TryParse(canceledMessage, out var canceled, out _));
        Assert.Equal(("B1-X", FixExecType.Canceled, FixOrdStatus.Canceled, 100m, 0m), (canceled.ClOrdId, canceled.ExecType, canceled.OrdStatus, canceled.CumQty, canceled.LeavesQty));
        Assert.Equal("B1", canceledMessage.GetString(FixTag.OrigClOrdId));

        await seller.SendAsync(new OrderCancelRequest { OrigClOrdId = "S1", ClOrdId = "S1-X", Symbol = "AAPL", Side = FixSide.Sell, TransactTime = DateTimeOffset.UtcNow });
        var cancelReject = await NextAsync(seller);
        Assert.Equal(FixMsgType.OrderCancelReject, cancelReject.MsgType);
        Assert.Equal(("0", "2", "1"), (cancelReject.GetString(FixTag.CxlRejReason), cancelReject.GetString(FixTag.OrdStatus), cancelReject.GetString(FixTag.CxlRejResponseTo)));

        Assert.Equal(new ExchangeStatistics(2, 1, 0, 1) { Executions = 2, OrdersCanceled = 1 }, exchange.Statistics);
        await buyer.LogoutAsync();
        await seller.LogoutAsync();
    }

    [Fact]
    public async Task Fix42_session_gets_42_reports_and_a_replace_that_crosses_trades_with_a_44_session()
    {
        await using var exchange = await StartAsync(new OrderBookMatcher());
        await using var old = await ConnectAsync(exchange, "OLD42", FixVersions.Fix42);
        await using var modern = await ConnectAsync(exchange, "NEW44");

        await old.SendAsync(Order("O1", FixSide.Buy, 10, 99m));
        var ack = await NextAsync(old);
        await modern.SendAsync(Order("N1", FixSide.Sell, 4, 100m));
        await NextReportAsync(modern);

        await old.SendAsync(new OrderCancelReplaceRequest { OrigClOrdId = "O1", ClOrdId = "O2", Symbol = "AAPL", Side = FixSide.Buy, TransactTime = DateTimeOffset.UtcNow, OrderQty = 10, OrdType = FixOrdType.Limit, Price = 100m, HandlInst = FixHandlInst.AutomatedPrivate });
        var replaced = await NextAsync(old);
        var oldFill = await NextAsync(old);
        var modernFill = await NextReportAsync(modern);

        Assert.Equal((FixVersions.Fix42, "0", "0"), (ack.BeginString, ack.GetString(FixTag.ExecTransType), ack.GetString(FixTag.ExecType)));
        Assert.Equal(("5", "O2", "O1", "0", "100"), (replaced.GetString(FixTag.ExecType), replaced.GetString(FixTag.ClOrdId), replaced.GetString(FixTag.OrigClOrdId), replaced.GetString(FixTag.OrdStatus), replaced.GetString(FixTag.Price)));
        Assert.Equal(("1", "1", "4", "6", "0"), (oldFill.GetString(FixTag.ExecType), oldFill.GetString(FixTag.OrdStatus), oldFill.GetString(FixTag.CumQty), oldFill.GetString(FixTag.LeavesQty), oldFill.GetString(FixTag.ExecTransType)));
        Assert.Equal((FixExecType.Trade, FixOrdStatus.Filled, 100m), (modernFill.ExecType, modernFill.OrdStatus, modernFill.LastPx));
        await old.LogoutAsync();
        await modern.LogoutAsync();
    }

    [Fact]
    public async Task Paper_mode_fills_a_resting_order_when_replayed_market_data_prints_through_its_limit()
    {
        await using var exchange = await StartAsync(new PaperMatcher());
        await using var trader = await ConnectAsync(exchange, "PAPER");
        await trader.SendAsync(Order("P1", FixSide.Buy, 10, 20m));
        await NextReportAsync(trader);

        var consumed = await exchange.ReplayMarketDataAsync(Prints());
        var fill = await NextReportAsync(trader);

        Assert.Equal(2, consumed);
        Assert.Equal((FixExecType.Trade, FixOrdStatus.Filled, 10m, 20m), (fill.ExecType, fill.OrdStatus, fill.LastQty, fill.LastPx));
        await trader.LogoutAsync();

        static async IAsyncEnumerable<MarketTrade> Prints()
        {
            await Task.Yield();
            yield return new MarketTrade("AAPL", DateTimeOffset.UtcNow, 20.5m, 100);
            yield return new MarketTrade("AAPL", DateTimeOffset.UtcNow, 19.9m, 100);
        }
    }
}
