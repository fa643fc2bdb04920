using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using BigDataTrading.Infra.Kafka;
using Confluent.Kafka;

namespace BigDataTrading.Infra.Tests.Kafka;

/// <summary>Shared helpers: embedded endpoints with a captured log, keyed test messages, deadline-bound loops.</summary>
internal static class KafkaTestKit
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private static int s_topicCounter;

    public static string UniqueName(string prefix) =>
        string.Create(CultureInfo.InvariantCulture, $"{prefix}-{Interlocked.Increment(ref s_topicCounter)}-{Guid.NewGuid():N}");

    /// <summary>An embedded endpoint whose client logs go to <paramref name="log"/> instead of stderr.</summary>
    public static KafkaEndpoint StartEmbedded(ConcurrentQueue<LogMessage> log, int brokers = 3) =>
        KafkaEndpoint.Start(new KafkaOptions { EmbeddedBrokers = brokers, ClientId = "infra-tests" }, log.Enqueue);

    public static byte[] Key(int key) => System.Text.Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"key-{key:D3}"));

    public static byte[] Value(int key, int sequence)
    {
        var value = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(value, key);
        BinaryPrimitives.WriteInt32BigEndian(value.AsSpan(4), sequence);
        return value;
    }

    public static (int Key, int Sequence) Decode(byte[] value) =>
        (BinaryPrimitives.ReadInt32BigEndian(value), BinaryPrimitives.ReadInt32BigEndian(value.AsSpan(4)));

    /// <summary>
    /// Consumes until every one of <paramref name="partitions"/> partitions reported end-of-partition after its last
    /// message, i.e. everything produced before the call has been read. Fails at the deadline.
    /// </summary>
    public static List<ConsumeResult<byte[]?, byte[]>> ConsumeUntilCaughtUp(
        IConsumer<byte[]?, byte[]> consumer, int partitions, TimeSpan timeout)
    {
        var messages = new List<ConsumeResult<byte[]?, byte[]>>();
        var atEnd = new HashSet<int>();
        var deadline = DateTime.UtcNow + timeout;
        while (atEnd.Count < partitions)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(
                    $"Consumed {messages.Count} messages; only partitions [{string.Join(",", atEnd)}] reached their end within {timeout}.");
            }

            var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result is null)
            {
                continue;
            }

            if (result.IsPartitionEOF)
            {
                atEnd.Add(result.Partition.Value);
            }
            else
            {
                atEnd.Remove(result.Partition.Value);
                messages.Add(result);
            }
        }

        return messages;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="what"/> at the deadline.</summary>
    public static void WaitUntil(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        if (!SpinWait.SpinUntil(condition, timeout ?? Deadline))
        {
            throw new TimeoutException($"Timed out waiting until {what}.");
        }
    }
}
