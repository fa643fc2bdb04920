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
using BigDataTrading.Trading.Orders;
using BigDataTrading.Trading.Risk;
using BigDataTrading.Trading.Venues;
using BigDataTrading.Warehouse;
using Confluent.Kafka;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;
using Timestamp = BigDataTrading.Core.Time.Timestamp;

namespace BigDataTrading.Tests.Trading;

/// <summary>
/// The trader service outliving a dropped venue session, in-process on the real stack (Kafka, the FIX exchange
/// simulator with a real order book over TCP, DuckDB). The venue's clock is a fake one so the outage lasts exactly until
/// the test lets the backoff delay pass: fills and signals land while the trader is certainly disconnected.
/// </summary>
public sealed class TraderReconnectTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Partitions = 2;
    private static readonly Symbol Spy = Symbol.Parse("SPY");
    private static readonly TimeSpan Backoff = TimeSpan.FromSeconds(1);

    // The exchange keeps our FIX session across connections, as a real venue does within a trading day.
    private readonly InMemorySequenceStore _exchangeSession = new();
    private TraderTestStack _env = null!;

    public async Task InitializeAsync() => _env = await TraderTestStack.StartAsync(
        "reconnect",
        Partitions,
        configureExchange: o => o with { ExchangeMatcher = new PaperMatcher(), SequenceStoreFactory = _ => _exchangeSession });

    public async Task DisposeAsync() => await _env.DisposeAsync();

    private ExchangeSimulator Exchange => _env.Stack.Exchange;

    private static Signal Buy(string id, int minute, long quantity) =>
        new(id, "smax", Spy, new Timestamp(minute * 60_000_000_000L), Side.Buy, quantity, Price.FromDecimal(100m));

    private static Task<DeliveryResult<byte[]?, byte[]>> Publish(IProducer<byte[]?, byte[]> producer, Signal signal) =>
        producer.ProduceAsync(Topics.Signals, new Message<byte[]?, byte[]> { Key = "SPY"u8.ToArray(), Value = JsonRecords.Serialize(signal) });

    /// <summary>The market prints <paramref name="size"/> SPY at 100.00 (paper mode): resting buys at or above it fill, oldest first.</summary>
    private Task<long> PrintAsync(decimal size) => Exchange.ReplayMarketDataAsync(Prints(new MarketTrade("SPY", DateTimeOffset.UtcNow, 100m, size)));

    private static async IAsyncEnumerable<MarketTrade> Prints(params MarketTrade[] trades)
    {
        foreach (var trade in trades)
        {
            yield return trade;
        }

        await Task.CompletedTask;
    }

    /// <summary>Drops the exchange's end of the trader's session (TCP close, no Logout) and waits until the trader's venue is backing off.</summary>
    private async Task DropTraderSessionAsync(FixOrderVenue venue)
    {
        await Exchange.Sessions.Single(s => s.TargetCompId == "BDT" && s.IsLoggedOn).DisposeAsync();
        await TraderTestStack.Until(() => venue.Session.State.State == FixConnectionState.Reconnecting, "the venue to back off before reconnecting");
        Assert.False(venue.IsConnected);
    }

    /// <summary>The trader on its own DuckDB warehouse, with a venue whose backoff runs on a fake clock, running over the signals topic.</summary>
    private async Task<TraderUnderTest> StartTraderAsync()
    {
        var venueClock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var log = new StringWriter();
        var warehouse = new DuckDbOrderWarehouse(Path.Combine(_env.Directory, "w.duckdb"));
        var venue = await _env.ConnectVenueAsync(venueClock, new FixReconnectOptions { InitialDelay = Backoff, MaxDelay = Backoff, JitterFraction = 0 });
        var consumer = _env.Stack.Kafka.Clients.CreateLosslessConsumer("trader", "trader");
        var traderProducer = _env.Stack.Kafka.Clients.CreateProducer("trader");
        var trader = new TraderService(TraderOptions.Default, consumer, traderProducer, venue, warehouse, new PipelineCounters(), TimeProvider.System, log: TextWriter.Synchronized(log));
        var run = trader.RunAsync(Partitions, CancellationToken.None);
        var strategy = _env.Stack.Kafka.Clients.CreateProducer("strategy");
        return new TraderUnderTest(output, venueClock, log, warehouse, venue, consumer, traderProducer, trader, run, strategy);
    }

    private static long TraderCum(TraderService trader, string id) => trader.Orders.Get(new ClientOrderId(id))?.CumulativeQuantity ?? -1;

    [Fact]
    public async Task Fills_during_a_venue_outage_are_reconciled_after_the_reconnect_and_every_signal_reaches_the_exchange_once()
    {
        await using var t = await StartTraderAsync();
        var (venueClock, log, warehouse, venue, trader, run, strategy) = (t.VenueClock, t.Log, t.Warehouse, t.Venue, t.Trader, t.Run, t.Strategy);

        // Two buys rest in the book; a first print partly fills the first one while the session is up.
        await Publish(strategy, Buy("rc-1", 1, 100));
        await Publish(strategy, Buy("rc-2", 2, 50));
        await TraderTestStack.Until(() => trader.Orders.Get(new ClientOrderId("rc-2"))?.State == OrderState.New && trader.Orders.Get(new ClientOrderId("rc-1"))?.State == OrderState.New, "both buys to rest");
        await PrintAsync(30);
        await TraderTestStack.Until(() => TraderCum(trader, "rc-1") == 30, "the first fill to reach the trader");

        // Outage: the rest of both orders fills while the trader cannot hear of it.
        await DropTraderSessionAsync(venue);
        await PrintAsync(120);
        await TraderTestStack.Until(() => Exchange.Orders.Count(o => o.Owner == "BDT" && o.OrdStatus == FixOrdStatus.Filled) == 2, "both buys to fill at the exchange");
        Assert.Equal((30L, 0L), (TraderCum(trader, "rc-1"), TraderCum(trader, "rc-2")));
        Assert.True(Exchange.Statistics.ReportsUndelivered >= 2);

        // A signal during the outage is refused with its reason, not held or lost.
        await Publish(strategy, Buy("rc-3", 3, 10));
        await TraderTestStack.Until(() => trader.Orders.Get(new ClientOrderId("rc-3"))?.State == OrderState.Rejected, "the outage signal to be decided");
        await EndOfStream.WriteAsync(strategy, Topics.Signals, Partitions, CancellationToken.None);
        Assert.Equal(2, trader.Orders.OpenCount);

        // The backoff delay passes: reconnect, reconcile, drain.
        venueClock.Advance(Backoff);
        var result = await run.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1, venue.Session.Reconnects);
        Assert.Equal(1, result.VenueOutages);
        Assert.Equal(Backoff, result.VenueDowntime);
        var reconciliation = Assert.Single(result.Reconciliations);
        Assert.Equal((2, 0, 0, 0), (reconciliation.OpenOrders, reconciliation.Resent, reconciliation.Lost, reconciliation.Unanswered));
        Assert.Equal(1, result.RiskRejected[RiskRejectReason.VenueDisconnected]);
        Assert.Equal(OrderStatus.Rejected, warehouse.GetOrderStatus(new ClientOrderId("rc-3")));
        Assert.Equal(0, result.OpenOrders);

        // Positions equal what the exchange filled, and the exchange saw exactly one order per accepted signal.
        var ours = Exchange.Orders.Where(o => o.Owner == "BDT").ToList();
        Assert.Equal(["rc-1", "rc-2"], ours.Select(o => o.ClOrdId).Order());
        Assert.Equal(0, Exchange.Statistics.DuplicateOrders);
        Assert.Equal(2, result.OrdersSent);
        var position = Assert.Single(result.Positions);
        Assert.Equal(ours.Sum(o => (long)o.CumQty), position.Quantity);
        Assert.Equal(150, position.Quantity);
        Assert.Equal(ours.Sum(o => o.CumQty * o.AvgPx) / 150m, position.AveragePrice);
        Assert.Equal(OrderStatus.Filled, warehouse.GetOrderStatus(new ClientOrderId("rc-1")));
        Assert.Equal(OrderStatus.Filled, warehouse.GetOrderStatus(new ClientOrderId("rc-2")));
        Assert.Contains("disconnected", log.ToString(), StringComparison.Ordinal);
        Assert.Contains("reconnected after 1 s down", log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_kill_switch_engaged_during_an_outage_blocks_new_orders_at_once_and_cancels_the_resting_order_after_the_reconnect()
    {
        await using var t = await StartTraderAsync();
        var (venueClock, log, warehouse, venue, trader, run, strategy) = (t.VenueClock, t.Log, t.Warehouse, t.Venue, t.Trader, t.Run, t.Strategy);

        await Publish(strategy, Buy("ks-1", 1, 100));
        await TraderTestStack.Until(() => trader.Orders.Get(new ClientOrderId("ks-1"))?.State == OrderState.New, "the buy to rest");
        await DropTraderSessionAsync(venue);

        Assert.True(trader.KillSwitch.Engage("venue outage drill", "test"));
        await Publish(strategy, Buy("ks-2", 2, 10));
        await TraderTestStack.Until(() => trader.Orders.Get(new ClientOrderId("ks-2"))?.State == OrderState.Rejected, "the signal after the kill switch to be decided");
        Assert.Equal(FixOrdStatus.New, Exchange.Orders.Single(o => o.ClOrdId == "ks-1").OrdStatus);
        await EndOfStream.WriteAsync(strategy, Topics.Signals, Partitions, CancellationToken.None);

        venueClock.Advance(Backoff);
        var result = await run.WaitAsync(TimeSpan.FromSeconds(60));

        // The cancel reached the exchange after the reconnect: nothing rests in its book any more.
        Assert.Equal(1, Exchange.Statistics.OrdersCanceled);
        Assert.Empty(((PaperMatcher)Exchange.ExchangeMatcher!).Depth("SPY", FixSide.Buy));
        // The exchange's own record answers a status request by the original ClOrdID with Canceled, not New.
        Assert.Equal(FixOrdStatus.Canceled, Exchange.Orders.Single(o => o.ClOrdId == "ks-1").OrdStatus);
        Assert.Equal(OrderStatus.Canceled, warehouse.GetOrderStatus(new ClientOrderId("ks-1")));
        Assert.Equal(1, result.RiskRejected[RiskRejectReason.KillSwitch]);
        Assert.False(result.RiskRejected.ContainsKey(RiskRejectReason.VenueDisconnected));
        Assert.Equal(1, result.OrdersSent);
        Assert.Empty(result.Positions);
        Assert.Contains("cancel of ks-1 deferred", log.ToString(), StringComparison.Ordinal);
    }

    /// <summary>What <see cref="StartTraderAsync"/> started; disposing it writes the trader's log to the test output, pass or fail.</summary>
    private sealed record TraderUnderTest(
        ITestOutputHelper Output,
        FakeTimeProvider VenueClock,
        StringWriter Log,
        DuckDbOrderWarehouse Warehouse,
        FixOrderVenue Venue,
        IConsumer<byte[]?, byte[]> Consumer,
        IProducer<byte[]?, byte[]> TraderProducer,
        TraderService Trader,
        Task<TraderResult> Run,
        IProducer<byte[]?, byte[]> Strategy) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Strategy.Dispose();
            Output.WriteLine(Log.ToString());
            TraderProducer.Dispose();
            Consumer.Dispose();
            await Venue.DisposeAsync();
            Warehouse.Dispose();
            Log.Dispose();
        }
    }
}
