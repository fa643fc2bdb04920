using System.Runtime.InteropServices;
using System.Text;

namespace BigDataTrading.Infra.Kafka;

/// <summary>
/// The few librdkafka C functions the embedded cluster needs, bound by function pointer from the very library
/// <see cref="KafkaNative"/> loaded (so the mock cluster and Confluent's clients share one librdkafka). Resolved
/// once; the functions themselves are thread-safe in librdkafka (mock calls post an op to the mock cluster's
/// thread and wait for its reply).
/// </summary>
internal sealed unsafe class RdKafkaMockApi
{
    /// <summary><c>RD_KAFKA_PRODUCER</c> in <c>rd_kafka_type_t</c>.</summary>
    public const int ProducerType = 0;

    /// <summary><c>RD_KAFKA_CONF_OK</c> in <c>rd_kafka_conf_res_t</c>.</summary>
    public const int ConfOk = 0;

    private const int ErrorBufferSize = 512;

    private static readonly Lazy<RdKafkaMockApi> Lazy =
        new(() => new RdKafkaMockApi(), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly delegate* unmanaged<nint> _confNew;
    private readonly delegate* unmanaged<nint, byte*, byte*, byte*, nuint, int> _confSet;
    private readonly delegate* unmanaged<nint, void> _confDestroy;
    private readonly delegate* unmanaged<int, nint, byte*, nuint, nint> _new;
    private readonly delegate* unmanaged<nint, void> _destroy;
    private readonly delegate* unmanaged<nint, int, nint> _mockClusterNew;
    private readonly delegate* unmanaged<nint, void> _mockClusterDestroy;
    private readonly delegate* unmanaged<nint, byte*> _mockClusterBootstraps;
    private readonly delegate* unmanaged<nint, byte*, int, int, int> _mockTopicCreate;
    private readonly delegate* unmanaged<nint, int, int> _mockBrokerSetDown;
    private readonly delegate* unmanaged<nint, int, int> _mockBrokerSetUp;
    private readonly delegate* unmanaged<nint, int, void> _mockGroupInitialRebalanceDelayMs;

    private RdKafkaMockApi()
    {
        var lib = KafkaNative.Handle;
        _confNew = (delegate* unmanaged<nint>)Export(lib, "rd_kafka_conf_new");
        _confSet = (delegate* unmanaged<nint, byte*, byte*, byte*, nuint, int>)Export(lib, "rd_kafka_conf_set");
        _confDestroy = (delegate* unmanaged<nint, void>)Export(lib, "rd_kafka_conf_destroy");
        _new = (delegate* unmanaged<int, nint, byte*, nuint, nint>)Export(lib, "rd_kafka_new");
        _destroy = (delegate* unmanaged<nint, void>)Export(lib, "rd_kafka_destroy");
        _mockClusterNew = (delegate* unmanaged<nint, int, nint>)Export(lib, "rd_kafka_mock_cluster_new");
        _mockClusterDestroy = (delegate* unmanaged<nint, void>)Export(lib, "rd_kafka_mock_cluster_destroy");
        _mockClusterBootstraps = (delegate* unmanaged<nint, byte*>)Export(lib, "rd_kafka_mock_cluster_bootstraps");
        _mockTopicCreate = (delegate* unmanaged<nint, byte*, int, int, int>)Export(lib, "rd_kafka_mock_topic_create");
        _mockBrokerSetDown = (delegate* unmanaged<nint, int, int>)Export(lib, "rd_kafka_mock_broker_set_down");
        _mockBrokerSetUp = (delegate* unmanaged<nint, int, int>)Export(lib, "rd_kafka_mock_broker_set_up");
        _mockGroupInitialRebalanceDelayMs =
            (delegate* unmanaged<nint, int, void>)Export(lib, "rd_kafka_mock_group_initial_rebalance_delay_ms");
    }

    /// <summary>The bound API; loads librdkafka first if needed.</summary>
    public static RdKafkaMockApi Instance => Lazy.Value;

    /// <summary>Creates a bare <c>rd_kafka_t</c> producer handle with the given properties; it never produces,
    /// it only hosts a mock cluster.</summary>
    public nint NewProducerHandle(IEnumerable<KeyValuePair<string, string>> properties)
    {
        var conf = _confNew();
        var error = stackalloc byte[ErrorBufferSize];
        try
        {
            foreach (var (name, value) in properties)
            {
                fixed (byte* n = Utf8(name))
                fixed (byte* v = Utf8(value))
                {
                    if (_confSet(conf, n, v, error, ErrorBufferSize) != ConfOk)
                    {
                        throw new KafkaSetupException(
                            $"librdkafka rejected '{name}={value}': {Marshal.PtrToStringUTF8((nint)error)}.");
                    }
                }
            }

            var rk = _new(ProducerType, conf, error, ErrorBufferSize);
            if (rk == 0)
            {
                throw new KafkaSetupException(
                    $"librdkafka could not create the handle that hosts the embedded cluster: " +
                    $"{Marshal.PtrToStringUTF8((nint)error)}.");
            }

            conf = 0; // rd_kafka_new took ownership of conf.
            return rk;
        }
        finally
        {
            if (conf != 0)
            {
                _confDestroy(conf);
            }
        }
    }

    public void DestroyHandle(nint rk) => _destroy(rk);

    public nint MockClusterNew(nint rk, int brokers) => _mockClusterNew(rk, brokers);

    public void MockClusterDestroy(nint cluster) => _mockClusterDestroy(cluster);

    public string MockClusterBootstraps(nint cluster) =>
        Marshal.PtrToStringUTF8((nint)_mockClusterBootstraps(cluster)) ?? string.Empty;

    public int MockTopicCreate(nint cluster, string topic, int partitions, int replicationFactor)
    {
        fixed (byte* t = Utf8(topic))
        {
            return _mockTopicCreate(cluster, t, partitions, replicationFactor);
        }
    }

    public int MockBrokerSetDown(nint cluster, int brokerId) => _mockBrokerSetDown(cluster, brokerId);

    public int MockBrokerSetUp(nint cluster, int brokerId) => _mockBrokerSetUp(cluster, brokerId);

    public void MockGroupInitialRebalanceDelay(nint cluster, int milliseconds) =>
        _mockGroupInitialRebalanceDelayMs(cluster, milliseconds);

    private static byte[] Utf8(string value)
    {
        // NUL-terminated for C.
        var bytes = new byte[Encoding.UTF8.GetByteCount(value) + 1];
        Encoding.UTF8.GetBytes(value, bytes);
        return bytes;
    }

    private static void* Export(nint library, string name)
    {
        if (!NativeLibrary.TryGetExport(library, name, out var address))
        {
            throw new KafkaSetupException(
                $"The librdkafka at '{KafkaNative.LibraryPath}' does not export '{name}', which the embedded Kafka " +
                "cluster needs (librdkafka 2.x with the mock cluster API). Use the librdkafka.redist build that " +
                $"matches Confluent.Kafka, or set {KafkaNative.PathEnvironmentVariable} to one.");
        }

        return (void*)address;
    }
}
