using System.Text;
using System.Text.Json;
using BigDataTrading.Core;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Wire;
using BigDataTrading.Infra.Messaging;
using Confluent.Kafka;

namespace BigDataTrading.Streaming.Cql.Kafka;

/// <summary>What a CQL stream process reads and where its late events go.</summary>
/// <param name="InputTopic">Topic of trades (market-data codec v1), keyed by symbol.</param>
/// <param name="InputPartitions">Partitions of the input and of each output topic.</param>
/// <param name="LateTopic">Topic for events that arrived behind a query's watermark (reason in the header).</param>
/// <param name="StopAtEndOfStream">Stop (closing every window) once every input partition delivered an end-of-stream marker; false = run until cancelled.</param>
public sealed record CqlStreamOptions(string InputTopic = Topics.Ticks, int InputPartitions = 4, string LateTopic = "cql.late", bool StopAtEndOfStream = true);

/// <summary>What one run did.</summary>
/// <param name="EventsIn">Trades consumed and fed to the queries.</param>
/// <param name="Undecodable">Records that were not decodable trades (sent to the late/dead-letter topic with reason <c>Undecodable</c>).</param>
/// <param name="RowsOut">Rows produced per query.</param>
/// <param name="LateEvents">Events refused as late by some query.</param>
public sealed record CqlStreamReport(long EventsIn, long Undecodable, IReadOnlyDictionary<string, long> RowsOut, long LateEvents);

/// <summary>
/// Runs a CQL script against a Kafka topic: consumes trades, feeds the compiled queries, publishes each query's rows to
/// its <c>INTO</c> topic as JSON (key = the row's key, e.g. the symbol) and late or undecodable events to the late topic
/// with a reason header — nothing is dropped silently. At end of stream every window is closed and end-of-stream
/// markers are forwarded to the output topics.
/// </summary>
/// <remarks>
/// Output is at-least-once: offsets are committed after the outputs are flushed, and the engine's window state is not
/// checkpointed yet, so a restart recomputes from the committed offsets (rows of windows open at the crash may repeat;
/// sinks must upsert by query, key and window). One runner per process, one thread.
/// </remarks>
public sealed class CqlKafkaRunner : ICqlSink
{
    private readonly IConsumer<byte[]?, byte[]> _consumer;
    private readonly IProducer<byte[]?, byte[]> _producer;
    private readonly CqlStreamOptions _options;
    private readonly CqlEngine _engine;
    private readonly SymbolCache _symbols = new();
    private readonly Dictionary<string, long> _rows = new(StringComparer.Ordinal);
    private readonly byte[] _buffer = new byte[MarketDataCodec.MaxRecordLength];
    private Error? _deliveryError;
    private long _events;
    private long _undecodable;
    private long _late;

    /// <summary>Compiles the script; throws <see cref="CqlException"/> (line, column, hint) when it is invalid.</summary>
    public CqlKafkaRunner(string script, IConsumer<byte[]?, byte[]> consumer, IProducer<byte[]?, byte[]> producer, CqlStreamOptions options, CqlOptions? cql = null)
    {
        _consumer = consumer;
        _producer = producer;
        _options = options;
        _engine = CqlEngine.Compile(script, this, cql);
    }

    /// <summary>The compiled queries (for their output topics and counters).</summary>
    public IReadOnlyList<CqlQuery> Queries => _engine.Queries;

