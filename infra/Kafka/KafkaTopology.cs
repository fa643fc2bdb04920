namespace BigDataTrading.Infra.Kafka;

/// <summary>
/// The set of topics a component or the whole system needs, provisioned together by an
/// <see cref="ITopicProvisioner"/>. Names are unique. Immutable; safe to share between threads.
/// </summary>
public sealed class KafkaTopology
{
    /// <summary>Creates a topology from <paramref name="topics"/>, keeping their order.</summary>
    /// <exception cref="ArgumentException">Two specs share a name.</exception>
    public KafkaTopology(IEnumerable<TopicSpec> topics)
    {
        ArgumentNullException.ThrowIfNull(topics);
        var list = topics.ToList();
        var duplicate = list.GroupBy(t => t.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"Topic '{duplicate.Key}' appears more than once in the topology.", nameof(topics));
        }

        Topics = list.AsReadOnly();
    }

    /// <summary>The topics, in the order given.</summary>
    public IReadOnlyList<TopicSpec> Topics { get; }

    /// <summary>Shorthand for <c>new KafkaTopology(topics)</c>.</summary>
    public static KafkaTopology Of(params TopicSpec[] topics) => new(topics);

    /// <summary>A new topology with <paramref name="other"/>'s topics appended.</summary>
    /// <exception cref="ArgumentException">A name appears in both.</exception>
    public KafkaTopology Concat(KafkaTopology other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new KafkaTopology(Topics.Concat(other.Topics));
    }
}
