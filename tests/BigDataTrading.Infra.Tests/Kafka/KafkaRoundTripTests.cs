using System.Collections.Concurrent;
using System.Diagnostics;
using BigDataTrading.Infra.Kafka;
using Confluent.Kafka;
using Xunit;
using Xunit.Abstractions;
using static BigDataTrading.Infra.Tests.Kafka.KafkaTestKit;

namespace BigDataTrading.Infra.Tests.Kafka;

/// <summary>Real Confluent clients against the embedded cluster, each test on its own cluster.</summary>
public sealed class KafkaRoundTripTests(ITestOutputHelper output)
{
    private const int Partitions = 4;

    [Fact]
    public async Task Ten_thousand_keyed_messages_are_consumed_exactly_once_in_per_key_order()
    {
        var log = new ConcurrentQueue<LogMessage>();
        await using var kafka = StartEmbedded(log);
        var topic = UniqueName("roundtrip");
        await kafka.Topics.EnsureTopicAsync(new TopicSpec(topic, Partitions));
        const int keys = 100;
        const int perKey = 100;

        var produceTime = Stopwatch.StartNew();
        using (var producer = kafka.Clients.CreateProducer("roundtrip-producer"))
        {
            var failures = ProduceAll(producer, topic, keys, perKey);
            Assert.Equal(0, producer.Flush(Deadline));
            Assert.Empty(failures);
        }

        produceTime.Stop();

        var consumeTime = Stopwatch.StartNew();
        List<ConsumeResult<byte[]?, byte[]>> messages;
        using (var consumer = kafka.Clients.CreateConsumer(UniqueName("roundtrip-group"), "roundtrip-consumer"))
        {
            consumer.Subscribe(topic);
            messages = ConsumeUntilCaughtUp(consumer, Partitions, Deadline);
            consumer.Commit();
            consumer.Close();
        }

        output.WriteLine($"produced 10,000 in {produceTime.ElapsedMilliseconds} ms, consumed in {consumeTime.ElapsedMilliseconds} ms");
        AssertExactlyOnceInKeyOrder(messages, keys, perKey);
        Assert.Equal(Partitions, messages.Select(m => m.Partition.Value).Distinct().Count());
    }

    [Fact]
    public async Task Two_consumers_in_one_group_split_four_partitions_two_and_two()
    {
        var log = new ConcurrentQueue<LogMessage>();
        await using var kafka = StartEmbedded(log);
        var topic = UniqueName("split");
        await kafka.Topics.EnsureTopicAsync(new TopicSpec(topic, Partitions));
        var group = UniqueName("split-group");
        // The mock elects a new leader only when its rebalance timer (session timeout - 1 s) fires, so a short
        // session keeps the second member's join quick; a short heartbeat tells the first member promptly.
        static void QuickRebalance(ConsumerConfig c)
        {
            c.SessionTimeoutMs = 2_000;
            c.HeartbeatIntervalMs = 200;
        }

        using var first = kafka.Clients.CreateConsumer(group, "split-1", QuickRebalance);
        using var second = kafka.Clients.CreateConsumer(group, "split-2", QuickRebalance);
        first.Subscribe(topic);
        second.Subscribe(topic);

        // Both members must keep polling for the rebalance to complete; poll them in turn until it has.
        var deadline = DateTime.UtcNow + Deadline;
        while (!(first.Assignment.Count == 2 && second.Assignment.Count == 2))
        {
            Assert.True(DateTime.UtcNow < deadline,
                $"assignment did not settle at 2/2: first [{Describe(first)}], second [{Describe(second)}]");
            first.Consume(TimeSpan.FromMilliseconds(20));
            second.Consume(TimeSpan.FromMilliseconds(20));
        }

        var all = first.Assignment.Concat(second.Assignment).Select(tp => tp.Partition.Value).Order().ToList();
        Assert.Equal([0, 1, 2, 3], all);
        Assert.All(first.Assignment.Concat(second.Assignment), tp => Assert.Equal(topic, tp.Topic));
        first.Close();
        second.Close();
    }

