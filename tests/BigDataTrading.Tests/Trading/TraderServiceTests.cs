using BigDataTrading.Core;
using BigDataTrading.Core.Diagnostics;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Orders;
using BigDataTrading.Core.Signals;
using BigDataTrading.Core.Time;
using BigDataTrading.Core.Wire;
using BigDataTrading.Exchange;
using BigDataTrading.Infra.Embedded;
using BigDataTrading.Infra.Kafka;
using BigDataTrading.Infra.Messaging;
using BigDataTrading.Trading;
using BigDataTrading.Trading.Risk;
using BigDataTrading.Tests.Warehouse;
using BigDataTrading.Trading.Venues;
using BigDataTrading.Warehouse;
using Confluent.Kafka;
using Timestamp = BigDataTrading.Core.Time.Timestamp;

namespace BigDataTrading.Tests.Trading;

/// <summary>The trader service on real components: embedded Kafka, the FIX exchange simulator over TCP, a DuckDB warehouse.</summary>
public sealed class TraderServiceTests(PostgresFixture postgres) : IAsyncLifetime, IClassFixture<PostgresFixture>
{
    private const int Partitions = 2;
    private static readonly Symbol Spy = Symbol.Parse("SPY");
    private TraderTestStack _env = null!;

    private EmbeddedStack _stack => _env.Stack;

    private string _dir => _env.Directory;

    public async Task InitializeAsync() => _env = await TraderTestStack.StartAsync("trader", Partitions);

    [Fact]
    public Task A_replayed_signal_becomes_one_order_and_a_risk_rejection_is_recorded_with_its_reason() =>
        RunScenarioAsync(() => new DuckDbOrderWarehouse(Path.Combine(_dir, "warehouse.duckdb")));

    [PostgresFact]
    public Task The_same_scenario_records_into_a_PostgreSQL_warehouse() =>
        RunScenarioAsync(() => new PostgresOrderWarehouse(postgres.CreateDatabase()));

    [Fact]
    public async Task A_live_trader_stops_cleanly_and_a_restarted_one_does_not_send_a_replayed_signal_again()
    {
        var first = new Signal("smax-SPY-10", "smax", Spy, new Timestamp(60_000_000_000), Side.Buy, 100, Price.FromDecimal(100m));
        var second = new Signal("smax-SPY-11", "smax", Spy, new Timestamp(120_000_000_000), Side.Sell, 100, Price.FromDecimal(101m));
        using var warehouse = new DuckDbOrderWarehouse(Path.Combine(_dir, "live.duckdb"));
        using var producer = _stack.Kafka.Clients.CreateProducer("strategy");

        async Task<TraderResult> RunTraderUntilAsync(Func<bool> done)
        {
            await using var venue = await _env.ConnectVenueAsync();
            using var consumer = _stack.Kafka.Clients.CreateLosslessConsumer("live-trader", "trader");
            using var traderProducer = _stack.Kafka.Clients.CreateProducer("trader");
            var trader = new TraderService(TraderOptions.Default, consumer, traderProducer, venue, warehouse, new PipelineCounters(), TimeProvider.System);
            using var stop = new CancellationTokenSource();
            var run = trader.RunUntilStoppedAsync(stop.Token);
            await TraderTestStack.Until(done, "the trader");

            await stop.CancelAsync();
            return await run.WaitAsync(TimeSpan.FromSeconds(30));
        }

        await producer.ProduceAsync(Topics.Signals, new Message<byte[]?, byte[]> { Key = "SPY"u8.ToArray(), Value = JsonRecords.Serialize(first) });
        var firstRun = await RunTraderUntilAsync(() => warehouse.GetOrderStatus(new ClientOrderId(first.SignalId)) == OrderStatus.Filled);
        Assert.Equal((1L, 1L, 0), (firstRun.OrdersSent, firstRun.Fills, firstRun.OpenOrders));

        // The strategy replays the first signal (say, after its own restart) and then sends a new one.
        await producer.ProduceAsync(Topics.Signals, new Message<byte[]?, byte[]> { Key = "SPY"u8.ToArray(), Value = JsonRecords.Serialize(first) });
        await producer.ProduceAsync(Topics.Signals, new Message<byte[]?, byte[]> { Key = "SPY"u8.ToArray(), Value = JsonRecords.Serialize(second) });
        var secondRun = await RunTraderUntilAsync(() => warehouse.GetOrderStatus(new ClientOrderId(second.SignalId)) == OrderStatus.Filled);

        Assert.Equal(2, secondRun.Signals);
        Assert.Equal(1, secondRun.DuplicateSignals);
        Assert.Equal(1, secondRun.OrdersSent);
        Assert.Equal(2, warehouse.CountOrders());
        Assert.Equal(2, warehouse.CountFills());
    }

    private async Task RunScenarioAsync(Func<IOrderWarehouse> openWarehouse)
    {
        var buy = new Signal("smax-SPY-1", "smax", Spy, new Timestamp(60_000_000_000), Side.Buy, 100, Price.FromDecimal(100m));
        var tooBig = new Signal("smax-SPY-2", "smax", Spy, new Timestamp(120_000_000_000), Side.Buy, 5_000, Price.FromDecimal(100m));
        using (var producer = _stack.Kafka.Clients.CreateProducer("test"))
        {
            foreach (var signal in new[] { buy, buy, tooBig })
            {
                await producer.ProduceAsync(Topics.Signals, new Message<byte[]?, byte[]> { Key = "SPY"u8.ToArray(), Value = JsonRecords.Serialize(signal) });
            }

            await EndOfStream.WriteAsync(producer, Topics.Signals, Partitions, CancellationToken.None);
        }

        TraderResult result;
        using (var warehouse = openWarehouse())
        {
            await using var venue = await _env.ConnectVenueAsync();
            using var consumer = _stack.Kafka.Clients.CreateLosslessConsumer("trader-test", "trader");
            using var producer = _stack.Kafka.Clients.CreateProducer("trader");
            var trader = new TraderService(TraderOptions.Default, consumer, producer, venue, warehouse, new PipelineCounters(), TimeProvider.System);
            result = await trader.RunAsync(Partitions, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

            Assert.Equal(1, warehouse.CountFills());
            Assert.Equal(OrderStatus.Filled, warehouse.GetOrderStatus(new ClientOrderId("smax-SPY-1")));
            Assert.Equal(OrderStatus.Rejected, warehouse.GetOrderStatus(new ClientOrderId("smax-SPY-2")));
        }

        Assert.Equal(3, result.Signals);
        Assert.Equal(1, result.DuplicateSignals);
        Assert.Equal(1, result.OrdersSent);
        Assert.Equal(1, result.RiskRejected[RiskRejectReason.MaxOrderQuantity]);
        var position = Assert.Single(result.Positions);
        Assert.Equal(100, position.Quantity);
        Assert.Equal(0, result.OpenOrders);

        // Every intent and every execution was also published as the backup record.
        using var reader = _stack.Kafka.Clients.CreateConsumer("audit", "audit");
        reader.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(Topics.Orders, p, Offset.Beginning)));
        var intents = 0;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (intents < 2 && DateTime.UtcNow < deadline)
        {
            var record = reader.Consume(TimeSpan.FromMilliseconds(100));
            if (record is { IsPartitionEOF: false })
            {
                intents++;
            }
        }

        Assert.Equal(2, intents);
    }

    public async Task DisposeAsync() => await _env.DisposeAsync();
}
