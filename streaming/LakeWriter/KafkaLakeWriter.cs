using BigDataTrading.Core;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Wire;
using BigDataTrading.Infra.Kafka;
using BigDataTrading.Infra.Messaging;
using BigDataTrading.Warehouse;
using BigDataTrading.Warehouse.Catalog;
using Confluent.Kafka;

namespace BigDataTrading.Streaming.LakeWriter;

/// <summary>Settings of <see cref="KafkaLakeWriter"/>. Immutable.</summary>
public sealed record KafkaLakeWriterOptions
{
    /// <summary>Topic consumed (default <see cref="Topics.Ticks"/>).</summary>
    public string Topic { get; init; } = Topics.Ticks;

    /// <summary>Partitions of the topic (default 4).</summary>
    public int Partitions { get; init; } = 4;

    /// <summary>Writer identity in file names, manifests and the consumer group <c>bdt-lake-writer-&lt;id&gt;</c>.</summary>
    public string WriterId { get; init; } = "lake-writer";

    /// <summary>Commit when this many rows are buffered (1..16M; default 500,000 ≈ 20 MB of memory).</summary>
    public int MaxBufferedRows { get; init; } = 500_000;

    /// <summary>When caught up on every partition, commit what is buffered once this long has passed since the last
    /// commit (default 5 s): bounds how stale the lake is on a quiet stream.</summary>
    public TimeSpan MaxCommitDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Called on the writer's thread after each commit is complete (files published, manifest and offsets written),
    /// e.g. to mirror the new files to HDFS. An exception stops the writer; the commit itself stays done.
    /// </summary>
    public Action<LakeManifest>? Committed { get; init; }

    /// <summary>Stop once every partition has delivered its end-of-stream marker (a replay); false: run until cancelled.</summary>
    public bool StopAtEndOfStream { get; init; } = true;

    /// <summary>Parquet settings.</summary>
    public LakeWriterOptions Parquet { get; init; } = LakeWriterOptions.Default;

    internal void Validate()
    {
        TopicSpec.ValidateName(Topic);
        ArgumentOutOfRangeException.ThrowIfLessThan(Partitions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBufferedRows, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxBufferedRows, 1 << 24);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxCommitDelay, TimeSpan.Zero);
    }
}

/// <summary>What a lake-writer run did.</summary>
/// <param name="Recovery">What startup recovery found and where consumption resumed.</param>
/// <param name="Commits">Commits (manifests) written by this run.</param>
/// <param name="Rows">Rows committed by this run over all datasets.</param>
/// <param name="RowsByDataset">Rows committed by this run per dataset (<c>ticks</c>, <c>quotes</c>, <c>bars</c>; only those written).</param>
/// <param name="Undecodable">Records that were not a valid market-data record, covered by the offsets but not written.</param>
public sealed record KafkaLakeWriterReport(LakeRecovery Recovery, int Commits, long Rows, IReadOnlyDictionary<string, long> RowsByDataset, long Undecodable)
{
    /// <summary>The rows per dataset as text, e.g. <c>ticks 1,234, quotes 56</c> (<c>none</c> when nothing was written).</summary>
    public string DescribeRows() => RowsByDataset.Count == 0
        ? "none"
        : string.Join(", ", RowsByDataset.Select(kv => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:N0}")));
}

/// <summary>
/// Kafka → lake: consumes market-data records from <see cref="KafkaLakeWriterOptions.Topic"/> and writes trades to the
/// <c>ticks</c> dataset, quotes to <c>quotes</c> and bars to <c>bars</c> (record type from the v1 wire format's header), as
/// Hive-partitioned Parquet through a <see cref="ManifestedTickWriter"/>, whose manifests record the offsets
/// each commit covers. On start it recovers (finishes or discards a crashed predecessor's commit) and resumes every
/// partition right after the last manifest, so a crash at any point neither loses nor duplicates a row.
/// </summary>
/// <remarks>
/// <para>Partitions are assigned, not subscribed: the manifests, not the group's committed offsets, say where to resume,
/// and a rebalance could not move a partition to another writer id without its manifests. The group's Kafka offsets are
/// committed after each manifest (monitoring tools show lag); they are never read back.</para>
/// <para>The consumer fails loudly (<see cref="ConsumeException"/>) if its position has fallen out of retention, instead
/// of skipping. Records that do not decode are counted and skipped (they are covered by the offsets; ingestion only
/// publishes records it encoded, so this means a foreign producer on the topic). Not
/// thread-safe: <see cref="Run"/> blocks its thread.</para>
/// </remarks>
public sealed class KafkaLakeWriter
{
    private readonly KafkaClientFactory _clients;
    private readonly LakeLayout _lake;
    private readonly LakeCatalog _catalog;
    private readonly KafkaLakeWriterOptions _options;
    private readonly TimeProvider _clock;
    private readonly Action<LakeCommitStep>? _afterStep;
    private long _rowsCommitted;
    private long _consumed;

    /// <summary>Creates a writer.</summary>
    /// <param name="clients">Kafka client factory.</param>
    /// <param name="lake">The lake.</param>
    /// <param name="catalog">Catalog the commits are registered in.</param>
    /// <param name="options">Settings.</param>
    /// <param name="clock">Wall time (commit delay, manifest stamps).</param>
    /// <param name="afterStep">Called after each commit step (tests throw from it to simulate a crash).</param>
    public KafkaLakeWriter(KafkaClientFactory clients, LakeLayout lake, LakeCatalog catalog, KafkaLakeWriterOptions options, TimeProvider clock, Action<LakeCommitStep>? afterStep = null)
    {
        ArgumentNullException.ThrowIfNull(clients);
        ArgumentNullException.ThrowIfNull(lake);
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clock);
        options.Validate();
        _clients = clients;
        _lake = lake;
        _catalog = catalog;
        _options = options;
        _clock = clock;
        _afterStep = afterStep;
    }

