using System.Text;
using BigDataTrading.Core;
using Confluent.Kafka;

namespace BigDataTrading.Infra.Messaging;

/// <summary>Writes and recognizes end-of-stream markers: a replay's way of saying "this partition is complete".</summary>
public static class EndOfStream
{
    private static readonly byte[] Value = Encoding.ASCII.GetBytes(Topics.EndOfStream);

    /// <summary>Produces one marker to each partition of <paramref name="topic"/> and waits for their delivery.</summary>
    public static async Task WriteAsync(IProducer<byte[]?, byte[]> producer, string topic, int partitions, CancellationToken ct)
    {
        var deliveries = new Task[partitions];
        for (var p = 0; p < partitions; p++)
        {
            var headers = new Headers { { Topics.ControlHeader, Value } };
            deliveries[p] = producer.ProduceAsync(new TopicPartition(topic, new Partition(p)), new Message<byte[]?, byte[]> { Key = null, Value = [], Headers = headers }, ct);
        }

        await Task.WhenAll(deliveries);
    }

    /// <summary>True when the consumed record is a marker.</summary>
    public static bool Is(Headers? headers) =>
        headers is not null && headers.TryGetLastBytes(Topics.ControlHeader, out var value) && value.AsSpan().SequenceEqual(Value);
}
