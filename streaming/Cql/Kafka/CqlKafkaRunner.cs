using System.Globalization;
using System.Text;
using System.Text.Json;
using BigDataTrading.Core;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Wire;
using BigDataTrading.Infra.Kafka;
using BigDataTrading.Infra.Messaging;
using BigDataTrading.Streaming.Cql.Ods;
using Confluent.Kafka;

namespace BigDataTrading.Streaming.Cql.Kafka;

/// <summary>What a CQL stream process reads and where its late events go.</summary>
/// <param name="InputTopic">Topic of trades (market-data codec v1), keyed by symbol.</param>
/// <param name="InputPartitions">Partitions of the input; every output topic needs at least as many (rows of input partition p go to partition p).</param>
/// <param name="LateTopic">Topic for events that arrived behind a query's watermark (reason in the header).</param>
/// <param name="StopAtEndOfStream">Stop once every input partition delivered its end-of-stream marker (each partition's windows close at its marker); false = run until cancelled.</param>
public sealed record CqlStreamOptions(string InputTopic = Topics.Ticks, int InputPartitions = 4, string LateTopic = "cql.late", bool StopAtEndOfStream = true)
{
    /// <summary>Topic for view rows a business rule of the ODS refused (reason header = the constraint's name).</summary>
    public string ViewDeadLetterTopic { get; init; } = "cql.ods.dead";

    /// <summary>Longest time a view row waits in the batch before it is written (freshness budget; default 100 ms).</summary>
    public TimeSpan ViewFlushInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Distinct window keys that trigger a view write before <see cref="ViewFlushInterval"/> (default 5,000).</summary>
    public int ViewBatchRows { get; init; } = 5_000;

    /// <summary>Time between periodic checkpoints (default 5 s); also taken on revocation and shutdown.</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Consumer-group session timeout (null = the client factory's default): how long the group waits before it gives a
    /// silent member's partitions to the others — the failover time of a crashed process.
    /// </summary>
    public TimeSpan? SessionTimeout { get; init; }

    /// <summary>Longest wait for a record before the loop runs its timers (default 50 ms).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Throws when a setting is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The setting named in the message is out of range.</exception>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(InputTopic);
        ArgumentOutOfRangeException.ThrowIfLessThan(InputPartitions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ViewBatchRows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ViewFlushInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(CheckpointInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(PollInterval, TimeSpan.Zero);
    }
}

/// <summary>Optional collaborators of a <see cref="CqlKafkaRunner"/>.</summary>
public sealed record CqlStreamServices
{
    /// <summary>The ODS for <c>INTO VIEW</c> queries (required when the script has one). Owned by the caller.</summary>
    public ContinuousViewStore? Views { get; init; }

    /// <summary>Checkpoint folder shared by the consumer group; null = no checkpoints (a restart recomputes from the committed offsets).</summary>
    public FileCqlCheckpointStore? Checkpoints { get; init; }

    /// <summary>Clock for timers and freshness (default: the system's).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Last say on the group consumer's configuration (e.g. <c>FetchWaitMaxMs</c> for latency), or null.</summary>
    public Action<ConsumerConfig>? ConfigureConsumer { get; init; }

    /// <summary>Receives one line per assignment, revocation, checkpoint and completed partition (null = silent).</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>View write freshness: time from consuming the oldest event of a write batch to its commit (that batch's worst row).</summary>
/// <param name="Batches">Batches written.</param>
/// <param name="P50Ms">Median, milliseconds.</param>
/// <param name="P99Ms">99th percentile, milliseconds.</param>
/// <param name="MaxMs">Worst, milliseconds.</param>
public sealed record ViewFreshness(int Batches, double P50Ms, double P99Ms, double MaxMs);

/// <summary>What one run did.</summary>
/// <param name="EventsIn">Trades consumed and fed to the queries.</param>
/// <param name="Undecodable">Records that were not decodable trades (sent to the late/dead-letter topic with reason <c>Undecodable</c>).</param>
/// <param name="RowsOut">Rows produced per query.</param>
/// <param name="LateEvents">Events refused as late by some query.</param>
public sealed record CqlStreamReport(long EventsIn, long Undecodable, IReadOnlyDictionary<string, long> RowsOut, long LateEvents)
{
    /// <summary>View rows written (after coalescing updates of one window within a batch).</summary>
    public long ViewRowsWritten { get; init; }

