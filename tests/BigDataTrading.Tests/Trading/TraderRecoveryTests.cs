using BigDataTrading.Core;
using BigDataTrading.Core.Diagnostics;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Orders;
using BigDataTrading.Core.Signals;
using BigDataTrading.Core.Time;
using BigDataTrading.Core.Wire;
using BigDataTrading.Exchange;
using BigDataTrading.Fix;
using BigDataTrading.Infra.Messaging;
using BigDataTrading.Trading;
using BigDataTrading.Trading.Journal;
using BigDataTrading.Trading.Orders;
using BigDataTrading.Trading.Risk;
using BigDataTrading.Warehouse;
using Confluent.Kafka;
using Timestamp = BigDataTrading.Core.Time.Timestamp;

namespace BigDataTrading.Tests.Trading;

/// <summary>
/// Start-up recovery of the trader service in-process, one situation each, on the real stack (Kafka, the FIX
/// exchange over TCP, DuckDB): a journaled order the exchange never saw, one too old to send, one the exchange
/// filled while the trader was down, and the portfolio limits applied with live state.
/// </summary>
public sealed class TraderRecoveryTests : IAsyncLifetime
{
    private const int Partitions = 2;
    private static readonly Symbol Spy = Symbol.Parse("SPY");
    private TraderTestStack _env = null!;

    public async Task InitializeAsync() => _env = await TraderTestStack.StartAsync("recovery", Partitions);

    private string JournalPath => Path.Combine(_env.Directory, "orders.journal");

