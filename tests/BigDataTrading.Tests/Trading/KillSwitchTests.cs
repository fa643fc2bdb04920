using System.Net;
using System.Net.Http.Headers;
using BigDataTrading.Core;
using BigDataTrading.Core.Diagnostics;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Orders;
using BigDataTrading.Core.Signals;
using BigDataTrading.Core.Wire;
using BigDataTrading.Exchange;
using BigDataTrading.Infra.Embedded;
using BigDataTrading.Infra.Kafka;
using BigDataTrading.Infra.Messaging;
using BigDataTrading.Trading;
using BigDataTrading.Trading.Control;
using BigDataTrading.Trading.Risk;
using BigDataTrading.Trading.Venues;
using BigDataTrading.Warehouse;
using Confluent.Kafka;
using Timestamp = BigDataTrading.Core.Time.Timestamp;

namespace BigDataTrading.Tests.Trading;

/// <summary>
/// The kill switch over the HTTP control endpoint, on real components: an order resting in the exchange's book is
/// cancelled when the switch engages, and later signals are refused with the KillSwitch reason.
/// </summary>
public sealed class KillSwitchTests : IAsyncLifetime
{
    private const int Partitions = 1;
    private const string Token = "test-token-0123456789";
    private static readonly Symbol Spy = Symbol.Parse("SPY");
    private TraderTestStack _env = null!;

    private EmbeddedStack _stack => _env.Stack;

    private string _dir => _env.Directory;

    public async Task InitializeAsync() => _env = await TraderTestStack.StartAsync("kill", Partitions, new OrderBookMatcher());

    [Fact]
    public async Task Engaging_over_http_cancels_the_resting_order_and_refuses_new_ones_while_a_wrong_token_changes_nothing()
    {
        using var warehouse = new DuckDbOrderWarehouse(Path.Combine(_dir, "warehouse.duckdb"));
        await using var venue = await _env.ConnectVenueAsync();
        using var consumer = _stack.Kafka.Clients.CreateLosslessConsumer("trader", "trader");
        using var traderProducer = _stack.Kafka.Clients.CreateProducer("trader");
        var trader = new TraderService(TraderOptions.Default, consumer, traderProducer, venue, warehouse, new PipelineCounters(), TimeProvider.System);
        await using var control = TraderControlServer.Start(new TraderControlOptions(0, Token), trader.KillSwitch, trader.Status);
        var run = trader.RunAsync(Partitions, CancellationToken.None);

        using var producer = _stack.Kafka.Clients.CreateProducer("strategy");
        await Publish(producer, new Signal("smax-SPY-1", "smax", Spy, new Timestamp(60_000_000_000), Side.Buy, 100, Price.FromDecimal(100m)));

        // Nobody sells, so the buy rests in the book.
        await TraderTestStack.Until(() => warehouse.GetOrderStatus(new ClientOrderId("smax-SPY-1")) == OrderStatus.New, "the first order to be acknowledged");

        using var http = new HttpClient { BaseAddress = control.BaseAddress };
        var refused = await http.PostAsync("kill-switch", null);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.False(trader.KillSwitch.IsEngaged);

        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        var engaged = await http.PostAsync("kill-switch", new StringContent("""{"reason":"test stop"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, engaged.StatusCode);
        Assert.True(trader.KillSwitch.IsEngaged);
        await TraderTestStack.Until(() => warehouse.GetOrderStatus(new ClientOrderId("smax-SPY-1")) == OrderStatus.Canceled, "the resting order to be cancelled");

        await Publish(producer, new Signal("smax-SPY-2", "smax", Spy, new Timestamp(120_000_000_000), Side.Buy, 100, Price.FromDecimal(100m)));
        await EndOfStream.WriteAsync(producer, Topics.Signals, Partitions, CancellationToken.None);
        var result = await run.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1, result.OrdersSent);
        Assert.Equal(1, result.RiskRejected[RiskRejectReason.KillSwitch]);
        Assert.Equal(OrderStatus.Rejected, warehouse.GetOrderStatus(new ClientOrderId("smax-SPY-2")));
        Assert.Empty(result.Positions);
        Assert.Equal(0, result.OpenOrders);

        var status = await http.GetStringAsync("status");
        Assert.Contains("\"engaged\":true", status, StringComparison.Ordinal);
        Assert.Contains("test stop", status, StringComparison.Ordinal);
    }

    private static Task<DeliveryResult<byte[]?, byte[]>> Publish(IProducer<byte[]?, byte[]> producer, Signal signal) =>
        producer.ProduceAsync(Topics.Signals, new Message<byte[]?, byte[]> { Key = "SPY"u8.ToArray(), Value = JsonRecords.Serialize(signal) });

    public async Task DisposeAsync() => await _env.DisposeAsync();
}
