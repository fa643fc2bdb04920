using BigDataTrading.Core;
using BigDataTrading.Exchange;
using BigDataTrading.Infra.Embedded;
using BigDataTrading.Infra.Kafka;
using BigDataTrading.Trading.Venues;

namespace BigDataTrading.Tests.Trading;

/// <summary>
/// What every trader test runs against: an embedded stack (Kafka with the trader's topics, the FIX exchange simulator)
/// in a temporary folder of its own, deleted on dispose.
/// </summary>
internal sealed class TraderTestStack : IAsyncDisposable
{
    private TraderTestStack(string directory, EmbeddedStack stack)
    {
        Directory = directory;
        Stack = stack;
    }

    public string Directory { get; }

    public EmbeddedStack Stack { get; }

    public string FixLogs => Path.Combine(Directory, "fix");

    /// <summary>Starts the stack; <paramref name="matcher"/> replaces the simulator's fill-everything default (e.g. a real book).</summary>
    /// <param name="name">Temp folder prefix.</param>
    /// <param name="partitions">Partitions of each trader topic.</param>
    /// <param name="matcher">Replaces the simulator's fill-everything default (e.g. a real book).</param>
    /// <param name="configureExchange">Further simulator settings (a stateless matcher, a persistent session store).</param>
    public static async Task<TraderTestStack> StartAsync(string name, int partitions, IExchangeMatcher? matcher = null, Func<ExchangeSimulatorOptions, ExchangeSimulatorOptions>? configureExchange = null)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory($"bdt-{name}-").FullName;
        var stack = await EmbeddedStack.StartAsync(
            new EmbeddedStackOptions(
                new KafkaOptions { DefaultPartitions = partitions },
                KafkaTopology.Of([.. new[] { Topics.Signals, Topics.Bars, Topics.Orders, Topics.Executions }.Select(t => new TopicSpec(t, partitions))]),
                Path.Combine(directory, "lake"),
                (configureExchange ?? (o => o))(new ExchangeSimulatorOptions { LogDirectory = Path.Combine(directory, "fix"), ExchangeMatcher = matcher })),
            TimeProvider.System,
            CancellationToken.None);
        return new TraderTestStack(directory, stack);
    }

    /// <summary>A FIX session from the trader (BDT) to the simulator, logged on.</summary>
    public Task<FixOrderVenue> ConnectVenueAsync() =>
        FixOrderVenue.ConnectAsync(new FixVenueOptions("127.0.0.1", Stack.Exchange.Port, "BDT", Stack.Exchange.CompId, FixLogs), TimeProvider.System, CancellationToken.None);

    /// <summary>As <see cref="ConnectVenueAsync()"/> on <paramref name="clock"/> (backoff delays included) with a reconnect policy.</summary>
    public Task<FixOrderVenue> ConnectVenueAsync(TimeProvider clock, BigDataTrading.Fix.FixReconnectOptions reconnect) =>
        FixOrderVenue.ConnectAsync(new FixVenueOptions("127.0.0.1", Stack.Exchange.Port, "BDT", Stack.Exchange.CompId, FixLogs, Reconnect: reconnect), clock, CancellationToken.None);

    /// <summary>Polls <paramref name="condition"/> with a deadline; fails naming what it waited for.</summary>
    public static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Stack.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
