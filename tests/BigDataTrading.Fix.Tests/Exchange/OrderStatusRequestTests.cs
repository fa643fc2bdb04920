using BigDataTrading.Exchange;

namespace BigDataTrading.Fix.Tests.Exchange;

/// <summary>OrderStatusRequest (35=H) answered by the simulator over TCP, and a client's FIX session kept across reconnects.</summary>
public sealed class OrderStatusRequestTests
{
    private static async Task<ExecutionReport> NextReportAsync(FixInitiator initiator)
    {
        using var cts = new CancellationTokenSource(RawFixPeer.Timeout);
        var message = await initiator.ApplicationMessages.ReadAsync(cts.Token);
        Assert.True(ExecutionReport.TryParse(message, out var report, out var error), $"{error}: {message}");
        return report;
    }

    private static async Task<FixMessage> NextAsync(FixInitiator initiator)
    {
        using var cts = new CancellationTokenSource(RawFixPeer.Timeout);
        return await initiator.ApplicationMessages.ReadAsync(cts.Token);
    }

    private static Task<FixInitiator> ConnectAsync(ExchangeSimulator exchange, string compId, ISequenceStore? store = null) =>
        FixInitiator.ConnectAsync("127.0.0.1", exchange.Port, new FixSessionSettings
        {
            SenderCompId = compId,
            TargetCompId = exchange.CompId,
            SequenceStoreFactory = store is null ? null : () => store,
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
    };

    private static OrderStatusRequest Status(string clOrdId, FixSide side = FixSide.Buy) => new() { ClOrdId = clOrdId, Symbol = "AAPL", Side = side, OrdStatusReqId = "Q-" + clOrdId };

    private static async IAsyncEnumerable<MarketTrade> Trades(params MarketTrade[] trades)
    {
        foreach (var trade in trades)
        {
            await Task.Yield();
            yield return trade;
        }
    }

    [Fact]
    public async Task A_filled_order_is_reported_with_ExecType_I_and_an_unknown_one_as_rejected_with_reason_5()
    {
        await using var exchange = await ExchangeSimulator.StartAsync(new ExchangeSimulatorOptions { RunId = "ST" }, TimeProvider.System);
        await using var client = await ConnectAsync(exchange, "CLIENT");
        await client.SendAsync(Order("A", FixSide.Buy, 100, 20.5m));
        await NextReportAsync(client);
        await NextReportAsync(client);

        await client.SendAsync(Status("A"));
        var known = await NextAsync(client);
        await client.SendAsync(Status("NEVER-SENT"));
        var unknown = await NextAsync(client);

        Assert.True(ExecutionReport.TryParse(known, out var k, out _));
        Assert.Equal((FixExecType.OrderStatus, FixOrdStatus.Filled, 100m, 0m, 20.5m, "ST-O1"), (k.ExecType, k.OrdStatus, k.CumQty, k.LeavesQty, k.AvgPx, k.OrderId));
        Assert.Equal("Q-A", known.GetString(FixTag.OrdStatusReqId));
        Assert.True(ExecutionReport.TryParse(unknown, out var u, out _));
        Assert.Equal((FixExecType.OrderStatus, FixOrdStatus.Rejected, "NONE"), (u.ExecType, u.OrdStatus, u.OrderId));
        Assert.True(unknown.TryGetInt(FixTag.OrdRejReason, out var reason));
        Assert.Equal(5, reason);
        Assert.Equal(2, exchange.Statistics.StatusRequests);
    }

    [Fact]
    public async Task A_second_order_under_a_used_ClOrdID_is_rejected_and_never_traded()
    {
        await using var exchange = await ExchangeSimulator.StartAsync(new ExchangeSimulatorOptions { RunId = "DU" }, TimeProvider.System);
        await using var client = await ConnectAsync(exchange, "CLIENT");
        await client.SendAsync(Order("A", FixSide.Buy, 100, 20.5m));
        await NextReportAsync(client);
        await NextReportAsync(client);

        await client.SendAsync(Order("A", FixSide.Buy, 100, 20.5m));
        var message = await NextAsync(client);

        Assert.True(ExecutionReport.TryParse(message, out var reject, out _));
        Assert.Equal((FixExecType.Rejected, "duplicate ClOrdID"), (reject.ExecType, reject.Text));
        Assert.True(message.TryGetInt(FixTag.OrdRejReason, out var code));
        Assert.Equal(6, code);
        Assert.Equal((1L, 1L, 1L), (exchange.Statistics.OrdersFilled, exchange.Statistics.DuplicateOrders, (long)exchange.Orders.Count));
    }

    [Fact]
    public async Task A_fill_that_happened_while_the_client_was_away_shows_in_the_status_answer_after_it_resumes_its_session()
    {
        var clientStore = new InMemorySequenceStore();
        await using var exchange = await ExchangeSimulator.StartAsync(
            new ExchangeSimulatorOptions { RunId = "RC", ExchangeMatcher = new PaperMatcher(), SequenceStoreFactory = _ => new InMemorySequenceStore() },
            TimeProvider.System);

        var trader = await ConnectAsync(exchange, "TRADER", clientStore);
        await trader.SendAsync(Order("T1", FixSide.Buy, 100, 30m));
        Assert.Equal(FixOrdStatus.New, (await NextReportAsync(trader)).OrdStatus);
        await trader.Session.DisposeAsync();
        // The exchange must have closed its side before the market trades, or the fill could still go out.
        await Task.WhenAll(exchange.Sessions.Where(s => s.TargetCompId == "TRADER").Select(s => s.Completion)).WaitAsync(RawFixPeer.Timeout);

        // The market trades through the resting order while the trader is disconnected: its fill cannot be delivered.
        await exchange.ReplayMarketDataAsync(Trades(new MarketTrade("AAPL", DateTimeOffset.UtcNow, 29.9m, 60m)));
        Assert.Equal(1, exchange.Statistics.ReportsUndelivered);

        // Both sides kept their sequence numbers: the trader resumes the same FIX session and asks.
        var sentBefore = clientStore.NextSenderMsgSeqNum;
        await using var resumed = await ConnectAsync(exchange, "TRADER", clientStore);
        Assert.True(clientStore.NextSenderMsgSeqNum > sentBefore);
        await resumed.SendAsync(Status("T1"));
        var answer = await NextReportAsync(resumed);

        Assert.Equal((FixExecType.OrderStatus, FixOrdStatus.PartiallyFilled, 60m, 40m, 30m), (answer.ExecType, answer.OrdStatus, answer.CumQty, answer.LeavesQty, answer.AvgPx));
    }
}
