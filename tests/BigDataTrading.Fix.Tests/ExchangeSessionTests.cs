using BigDataTrading.Exchange;
using BigDataTrading.Fix;
using BigDataTrading.Fix.Logging;

namespace BigDataTrading.Fix.Tests;

/// <summary>A real initiator against the exchange simulator over TCP loopback.</summary>
public sealed class ExchangeSessionTests : IDisposable
{
    private static readonly TimeSpan Timeout = RawFixPeer.Timeout;
    private readonly TestDirectory _logs = new();

    public void Dispose() => _logs.Dispose();

    private async Task<ExchangeSimulator> StartExchangeAsync(Func<string, decimal?>? referencePrice = null)
    {
        var exchange = new ExchangeSimulator();
        await exchange.StartAsync(new ExchangeSimulatorOptions
        {
            LogDirectory = Path.Combine(_logs.Path, "exchange"),
            ReferencePrice = referencePrice,
            RunId = "T1",
        });
        return exchange;
    }

    private Task<FixInitiator> ConnectAsync(ExchangeSimulator exchange) =>
        FixInitiator.ConnectAsync("127.0.0.1", exchange.Port, new FixSessionSettings
        {
            SenderCompId = "BDT",
            TargetCompId = exchange.SenderCompId,
            LogDirectory = Path.Combine(_logs.Path, "trader"),
        });

    private static NewOrderSingle Order(string clOrdId, FixSide side, decimal qty, decimal? limit, string symbol = "AAPL") => new()
    {
        ClOrdId = clOrdId,
        Symbol = symbol,
        Side = side,
        TransactTime = DateTimeOffset.UtcNow,
        OrderQty = qty,
        OrdType = limit is null ? FixOrdType.Market : FixOrdType.Limit,
        Price = limit,
    };