    /// <summary>View rows refused by a business rule (sent to <see cref="CqlStreamOptions.ViewDeadLetterTopic"/>).</summary>
    public long ViewRowsRejected { get; init; }

    /// <summary>View freshness, or null when no view was written.</summary>
    public ViewFreshness? Freshness { get; init; }

    /// <summary>Partition checkpoints written.</summary>
    public long Checkpoints { get; init; }

    /// <summary>Partitions this process stopped processing because a newer owner claimed them (its checkpoint write was fenced).</summary>
    public long FencedPartitions { get; init; }
}

/// <summary>
/// Runs a CQL script against a Kafka topic as a member of a consumer group: consumes trades, feeds one engine per
/// assigned partition, publishes each query's rows to its <c>INTO</c> topic as JSON (same partition number as the
/// input), upserts <c>INTO VIEW</c> rows into the ODS, and sends late, undecodable and rule-breaking records to their
/// dead-letter topics with a reason header — nothing is dropped silently.
/// </summary>
/// <remarks>
/// <para><b>Per-partition engines.</b> Each input partition has its own engine (state, watermark), so results depend only
/// on each partition's record order — the same whichever process owns the partition, and after any restart. Input is
/// keyed by symbol, so a symbol's windows live in one partition. A partition's windows close at its end-of-stream
/// marker. An ungrouped (global) window is therefore per partition.</para>
/// <para><b>Delivery: at-least-once with idempotent sinks.</b> A checkpoint (engine snapshot + next offset, one file
/// per partition) is written only after every output derived from the records before it is durable (views committed,
/// producer flushed). After a crash the partition's next owner restores the checkpoint and replays from its offset:
/// views converge to the same rows (upsert by window key); topic consumers may see repeated rows for the replayed span
/// and must upsert by (query, key, window_start).</para>
/// <para><b>Scale-out.</b> On assignment a partition's checkpoint is loaded (with a checkpoint store and no checkpoint the
/// partition is replayed from the beginning, so its state is complete); on revocation it is flushed and checkpointed;
/// a partition lost without revocation is dropped unwritten (its new owner may already be ahead). With
/// <see cref="CqlStreamOptions.StopAtEndOfStream"/> a process stops once every partition of the input is completed —
/// by itself or, per the shared checkpoints, by another member.</para>
/// <para><b>Fencing.</b> On assignment the runner claims the partition in the checkpoint store (a new owner generation)
/// before it loads the checkpoint, and every checkpoint it writes carries that generation. A write refused because a
/// newer owner has claimed the partition since (this process stalled past its session timeout and the group moved the
/// partition) stops this process's work on it: the partition's engine is dropped, its fetching paused, and the log
/// says so. Rows it produced since its last checkpoint are repeated by the new owner (at-least-once).</para>
/// <para>One runner per process, driven by one thread (<see cref="Run"/>).</para>
/// </remarks>
public sealed class CqlKafkaRunner
{
    private readonly IConsumer<byte[]?, byte[]> _consumer;
    private readonly IProducer<byte[]?, byte[]> _producer;
    private readonly CqlStreamOptions _options;
    private readonly CqlOptions? _cql;
    private readonly CqlStreamServices _services;
    private readonly CqlScript _script;
    private readonly string _fingerprint;
    private readonly CqlEngine _template;
    private readonly Dictionary<string, ContinuousViewSchema> _views = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<int, PartitionRun> _partitions = [];
    private readonly HashSet<int> _completedHere = [];
    private readonly SymbolCache _symbols = new();
    private readonly Dictionary<string, long> _rows = new(StringComparer.Ordinal);
    private readonly Dictionary<(string View, string Key, long Start), ViewUpsert> _pendingViews = [];
    private readonly List<double> _freshnessMs = [];
    private readonly byte[] _buffer = new byte[MarketDataCodec.MaxRecordLength];
    private Error? _deliveryError;
    private long _events;
    private long _undecodable;
    private long _late;
    private long _viewRows;
    private long _viewRejected;
    private long _checkpoints;
    private long _fenced;
    private long _consumedAt;
    private long _pendingSince;
    private long _lastCheckpoint;
    private long _lastRemoteCheck;
    private bool _assigned;
    private bool _stopping;