    [Fact]
    public async Task A_broker_going_down_mid_produce_and_coming_back_loses_and_duplicates_nothing()
    {
        var log = new ConcurrentQueue<LogMessage>();
        await using var kafka = StartEmbedded(log);
        var cluster = kafka.EmbeddedCluster!;
        var topic = UniqueName("outage");
        await kafka.Topics.EnsureTopicAsync(new TopicSpec(topic, Partitions));
        const int keys = 50;
        const int perKey = 200;
        var delivered = 0;
        var failures = new ConcurrentQueue<string>();

        // Reconnect quickly once the broker is back (the default backoff grows to 10 s).
        using (var producer = kafka.Clients.CreateProducer("outage-producer", c => c.ReconnectBackoffMaxMs = 200))
        {
            var sent = 0;
            for (var seq = 0; seq < perKey; seq++)
            {
                for (var key = 0; key < keys; key++)
                {
                    producer.Produce(topic, new Message<byte[]?, byte[]> { Key = Key(key), Value = Value(key, seq) }, report =>
                    {
                        if (report.Error.IsError)
                        {
                            failures.Enqueue($"{report.Error.Code}: {report.Error.Reason}");
                        }
                        else
                        {
                            Interlocked.Increment(ref delivered);
                        }
                    });
                    sent++;
                }

                if (sent == keys * perKey / 4)
                {
                    // Let part of the stream reach the brokers, then cut broker 1 while batches are in flight.
                    WaitUntil(() => Volatile.Read(ref delivered) > 0, "the first deliveries arrive");
                    cluster.SetBrokerDown(1);
                }
            }

            var pendingWhileDown = sent - Volatile.Read(ref delivered);
            cluster.SetBrokerUp(1);
            Assert.Equal(0, producer.Flush(Deadline));

            output.WriteLine($"{pendingWhileDown} messages were undelivered while broker 1 was down");
            Assert.True(pendingWhileDown > 0, "the outage should have held back some messages");
            Assert.Empty(failures);
            Assert.Equal(keys * perKey, delivered);
        }

        using var consumer = kafka.Clients.CreateConsumer(UniqueName("outage-group"), "outage-consumer");
        consumer.Subscribe(topic);
        var messages = ConsumeUntilCaughtUp(consumer, Partitions, Deadline);
        consumer.Close();

        AssertExactlyOnceInKeyOrder(messages, keys, perKey);
    }

    private static ConcurrentQueue<string> ProduceAll(IProducer<byte[]?, byte[]> producer, string topic, int keys, int perKey)
    {
        var failures = new ConcurrentQueue<string>();
        for (var seq = 0; seq < perKey; seq++)
        {
            for (var key = 0; key < keys; key++)
            {
                producer.Produce(topic, new Message<byte[]?, byte[]> { Key = Key(key), Value = Value(key, seq) }, report =>
                {
                    if (report.Error.IsError)
                    {
                        failures.Enqueue($"{report.Error.Code}: {report.Error.Reason}");
                    }
                });
            }
        }

        return failures;
    }

    private static void AssertExactlyOnceInKeyOrder(List<ConsumeResult<byte[]?, byte[]>> messages, int keys, int perKey)
    {
        Assert.Equal(keys * perKey, messages.Count);
        var decoded = messages.Select(m => Decode(m.Message.Value)).ToList();
        Assert.Equal(keys * perKey, decoded.Distinct().Count());

        foreach (var byKey in messages.GroupBy(m => Decode(m.Message.Value).Key))
        {
            // One key lives in one partition, and consumption order within it is offset order.
            Assert.Single(byKey.Select(m => m.Partition.Value).Distinct());
            Assert.Equal(Enumerable.Range(0, perKey), byKey.Select(m => Decode(m.Message.Value).Sequence));
            Assert.All(byKey, m => Assert.Equal(Key(byKey.Key), m.Message.Key));
        }

        Assert.Equal(keys, messages.Select(m => Decode(m.Message.Value).Key).Distinct().Count());
    }

    private static string Describe(IConsumer<byte[]?, byte[]> consumer) =>
        string.Join(",", consumer.Assignment.Select(tp => tp.Partition.Value));
}
