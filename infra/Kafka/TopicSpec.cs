using System.Globalization;

namespace BigDataTrading.Infra.Kafka;

/// <summary>
/// A topic the system needs: its name and, optionally, its partition count (null: the deployment's
/// <see cref="KafkaOptions.DefaultPartitions"/>). Replication is a deployment choice and comes from
/// <see cref="KafkaOptions"/>. Immutable.
/// </summary>
public sealed record TopicSpec
{
    /// <summary>Longest topic name Kafka accepts.</summary>
    public const int MaxNameLength = 249;

    /// <summary>Creates a spec; validates the name with Kafka's rules and the partition count.</summary>
    /// <exception cref="ArgumentException">The name is not a legal Kafka topic name, or partitions &lt; 1.</exception>
    public TopicSpec(string name, int? partitions = null)
    {
        ValidateName(name);
        if (partitions is < 1)
        {
            throw new ArgumentOutOfRangeException(
                nameof(partitions), partitions, "A topic needs at least one partition (or null for the default).");
        }

        Name = name;
        Partitions = partitions;
    }

    /// <summary>Topic name: 1..249 characters of ASCII letters, digits, '.', '_' and '-'.</summary>
    public string Name { get; }

    /// <summary>Partition count, or null for the deployment default.</summary>
    public int? Partitions { get; }

    /// <summary>This topic's partition count, falling back to <paramref name="defaultPartitions"/>.</summary>
    public int PartitionsOr(int defaultPartitions) => Partitions ?? defaultPartitions;

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="name"/> is a legal Kafka topic name.</summary>
    public static void ValidateName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Length > MaxNameLength)
        {
            throw new ArgumentException(
                $"Topic name '{name}' has {name.Length.ToString(CultureInfo.InvariantCulture)} characters; Kafka allows " +
                $"at most {MaxNameLength.ToString(CultureInfo.InvariantCulture)}.",
                nameof(name));
        }

        if (name is "." or ".." || !name.All(IsLegal))
        {
            throw new ArgumentException(
                $"Topic name '{name}' is not legal in Kafka: use ASCII letters, digits, '.', '_' and '-' " +
                "(and not just '.' or '..').",
                nameof(name));
        }
    }

    private static bool IsLegal(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-';
}