    /// <summary>
    /// Compiles the script and builds the group consumer (<paramref name="groupId"/>) on <paramref name="clients"/>.
    /// Throws <see cref="CqlException"/> (line, column, hint) when the script is invalid.
    /// </summary>
    /// <exception cref="ArgumentException">The script writes INTO VIEW but no view store was given, or has a query that cannot be checkpointed while a checkpoint store was given.</exception>
    public CqlKafkaRunner(string script, KafkaClientFactory clients, string groupId, IProducer<byte[]?, byte[]> producer, CqlStreamOptions options, CqlOptions? cql = null, CqlStreamServices? services = null)
    {
        ArgumentNullException.ThrowIfNull(script);
        ArgumentNullException.ThrowIfNull(clients);
        ArgumentNullException.ThrowIfNull(producer);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _producer = producer;
        _options = options;
        _cql = cql;
        _services = services ?? new CqlStreamServices();
        _script = CqlParser.Parse(script);
        _fingerprint = CqlSnapshots.Fingerprint(script);
        _template = CqlEngine.Compile(_script, NullCqlSink.Instance, cql);
        foreach (var query in _template.Queries.Where(q => q.IntoView is not null))
        {
            var view = ContinuousViewSchema.For(query);
            if (_services.Views is null)
            {
                throw new ArgumentException($"Query '{query.Name}' writes INTO VIEW {view.Name}, but no ODS is configured: give one (bdt stream --ods duckdb:PATH or postgres:CONNECTION).", nameof(services));
            }

            _views.Add(query.Name, view);
            _services.Views.CreateView(view);
        }

        if (_services.Checkpoints is not null && CqlSnapshots.Unsupported(_template) is { Count: > 0 } unsupported)
        {
            throw new ArgumentException($"Queries {string.Join(", ", unsupported.Select(q => q.Name))} cannot be checkpointed: run without a checkpoint folder.", nameof(services));
        }

        _consumer = clients.CreateConsumerBuilder(groupId, "stream", c =>
            {
                // Positions come from checkpoints or commits; a position out of retention is an error, never a silent skip.
                c.AutoOffsetReset = AutoOffsetReset.Error;
                if (options.SessionTimeout is { } session)
                {
                    c.SessionTimeoutMs = (int)session.TotalMilliseconds;
                    c.HeartbeatIntervalMs = Math.Max(100, (int)session.TotalMilliseconds / 6);
                }

                _services.ConfigureConsumer?.Invoke(c);
            })
            .SetPartitionsAssignedHandler(OnAssigned)
            .SetPartitionsRevokedHandler(OnRevoked)
            .SetPartitionsLostHandler(OnLost)
            .Build();
    }

    /// <summary>The compiled queries (for their output topics and views).</summary>
    public IReadOnlyList<CqlQuery> Queries => _template.Queries;

    /// <summary>Trades consumed so far (readable from any thread, for progress).</summary>
    public long EventsConsumed => Interlocked.Read(ref _events);

