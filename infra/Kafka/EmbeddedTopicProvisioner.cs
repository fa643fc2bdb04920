namespace BigDataTrading.Infra.Kafka;

/// <summary>
/// Creates topics on an <see cref="EmbeddedKafkaCluster"/> through librdkafka's mock API (the admin API's
/// CreateTopics times out against the mock). Completes synchronously. Thread-safe.
/// </summary>
public sealed class EmbeddedTopicProvisioner : ITopicProvisioner
{
    private readonly EmbeddedKafkaCluster _cluster;

    /// <summary>A provisioner for <paramref name="cluster"/>; it does not own the cluster.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Partitions &lt; 1, or replicas outside 1..broker count.</exception>
    public EmbeddedTopicProvisioner(EmbeddedKafkaCluster cluster, int defaultPartitions, int replicationFactor = 1)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentOutOfRangeException.ThrowIfLessThan(defaultPartitions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(replicationFactor, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(replicationFactor, cluster.BrokerCount);
        _cluster = cluster;
        DefaultPartitions = defaultPartitions;
        ReplicationFactor = replicationFactor;
    }

    /// <inheritdoc />
    public int DefaultPartitions { get; }

    /// <inheritdoc />
    public int ReplicationFactor { get; }

    /// <inheritdoc />
    public Task EnsureTopicsAsync(KafkaTopology topology, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topology);
        foreach (var topic in topology.Topics)
        {
            cancellationToken.ThrowIfCancellationRequested();
            _cluster.CreateTopic(topic.Name, topic.PartitionsOr(DefaultPartitions), ReplicationFactor);
        }

        return Task.CompletedTask;
    }
}
