using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using BigDataTrading.Core;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Wire;
using BigDataTrading.Infra.Messaging;
using Confluent.Kafka;

namespace BigDataTrading.Streaming.Ingestion;

/// <summary>Where ingestion writes. Immutable.</summary>
/// <param name="Accepted">Topic of accepted records (key = symbol); default <see cref="Topics.Ticks"/>.</param>
/// <param name="DeadLetter">Topic of rejected records with the <see cref="Topics.ReasonHeader"/>; default <see cref="Topics.RejectedTicks"/>.</param>
/// <param name="Partitions">Partitions of both topics (end-of-stream markers go to each).</param>
/// <param name="WriteEndOfStream">Close both topics with end-of-stream markers when the source is exhausted (a replay);
/// false for a source that is one of several feeding the topics.</param>
public sealed record IngestTopics(string Accepted = Topics.Ticks, string DeadLetter = Topics.RejectedTicks, int Partitions = 4, bool WriteEndOfStream = true);

/// <summary>What one ingestion run did. <see cref="In"/> always equals <see cref="Accepted"/> + <see cref="Rejected"/>.</summary>
/// <param name="In">Records read from the source, including the ones it could not parse.</param>
/// <param name="Accepted">Records delivered to the accepted topic.</param>
/// <param name="Rejected">Records delivered to the dead-letter topic.</param>
/// <param name="RejectedByReason">Rejections per reason code (only reasons that occurred).</param>
public sealed record IngestReport(long In, long Accepted, long Rejected, IReadOnlyDictionary<IngestRejectReason, long> RejectedByReason);

/// <summary>
/// The ingestion service core: source records → <see cref="IngestValidator"/> → Kafka. Accepted records go to the
/// accepted topic keyed by symbol (one symbol stays ordered in one partition); rejected ones go to the dead-letter
/// topic, keyed the same, with the reason code's name in the <see cref="Topics.ReasonHeader"/> header — nothing is
/// dropped silently. Records the source could not parse are passed in through <see cref="RejectUnparsed"/> and
/// dead-lettered with their raw text and location.
/// </summary>
/// <remarks>
/// <para>Wire format: <see cref="MarketDataCodec"/> (schema version 1, documented in <c>core/Wire/MARKET_DATA_SCHEMA.md</c>).
/// The producer must be idempotent with acks=all (<c>KafkaClientFactory.CreateProducer</c>): broker failures then
/// neither lose nor duplicate records. Every delivery is confirmed before a run returns; a failed delivery raises
/// <see cref="KafkaException"/> naming the first error.</para>
/// <para>Thread safety: one ingest call at a time; <see cref="RejectUnparsed"/> may be called from the source's reading
/// thread during a call (counters are atomic).</para>
/// </remarks>
public sealed class MarketDataIngestor
{
    /// <summary>Header with the source location (<c>file:line</c>) of an unparsed record.</summary>
    public const string LocationHeader = "bdt-location";

    /// <summary>Header with the failing field of an unparsed record.</summary>
    public const string FieldHeader = "bdt-field";

    /// <summary>Header with a human-readable detail of the rejection.</summary>
    public const string DetailHeader = "bdt-detail";

    private static readonly Dictionary<IngestRejectReason, byte[]> s_reasonBytes = Enum.GetValues<IngestRejectReason>()
        .ToDictionary(r => r, r => Encoding.ASCII.GetBytes(r.ToString()));

    private readonly IProducer<byte[]?, byte[]> _producer;
    private readonly IngestValidator _validator;
    private readonly IngestTopics _topics;
    private readonly ReplayFlowControl? _flowControl;
    private readonly ConcurrentDictionary<IngestRejectReason, long> _byReason = new();
    private readonly Dictionary<Symbol, byte[]> _keys = [];
    private readonly byte[] _buffer = new byte[MarketDataCodec.MaxRecordLength];
    private readonly Action<DeliveryReport<byte[]?, byte[]>>[] _onDelivery;
    private Symbol _lastSymbol;
    private byte[]? _lastKey;
    // Values and the message of the ingest loop, reused record after record: librdkafka copies key and value while
    // Produce runs (Confluent.Kafka produces with RD_KAFKA_MSG_F_COPY) and delivery reports carry the status only, so
    // no reference to them outlives the call. One exact-length array per record length (records differ by symbol length).
    private readonly byte[]?[] _values = new byte[MarketDataCodec.MaxRecordLength + 1][];
    private readonly Message<byte[]?, byte[]> _message = new() { Value = [] };
    private Error? _firstError;
    private Counters _counters;

