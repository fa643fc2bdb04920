using Confluent.Kafka;

namespace BigDataTrading.Infra.Kafka;

/// <summary>
/// Builds Confluent.Kafka clients for one Kafka deployment with the project's defaults: idempotent producers with
/// acks=all, manually committing consumers that start at the earliest offset, raw <c>byte[]</c> keys and values
/// (codecs live with the data types), and librdkafka logs routed to one sink instead of the console.
/// Thread-safe: immutable; every call builds a new client. The clients are Confluent's, with its thread-safety
/// rules (a producer may be shared; a consumer belongs to one thread).
/// </summary>
public sealed class KafkaClientFactory
{
    /// <summary>Consumer session timeout on the embedded cluster; see <see cref="CreateConsumerConfig"/>.</summary>
    public const int EmbeddedSessionTimeoutMs = 6_000;

    /// <summary>Consumer heartbeat interval on the embedded cluster.</summary>
    public const int EmbeddedHeartbeatIntervalMs = 1_000;

    private readonly KafkaOptions _options;
    private readonly Action<LogMessage> _log;

    /// <summary>
    /// A factory for the cluster at <paramref name="bootstrapServers"/>. <paramref name="log"/> receives librdkafka's
    /// log lines (warning and worse) and client errors; null writes them to standard error.
    /// </summary>
    /// <exception cref="KafkaSetupException">librdkafka could not be loaded.</exception>
    public KafkaClientFactory(string bootstrapServers, KafkaOptions options, Action<LogMessage>? log = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bootstrapServers);
        ArgumentNullException.ThrowIfNull(options);
        KafkaNative.EnsureLoaded();
        BootstrapServers = bootstrapServers;
        _options = options;
        _log = log ?? WriteToStandardError;
    }

    /// <summary>The cluster these clients connect to.</summary>
    public string BootstrapServers { get; }

    /// <summary>
    /// The producer configuration used by <see cref="CreateProducer"/>: idempotent (<c>enable.idempotence</c>,
    /// acks=all, so retries after a lost response never duplicate or reorder a partition's messages), batched for
    /// throughput (linger 5 ms, up to 10,000 messages or 1 MB per batch, LZ4). Delivery reports carry only the
    /// status: every caller here needs to know whether a record was delivered, never to get its key and value copied
    /// back into managed memory, which costs more per message than producing it. <paramref name="configure"/> runs
    /// last, e.g. to set a <c>TransactionalId</c> or ask for more report fields.
    /// </summary>
    public ProducerConfig CreateProducerConfig(string clientId, Action<ProducerConfig>? configure = null)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = BootstrapServers,
            ClientId = FullClientId(clientId),
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = 5,
            BatchNumMessages = 10_000,
            BatchSize = 1_000_000,
            CompressionType = CompressionType.Lz4,
            QueueBufferingMaxMessages = 1_000_000,
            DeliveryReportFields = "status",
        };
        ApplyQuietLogging(config);
        configure?.Invoke(config);
        return config;
    }

    /// <summary>
    /// The consumer configuration used by <see cref="CreateConsumer"/>: in group <paramref name="groupId"/>, no
    /// auto-commit (the caller commits after processing, for at-least-once or transactional exactly-once),
    /// earliest offset when the group has none, and partition-EOF events so callers can tell "caught up". On the
    /// embedded cluster (<see cref="KafkaOptions.IsEmbedded"/>) sessions are shortened to
    /// <see cref="EmbeddedSessionTimeoutMs"/>, because the mock's rebalances last as long as the session timeout.
    /// <paramref name="configure"/> runs last, e.g. to set <c>IsolationLevel</c>.
    /// </summary>
    public ConsumerConfig CreateConsumerConfig(string groupId, string clientId, Action<ConsumerConfig>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(groupId);
        var config = new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            ClientId = FullClientId(clientId),
            GroupId = groupId,
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnablePartitionEof = true,
        };
        if (_options.IsEmbedded)
        {
            // The mock cluster completes a rebalance only when its timer (the joining member's session timeout
            // minus 1 s) fires, whoever has rejoined: with the 45 s default a second member would wait 44 s. On one
            // machine a 6 s session loses nothing.
            config.SessionTimeoutMs = EmbeddedSessionTimeoutMs;
            config.HeartbeatIntervalMs = EmbeddedHeartbeatIntervalMs;
        }

        ApplyQuietLogging(config);
        configure?.Invoke(config);
        return config;
    }

    /// <summary>A producer builder with <see cref="CreateProducerConfig"/> and the log sink set; add handlers, then build.</summary>
    public ProducerBuilder<byte[]?, byte[]> CreateProducerBuilder(string clientId, Action<ProducerConfig>? configure = null) =>
        new ProducerBuilder<byte[]?, byte[]>(CreateProducerConfig(clientId, configure))
            .SetLogHandler((_, message) => _log(message))
            .SetErrorHandler((client, error) => _log(AsLog(client.Name, error)));

    /// <summary>An idempotent producer of raw keys (null allowed) and values; see <see cref="CreateProducerConfig"/>.</summary>
    public IProducer<byte[]?, byte[]> CreateProducer(string clientId, Action<ProducerConfig>? configure = null) =>
        CreateProducerBuilder(clientId, configure).Build();

    /// <summary>A consumer builder with <see cref="CreateConsumerConfig"/> and the log sink set; add rebalance
    /// handlers, then build.</summary>
    public ConsumerBuilder<byte[]?, byte[]> CreateConsumerBuilder(
        string groupId, string clientId, Action<ConsumerConfig>? configure = null) =>
        new ConsumerBuilder<byte[]?, byte[]>(CreateConsumerConfig(groupId, clientId, configure))
            .SetLogHandler((_, message) => _log(message))
            .SetErrorHandler((client, error) => _log(AsLog(client.Name, error)));

    /// <summary>A group consumer of raw keys and values; see <see cref="CreateConsumerConfig"/>.</summary>
    public IConsumer<byte[]?, byte[]> CreateConsumer(
        string groupId, string clientId, Action<ConsumerConfig>? configure = null) =>
        CreateConsumerBuilder(groupId, clientId, configure).Build();

    /// <summary>
    /// A group consumer that never skips data silently: it starts each newly assigned partition at the group's
    /// committed offset, or at the beginning when there is none, and treats an offset that is no longer on the broker
    /// (the consumer fell behind retention) as an error (<see cref="ErrorCode.Local_AutoOffsetReset"/> from
    /// <c>Consume</c>) instead of jumping to the earliest or latest record. Use it for every stage that must see
    /// every record.
    /// </summary>
    public IConsumer<byte[]?, byte[]> CreateLosslessConsumer(string groupId, string clientId, Action<ConsumerConfig>? configure = null) =>
        CreateConsumerBuilder(groupId, clientId, config =>
            {
                config.AutoOffsetReset = AutoOffsetReset.Error;
                configure?.Invoke(config);
            })
            .SetPartitionsAssignedHandler((consumer, partitions) =>
            {
                var committed = consumer.Committed(partitions, TimeSpan.FromSeconds(10));
                return committed.Select(c => new TopicPartitionOffset(c.TopicPartition, c.Offset == Offset.Unset ? Offset.Beginning : c.Offset));
            })
            .Build();

    /// <summary>An admin client (topic and group administration) on the same cluster and log sink.</summary>
    public IAdminClient CreateAdminClient(string clientId)
    {
        var config = new AdminClientConfig { BootstrapServers = BootstrapServers, ClientId = FullClientId(clientId) };
        ApplyQuietLogging(config);
        return new AdminClientBuilder(config)
            .SetLogHandler((_, message) => _log(message))
            .SetErrorHandler((client, error) => _log(AsLog(client.Name, error)))
            .Build();
    }

    /// <summary>A sink that writes warnings and worse to standard error, one line each; the default sink.</summary>
    public static void WriteToStandardError(LogMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Level <= SyslogLevel.Warning)
        {
            Console.Error.WriteLine($"kafka {message.Level} {message.Name} {message.Facility}: {message.Message}");
        }
    }

    private string FullClientId(string clientId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(clientId);
        return $"{_options.ClientId}-{clientId}";
    }

    private static void ApplyQuietLogging(ClientConfig config)
    {
        // Warnings and worse only: librdkafka then does not even format its info chatter. Routine idle-connection
        // closes are not worth a line either.
        config.Set("log_level", "4");
        config.LogConnectionClose = false;
    }

    private static LogMessage AsLog(string clientName, Error error) =>
        new(clientName, error.IsFatal ? SyslogLevel.Critical : SyslogLevel.Error, "ERROR", $"{error.Code}: {error.Reason}");
}
