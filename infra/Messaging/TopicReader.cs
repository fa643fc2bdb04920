using Confluent.Kafka;

namespace BigDataTrading.Infra.Messaging;

/// <summary>Consume loops for replays that end with end-of-stream markers (see <see cref="EndOfStream"/>).</summary>
public static class TopicReader
{
    /// <summary>
    /// Consumes from whatever the consumer is subscribed or assigned to and hands every data record to
    /// <paramref name="onRecord"/>, until an end-of-stream marker has arrived on each of the
    /// <paramref name="partitions"/> partitions of <paramref name="endTopic"/>. Markers are never passed on; markers of
    /// other topics are ignored.
    /// </summary>
    /// <returns>Number of data records handed on.</returns>
    /// <exception cref="ConsumeException">Consuming failed (for a lossless consumer: its position fell out of retention).</exception>
    /// <exception cref="OperationCanceledException">Cancelled (use a timeout token: a partition without a marker never ends).</exception>
    public static long ConsumeUntilEndOfStream(
        this IConsumer<byte[]?, byte[]> consumer,
        string endTopic,
        int partitions,
        Action<ConsumeResult<byte[]?, byte[]>> onRecord,
        CancellationToken ct)
    {
        var ended = new HashSet<int>();
        long records = 0;
        while (ended.Count < partitions)
        {
            var result = consumer.Consume(ct);
            if (result is null || result.IsPartitionEOF)
            {
                continue;
            }

            if (EndOfStream.Is(result.Message.Headers))
            {
                if (result.Topic == endTopic)
                {
                    ended.Add(result.Partition.Value);
                }

                continue;
            }

            records++;
            onRecord(result);
        }

        return records;
    }

    /// <summary>
    /// Reads all <paramref name="partitions"/> of <paramref name="topic"/> from offset 0, without consumer-group
    /// coordination, up to each partition's end-of-stream marker.
    /// </summary>
    /// <returns>Number of data records read.</returns>
    public static long ReadToEndOfStream(IConsumer<byte[]?, byte[]> consumer, string topic, int partitions, Action<ConsumeResult<byte[]?, byte[]>> onRecord, CancellationToken ct)
    {
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, new Partition(p), Offset.Beginning)));
        return consumer.ConsumeUntilEndOfStream(topic, partitions, onRecord, ct);
    }
}
