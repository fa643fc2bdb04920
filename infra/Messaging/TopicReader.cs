using Confluent.Kafka;

namespace BigDataTrading.Infra.Messaging;

/// <summary>Reads a replayed topic from its beginning up to the end-of-stream marker of every partition.</summary>
public static class TopicReader
{
    /// <summary>
    /// Assigns all <paramref name="partitions"/> of <paramref name="topic"/> from offset 0 (no consumer group
    /// coordination needed) and hands every data record to <paramref name="onRecord"/> until each partition has
    /// delivered its end-of-stream marker.
    /// </summary>
    /// <returns>Number of data records read.</returns>
    /// <exception cref="OperationCanceledException">Cancelled (use a timeout token: a partition without a marker never ends).</exception>
    public static long ReadToEndOfStream(IConsumer<byte[]?, byte[]> consumer, string topic, int partitions, Action<ConsumeResult<byte[]?, byte[]>> onRecord, CancellationToken ct)
    {
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, new Partition(p), Offset.Beginning)));
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
                ended.Add(result.Partition.Value);
                continue;
            }

            records++;
            onRecord(result);
        }

        return records;
    }
}