    /// <summary>
    /// Consumes until every input partition is completed (or, in follow mode, until cancelled), then flushes, checkpoints
    /// and leaves the group. Cancelling in stop-at-end mode with a checkpoint store is a pause: state is checkpointed and a
    /// later run resumes; without a checkpoint store, cancelling closes every window like an end of stream.
    /// </summary>
    /// <exception cref="KafkaException">Producing failed for good.</exception>
    /// <exception cref="ConsumeException">Consuming failed (e.g. a committed position fell out of retention).</exception>
    public CqlStreamReport Run(CancellationToken ct)
    {
        _consumer.Subscribe(_options.InputTopic);
        _lastCheckpoint = _services.Time.GetTimestamp();
        try
        {
            while (!ct.IsCancellationRequested && !AllCompleted())
            {
                var record = _consumer.Consume(_options.PollInterval);
                if (record is { IsPartitionEOF: false })
                {
                    Handle(record);
                }
                else
                {
                    // Idle: windows the per-event closing budget left due are emitted now, not at the next event.
                    foreach (var run in _partitions.Values)
                    {
                        if (!run.Completed)
                        {
                            run.Engine?.CloseDueWindows();
                        }
                    }
                }

                Tick();
            }

            if (ct.IsCancellationRequested && _services.Checkpoints is null)
            {
                // No state store: an operator stop ends the stream here, so close the windows rather than lose them.
                foreach (var run in _partitions.Values.Where(r => !r.Completed))
                {
                    run.Engine.Complete();
                }
            }

            FlushOutputs();
            CheckpointOwned();
            CommitOwned();
            return new CqlStreamReport(_events, _undecodable, new Dictionary<string, long>(_rows, StringComparer.Ordinal), _late)
            {
                ViewRowsWritten = _viewRows,
                ViewRowsRejected = _viewRejected,
                Freshness = Freshness(),
                Checkpoints = _checkpoints,
                FencedPartitions = _fenced,
            };
        }
        finally
        {
            // Leaving the group revokes what is left: the normal path above already checkpointed it, and after a fault
            // the state must not be checkpointed at all.
            _stopping = true;
            _consumer.Close();
            _consumer.Dispose();
        }
    }

    /// <summary>
    /// One row as a JSON object: <c>query</c>, <c>key</c>, <c>window_start</c>/<c>window_end</c> (ISO-8601 UTC),
    /// <c>final</c>, then every selected column by name (prices as exact decimals).
    /// </summary>
    public static byte[] Serialize(CqlRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return Serialize(row.Query, row.Key, row.WindowStart, row.WindowEnd, row.IsFinal, row.Columns, row.GetValue);
    }

    /// <summary>A copied row as JSON (same shape as <see cref="Serialize(CqlRow)"/>).</summary>
    public static byte[] Serialize(CqlRecord row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return Serialize(row.Query, row.Key, row.WindowStart, row.WindowEnd, row.IsFinal, row.Columns, i => row.Values[i]);
    }

    private static byte[] Serialize(string query, string key, Core.Time.Timestamp start, Core.Time.Timestamp end, bool final, System.Collections.Immutable.ImmutableArray<CqlColumn> columns, Func<int, object> value)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("query", query);
            json.WriteString("key", key);
            json.WriteString("window_start", start.ToDateTimeOffset());
            json.WriteString("window_end", end.ToDateTimeOffset());
            json.WriteBoolean("final", final);
            for (var i = 0; i < columns.Length; i++)
            {
                json.WritePropertyName(columns[i].Name);
                switch (value(i))
                {
                    case Price p: json.WriteNumberValue(p.ToDecimal()); break;
                    case long l: json.WriteNumberValue(l); break;
                    case double d when double.IsFinite(d): json.WriteNumberValue(d); break;
                    case double: json.WriteNullValue(); break;
                    case bool b: json.WriteBooleanValue(b); break;
                    case Core.Time.Timestamp t: json.WriteStringValue(t.ToDateTimeOffset()); break;
                    case var other: json.WriteStringValue(Convert.ToString(other, CultureInfo.InvariantCulture)); break;
                }
            }

            json.WriteEndObject();
        }

        return stream.ToArray();
    }

