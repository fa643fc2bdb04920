using System.Globalization;
using System.Text;
using BigDataTrading.Core;
using BigDataTrading.Core.Diagnostics;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Strategies;
using BigDataTrading.Core.Wire;
using BigDataTrading.Streaming.Bars;
using BigDataTrading.Infra.Messaging;
using BigDataTrading.Streaming.Quality;
using Confluent.Kafka;

namespace BigDataTrading.Streaming.Processing;

/// <summary>Where the processor's outputs go besides Kafka: the lake tables. Implemented by the warehouse layer.</summary>
public interface IMarketDataLakeSink
{
    /// <summary>Buffers one accepted trade for the ticks table.</summary>
    void Append(in TradeTick trade);

    /// <summary>Buffers one completed bar for the bars table.</summary>
    void Append(in Bar bar);

    /// <summary>
    /// Atomically publishes everything buffered (write aside, then rename) and records the quality filter's rejections
    /// per partition date and reason; returns the rows committed.
    /// </summary>
    long Commit(IReadOnlyDictionary<DateOnly, IReadOnlyDictionary<string, long>> rejectionsByDate);
}

/// <summary>Topics and partition counts the processor reads and writes.</summary>
/// <param name="RawTicks">Input topic of raw trades.</param>
/// <param name="RawPartitions">Partitions of the input topic (an end-of-stream marker is expected on each).</param>
/// <param name="OutputPartitions">Partitions of each output topic (markers are written to each at the end).</param>
public sealed record ProcessorTopics(string RawTicks = Topics.RawTicks, int RawPartitions = 4, int OutputPartitions = 4);

/// <summary>What the processor did in one run.</summary>
/// <param name="Consumed">Raw records consumed (markers excluded).</param>
/// <param name="Accepted">Ticks accepted and written.</param>
/// <param name="Rejected">Ticks sent to the dead-letter topic.</param>
/// <param name="Bars">Bars completed.</param>
/// <param name="Signals">Signals emitted.</param>
/// <param name="LateTradesMerged">Late trades merged into an open bar.</param>
/// <param name="LakeRows">Rows committed to the lake.</param>
public sealed record ProcessorResult(long Consumed, long Accepted, long Rejected, long Bars, long Signals, long LateTradesMerged, long LakeRows);

