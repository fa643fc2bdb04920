namespace BigDataTrading.Infra.Kafka;

/// <summary>
/// Makes sure topics exist before clients use them. Idempotent: a topic that already exists is left as it is
/// (its partition count is not changed or checked). Implementations are thread-safe.
/// </summary>
public interface ITopicProvisioner
{
    /// <summary>Partitions used for specs that do not say.</summary>
    int DefaultPartitions { get; }

    /// <summary>Replicas per partition for topics this provisioner creates.</summary>
    int ReplicationFactor { get; }

    /// <summary>Creates every topic of <paramref name="topology"/> that does not exist yet.</summary>
    /// <exception cref="KafkaSetupException">A topic could not be created; the message names it and the reason.</exception>
    Task EnsureTopicsAsync(KafkaTopology topology, CancellationToken cancellationToken = default);
}

/// <summary>Conveniences over <see cref="ITopicProvisioner"/>.</summary>
public static class TopicProvisionerExtensions
{
    /// <summary>Creates <paramref name="topic"/> if it does not exist yet.</summary>
    /// <exception cref="KafkaSetupException">The topic could not be created.</exception>
    public static Task EnsureTopicAsync(
        this ITopicProvisioner provisioner, TopicSpec topic, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provisioner);
        return provisioner.EnsureTopicsAsync(KafkaTopology.Of(topic), cancellationToken);
    }
}