    private void Handle(ConsumeResult<byte[]?, byte[]> record)
    {
        var partition = record.Partition.Value;
        if (!_partitions.TryGetValue(partition, out var run))
        {
            // A record fetched before the partition was taken away: its new owner resumes from the checkpoint and
            // processes it, so skipping it here loses nothing.
            return;
        }

        var next = record.Offset.Value + 1;
        _consumedAt = _services.Time.GetTimestamp();
        if (EndOfStream.Is(record.Message.Headers))
        {
            if (_options.StopAtEndOfStream && !run.Completed)
            {
                Complete(run, next);
            }

            run.NextOffset = next;
            return;
        }

        if (run.Completed)
        {
            // Past the partition's end of stream: not part of this replay; say so instead of dropping it.
            run.NextOffset = next;
            Publish(_options.LateTopic, partition, record.Message.Key, record.Message.Value, "AfterEndOfStream", $"{record.TopicPartitionOffset} follows the partition's end-of-stream marker");
            return;
        }

        // md.ticks carries trades and quotes (the codec's record type says which); anything else is not an input here.
        TradeTick tick = default;
        QuoteTick quote = default;
        bool isQuote;
        try
        {
            isQuote = MarketDataCodec.PeekType(record.Message.Value) == MarketDataCodec.QuoteType;
            if (isQuote)
            {
                quote = MarketDataCodec.DecodeQuote(record.Message.Value, _symbols);
            }
            else
            {
                tick = MarketDataCodec.DecodeTrade(record.Message.Value, _symbols);
            }
        }
        catch (FormatException ex)
        {
            _undecodable++;
            run.NextOffset = next;
            Publish(_options.LateTopic, partition, record.Message.Key, record.Message.Value, "Undecodable", ex.Message);
            return;
        }

        Interlocked.Increment(ref _events);
        if (isQuote)
        {
            run.Engine.OnQuote(quote);
        }
        else
        {
            run.Engine.OnTrade(tick);
        }

        run.NextOffset = next;
    }

    private void Tick()
    {
        if (_pendingViews.Count >= _options.ViewBatchRows ||
            (_pendingViews.Count > 0 && _services.Time.GetElapsedTime(_pendingSince) >= _options.ViewFlushInterval))
        {
            FlushViews();
        }

        if (_services.Time.GetElapsedTime(_lastCheckpoint) >= _options.CheckpointInterval)
        {
            FlushOutputs();
            CheckpointOwned();
            CommitOwned();
            _lastCheckpoint = _services.Time.GetTimestamp();
        }
    }

    private void Complete(PartitionRun run, long next)
    {
        run.Engine.Complete();
        run.Completed = true;
        run.NextOffset = next;
        _completedHere.Add(run.Partition);
        FlushOutputs();
        foreach (var topic in _template.Queries.Select(q => q.IntoTopic).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            var headers = new Headers { { Topics.ControlHeader, Encoding.ASCII.GetBytes(Topics.EndOfStream) } };
            _producer.Produce(new TopicPartition(topic, new Partition(run.Partition)), new Message<byte[]?, byte[]> { Key = null, Value = [], Headers = headers }, OnDelivery);
        }

        FlushOutputs();
        Checkpoint(run);
        CommitOwned();
        _services.Log?.Invoke($"completed p{run.Partition} at offset {next}");
    }

    private bool AllCompleted()
    {
        if (!_options.StopAtEndOfStream || !_assigned)
        {
            return false;
        }

        foreach (var run in _partitions.Values)
        {
            if (!run.Completed)
            {
                return false; // the common case, decided without I/O
            }
        }

        // Every owned partition is done: are the others? Ask the shared checkpoints at most once per poll interval.
        if (_services.Checkpoints is not null && _services.Time.GetElapsedTime(_lastRemoteCheck) < _options.PollInterval)
        {
            return false;
        }

        _lastRemoteCheck = _services.Time.GetTimestamp();
        for (var p = 0; p < _options.InputPartitions; p++)
        {
            if (!_partitions.ContainsKey(p) && !(_services.Checkpoints?.IsCompleted(_options.InputTopic, p) ?? _completedHere.Contains(p)))
            {
                return false;
            }
        }

        return true;
    }

