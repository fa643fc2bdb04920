using Confluent.Kafka;

namespace BigDataTrading.Infra.Kafka;

/// <summary>
/// The one Kafka deployment a process talks to: a real cluster when <see cref="KafkaOptions.BootstrapServers"/> is
/// set, otherwise an <see cref="EmbeddedKafkaCluster"/> started here and owned by this handle. Gives the bootstrap
/// servers, a topic provisioner and the client factory. Usage:
/// <code>await using var kafka = KafkaEndpoint.Start(options);</code>
/// Thread-safe: the members are immutable; disposal is idempotent. Dispose clients built from
/// <see cref="Clients"/> before the endpoint: an embedded cluster's data and ports disappear with it.
/// </summary>
public sealed class KafkaEndpoint : IAsyncDisposable, IDisposable
{
    private KafkaEndpoint(
        KafkaOptions options, KafkaClientFactory clients, ITopicProvisioner topics, EmbeddedKafkaCluster? embedded)
    {
        Options = options;
        Clients = clients;
        Topics = topics;
        EmbeddedCluster = embedded;
    }

    /// <summary>The validated options this endpoint was started with.</summary>
    public KafkaOptions Options { get; }

    /// <summary>Comma-separated <c>host:port</c> list of the cluster.</summary>
    public string BootstrapServers => Clients.BootstrapServers;

    /// <summary>True when this endpoint runs an in-process cluster.</summary>
    public bool IsEmbedded => EmbeddedCluster is not null;

    /// <summary>The in-process cluster (for fault injection in tests and demos), or null on a real cluster.</summary>
    public EmbeddedKafkaCluster? EmbeddedCluster { get; }

    /// <summary>Creates topics: through the mock API when embedded, the admin API otherwise.</summary>
    public ITopicProvisioner Topics { get; }

    /// <summary>Builds producers, consumers and admin clients for this cluster.</summary>
    public KafkaClientFactory Clients { get; }

    /// <summary>
    /// Validates <paramref name="options"/>, loads librdkafka, and starts the embedded cluster if no bootstrap
    /// servers are configured. Does not contact a real cluster (the first client or provisioning call does).
    /// <paramref name="log"/> receives client log lines and errors; null writes warnings and worse to stderr.
    /// </summary>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid.</exception>
    /// <exception cref="KafkaSetupException">librdkafka could not be loaded or the embedded cluster could not start.</exception>
    public static KafkaEndpoint Start(KafkaOptions options, Action<LogMessage>? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ValidateOrThrow();
        KafkaNative.EnsureLoaded();

        if (!options.IsEmbedded)
        {
            var servers = string.Join(',', options.BootstrapServers!.Split(',', StringSplitOptions.TrimEntries));
            var clients = new KafkaClientFactory(servers, options, log);
            var topics = new AdminClientTopicProvisioner(clients, options.DefaultPartitions, options.EffectiveReplicationFactor);
            return new KafkaEndpoint(options, clients, topics, embedded: null);
        }

        var cluster = EmbeddedKafkaCluster.Start(options.EmbeddedBrokers);
        try
        {
            var clients = new KafkaClientFactory(cluster.BootstrapServers, options, log);
            var topics = new EmbeddedTopicProvisioner(cluster, options.DefaultPartitions, options.EffectiveReplicationFactor);
            return new KafkaEndpoint(options, clients, topics, cluster);
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    /// <summary>Stops the embedded cluster, if this endpoint started one. Idempotent.</summary>
    public void Dispose() => EmbeddedCluster?.Dispose();

    /// <summary>Stops the embedded cluster, if this endpoint started one. Idempotent.</summary>
    public ValueTask DisposeAsync()
    {
        // Destroying the mock joins its threads, which takes milliseconds; not worth a thread-pool hop.
        Dispose();
        return ValueTask.CompletedTask;
    }
}
