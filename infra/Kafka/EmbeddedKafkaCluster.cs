using System.Globalization;
using Confluent.Kafka;

namespace BigDataTrading.Infra.Kafka;

/// <summary>
/// An in-process Kafka cluster: librdkafka's mock cluster, which speaks the real Kafka protocol over TCP on
/// loopback, so Confluent.Kafka producers, consumers, consumer groups and transactions use it exactly as a real
/// cluster. Data lives in memory and is gone after <see cref="Dispose"/>. Brokers have ids 1..N and each listens on
/// its own ephemeral 127.0.0.1 port.
/// </summary>
/// <remarks>
/// Thread safety: every member may be called from any thread. Calls are serialized with <see cref="Dispose"/>, so a
/// call either completes against a live cluster or throws <see cref="ObjectDisposedException"/>; calls never touch
/// freed native memory. Not disposing leaks the cluster's threads and sockets until the process exits (there is no
/// finalizer: tearing down native threads from the finalizer thread at exit is riskier than the leak).
/// </remarks>
public sealed class EmbeddedKafkaCluster : IDisposable
{
    /// <summary>Most brokers <see cref="Start"/> accepts; more only costs threads and ports on one machine.</summary>
    public const int MaxBrokers = 9;

    private readonly Lock _gate = new();
    private readonly RdKafkaMockApi _api;
    private nint _handle;
    private nint _cluster;

    private EmbeddedKafkaCluster(RdKafkaMockApi api, nint handle, nint cluster, int brokers)
    {
        _api = api;
        _handle = handle;
        _cluster = cluster;
        BrokerCount = brokers;
        BootstrapServers = api.MockClusterBootstraps(cluster);
    }

    /// <summary>Comma-separated <c>127.0.0.1:port</c> list, one per broker; stays valid until disposed.</summary>
    public string BootstrapServers { get; }

    /// <summary>Number of brokers; their ids are 1..<see cref="BrokerCount"/>.</summary>
    public int BrokerCount { get; }

    /// <summary>True once <see cref="Dispose"/> has run.</summary>
    public bool IsDisposed
    {
        get
        {
            lock (_gate)
            {
                return _cluster == 0;
            }
        }
    }

    /// <summary>
    /// Starts a cluster of <paramref name="brokers"/> brokers (1..<see cref="MaxBrokers"/>). Consumer groups form
    /// without the broker's usual 3 s initial rebalance delay, because on one machine there is nothing to wait for.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">brokers is outside 1..<see cref="MaxBrokers"/>.</exception>
    /// <exception cref="KafkaSetupException">librdkafka could not be loaded or the cluster could not start.</exception>
    public static EmbeddedKafkaCluster Start(int brokers = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokers, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(brokers, MaxBrokers);

        var api = RdKafkaMockApi.Instance;
        var handle = api.NewProducerHandle(
        [
            // Only errors: the hosting handle never connects anywhere, and the mock's own chatter is debug noise.
            new("log_level", "3"),
            new("client.id", "bdt-embedded-kafka"),
        ]);

        var cluster = api.MockClusterNew(handle, brokers);
        if (cluster == 0)
        {
            api.DestroyHandle(handle);
            throw new KafkaSetupException(
                $"librdkafka could not start an embedded Kafka cluster of {brokers.ToString(CultureInfo.InvariantCulture)} " +
                "brokers (it needs one free 127.0.0.1 port and a few threads per broker). Check the process's " +
                "file-descriptor and thread limits, or set Kafka:BootstrapServers to use a real cluster.");
        }

        api.MockGroupInitialRebalanceDelay(cluster, 0);
        return new EmbeddedKafkaCluster(api, handle, cluster, brokers);
    }

    /// <summary>
    /// Creates a topic. Returns true if it was created, false if a topic of that name already exists (its
    /// partition count is then left as it is). Create topics before clients use them: the mock cluster auto-creates
    /// unknown topics that clients ask for, with its own default partition count.
    /// </summary>
    /// <exception cref="ArgumentException">A bad name, partition count or replication factor.</exception>
    /// <exception cref="KafkaSetupException">The cluster refused the topic.</exception>
    /// <exception cref="ObjectDisposedException">The cluster was disposed.</exception>
    public bool CreateTopic(string name, int partitions, int replicationFactor = 1)
    {
        TopicSpec.ValidateName(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(replicationFactor, 1);
        // The mock silently caps replicas at the broker count; a caller asking for more has a configuration bug.
        ArgumentOutOfRangeException.ThrowIfGreaterThan(replicationFactor, BrokerCount);

        lock (_gate)
        {
            var error = (ErrorCode)_api.MockTopicCreate(LiveCluster(), name, partitions, replicationFactor);
            return error switch
            {
                ErrorCode.NoError => true,
                ErrorCode.TopicAlreadyExists => false,
                _ => throw new KafkaSetupException(
                    $"The embedded Kafka cluster refused to create topic '{name}' " +
                    $"({partitions.ToString(CultureInfo.InvariantCulture)} partitions, replication factor " +
                    $"{replicationFactor.ToString(CultureInfo.InvariantCulture)}): {error} ({error.GetReason()})."),
            };
        }
    }

    /// <summary>
    /// Takes broker <paramref name="brokerId"/> down: its connections are closed and new ones are refused (the
    /// port stays reserved). Partitions it leads stay unavailable until <see cref="SetBrokerUp"/>; the mock does
    /// not move leadership. Idempotent.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">No broker has that id.</exception>
    /// <exception cref="ObjectDisposedException">The cluster was disposed.</exception>
    public void SetBrokerDown(int brokerId) => SetBroker(brokerId, up: false);

    /// <summary>Brings broker <paramref name="brokerId"/> back on its original port. Idempotent.</summary>
    /// <exception cref="ArgumentOutOfRangeException">No broker has that id.</exception>
    /// <exception cref="ObjectDisposedException">The cluster was disposed.</exception>
    public void SetBrokerUp(int brokerId) => SetBroker(brokerId, up: true);

    /// <summary>
    /// Destroys the mock cluster (closing every listener and client connection), then the librdkafka handle that
    /// hosted it. Idempotent; waits for calls in progress on other threads.
    /// </summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_cluster == 0)
            {
                return;
            }

            // The cluster belongs to the handle: it must go first.
            _api.MockClusterDestroy(_cluster);
            _cluster = 0;
            _api.DestroyHandle(_handle);
            _handle = 0;
        }
    }

    private void SetBroker(int brokerId, bool up)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokerId, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(brokerId, BrokerCount);

        lock (_gate)
        {
            var cluster = LiveCluster();
            var error = (ErrorCode)(up ? _api.MockBrokerSetUp(cluster, brokerId) : _api.MockBrokerSetDown(cluster, brokerId));
            if (error != ErrorCode.NoError)
            {
                throw new KafkaSetupException(
                    $"The embedded Kafka cluster could not set broker {brokerId.ToString(CultureInfo.InvariantCulture)} " +
                    $"{(up ? "up" : "down")}: {error} ({error.GetReason()}).");
            }
        }
    }

    private nint LiveCluster()
    {
        ObjectDisposedException.ThrowIf(_cluster == 0, this);
        return _cluster;
    }
}