    private void OnRow(CqlRow row, int partition)
    {
        _rows[row.Query] = _rows.GetValueOrDefault(row.Query) + 1;
        if (_template[row.Query].IntoTopic is { } topic)
        {
            Publish(topic, partition, Encoding.UTF8.GetBytes(row.Key), Serialize(row), reason: null, detail: null);
        }

        if (_views.TryGetValue(row.Query, out var view))
        {
            if (_pendingViews.Count == 0)
            {
                _pendingSince = _consumedAt;
            }

            // Later updates of one window replace earlier ones within a batch: the view only needs the latest.
            _pendingViews[(view.Name, row.Key, row.WindowStart.UnixNanoseconds)] =
                new ViewUpsert(view, new CqlRecord(row.Query, row.Key, row.WindowStart, row.WindowEnd, row.IsFinal, row.Columns, row.ToValues()));
        }
    }

    private void OnLate(in CqlLateEvent late, int partition)
    {
        _late++;
        var n = late.IsQuote ? MarketDataCodec.Encode(late.Quote, _buffer) : MarketDataCodec.Encode(late.Tick, _buffer);
        var symbol = late.IsQuote ? late.Quote.Symbol : late.Tick.Symbol;
        Publish(_options.LateTopic, partition, Encoding.ASCII.GetBytes(symbol.Value), _buffer.AsSpan(0, n).ToArray(), late.Reason.ToString(), late.Describe());
    }

    private void FlushViews()
    {
        if (_pendingViews.Count == 0)
        {
            return;
        }

        var batch = _pendingViews.Values.ToList();
        _pendingViews.Clear();
        var rejected = _services.Views!.Upsert(batch);
        _freshnessMs.Add(_services.Time.GetElapsedTime(_pendingSince).TotalMilliseconds);
        _viewRows += batch.Count - rejected.Count;
        _viewRejected += rejected.Count;
        foreach (var r in rejected)
        {
            Publish(_options.ViewDeadLetterTopic, partition: null, Encoding.UTF8.GetBytes(r.Row.Key), Serialize(r.Row), r.Constraint, $"view {r.View}: {r.Message}");
        }
    }

    private void FlushOutputs()
    {
        FlushViews();
        _producer.Flush(CancellationToken.None);
        if (_deliveryError is { } error)
        {
            throw new KafkaException(error);
        }
    }

    private void CheckpointOwned()
    {
        // A copy: a fenced partition leaves the dictionary while we walk it.
        foreach (var run in _partitions.Values.ToList())
        {
            Checkpoint(run);
        }
    }

    /// <summary>Checkpoints the partition; false when a newer owner fenced the write (the partition is then dropped here).</summary>
    private bool Checkpoint(PartitionRun run)
    {
        if (_services.Checkpoints is not { } store || run.NextOffset == run.CheckpointedOffset)
        {
            return true;
        }

        var checkpoint = new CqlCheckpoint(_options.InputTopic, run.Partition, run.NextOffset, run.Completed, _fingerprint, CqlSnapshots.Capture(run.Engine)) { Generation = run.Generation };
        var save = store.Save(checkpoint);
        if (!save.Saved)
        {
            Fence(run, save.OwnerGeneration);
            return false;
        }

        run.CheckpointedOffset = run.NextOffset;
        _checkpoints++;
        _services.Log?.Invoke($"checkpoint p{run.Partition} at offset {run.NextOffset}{(run.Completed ? " (completed)" : string.Empty)}");
        return true;
    }