    /// <summary>Creates an ingestor.</summary>
    /// <param name="producer">Idempotent, acks=all producer.</param>
    /// <param name="validator">The rules.</param>
    /// <param name="topics">Output topics.</param>
    /// <param name="flowControl">Keeps the accepted topic within the embedded cluster's retention of its consumer (its
    /// <see cref="ReplayFlowControl.Consumed"/> counts accepted records consumed); null on a real cluster.</param>
    public MarketDataIngestor(IProducer<byte[]?, byte[]> producer, IngestValidator validator, IngestTopics topics, ReplayFlowControl? flowControl = null)
    {
        ArgumentNullException.ThrowIfNull(producer);
        ArgumentNullException.ThrowIfNull(validator);
        ArgumentNullException.ThrowIfNull(topics);
        ArgumentOutOfRangeException.ThrowIfLessThan(topics.Partitions, 1);
        _producer = producer;
        _validator = validator;
        _topics = topics;
        _flowControl = flowControl;

        // One delivery handler per reason, made once: a handler per message would be an allocation per record.
        var reasons = Enum.GetValues<IngestRejectReason>();
        _onDelivery = new Action<DeliveryReport<byte[]?, byte[]>>[reasons.Max(r => (int)r) + 1];
        foreach (var reason in reasons)
        {
            _onDelivery[(int)reason] = report => OnDelivery(report, reason);
        }
    }

    /// <summary>Records read so far (live, thread-safe).</summary>
    public long In => Interlocked.Read(ref _counters.In);

    /// <summary>Records delivered to the accepted topic so far.</summary>
    public long Accepted => Interlocked.Read(ref _counters.Accepted);

    /// <summary>Records delivered to the dead-letter topic so far.</summary>
    public long Rejected => Interlocked.Read(ref _counters.Rejected);

    /// <summary>Ingests trades.</summary>
    public Task<IngestReport> IngestTradesAsync(IAsyncEnumerable<TradeTick> trades, CancellationToken ct) =>
        RunAsync(trades, static (v, t) => v.Check(t), static (t, b) => MarketDataCodec.Encode(t, b), static t => t.Symbol, ct);

    /// <summary>Ingests quotes.</summary>
    public Task<IngestReport> IngestQuotesAsync(IAsyncEnumerable<QuoteTick> quotes, CancellationToken ct) =>
        RunAsync(quotes, static (v, q) => v.Check(q), static (q, b) => MarketDataCodec.Encode(q, b), static q => q.Symbol, ct);

    /// <summary>Ingests bars.</summary>
    public Task<IngestReport> IngestBarsAsync(IAsyncEnumerable<Bar> bars, CancellationToken ct) =>
        RunAsync(bars, static (v, b) => v.Check(b), static (b, buf) => MarketDataCodec.Encode(b, buf), static b => b.Symbol, ct);

    /// <summary>
    /// Dead-letters a record the source could not parse: value = the raw text (UTF-8), headers reason, location and
    /// field. Counted in <see cref="In"/> and <see cref="Rejected"/> once delivered.
    /// </summary>
    /// <param name="reason"><see cref="IngestRejectReason.Malformed"/>, <see cref="IngestRejectReason.NonFinitePrice"/> or <see cref="IngestRejectReason.NonFiniteSize"/>.</param>
    /// <param name="location">Where it was, e.g. <c>file:line</c>.</param>
    /// <param name="field">The failing field.</param>
    /// <param name="detail">What was wrong.</param>
    /// <param name="rawText">The record as read.</param>
    public void RejectUnparsed(IngestRejectReason reason, string location, string field, string detail, string rawText)
    {
        Interlocked.Increment(ref _counters.In);
        var headers = new Headers
        {
            { Topics.ReasonHeader, s_reasonBytes[reason] },
            { LocationHeader, Encoding.UTF8.GetBytes(location) },
            { FieldHeader, Encoding.UTF8.GetBytes(field) },
            { DetailHeader, Encoding.UTF8.GetBytes(detail) },
        };
        Send(_topics.DeadLetter, new Message<byte[]?, byte[]> { Key = null, Value = Encoding.UTF8.GetBytes(rawText ?? string.Empty), Headers = headers }, reason, CancellationToken.None);
    }