    /// <summary>Rows committed so far by this instance (live, thread-safe).</summary>
    public long RowsCommitted => Interlocked.Read(ref _rowsCommitted);

    /// <summary>Data records consumed so far by this instance, committed or not (live, thread-safe): what a
    /// <see cref="Ingestion.ReplayFlowControl"/> on the embedded cluster waits for.</summary>
    public long Consumed => Interlocked.Read(ref _consumed);

    /// <summary>Recovers, then consumes and commits until every partition has ended (or until cancelled).</summary>
    /// <exception cref="OperationCanceledException">Cancelled; buffered rows are not committed and will be re-consumed.</exception>
    public KafkaLakeWriterReport Run(CancellationToken ct)
    {
        var writer = new ManifestedTickWriter(
            _lake, _options.WriterId, _catalog, new LakeJobRun("lake-writer", _options.WriterId, ["kafka:" + _options.Topic]), _clock, _options.Parquet, _afterStep);
        var recovery = writer.Recover();
        var ended = new HashSet<int>();
        var start = new List<TopicPartitionOffset>();
        for (var p = 0; p < _options.Partitions; p++)
        {
            if (recovery.Resume.TryGetValue((_options.Topic, p), out var resume))
            {
                if (resume.Ended)
                {
                    ended.Add(p);
                    continue;
                }

                start.Add(new TopicPartitionOffset(_options.Topic, new Partition(p), new Offset(resume.NextOffset)));
            }
            else
            {
                start.Add(new TopicPartitionOffset(_options.Topic, new Partition(p), Offset.Beginning));
            }
        }

        int commits = 0;
        long rows = 0, undecodable = 0;
        var byDataset = new SortedDictionary<string, long>(StringComparer.Ordinal);
        if (start.Count == 0 && _options.StopAtEndOfStream)
        {
            return new KafkaLakeWriterReport(recovery, 0, 0, byDataset, 0);
        }

        using var consumer = _clients.CreateConsumer("bdt-lake-writer-" + _options.WriterId, "lake-writer-" + _options.WriterId, c => c.AutoOffsetReset = AutoOffsetReset.Error);
        consumer.Assign(start);
        var symbols = new SymbolCache();
        var ranges = new Dictionary<int, (long From, long To, bool Eos)>();
        var caughtUp = new HashSet<int>();
        var lastCommit = _clock.GetTimestamp();
        try
        {
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
                if (result is null || result.IsPartitionEOF)
                {
                    if (result is not null)
                    {
                        caughtUp.Add(result.Partition.Value);
                    }

                    if (ranges.Count > 0 && caughtUp.Count + ended.Count >= _options.Partitions && _clock.GetElapsedTime(lastCommit) >= _options.MaxCommitDelay)
                    {
                        CommitNow();
                    }

                    continue;
                }

                var partition = result.Partition.Value;
                caughtUp.Remove(partition);
                var offset = result.Offset.Value;
                var eos = EndOfStream.Is(result.Message.Headers);
                ranges[partition] = ranges.TryGetValue(partition, out var range) ? (range.From, offset, eos) : (offset, offset, eos);
                if (eos)
                {
                    ended.Add(partition);
                }
                else
                {
                    Interlocked.Increment(ref _consumed);
                    Append(writer, result.Message.Value, symbols, ref undecodable);
                }

                var allEnded = _options.StopAtEndOfStream && ended.Count >= _options.Partitions;
                if (writer.BufferedRows >= _options.MaxBufferedRows || allEnded)
                {
                    CommitNow();
                }

                if (allEnded)
                {
                    return new KafkaLakeWriterReport(recovery, commits, rows, byDataset, undecodable);
                }
            }
        }
        finally
        {
            // Leave without committing anything further: what is buffered is re-consumed by the next run.
            consumer.Close();
        }

        void CommitNow()
        {
            var offsets = ranges.OrderBy(r => r.Key)
                .Select(r => new LakeOffsetRange(_options.Topic, r.Key, r.Value.From, r.Value.To, r.Value.Eos))
                .ToList();
            var manifest = writer.Commit(offsets, ct);
            ranges.Clear();
            lastCommit = _clock.GetTimestamp();
            if (manifest is null)
            {
                return;
            }

            commits++;
            rows += manifest.Rows;
            foreach (var file in manifest.Files)
            {
                byDataset[file.Dataset] = byDataset.GetValueOrDefault(file.Dataset) + file.Rows;
            }

            Interlocked.Add(ref _rowsCommitted, manifest.Rows);

            // After the manifest only: the group's offsets are for lag monitoring, the manifests are the truth.
            consumer.Commit(offsets.Select(o => new TopicPartitionOffset(o.Topic, new Partition(o.Partition), new Offset(o.To + 1))));
            _afterStep?.Invoke(LakeCommitStep.OffsetsCommitted);
            _options.Committed?.Invoke(manifest);
        }
    }

    private static void Append(ManifestedTickWriter writer, byte[] value, SymbolCache symbols, ref long undecodable)
    {
        try
        {
            switch (MarketDataCodec.PeekType(value))
            {
                case MarketDataCodec.TradeType:
                    writer.Append(MarketDataCodec.DecodeTrade(value, symbols));
                    break;
                case MarketDataCodec.QuoteType:
                    writer.Append(MarketDataCodec.DecodeQuote(value, symbols));
                    break;
                case MarketDataCodec.BarType:
                    writer.Append(MarketDataCodec.DecodeBar(value, symbols));
                    break;
                default:
                    undecodable++;
                    break;
            }
        }
        catch (FormatException)
        {
            undecodable++;
        }
    }
}