    /// <summary>A newer owner claimed the partition: stop working on it, loudly, and leave its checkpoint to that owner.</summary>
    private void Fence(PartitionRun run, long ownerGeneration)
    {
        _partitions.Remove(run.Partition);
        _fenced++;
        try
        {
            _consumer.Pause([new TopicPartition(_options.InputTopic, new Partition(run.Partition))]);
        }
        catch (KafkaException e)
        {
            // Not assigned any more (a rebalance took it meanwhile): nothing left to pause; Handle skips its records anyway.
            _services.Log?.Invoke($"pause of fenced p{run.Partition} skipped ({e.Error.Code})");
        }

        _services.Log?.Invoke(
            $"FENCED p{run.Partition}: checkpoint at offset {run.NextOffset} refused, generation {ownerGeneration} claimed the partition after ours ({run.Generation}); this process stops processing it. Rows it emitted after offset {run.CheckpointedOffset} will be repeated by the new owner.");
    }

    private void CommitOwned()
    {
        var offsets = _partitions.Values.Where(r => r.NextOffset > 0)
            .Select(r => new TopicPartitionOffset(_options.InputTopic, new Partition(r.Partition), new Offset(r.NextOffset)))
            .ToList();
        TryCommit(_consumer, offsets);
    }

    /// <summary>
    /// Commits offsets for monitoring (lag) and for runs without checkpoints. A commit refused because the group is
    /// rebalancing is not an error: with checkpoints the position lives in the checkpoint, and without them the next
    /// commit or a replay from the previous one is the at-least-once contract.
    /// </summary>
    private void TryCommit(IConsumer<byte[]?, byte[]> consumer, List<TopicPartitionOffset> offsets)
    {
        if (offsets.Count == 0)
        {
            return;
        }

        try
        {
            consumer.Commit(offsets);
        }
        catch (KafkaException e) when (e.Error.Code is ErrorCode.RebalanceInProgress or ErrorCode.IllegalGeneration or ErrorCode.UnknownMemberId or ErrorCode.Local_State or ErrorCode.Local_NoOffset)
        {
            _services.Log?.Invoke($"commit skipped ({e.Error.Code}): the group is rebalancing");
        }
    }

    private IEnumerable<TopicPartitionOffset> OnAssigned(IConsumer<byte[]?, byte[]> consumer, List<TopicPartition> partitions)
    {
        _assigned = true;
        var positions = new List<TopicPartitionOffset>();
        var committed = _services.Checkpoints is null ? consumer.Committed(partitions, TimeSpan.FromSeconds(10)) : [];
        foreach (var tp in partitions)
        {
            var run = new PartitionRun(tp.Partition.Value);
            run.Engine = CqlEngine.Compile(_script, new PartitionSink(this, run.Partition), _cql);
            string origin;
            if (_services.Checkpoints is { } store)
            {
                // Claim before loading: whatever a former owner manages to write after this is refused.
                run.Generation = store.Claim(tp.Topic, run.Partition);
            }

            if (_services.Checkpoints?.Load(tp.Topic, run.Partition) is { } checkpoint)
            {
                var path = _services.Checkpoints.PathOf(tp.Topic, run.Partition);
                if (checkpoint.ScriptFingerprint != _fingerprint)
                {
                    throw new InvalidDataException(
                        $"The checkpoint of {tp} ('{path}') was taken with another CQL script; its state cannot be restored into this one. Use a new checkpoint folder and consumer group for a changed script, or delete the folder to recompute from the beginning.");
                }

                try
                {
                    CqlSnapshots.Restore(run.Engine, checkpoint.State);
                }
                catch (InvalidDataException e)
                {
                    throw new InvalidDataException($"'{path}': {e.Message} Delete the file to rebuild the partition's state by replaying it.", e);
                }

                run.NextOffset = run.CheckpointedOffset = checkpoint.NextOffset;
                run.Completed = checkpoint.Completed;
                origin = $"checkpoint @{checkpoint.NextOffset}{(checkpoint.Completed ? " (completed)" : string.Empty)}";
            }
            else if (committed.FirstOrDefault(c => c.TopicPartition == tp) is { Offset.Value: >= 0 } c)
            {
                run.NextOffset = c.Offset.Value;
                origin = $"committed @{c.Offset.Value}";
            }
            else
            {
                origin = "beginning";
            }

            _partitions[run.Partition] = run;
            positions.Add(new TopicPartitionOffset(tp, run.NextOffset > 0 ? new Offset(run.NextOffset) : Offset.Beginning));
            _services.Log?.Invoke($"assigned p{run.Partition} from {origin}{(run.Generation > 0 ? $", owner generation {run.Generation}" : string.Empty)}");
        }

        return positions;
    }