/// <summary>
/// The stream processor of the demo pipeline: consumes raw trades, filters bad ones to a dead-letter topic with the
/// reason, publishes accepted trades, builds 1-minute bars, writes ticks and bars to the lake, and runs a strategy
/// on every completed bar, publishing its signals. Runs until it has seen an end-of-stream marker on every input
/// partition (a replay) or until cancelled (live).
/// </summary>
/// <remarks>
/// One instance owns its consumer, filter, bar builder and strategy and runs them on one thread (the consume loop):
/// Kafka keys by symbol, so per-symbol state never needs locks. Offsets are committed only after the lake commit, so
/// a crash replays uncommitted input rather than losing it.
/// </remarks>
public sealed class MarketDataProcessor(
    IConsumer<byte[]?, byte[]> consumer,
    IProducer<byte[]?, byte[]> producer,
    IMarketDataLakeSink lake,
    TickQualityFilter filter,
    BarBuilder bars,
    IBarStrategy strategy,
    PipelineCounters counters,
    ProcessorTopics topics)
{
    private readonly SymbolCache _symbols = new();
    private readonly byte[] _buffer = new byte[MarketDataCodec.MaxRecordLength];
    private readonly Dictionary<TickRejectReason, byte[]> _reasonBytes = Enum.GetValues<TickRejectReason>()
        .ToDictionary(r => r, r => Encoding.ASCII.GetBytes(r.ToString()));

    private readonly Dictionary<DateOnly, Dictionary<string, long>> _rejectionsByDate = [];
    private CancellationToken _ct;
    private Error? _deliveryError;
    private long _consumed;
    private long _accepted;
    private long _rejected;
    private long _bars;
    private long _signals;

    /// <summary>Runs the consume loop on the calling thread until every input partition is at end of stream.</summary>
    /// <exception cref="KafkaException">Consuming or producing failed for good.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public ProcessorResult Run(CancellationToken ct)
    {
        _ct = ct;
        consumer.Subscribe(topics.RawTicks);
        try
        {
            consumer.ConsumeUntilEndOfStream(topics.RawTicks, topics.RawPartitions, record =>
            {
                _consumed++;
                counters.OnProcessed();
                Process(record.Message);
                ThrowIfDeliveryFailed();
            }, ct);

            foreach (var bar in bars.Flush())
            {
                OnBar(bar);
            }

            var lakeRows = lake.Commit(_rejectionsByDate.ToDictionary(kv => kv.Key, kv => (IReadOnlyDictionary<string, long>)kv.Value));
            producer.Flush(ct);
            foreach (var topic in new[] { Topics.Ticks, Topics.RejectedTicks, Topics.Bars, Topics.Signals })
            {
                EndOfStream.WriteAsync(producer, topic, topics.OutputPartitions, ct).GetAwaiter().GetResult();
            }

            ThrowIfDeliveryFailed();
            consumer.Commit();
            return new ProcessorResult(_consumed, _accepted, _rejected, _bars, _signals, bars.LateTradesMerged, lakeRows);
        }
        finally
        {
            consumer.Close();
        }
    }

    private void Process(Message<byte[]?, byte[]> message)
    {
        TradeTick tick;
        try
        {
            tick = MarketDataCodec.DecodeTrade(message.Value, _symbols);
        }
        catch (FormatException ex)
        {
            Reject(message, TickRejectReason.Undecodable, ex.Message);
            return;
        }

        var reason = filter.Check(tick);
        if (reason != TickRejectReason.None)
        {
            Reject(message, reason, null);
            CountForPartition(tick.Time.UtcDate, reason);
            return;
        }

        _accepted++;
        counters.OnAccepted();
        producer.ProduceWithBackpressure(Topics.Ticks, new Message<byte[]?, byte[]> { Key = message.Key, Value = message.Value }, OnDelivery, _ct);
        lake.Append(tick);
        if (bars.Add(tick, out var completed))
        {
            OnBar(completed);
        }
    }

    private void OnBar(in Bar bar)
    {
        _bars++;
        counters.OnBar();
        lake.Append(bar);
        var n = MarketDataCodec.Encode(bar, _buffer);
        producer.ProduceWithBackpressure(Topics.Bars, new Message<byte[]?, byte[]> { Key = Encoding.ASCII.GetBytes(bar.Symbol.Value), Value = _buffer.AsSpan(0, n).ToArray() }, OnDelivery, _ct);
        if (strategy.OnBar(bar) is { } signal)
        {
            _signals++;
            counters.OnSignal();
            producer.ProduceWithBackpressure(Topics.Signals, new Message<byte[]?, byte[]> { Key = Encoding.ASCII.GetBytes(signal.Symbol.Value), Value = JsonRecords.Serialize(signal) }, OnDelivery, _ct);
        }
    }

    private void Reject(Message<byte[]?, byte[]> message, TickRejectReason reason, string? detail)
    {
        _rejected++;
        counters.OnRejected(reason.ToString());
        var headers = new Headers { { Topics.ReasonHeader, _reasonBytes[reason] } };
        if (detail is not null)
        {
            headers.Add("bdt-detail", Encoding.UTF8.GetBytes(detail));
        }

        producer.ProduceWithBackpressure(Topics.RejectedTicks, new Message<byte[]?, byte[]> { Key = message.Key, Value = message.Value, Headers = headers }, OnDelivery, _ct);
    }

    private void CountForPartition(DateOnly date, TickRejectReason reason)
    {
        if (!_rejectionsByDate.TryGetValue(date, out var counts))
        {
            counts = new Dictionary<string, long>(StringComparer.Ordinal);
            _rejectionsByDate.Add(date, counts);
        }

        var name = reason.ToString();
        counts[name] = counts.GetValueOrDefault(name) + 1;
    }

    private void OnDelivery(DeliveryReport<byte[]?, byte[]> report)
    {
        if (report.Error.IsError)
        {
            Interlocked.CompareExchange(ref _deliveryError, report.Error, null);
        }
    }

    private void ThrowIfDeliveryFailed()
    {
        if (Volatile.Read(ref _deliveryError) is { } error)
        {
            throw new KafkaException(error);
        }
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"processor consumed={_consumed} accepted={_accepted} rejected={_rejected}");
}
