using System.Globalization;

namespace BigDataTrading.Fix.Tests.Interop;

/// <summary>Our initiator against QuickFIX C++ acceptors nobody here wrote (Debian's example programs).</summary>
public sealed class QuickFixInteropTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private static async Task<ExecutionReport> NextReportAsync(FixInitiator initiator, QuickFixProcess peer)
    {
        using var cts = new CancellationTokenSource(Timeout);
        FixMessage message;
        try
        {
            message = await initiator.ApplicationMessages.ReadAsync(cts.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or System.Threading.Channels.ChannelClosedException)
        {
            throw new Xunit.Sdk.XunitException($"no ExecutionReport ({initiator.Session.DisconnectReason}); peer output:{Environment.NewLine}{peer.Output}");
        }

        Assert.True(ExecutionReport.TryParse(message, out var report, out var error), $"{error}: {message}");
        return report;
    }

    private static async Task LogoutCleanlyAsync(FixInitiator initiator, QuickFixProcess peer)
    {
        await initiator.LogoutAsync();
        await initiator.Session.Completion.WaitAsync(Timeout);
        Assert.True(initiator.Session.DisconnectReason == "logout completed", $"{initiator.Session.DisconnectReason}; peer output:{Environment.NewLine}{peer.Output}");
    }

    [QuickFixFact("executor")]
    public async Task Initiator_trades_ten_limit_orders_with_quickfix_executor_over_fix44_each_filled_at_its_limit()
    {
        await using var executor = await QuickFixProcess.StartAsync("executor", FixVersions.Fix44, "EXECUTOR", "BDT");
        await using var initiator = await FixInitiator.ConnectAsync("127.0.0.1", executor.Port, new FixSessionSettings
        {
            SenderCompId = "BDT",
            TargetCompId = "EXECUTOR",
        });

        var orders = Enumerable.Range(1, 10).Select(i => new NewOrderSingle
        {
            ClOrdId = "Q" + i.ToString(CultureInfo.InvariantCulture),
            Symbol = i % 2 == 0 ? "MSFT" : "AAPL",
            Side = i % 3 == 0 ? FixSide.Sell : FixSide.Buy,
            TransactTime = DateTimeOffset.UtcNow,
            OrderQty = 10m * i,
            OrdType = FixOrdType.Limit,
            Price = 100m + (i * 0.25m),
        }).ToList();
        foreach (var order in orders)
        {
            await initiator.SendAsync(order);
        }

        foreach (var order in orders)
        {
            var fill = await NextReportAsync(initiator, executor);
            Assert.Equal((order.ClOrdId, FixExecType.Trade, FixOrdStatus.Filled), (fill.ClOrdId, fill.ExecType, fill.OrdStatus));
            Assert.Equal((order.Symbol, order.Side), (fill.Symbol, fill.Side));
            Assert.Equal((order.OrderQty, order.Price!.Value, order.OrderQty, 0m, order.Price!.Value), (fill.LastQty, fill.LastPx, fill.CumQty, fill.LeavesQty, fill.AvgPx));
        }

        await LogoutCleanlyAsync(initiator, executor);
    }

    [QuickFixFact("ordermatch")]
    public async Task Initiator_trades_fix42_orders_in_quickfix_ordermatch_and_sees_the_partial_fill_of_the_resting_buy()
    {
        await using var ordermatch = await QuickFixProcess.StartAsync("ordermatch", FixVersions.Fix42, "ORDERMATCH", "BDT");
        await using var initiator = await FixInitiator.ConnectAsync("127.0.0.1", ordermatch.Port, new FixSessionSettings
        {
            SenderCompId = "BDT",
            TargetCompId = "ORDERMATCH",
            BeginString = FixVersions.Fix42,
        });
        NewOrderSingle Order(string id, FixSide side, decimal qty) => new()
        {
            ClOrdId = id,
            HandlInst = FixHandlInst.AutomatedPrivate,
            Symbol = "IBM",
            Side = side,
            TransactTime = DateTimeOffset.UtcNow,
            OrderQty = qty,
            OrdType = FixOrdType.Limit,
            Price = 120.5m,
        };

        await initiator.SendAsync(Order("BUY1", FixSide.Buy, 100m));
        var buyAck = await NextReportAsync(initiator, ordermatch);
        Assert.Equal(("BUY1", FixExecType.New, FixOrdStatus.New, 100m), (buyAck.ClOrdId, buyAck.ExecType, buyAck.OrdStatus, buyAck.LeavesQty));

        // A crossing sell for part of the resting buy: the sell fills completely, the buy partially.
        await initiator.SendAsync(Order("SELL1", FixSide.Sell, 60m));
        var reports = new List<ExecutionReport>();
        for (var i = 0; i < 3; i++)
        {
            reports.Add(await NextReportAsync(initiator, ordermatch));
        }

        Assert.Contains(reports, r => r is { ClOrdId: "SELL1", ExecType: FixExecType.New });
        var buyFill = Assert.Single(reports, r => r.ClOrdId == "BUY1");
        Assert.Equal((FixExecType.PartialFill, FixOrdStatus.PartiallyFilled), (buyFill.ExecType, buyFill.OrdStatus));
        Assert.Equal((60m, 120.5m, 60m, 40m), (buyFill.LastQty, buyFill.LastPx, buyFill.CumQty, buyFill.LeavesQty));
        var sellFill = Assert.Single(reports, r => r is { ClOrdId: "SELL1", ExecType: not FixExecType.New });
        Assert.Equal((FixExecType.Fill, FixOrdStatus.Filled), (sellFill.ExecType, sellFill.OrdStatus));
        Assert.Equal((60m, 120.5m, 0m), (sellFill.LastQty, sellFill.LastPx, sellFill.LeavesQty));

        await LogoutCleanlyAsync(initiator, ordermatch);
    }
}