    private void OnRevoked(IConsumer<byte[]?, byte[]> consumer, List<TopicPartitionOffset> partitions)
    {
        var owned = partitions.Where(tp => _partitions.ContainsKey(tp.Partition.Value)).ToList();
        if (owned.Count == 0 || _stopping)
        {
            return;
        }

        FlushOutputs();
        var commits = new List<TopicPartitionOffset>();
        foreach (var tp in owned)
        {
            var run = _partitions[tp.Partition.Value];
            if (!Checkpoint(run))
            {
                continue; // fenced: its position is the new owner's to commit
            }

            if (run.NextOffset > 0)
            {
                commits.Add(new TopicPartitionOffset(tp.TopicPartition, new Offset(run.NextOffset)));
            }

            _partitions.Remove(run.Partition);
            _services.Log?.Invoke($"revoked p{run.Partition} at offset {run.NextOffset}");
        }

        TryCommit(consumer, commits);
    }

    private void OnLost(IConsumer<byte[]?, byte[]> consumer, List<TopicPartitionOffset> partitions)
    {
        foreach (var tp in partitions)
        {
            // Another member may already own it and be ahead: writing our checkpoint now could move it back.
            if (_partitions.Remove(tp.Partition.Value))
            {
                _services.Log?.Invoke($"lost p{tp.Partition.Value}");
            }
        }
    }

    private ViewFreshness? Freshness()
    {
        if (_freshnessMs.Count == 0)
        {
            return null;
        }

        var sorted = _freshnessMs.Order().ToArray();
        double At(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        return new ViewFreshness(sorted.Length, At(0.5), At(0.99), sorted[^1]);
    }

    private void Publish(string topic, int? partition, byte[]? key, byte[] value, string? reason, string? detail)
    {
        var message = new Message<byte[]?, byte[]> { Key = key, Value = value };
        if (reason is not null)
        {
            message.Headers = new Headers { { Topics.ReasonHeader, Encoding.ASCII.GetBytes(reason) } };
            if (detail is not null)
            {
                message.Headers.Add("bdt-detail", Encoding.UTF8.GetBytes(detail));
            }
        }

        if (partition is { } p)
        {
            _producer.ProduceWithBackpressure(new TopicPartition(topic, new Partition(p)), message, OnDelivery, CancellationToken.None);
        }
        else
        {
            _producer.ProduceWithBackpressure(topic, message, OnDelivery, CancellationToken.None);
        }
    }

    private void OnDelivery(DeliveryReport<byte[]?, byte[]> report)
    {
        if (report.Error.IsError)
        {
            Interlocked.CompareExchange(ref _deliveryError, report.Error, null);
        }
    }

    /// <summary>One owned input partition: its engine and position.</summary>
    private sealed class PartitionRun(int partition)
    {
        public int Partition { get; } = partition;

        public CqlEngine Engine { get; set; } = null!;

        public long NextOffset { get; set; }

        public long CheckpointedOffset { get; set; } = -1;

        /// <summary>The owner generation claimed on assignment (0 without a checkpoint store).</summary>
        public long Generation { get; set; }

        public bool Completed { get; set; }
    }

    /// <summary>Routes an engine's output to the runner with its partition.</summary>
    private sealed class PartitionSink(CqlKafkaRunner runner, int partition) : ICqlSink
    {
        public void OnRow(CqlRow row) => runner.OnRow(row, partition);

        public void OnLate(in CqlLateEvent late) => runner.OnLate(late, partition);
    }
}