    /// <summary>Consumes until end of stream (or cancellation in follow mode), then closes the windows and flushes.</summary>
    /// <exception cref="KafkaException">Producing failed for good.</exception>
    public CqlStreamReport Run(CancellationToken ct)
    {
        _consumer.Subscribe(_options.InputTopic);
        try
        {
            try
            {
                _consumer.ConsumeUntilEndOfStream(_options.InputTopic, _options.StopAtEndOfStream ? _options.InputPartitions : int.MaxValue, record =>
                {
                    TradeTick tick;
                    try
                    {
                        tick = MarketDataCodec.DecodeTrade(record.Message.Value, _symbols);
                    }
                    catch (FormatException ex)
                    {
                        _undecodable++;
                        Publish(_options.LateTopic, record.Message.Key, record.Message.Value, "Undecodable", ex.Message);
                        return;
                    }

                    _events++;
                    _engine.OnTrade(tick);
                }, ct);
            }
            catch (OperationCanceledException) when (!_options.StopAtEndOfStream && ct.IsCancellationRequested)
            {
                // Follow mode stopped by the operator: close the windows below like an end of stream.
            }

            _engine.Complete();
            _producer.Flush(CancellationToken.None);
            foreach (var topic in _engine.Queries.Select(q => q.IntoTopic).OfType<string>().Distinct(StringComparer.Ordinal))
            {
                EndOfStream.WriteAsync(_producer, topic, _options.InputPartitions, CancellationToken.None).GetAwaiter().GetResult();
            }

            if (_deliveryError is { } error)
            {
                throw new KafkaException(error);
            }

            _consumer.Commit();
            return new CqlStreamReport(_events, _undecodable, new Dictionary<string, long>(_rows, StringComparer.Ordinal), _late);
        }
        finally
        {
            _consumer.Close();
        }
    }

    /// <inheritdoc />
    public void OnRow(CqlRow row)
    {
        _rows[row.Query] = _rows.GetValueOrDefault(row.Query) + 1;
        if (_engine[row.Query].IntoTopic is not { } topic)
        {
            return;
        }

        Publish(topic, Encoding.UTF8.GetBytes(row.Key), Serialize(row), reason: null, detail: null);
    }

    /// <inheritdoc />
    public void OnLate(in CqlLateEvent late)
    {
        _late++;
        var n = MarketDataCodec.Encode(late.Tick, _buffer);
        Publish(_options.LateTopic, Encoding.ASCII.GetBytes(late.Tick.Symbol.Value), _buffer.AsSpan(0, n).ToArray(), late.Reason.ToString(), late.Describe());
    }

    /// <summary>
    /// One row as a JSON object: <c>query</c>, <c>key</c>, <c>window_start</c>/<c>window_end</c> (ISO-8601 UTC),
    /// <c>final</c>, then every selected column by name (prices as exact decimals).
    /// </summary>
    public static byte[] Serialize(CqlRow row)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("query", row.Query);
            json.WriteString("key", row.Key);
            json.WriteString("window_start", row.WindowStart.ToDateTimeOffset());
            json.WriteString("window_end", row.WindowEnd.ToDateTimeOffset());
            json.WriteBoolean("final", row.IsFinal);
            for (var i = 0; i < row.Columns.Length; i++)
            {
                json.WritePropertyName(row.Columns[i].Name);
                switch (row.GetValue(i))
                {
                    case Price p: json.WriteNumberValue(p.ToDecimal()); break;
                    case long l: json.WriteNumberValue(l); break;
                    case double d when double.IsFinite(d): json.WriteNumberValue(d); break;
                    case double: json.WriteNullValue(); break;
                    case bool b: json.WriteBooleanValue(b); break;
                    case Core.Time.Timestamp t: json.WriteStringValue(t.ToDateTimeOffset()); break;
                    case var other: json.WriteStringValue(Convert.ToString(other, System.Globalization.CultureInfo.InvariantCulture)); break;
                }
            }

            json.WriteEndObject();
        }

        return stream.ToArray();
    }

    private void Publish(string topic, byte[]? key, byte[] value, string? reason, string? detail)
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

        _producer.ProduceWithBackpressure(topic, message, OnDelivery, CancellationToken.None);
    }

    private void OnDelivery(DeliveryReport<byte[]?, byte[]> report)
    {
        if (report.Error.IsError)
        {
            Interlocked.CompareExchange(ref _deliveryError, report.Error, null);
        }
    }
}