    private static Order O(string id, TimeSpan age) =>
        new(new ClientOrderId(id), Spy, Side.Buy, 100, OrderType.Limit, Price.FromDecimal(100.05m), TimeInForce.Day, Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow - age), id);

    private void Journal(params Order[] orders)
    {
        using var journal = OrderJournal.Open(JournalPath, out _);
        foreach (var order in orders)
        {
            journal.AppendIntent(new OrderIntentRecord(order, "Accepted", null));
        }
    }

    /// <summary>Runs the trader with the journal until the end-of-stream markers (no new signals) and returns its result.</summary>
    private async Task<TraderResult> RunAsync(IOrderWarehouse warehouse, TraderOptions options, params Signal[] signals)
    {
        using (var strategy = _env.Stack.Kafka.Clients.CreateProducer("strategy"))
        {
            foreach (var signal in signals)
            {
                await strategy.ProduceAsync(Topics.Signals, new Message<byte[]?, byte[]> { Key = "SPY"u8.ToArray(), Value = JsonRecords.Serialize(signal) });
            }

            await EndOfStream.WriteAsync(strategy, Topics.Signals, Partitions, CancellationToken.None);
        }

        using var journal = OrderJournal.Open(JournalPath, out var replay);
        await using var venue = await _env.ConnectVenueAsync();
        using var consumer = _env.Stack.Kafka.Clients.CreateLosslessConsumer("recovering-trader", "trader");
        using var producer = _env.Stack.Kafka.Clients.CreateProducer("trader");
        var trader = new TraderService(options, consumer, producer, venue, warehouse, new PipelineCounters(), TimeProvider.System, journal: journal, replay: replay);
        return await trader.RunAsync(Partitions, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task A_journaled_order_the_exchange_never_saw_is_sent_once_on_restart()
    {
        Journal(O("never-sent-1", TimeSpan.FromSeconds(5)));
        using var warehouse = new DuckDbOrderWarehouse(Path.Combine(_env.Directory, "w.duckdb"));

        var result = await RunAsync(warehouse, TraderOptions.Default);

        Assert.Equal(new RecoveryResult(1, 0, 1, 1, 0, 0), result.Recovery);
        var atExchange = Assert.Single(_env.Stack.Exchange.Orders);
        Assert.Equal(("never-sent-1", FixOrdStatus.Filled), (atExchange.ClOrdId, atExchange.OrdStatus));
        Assert.Equal(100, Assert.Single(result.Positions).Quantity);
        Assert.Equal(OrderStatus.Filled, warehouse.GetOrderStatus(new ClientOrderId("never-sent-1")));

        // A second restart finds it final in the journal: nothing to ask, nothing sent.
        var again = await RunAsync(warehouse, TraderOptions.Default);
        Assert.Equal((0, 0L), (again.Recovery.OpenOrders, again.OrdersSent));
        Assert.Single(_env.Stack.Exchange.Orders);
    }

    [Fact]
    public async Task A_journaled_order_too_old_to_send_is_marked_lost_never_sent_and_never_reaches_the_exchange()
    {
        Journal(O("stale-1", TimeSpan.FromMinutes(10)));
        using var warehouse = new DuckDbOrderWarehouse(Path.Combine(_env.Directory, "w.duckdb"));

        var result = await RunAsync(warehouse, TraderOptions.Default with { UnsentOrderMaxAgeSeconds = 60 });

        Assert.Equal((1, 0, 1), (result.Recovery.OpenOrders, result.Recovery.Resent, result.Recovery.Lost));
        Assert.Empty(_env.Stack.Exchange.Orders);
        Assert.Empty(result.Positions);
        Assert.Equal(OrderStatus.LostNeverSent, warehouse.GetOrderStatus(new ClientOrderId("stale-1")));

        using var journal = OrderJournal.Open(JournalPath, out var replay);
        Assert.Contains(replay.Records, r => r is OrderAction { Action: "Lost" } a && a.ClientOrderId.Value == "stale-1");
    }

    [Fact]
    public async Task Fills_the_trader_missed_while_down_are_reconciled_from_the_status_answer()
    {
        // The order went out and filled, but the trader died before it read a single report.
        var order = O("filled-while-down", TimeSpan.FromSeconds(1));
        Journal(order);
        await using (var previousLife = await FixInitiator.ConnectAsync("127.0.0.1", _env.Stack.Exchange.Port, new FixSessionSettings { SenderCompId = "BDT", TargetCompId = _env.Stack.Exchange.CompId }))
        {
            await previousLife.SendAsync(new NewOrderSingle
            {
                ClOrdId = order.ClientOrderId.Value, Symbol = "SPY", Side = FixSide.Buy, TransactTime = DateTimeOffset.UtcNow, OrderQty = 100, OrdType = FixOrdType.Limit, Price = 100.05m,
            });
            await TraderTestStack.Until(() => _env.Stack.Exchange.Statistics.OrdersFilled == 1, "the exchange to fill the order");
        }

        using var warehouse = new DuckDbOrderWarehouse(Path.Combine(_env.Directory, "w.duckdb"));
        var result = await RunAsync(warehouse, TraderOptions.Default);

        Assert.Equal((1, 0, 0), (result.Recovery.OpenOrders, result.Recovery.Resent, result.Recovery.Lost));
        var position = Assert.Single(result.Positions);
        Assert.Equal((100L, 100.05m), (position.Quantity, position.AveragePrice));
        Assert.Equal(OrderStatus.Filled, warehouse.GetOrderStatus(order.ClientOrderId));
        Assert.Equal(100, Assert.Single(warehouse.FillQuantityBySymbol()).Net);
        Assert.Equal(1, _env.Stack.Exchange.Statistics.OrdersReceived);
    }

    [Fact]
    public async Task With_the_open_order_limit_reached_the_next_signal_is_refused_with_its_reason_code()
    {
        await using var env = await TraderTestStack.StartAsync("open-limit", Partitions, new OrderBookMatcher());
        using var warehouse = new DuckDbOrderWarehouse(Path.Combine(env.Directory, "w.duckdb"));
        await using var venue = await env.ConnectVenueAsync();
        using var consumer = env.Stack.Kafka.Clients.CreateLosslessConsumer("trader", "trader");
        using var producer = env.Stack.Kafka.Clients.CreateProducer("trader");
        var options = TraderOptions.Default with { Risk = new PreTradeRiskOptions(MaxOpenOrders: 2), DrainTimeout = TimeSpan.FromSeconds(1) };
        var trader = new TraderService(options, consumer, producer, venue, warehouse, new PipelineCounters(), TimeProvider.System);
        using var stop = new CancellationTokenSource();
        var run = trader.RunUntilStoppedAsync(stop.Token);

        // Nobody sells: the buys rest in the book and stay open.
        using var strategy = env.Stack.Kafka.Clients.CreateProducer("strategy");
        for (var i = 1; i <= 3; i++)
        {
            var signal = new Signal($"open-{i}", "smax", Spy, new Timestamp(i * 60_000_000_000L), Side.Buy, 10, Price.FromDecimal(100m));
            await strategy.ProduceAsync(Topics.Signals, new Message<byte[]?, byte[]> { Key = "SPY"u8.ToArray(), Value = JsonRecords.Serialize(signal) });
            if (i < 3)
            {
                await TraderTestStack.Until(() => warehouse.GetOrderStatus(new ClientOrderId($"open-{i}")) == OrderStatus.New, $"open-{i} to rest");
            }
        }

        await TraderTestStack.Until(() => warehouse.GetOrderStatus(new ClientOrderId("open-3")) is not null, "the third signal to be decided");
        Assert.Equal(OrderStatus.Rejected, warehouse.GetOrderStatus(new ClientOrderId("open-3")));
        Assert.Equal(2, trader.Orders.OpenCount);
        Assert.StartsWith("MaxOpenOrders: 2 orders open, limit 2", RiskReasonOnOrdersTopic(env, "open-3"), StringComparison.Ordinal);

        // Stopping with orders still resting is reported, not hidden.
        await stop.CancelAsync();
        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => run.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("2 orders were still open", timeout.Message, StringComparison.Ordinal);
    }

    public async Task DisposeAsync() => await _env.DisposeAsync();

    /// <summary>The risk reason of an order's intent record on the orders topic (the backup record).</summary>
    private static string? RiskReasonOnOrdersTopic(TraderTestStack env, string clientOrderId)
    {
        using var reader = env.Stack.Kafka.Clients.CreateConsumer("audit", "audit");
        reader.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(Topics.Orders, p, Offset.Beginning)));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (reader.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false } record)
            {
                using var json = System.Text.Json.JsonDocument.Parse(record.Message.Value);
                if (json.RootElement.TryGetProperty("order", out var order) && order.GetProperty("clientOrderId").GetString() == clientOrderId)
                {
                    return json.RootElement.GetProperty("reason").GetString();
                }
            }
        }

        return null;
    }
}
