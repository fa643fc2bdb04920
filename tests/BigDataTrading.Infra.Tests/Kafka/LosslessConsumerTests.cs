using System.Collections.Concurrent;
using BigDataTrading.Infra.Kafka;
using Confluent.Kafka;
using Xunit;

namespace BigDataTrading.Infra.Tests.Kafka;

/// <summary>
/// The embedded cluster keeps at most 5 MB per partition (librdkafka's mock broker deletes older batches). A consumer
/// that falls behind that must fail loudly, never skip records silently.
/// </summary>
public sealed class LosslessConsumerTests : IDisposable
{
    private readonly ConcurrentQueue<LogMessage> _log = new();
    private readonly KafkaEndpoint _kafka;

    public LosslessConsumerTests() => _kafka = KafkaTestKit.StartEmbedded(_log);

    [Fact]
    public async Task A_new_group_starts_at_the_first_record()
    {
        var topic = KafkaTestKit.UniqueName("lossless-new");
        await _kafka.Topics.EnsureTopicsAsync(KafkaTopology.Of(new TopicSpec(topic, 1)));
        using (var producer = _kafka.Clients.CreateProducer("p"))
        {
            for (var i = 0; i < 100; i++)
            {
                producer.Produce(topic, new Message<byte[]?, byte[]> { Key = KafkaTestKit.Key(0), Value = KafkaTestKit.Value(0, i) });
            }

            producer.Flush(KafkaTestKit.Deadline);
        }

        using var consumer = _kafka.Clients.CreateLosslessConsumer(KafkaTestKit.UniqueName("g"), "c");
        consumer.Subscribe(topic);
        var messages = KafkaTestKit.ConsumeUntilCaughtUp(consumer, 1, KafkaTestKit.Deadline);
        Assert.Equal(Enumerable.Range(0, 100), messages.Select(m => KafkaTestKit.Decode(m.Message.Value).Sequence));
        consumer.Close();
    }

    [Fact]
    public async Task A_group_whose_committed_offset_fell_out_of_retention_gets_an_error_instead_of_skipping()
    {
        var topic = KafkaTestKit.UniqueName("lossless-retention");
        var group = KafkaTestKit.UniqueName("g");
        await _kafka.Topics.EnsureTopicsAsync(KafkaTopology.Of(new TopicSpec(topic, 1)));

        // The group has read nothing yet: it committed offset 0.
        using (var committer = _kafka.Clients.CreateConsumer(group, "committer"))
        {
            committer.Commit([new TopicPartitionOffset(topic, 0, 0)]);
            committer.Close();
        }

        // Then 12 MB arrive, more than the mock broker keeps: the first records are deleted.
        using (var producer = _kafka.Clients.CreateProducer("p", c => c.CompressionType = CompressionType.None))
        {
            var payload = new byte[1_000];
            for (var i = 0; i < 12_000; i++)
            {
                producer.Produce(topic, new Message<byte[]?, byte[]> { Key = null, Value = payload });
            }

            producer.Flush(KafkaTestKit.Deadline);
        }

        using var consumer = _kafka.Clients.CreateLosslessConsumer(group, "c");
        consumer.Subscribe(topic);
        var deadline = DateTime.UtcNow + KafkaTestKit.Deadline;
        ConsumeException? error = null;
        while (error is null && DateTime.UtcNow < deadline)
        {
            try
            {
                var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
                Assert.True(result is null || result.IsPartitionEOF, $"consumed a record at offset {result?.Offset} although offset 0 is gone");
            }
            catch (ConsumeException ex)
            {
                error = ex;
            }
        }

        Assert.NotNull(error);
        Assert.Equal(ErrorCode.Local_AutoOffsetReset, error.Error.Code);
        consumer.Close();
    }

    public void Dispose() => _kafka.Dispose();
}