    private static async Task<ExecutionReport> NextReportAsync(FixInitiator initiator)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var message = await initiator.ApplicationMessages.ReadAsync(cts.Token);
        Assert.True(ExecutionReport.TryParse(message, out var report, out var error), $"{error}: {message}");
        return report;
    }

    [Fact]
    public async Task Trader_logs_on_trades_three_orders_gets_a_reject_logs_out_and_both_logs_verify()
    {
        await using var exchange = await StartExchangeAsync(symbol => symbol == "MSFT" ? 410.5m : null);
        await using var initiator = await ConnectAsync(exchange);
        Assert.True(initiator.Session.IsLoggedOn);

        var orders = new[]
        {
            Order("C1", FixSide.Buy, 100m, 150.25m),
            Order("C2", FixSide.Sell, 2.5m, 99.1m, "BTCUSD"),
            Order("C3", FixSide.Buy, 7m, null, "MSFT"),
        };
        var expectedPrices = new[] { 150.25m, 99.1m, 410.5m };
        foreach (var order in orders)
        {
            await initiator.SendAsync(order);
        }

        var orderIds = new HashSet<string>();
        var execIds = new HashSet<string>();
        for (var i = 0; i < orders.Length; i++)
        {
            var ack = await NextReportAsync(initiator);
            var fill = await NextReportAsync(initiator);

            Assert.Equal((orders[i].ClOrdId, FixExecType.New, FixOrdStatus.New), (ack.ClOrdId, ack.ExecType, ack.OrdStatus));
            Assert.Equal((orders[i].OrderQty, 0m, 0m), (ack.LeavesQty, ack.CumQty, ack.LastQty));
            Assert.Equal((orders[i].ClOrdId, FixExecType.Trade, FixOrdStatus.Filled), (fill.ClOrdId, fill.ExecType, fill.OrdStatus));
            Assert.Equal((orders[i].OrderQty, orders[i].OrderQty, 0m), (fill.LastQty, fill.CumQty, fill.LeavesQty));
            Assert.Equal((expectedPrices[i], expectedPrices[i]), (fill.LastPx, fill.AvgPx));
            Assert.Equal((orders[i].Symbol, orders[i].Side), (fill.Symbol, fill.Side));
            Assert.Equal(ack.OrderId, fill.OrderId);
            Assert.StartsWith("T1-", fill.OrderId, StringComparison.Ordinal);
            orderIds.Add(fill.OrderId);
            execIds.Add(ack.ExecId);
            execIds.Add(fill.ExecId);
        }

        Assert.Equal(3, orderIds.Count);
        Assert.Equal(6, execIds.Count);

        await initiator.SendAsync(Order("C4", FixSide.Buy, 0m, 10m));
        var reject = await NextReportAsync(initiator);
        Assert.Equal(("C4", FixExecType.Rejected, FixOrdStatus.Rejected), (reject.ClOrdId, reject.ExecType, reject.OrdStatus));
        Assert.Contains("OrderQty must be positive", reject.Text, StringComparison.Ordinal);

        Assert.Equal(new ExchangeStatistics(4, 3, 1, 0), exchange.Statistics);

        var exchangeLogPath = Assert.Single(exchange.LogFiles);
        var exchangeSession = Assert.Single(exchange.Sessions);
        await initiator.LogoutAsync();

        // Clean logout on both sides: the trader's session is closed by the Logout exchange, the inbound channel
        // completes, and the exchange's session ends because the trader closed after the Logout reply.
        await initiator.Session.Completion.WaitAsync(Timeout);
        Assert.Equal("logout completed", initiator.Session.DisconnectReason);
        await initiator.ApplicationMessages.Completion.WaitAsync(Timeout);
        await exchangeSession.Completion.WaitAsync(Timeout);
        Assert.Equal("logout by peer", exchangeSession.DisconnectReason);
        Assert.Empty(exchange.Sessions);

        var traderLog = FixLogReader.Read(initiator.Session.LogFilePath!);
        var exchangeLog = FixLogReader.Read(exchangeLogPath);
        foreach (var log in new[] { traderLog, exchangeLog })
        {
            Assert.All(log, e => Assert.True(e.IsValid, $"{e.Direction} {e.Text} {(e.Message?.ToString())}"));
            foreach (var direction in new[] { FixLogDirection.In, FixLogDirection.Out })
            {
                var seqs = log.Where(e => e.Direction == direction).Select(e => e.Message!.MsgSeqNum).ToList();
                Assert.Equal(Enumerable.Range(1, seqs.Count), seqs);
            }
        }

        // Logon + 4 orders + Logout out; Logon + 7 reports + Logout in (and mirrored on the exchange).
        Assert.Equal(6, traderLog.Count(e => e.Direction == FixLogDirection.Out));
        Assert.Equal(9, traderLog.Count(e => e.Direction == FixLogDirection.In));
        Assert.Equal(
            traderLog.Where(e => e.Direction == FixLogDirection.Out).Select(e => e.Message!.MsgType),
            exchangeLog.Where(e => e.Direction == FixLogDirection.In).Select(e => e.Message!.MsgType));
        Assert.Equal(FixMsgType.Logout, traderLog[^1].Message!.MsgType);
    }

    [Fact]
    public async Task Market_order_without_a_reference_price_is_rejected_with_the_reason()
    {
        await using var exchange = await StartExchangeAsync();
        await using var initiator = await ConnectAsync(exchange);

        await initiator.SendAsync(Order("M1", FixSide.Sell, 5m, null));

        var report = await NextReportAsync(initiator);
        Assert.Equal((FixExecType.Rejected, "no reference price for market order"), (report.ExecType, report.Text));
        await initiator.LogoutAsync();
    }

    [Fact]
    public async Task Limit_order_without_a_positive_price_is_rejected_with_the_reason()
    {
        await using var exchange = await StartExchangeAsync();
        await using var initiator = await ConnectAsync(exchange);

        await initiator.SendAsync(Order("L1", FixSide.Buy, 5m, 0m));

        var report = await NextReportAsync(initiator);
        Assert.Equal((FixExecType.Rejected, "limit order requires a positive Price"), (report.ExecType, report.Text));
        await initiator.LogoutAsync();
    }

    [Fact]
    public async Task Cancel_of_a_filled_order_gets_an_order_cancel_reject()
    {
        await using var exchange = await StartExchangeAsync();
        await using var initiator = await ConnectAsync(exchange);
        await initiator.SendAsync(Order("C1", FixSide.Buy, 1m, 10m));
        await NextReportAsync(initiator);
        await NextReportAsync(initiator);

        await initiator.SendAsync(new OrderCancelRequest { OrigClOrdId = "C1", ClOrdId = "X1", Symbol = "AAPL", Side = FixSide.Buy, TransactTime = DateTimeOffset.UtcNow });

        using var cts = new CancellationTokenSource(Timeout);
        var reply = await initiator.ApplicationMessages.ReadAsync(cts.Token);
        Assert.Equal(FixMsgType.OrderCancelReject, reply.MsgType);
        Assert.Equal("order already filled", reply.GetString(FixTag.Text));
        await initiator.LogoutAsync();
    }

    [Fact]
    public async Task Logon_to_the_wrong_target_comp_id_fails_with_the_reason()
    {
        await using var exchange = await StartExchangeAsync();

        var ex = await Assert.ThrowsAsync<FixSessionException>(() => FixInitiator.ConnectAsync("127.0.0.1", exchange.Port, new FixSessionSettings
        {
            SenderCompId = "BDT",
            TargetCompId = "NOT-THE-EXCHANGE",
        }));

        Assert.Contains("is not BDTX", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stopping_the_exchange_logs_out_the_trader_and_leaves_one_valid_log_per_side_in_a_shared_directory()
    {
        var shared = Path.Combine(_logs.Path, "shared");
        var exchange = await ExchangeSimulator.StartAsync(new ExchangeSimulatorOptions { LogDirectory = shared }, TimeProvider.System);
        await using var initiator = await FixInitiator.ConnectAsync("127.0.0.1", exchange.Port, new FixSessionSettings
        {
            SenderCompId = "BDT",
            TargetCompId = exchange.CompId,
            LogDirectory = shared,
        });
        await initiator.SendAsync(Order("S1", FixSide.Buy, 1m, 1m));
        await NextReportAsync(initiator);
        await NextReportAsync(initiator);

        await exchange.DisposeAsync();

        await initiator.Session.Completion.WaitAsync(Timeout);
        Assert.Equal("logout by peer: acceptor shutting down", initiator.Session.DisconnectReason);
        var logs = Directory.GetFiles(shared, "*.log");
        Assert.Equal(2, logs.Length);
        Assert.All(logs, log =>
        {
            var entries = FixLogReader.Read(log);
            Assert.All(entries, e => Assert.True(e.BodyLengthValid && e.ChecksumValid, e.ToString()));
            Assert.Equal(FixMsgType.Logout, entries[^1].Message!.MsgType);
        });
    }
}
