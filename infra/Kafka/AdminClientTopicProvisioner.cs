using System.Globalization;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace BigDataTrading.Infra.Kafka;

/// <summary>
/// Creates topics on a real Kafka cluster with the admin API's CreateTopics, treating "already exists" as success.
/// Each call uses a short-lived admin client. Thread-safe.
/// </summary>
public sealed class AdminClientTopicProvisioner : ITopicProvisioner
{
    private readonly KafkaClientFactory _clients;
    private readonly TimeSpan _timeout;

    /// <summary>
    /// A provisioner using <paramref name="clients"/>' cluster. <paramref name="timeout"/> bounds each
    /// CreateTopics request (default 30 s).
    /// </summary>
    public AdminClientTopicProvisioner(
        KafkaClientFactory clients, int defaultPartitions, int replicationFactor, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(clients);
        ArgumentOutOfRangeException.ThrowIfLessThan(defaultPartitions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(replicationFactor, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(replicationFactor, short.MaxValue);
        _clients = clients;
        _timeout = timeout ?? TimeSpan.FromSeconds(30);
        DefaultPartitions = defaultPartitions;
        ReplicationFactor = replicationFactor;
    }

    /// <inheritdoc />
    public int DefaultPartitions { get; }

    /// <inheritdoc />
    public int ReplicationFactor { get; }

    /// <inheritdoc />
    public async Task EnsureTopicsAsync(KafkaTopology topology, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topology);
        if (topology.Topics.Count == 0)
        {
            return;
        }

        using var admin = _clients.CreateAdminClient("topic-provisioner");

        // Ask for the topics that already exist first: creating is then only attempted for missing ones, so a client
        // without CreateTopics rights (or a cluster whose controller cannot be reached, like librdkafka's mock cluster
        // hosted by `bdt stack`) still starts when its topics are in place.
        HashSet<string> existing;
        try
        {
            existing = admin.GetMetadata(_timeout).Topics
                .Where(t => t.Error.Code == ErrorCode.NoError)
                .Select(t => t.Topic)
                .ToHashSet(StringComparer.Ordinal);
        }
        catch (KafkaException e)
        {
            throw new KafkaSetupException(
                $"Could not read topic metadata from Kafka at {_clients.BootstrapServers}: {e.Error.Reason}. Check that " +
                "Kafka:BootstrapServers is right and the brokers are reachable.",
                e);
        }

        var specifications = topology.Topics
            .Where(t => !existing.Contains(t.Name))
            .Select(t => new TopicSpecification
            {
                Name = t.Name,
                NumPartitions = t.PartitionsOr(DefaultPartitions),
                ReplicationFactor = (short)ReplicationFactor,
            })
            .ToList();
        if (specifications.Count == 0)
        {
            return;
        }

        try
        {
            await admin.CreateTopicsAsync(
                    specifications,
                    new CreateTopicsOptions { RequestTimeout = _timeout, OperationTimeout = _timeout })
                .WaitAsync(cancellationToken);
        }
        catch (CreateTopicsException e)
        {
            var failures = e.Results
                .Where(r => r.Error.Code is not (ErrorCode.NoError or ErrorCode.TopicAlreadyExists))
                .Select(r => $"'{r.Topic}': {r.Error.Code} ({r.Error.Reason})")
                .ToList();
            if (failures.Count > 0)
            {
                throw new KafkaSetupException(
                    $"Kafka at {_clients.BootstrapServers} refused to create topics: {string.Join("; ", failures)}. " +
                    "Check the replication factor against the broker count (Kafka:ReplicationFactor) and the " +
                    "client's CreateTopics ACLs, or create the topics ahead of time.",
                    e);
            }
        }
        catch (KafkaException e)
        {
            throw new KafkaSetupException(
                $"Could not create topics on Kafka at {_clients.BootstrapServers} within " +
                $"{_timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s: {e.Error.Reason}. Check that " +
                "Kafka:BootstrapServers is right and the brokers are reachable.",
                e);
        }
    }
}
