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
        while (true)
        {
            try
            {
                producer.Produce(topic, message, onDelivery);
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
