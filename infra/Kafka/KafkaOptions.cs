using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace BigDataTrading.Infra.Kafka;

/// <summary>
/// Where Kafka is and how topics and clients are set up, bound from the configuration section
/// <see cref="SectionName"/> ("Kafka"). No <see cref="BootstrapServers"/> means: start the embedded cluster.
/// Immutable once built (derive variants with <c>with</c>); safe to share between threads.
/// </summary>
public sealed record KafkaOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Kafka";

    /// <summary>Default replication factor on the embedded cluster (replicas there protect nothing).</summary>
    public const int EmbeddedDefaultReplicationFactor = 1;

    /// <summary>Default replication factor on a real cluster (survives one broker loss with min.insync=2).</summary>
    public const int ClusterDefaultReplicationFactor = 3;

    /// <summary>
    /// Comma-separated <c>host:port</c> list of a real cluster, e.g. <c>kafka1:9092,kafka2:9092</c>. Null or empty:
    /// start an in-process <see cref="EmbeddedKafkaCluster"/> instead.
    /// </summary>
    public string? BootstrapServers { get; init; }

    /// <summary>Brokers in the embedded cluster, 1..9 (default 3). Ignored with <see cref="BootstrapServers"/>.</summary>
    public int EmbeddedBrokers { get; init; } = 3;

    /// <summary>Partitions for topics whose <see cref="TopicSpec"/> does not say (default 4, at least 1).</summary>
    public int DefaultPartitions { get; init; } = 4;

    /// <summary>
    /// Replicas per partition for topics this system creates. Null: <see cref="EmbeddedDefaultReplicationFactor"/>
    /// embedded, <see cref="ClusterDefaultReplicationFactor"/> on a real cluster. Embedded, at most
    /// <see cref="EmbeddedBrokers"/>.
    /// </summary>
    public int? ReplicationFactor { get; init; }

    /// <summary>
    /// Prefix of every client's <c>client.id</c> (broker logs and quotas see <c>{ClientId}-{name}</c>); ASCII
    /// letters, digits, '.', '_' and '-' (default "bdt").
    /// </summary>
    public string ClientId { get; init; } = "bdt";

    /// <summary>True when no <see cref="BootstrapServers"/> are set and the embedded cluster is used.</summary>
    public bool IsEmbedded => string.IsNullOrWhiteSpace(BootstrapServers);

    /// <summary><see cref="ReplicationFactor"/> or its default for the embedded/cluster case.</summary>
    public int EffectiveReplicationFactor =>
        ReplicationFactor ?? (IsEmbedded ? EmbeddedDefaultReplicationFactor : ClusterDefaultReplicationFactor);

    /// <summary>
    /// Binds the "Kafka" section of <paramref name="configuration"/> (a root, or any section containing "Kafka")
    /// and validates it. A missing section yields the defaults, i.e. the embedded cluster.
    /// </summary>
    /// <exception cref="OptionsValidationException">A setting is invalid; the failures name each setting.</exception>
    /// <exception cref="InvalidOperationException">A value cannot be converted (the binder names the key).</exception>
    public static KafkaOptions FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = configuration.GetSection(SectionName).Get<KafkaOptions>() ?? new KafkaOptions();
        options.ValidateOrThrow();
        return options;
    }

    /// <summary>
    /// Every problem with these options, each naming its setting as a configuration key (e.g.
    /// <c>Kafka:EmbeddedBrokers</c>), the value found and what is allowed. Empty when valid.
    /// </summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();

        if (!IsEmbedded)
        {
            ValidateBootstrapServers(BootstrapServers!, errors);
        }

        if (EmbeddedBrokers is < 1 or > EmbeddedKafkaCluster.MaxBrokers)
        {
            errors.Add(Invariant(
                $"{Key(nameof(EmbeddedBrokers))} must be between 1 and {EmbeddedKafkaCluster.MaxBrokers} (was {EmbeddedBrokers})."));
        }

        if (DefaultPartitions < 1)
        {
            errors.Add(Invariant($"{Key(nameof(DefaultPartitions))} must be at least 1 (was {DefaultPartitions})."));
        }

        if (ReplicationFactor is < 1 or > short.MaxValue)
        {
            errors.Add(Invariant(
                $"{Key(nameof(ReplicationFactor))} must be between 1 and {short.MaxValue}, or unset for the default (was {ReplicationFactor})."));
        }
        else if (IsEmbedded && ReplicationFactor > EmbeddedBrokers && EmbeddedBrokers >= 1)
        {
            errors.Add(Invariant(
                $"{Key(nameof(ReplicationFactor))} ({ReplicationFactor}) cannot exceed {Key(nameof(EmbeddedBrokers))} ({EmbeddedBrokers}) on the embedded cluster."));
        }

        if (string.IsNullOrWhiteSpace(ClientId))
        {
            errors.Add($"{Key(nameof(ClientId))} must not be empty.");
        }
        else if (!ClientId.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            errors.Add($"{Key(nameof(ClientId))} may contain only ASCII letters, digits, '.', '_' and '-' (was '{ClientId}').");
        }

        return errors;
    }

    /// <summary>Throws <see cref="OptionsValidationException"/> listing every problem <see cref="Validate"/> finds.</summary>
    public void ValidateOrThrow()
    {
        var errors = Validate();
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(SectionName, typeof(KafkaOptions), errors);
        }
    }

    private static void ValidateBootstrapServers(string servers, List<string> errors)
    {
        foreach (var entry in servers.Split(',', StringSplitOptions.TrimEntries))
        {
            var colon = entry.LastIndexOf(':');
            var host = colon > 0 ? entry[..colon] : string.Empty;
            var portText = colon > 0 ? entry[(colon + 1)..] : string.Empty;
            var portOk = int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port)
                && port is >= 1 and <= 65535;
            if (host.Length == 0 || !portOk || host.Any(char.IsWhiteSpace))
            {
                errors.Add(
                    $"{Key(nameof(BootstrapServers))} entry '{entry}' is not host:port with a port in 1..65535 " +
                    "(expected e.g. 'kafka1:9092,kafka2:9092'; leave it empty for the embedded cluster).");
            }
        }
    }

    private static string Key(string property) => $"{SectionName}:{property}";

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);
}

/// <summary>
/// Plugs <see cref="KafkaOptions.Validate"/> into Microsoft.Extensions.Options, so
/// <c>services.AddOptions&lt;KafkaOptions&gt;().ValidateOnStart()</c> fails fast with the same messages. Stateless;
/// thread-safe.
/// </summary>
public sealed class KafkaOptionsValidator : IValidateOptions<KafkaOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, KafkaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