    private async Task<IngestReport> RunAsync<T>(
        IAsyncEnumerable<T> records,
        Func<IngestValidator, T, IngestRejectReason> check,
        Func<T, byte[], int> encode,
        Func<T, Symbol> symbolOf,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(records);
        await foreach (var record in records.WithCancellation(ct))
        {
            Interlocked.Increment(ref _counters.In);
            var reason = check(_validator, record);
            var key = KeyOf(symbolOf(record));

            var n = encode(record, _buffer);
            var value = _values[n] ??= new byte[n];
            _buffer.AsSpan(0, n).CopyTo(value);
            _message.Key = key;
            _message.Value = value;
            _message.Headers = reason == IngestRejectReason.None ? null : new Headers { { Topics.ReasonHeader, s_reasonBytes[reason] } };
            Send(reason == IngestRejectReason.None ? _topics.Accepted : _topics.DeadLetter, _message, reason, ct);

            // Only the accepted topic has a consumer to wait for (the lake writer); dead letters are kept, not consumed.
            var sent = Interlocked.Read(ref _counters.SentAccepted);
            if (_flowControl is not null && sent - _flowControl.Consumed() > _flowControl.MaxInFlight)
            {
                await _flowControl.WaitForConsumerAsync(sent, ct);
            }
        }

        // Flush until every delivery report is in: Flush returns the count still queued when its timeout ends.
        while (_producer.Flush(TimeSpan.FromSeconds(1)) > 0)
        {
            ct.ThrowIfCancellationRequested();
        }

        if (Interlocked.Read(ref _counters.Failures) > 0)
        {
            throw new KafkaException(_firstError!);
        }

        if (_topics.WriteEndOfStream)
        {
            await EndOfStream.WriteAsync(_producer, _topics.Accepted, _topics.Partitions, ct);
            await EndOfStream.WriteAsync(_producer, _topics.DeadLetter, _topics.Partitions, ct);
        }

        return new IngestReport(In, Accepted, Rejected, new SortedDictionary<IngestRejectReason, long>(_byReason));
    }

    /// <summary>The symbol's key bytes, made once per symbol (and the last one found without a lookup).</summary>
    private byte[] KeyOf(Symbol symbol)
    {
        if (_lastKey is not null && ReferenceEquals(_lastSymbol.Value, symbol.Value))
        {
            return _lastKey;
        }

        if (!_keys.TryGetValue(symbol, out var key))
        {
            key = Encoding.ASCII.GetBytes(symbol.Value);
            _keys.Add(symbol, key);
        }

        _lastSymbol = symbol;
        _lastKey = key;
        return key;
    }

    private void Send(string topic, Message<byte[]?, byte[]> message, IngestRejectReason reason, CancellationToken ct)
    {
        if (reason == IngestRejectReason.None)
        {
            Interlocked.Increment(ref _counters.SentAccepted);
        }

        _producer.ProduceWithBackpressure(topic, message, _onDelivery[(int)reason], ct);
    }

    private void OnDelivery(DeliveryReport<byte[]?, byte[]> report, IngestRejectReason reason)
    {
        if (report.Error.IsError)
        {
            Interlocked.CompareExchange(ref _firstError, report.Error, null);
            Interlocked.Increment(ref _counters.Failures);
        }
        else if (reason == IngestRejectReason.None)
        {
            Interlocked.Increment(ref _counters.Accepted);
        }
        else
        {
            Interlocked.Increment(ref _counters.Rejected);
            _byReason.AddOrUpdate(reason, 1, static (_, c) => c + 1);
        }
    }

    /// <summary>The counters, the loop's (in, sent) and the delivery thread's (accepted, rejected, failures) on separate
    /// cache lines: both sides write theirs once per record, and sharing a line would bounce it between the cores.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 192)]
    private struct Counters
    {
        [FieldOffset(64)]
        public long In;

        [FieldOffset(72)]
        public long SentAccepted;

        [FieldOffset(128)]
        public long Accepted;

        [FieldOffset(136)]
        public long Rejected;

        [FieldOffset(144)]
        public long Failures;
    }
}
