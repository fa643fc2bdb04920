using Confluent.Kafka;

namespace BigDataTrading.Infra.Messaging;

/// <summary>Producing without losing records when the client's local queue is full.</summary>
public static class ProducerExtensions
{
    /// <summary>
    /// Produces asynchronously (delivery reported to <paramref name="onDelivery"/>); when librdkafka's local queue is
    /// full it serves delivery reports until there is room instead of failing — backpressure, never loss.
    /// </summary>
    public static void ProduceWithBackpressure(
        this IProducer<byte[]?, byte[]> producer,
        string topic,
        Message<byte[]?, byte[]> message,
        Action<DeliveryReport<byte[]?, byte[]>> onDelivery,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(producer);
        UntilQueued(producer, (topic, message, onDelivery), static (p, s) => p.Produce(s.topic, s.message, s.onDelivery), ct);
    }

    /// <summary>As <see cref="ProduceWithBackpressure(IProducer{byte[], byte[]}, string, Message{byte[], byte[]}, Action{DeliveryReport{byte[], byte[]}}, CancellationToken)"/>, to one partition.</summary>
    public static void ProduceWithBackpressure(
        this IProducer<byte[]?, byte[]> producer,
        TopicPartition partition,
        Message<byte[]?, byte[]> message,
        Action<DeliveryReport<byte[]?, byte[]>> onDelivery,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(producer);
        UntilQueued(producer, (partition, message, onDelivery), static (p, s) => p.Produce(s.partition, s.message, s.onDelivery), ct);
    }

    // The state travels as a struct into a static lambda: no closure is allocated per message on the hot path.
    private static void UntilQueued<TState>(IProducer<byte[]?, byte[]> producer, TState state, Action<IProducer<byte[]?, byte[]>, TState> produce, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                produce(producer, state);
                return;
            }
            catch (ProduceException<byte[]?, byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
            {
                producer.Poll(TimeSpan.FromMilliseconds(20));
                ct.ThrowIfCancellationRequested();
            }
        }
    }
}
