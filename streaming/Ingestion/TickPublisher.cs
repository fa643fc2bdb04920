using System.Text;
using BigDataTrading.Core;
using BigDataTrading.Core.Diagnostics;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Wire;
using BigDataTrading.Infra.Messaging;
using Confluent.Kafka;

namespace BigDataTrading.Streaming.Ingestion;

/// <summary>
/// Publishes a source's trades to a Kafka topic, keyed by symbol so each symbol's ticks stay ordered in one
/// partition, then closes the replay with an end-of-stream marker on every partition.
/// </summary>
/// <remarks>
/// The producer must be idempotent with acks=all (see the infra client factory): a broker failure then neither loses
/// nor duplicates ticks. Delivery failures are collected and raised at the end, naming the first error.
/// Not thread-safe: one publisher per run.
/// </remarks>
public sealed class TickPublisher(IProducer<byte[]?, byte[]> producer, PipelineCounters counters, ReplayFlowControl? flowControl = null)
{
    /// <summary>Publishes every trade, flushes, then writes end-of-stream markers to all <paramref name="partitions"/>.</summary>
    /// <returns>Number of ticks published.</returns>
    /// <exception cref="KafkaException">A record could not be delivered.</exception>
    public async Task<long> PublishAsync(IAsyncEnumerable<TradeTick> trades, string topic, int partitions, CancellationToken ct)
    {
        var buffer = new byte[MarketDataCodec.MaxRecordLength];
        Error? firstError = null;
        long failures = 0;
        long count = 0;
        var keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        void OnDelivery(DeliveryReport<byte[]?, byte[]> report)
        {
            if (report.Error.IsError)
            {
                Interlocked.CompareExchange(ref firstError, report.Error, null);
                Interlocked.Increment(ref failures);
            }
            else
            {
                counters.OnPublished();
            }
        }

        await foreach (var tick in trades.WithCancellation(ct))
        {
            counters.OnSourceTick();
            var n = MarketDataCodec.Encode(tick, buffer);
            if (!keys.TryGetValue(tick.Symbol.Value, out var key))
            {
                key = Encoding.ASCII.GetBytes(tick.Symbol.Value);
                keys.Add(tick.Symbol.Value, key);
            }

            producer.ProduceWithBackpressure(topic, new Message<byte[]?, byte[]> { Key = key, Value = buffer.AsSpan(0, n).ToArray() }, OnDelivery, ct);
            count++;
            if (flowControl is not null && count - flowControl.Consumed() > flowControl.MaxInFlight)
            {
                await flowControl.WaitForConsumerAsync(count, ct);
            }
        }

        producer.Flush(ct);
        await EndOfStream.WriteAsync(producer, topic, partitions, ct);
        if (Interlocked.Read(ref failures) > 0)
        {
            throw new KafkaException(firstError!);
        }

        return count;
    }
}

/// <summary>
/// Keeps a replay from running further ahead of its consumer than the cluster retains. Needed on the embedded
/// cluster only: librdkafka's mock broker keeps at most 5 MB or 100,000 batches per partition and deletes older
/// records, so a consumer that falls further behind would find its next records gone. A real cluster retains by
/// time (days), so no flow control is used there.
/// </summary>
/// <param name="Consumed">Records the downstream consumer has processed so far (thread-safe read).</param>
/// <param name="MaxInFlight">Largest number of published but not yet consumed records.</param>
public sealed record ReplayFlowControl(Func<long> Consumed, long MaxInFlight)
{
    /// <summary>A bound that keeps 40-byte tick records well inside the mock broker's 5 MB per partition.</summary>
    public const long EmbeddedClusterMaxInFlight = 50_000;

    /// <summary>Waits until the consumer is within half of <see cref="MaxInFlight"/> of <paramref name="published"/>.</summary>
    public async Task WaitForConsumerAsync(long published, CancellationToken ct)
    {
        // Poll the consumer's progress: it lives in another component, so there is no signal to await.
        while (published - Consumed() > MaxInFlight / 2)
        {
            await Task.Delay(1, ct);
        }
    }
}
