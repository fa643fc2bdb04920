using BigDataTrading.Exchange;
using BigDataTrading.Infra.Kafka;

namespace BigDataTrading.Infra.Embedded;

/// <summary>What the stack starts.</summary>
/// <param name="Kafka">Kafka settings: empty bootstrap servers start the in-process 3-broker cluster, otherwise a real cluster is used.</param>
/// <param name="Topology">Topics to provision before anything produces.</param>
/// <param name="LakeRoot">Folder of the data lake; created if missing.</param>
/// <param name="Exchange">Exchange simulator settings (FIX acceptor on loopback).</param>
public sealed record EmbeddedStackOptions(KafkaOptions Kafka, KafkaTopology Topology, string LakeRoot, ExchangeSimulatorOptions Exchange);

/// <summary>
/// The servers the system needs, started with one call and disposed cleanly: Kafka (embedded mock cluster or a real
/// one), the lake root folder and the FIX exchange simulator. Every component talks to them over their real
/// protocols (Kafka over TCP, FIX over TCP), so switching to cluster mode changes configuration only.
/// </summary>
/// <remarks>Dispose stops the exchange first (so FIX sessions log out), then Kafka. Not thread-safe to dispose twice concurrently.</remarks>
public sealed class EmbeddedStack : IAsyncDisposable
{
    private EmbeddedStack(KafkaEndpoint kafka, string lakeRoot, ExchangeSimulator exchange)
    {
        Kafka = kafka;
        LakeRoot = lakeRoot;
        Exchange = exchange;
    }

    /// <summary>The Kafka cluster: bootstrap servers, topic provisioning and client factory.</summary>
    public KafkaEndpoint Kafka { get; }

    /// <summary>Absolute path of the lake root.</summary>
    public string LakeRoot { get; }

    /// <summary>The exchange simulator, listening for FIX on <see cref="ExchangeSimulator.EndPoint"/>.</summary>
    public ExchangeSimulator Exchange { get; }

    /// <summary>Starts Kafka and provisions the topics, creates the lake root, starts the exchange simulator.</summary>
    /// <exception cref="KafkaSetupException">Kafka could not be started or a topic could not be created.</exception>
    public static async Task<EmbeddedStack> StartAsync(EmbeddedStackOptions options, TimeProvider clock, CancellationToken ct)
    {
        var lakeRoot = Path.GetFullPath(options.LakeRoot);
        Directory.CreateDirectory(lakeRoot);
        var kafka = KafkaEndpoint.Start(options.Kafka);
        try
        {
            await kafka.Topics.EnsureTopicsAsync(options.Topology, ct);
            var exchange = await ExchangeSimulator.StartAsync(options.Exchange, clock, ct);
            return new EmbeddedStack(kafka, lakeRoot, exchange);
        }
        catch
        {
            await kafka.DisposeAsync();
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await Exchange.DisposeAsync();
        }
        finally
        {
            await Kafka.DisposeAsync();
        }
    }
}
