using System.Collections.Concurrent;
using BigDataTrading.Infra.Kafka;
using Confluent.Kafka;
using Xunit;

namespace BigDataTrading.Infra.Tests.Kafka;

public sealed class KafkaEndpointTests
{
    [Fact]
    public async Task Without_bootstrap_servers_the_endpoint_runs_an_embedded_cluster_and_stops_it_on_dispose()
    {
        var kafka = KafkaEndpoint.Start(new KafkaOptions { EmbeddedBrokers = 2 });
        var cluster = kafka.EmbeddedCluster;

        Assert.True(kafka.IsEmbedded);
        Assert.NotNull(cluster);
        Assert.Equal(cluster.BootstrapServers, kafka.BootstrapServers);
        Assert.Equal(2, kafka.BootstrapServers.Split(',').Length);
        Assert.IsType<EmbeddedTopicProvisioner>(kafka.Topics);
        Assert.Equal(1, kafka.Topics.ReplicationFactor);

        await kafka.DisposeAsync();
        await kafka.DisposeAsync();
        kafka.Dispose();

        Assert.True(cluster.IsDisposed);
    }

    [Fact]
    public async Task With_bootstrap_servers_the_endpoint_starts_nothing_and_provisions_through_the_admin_api()
    {
        await using var kafka = KafkaEndpoint.Start(
            new KafkaOptions { BootstrapServers = " kafka1:9092 , kafka2:9092 ", DefaultPartitions = 8 }, _ => { });

        Assert.False(kafka.IsEmbedded);
        Assert.Null(kafka.EmbeddedCluster);
        Assert.Equal("kafka1:9092,kafka2:9092", kafka.BootstrapServers);
        Assert.IsType<AdminClientTopicProvisioner>(kafka.Topics);
        Assert.Equal(3, kafka.Topics.ReplicationFactor);
        Assert.Equal(8, kafka.Topics.DefaultPartitions);
    }

    [Fact]
    public async Task The_admin_provisioner_reports_an_unreachable_cluster_as_a_setup_fault()
    {
        var clients = new KafkaClientFactory("127.0.0.1:1", new KafkaOptions { BootstrapServers = "127.0.0.1:1" }, _ => { });
        var provisioner = new AdminClientTopicProvisioner(clients, 4, 1, TimeSpan.FromSeconds(1));

        var e = await Assert.ThrowsAsync<KafkaSetupException>(() => provisioner.EnsureTopicAsync(new TopicSpec("prices")));

        Assert.Contains("127.0.0.1:1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Provisioning_the_same_topology_twice_on_the_embedded_cluster_is_harmless()
    {
        await using var kafka = KafkaEndpoint.Start(new KafkaOptions { DefaultPartitions = 3 }, _ => { });
        var topology = KafkaTopology.Of(new TopicSpec("md.ticks"), new TopicSpec("signals", 2));

        await kafka.Topics.EnsureTopicsAsync(topology);
        await kafka.Topics.EnsureTopicsAsync(topology);

        using var admin = kafka.Clients.CreateAdminClient("describe");
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
        Assert.Equal(3, metadata.Topics.Single(t => t.Topic == "md.ticks").Partitions.Count);
        Assert.Equal(2, metadata.Topics.Single(t => t.Topic == "signals").Partitions.Count);
    }

    [Fact]
    public void Producers_are_idempotent_and_consumers_commit_manually_from_the_earliest_offset()
    {
        var clients = new KafkaClientFactory("k1:9092", new KafkaOptions { BootstrapServers = "k1:9092", ClientId = "svc" }, _ => { });

        var producer = clients.CreateProducerConfig("ticks", c => c.TransactionalId = "tx-1");
        var consumer = clients.CreateConsumerConfig("group-a", "reader");

        Assert.True(producer.EnableIdempotence);
        Assert.Equal(Acks.All, producer.Acks);
        Assert.Equal(5, producer.LingerMs);
        Assert.Equal("svc-ticks", producer.ClientId);
        Assert.Equal("tx-1", producer.TransactionalId);
        Assert.Equal("k1:9092", producer.BootstrapServers);
        Assert.False(consumer.EnableAutoCommit);
        Assert.Equal(AutoOffsetReset.Earliest, consumer.AutoOffsetReset);
        Assert.True(consumer.EnablePartitionEof);
        Assert.Equal("group-a", consumer.GroupId);
        Assert.Equal("svc-reader", consumer.ClientId);
        Assert.Null(consumer.SessionTimeoutMs);
    }

    [Fact]
    public void Embedded_consumers_get_a_short_session_so_rebalances_finish_in_seconds()
    {
        var clients = new KafkaClientFactory("127.0.0.1:9092", new KafkaOptions(), _ => { });

        var consumer = clients.CreateConsumerConfig("group-a", "reader");

        Assert.Equal(KafkaClientFactory.EmbeddedSessionTimeoutMs, consumer.SessionTimeoutMs);
        Assert.True(consumer.HeartbeatIntervalMs < consumer.SessionTimeoutMs);
    }

    [Fact]
    public void Concurrent_calls_and_dispose_either_complete_or_report_ObjectDisposed()
    {
        var cluster = EmbeddedKafkaCluster.Start(brokers: 3);
        var outcomes = new ConcurrentBag<string>();
        using var start = new Barrier(5);

        // Dedicated threads: thread-pool workers would start one by one on a 2-core machine.
        var workers = Enumerable.Range(0, 4).Select(w => new Thread(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < 20; i++)
            {
                try
                {
                    cluster.CreateTopic($"t-{w}-{i}", 1);
                    cluster.SetBrokerDown(1 + (i % 3));
                    cluster.SetBrokerUp(1 + (i % 3));
                    outcomes.Add("ok");
                }
                catch (ObjectDisposedException)
                {
                    outcomes.Add("disposed");
                }
            }
        })).ToList();
        workers.ForEach(t => t.Start());
        start.SignalAndWait();
        cluster.Dispose();
        workers.ForEach(t => Assert.True(t.Join(KafkaTestKit.Deadline)));

        Assert.Equal(80, outcomes.Count);
        Assert.True(cluster.IsDisposed);
    }
}
