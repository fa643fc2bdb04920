using System.Net.Sockets;
using BigDataTrading.Infra.Kafka;
using Xunit;

namespace BigDataTrading.Infra.Tests.Kafka;

public sealed class EmbeddedKafkaClusterTests
{
    [Fact]
    public void A_three_broker_cluster_exposes_three_distinct_loopback_bootstrap_addresses()
    {
        using var cluster = EmbeddedKafkaCluster.Start(brokers: 3);

        var addresses = cluster.BootstrapServers.Split(',');

        Assert.Equal(3, cluster.BrokerCount);
        Assert.Equal(3, addresses.Length);
        Assert.Equal(3, addresses.Distinct().Count());
        Assert.All(addresses, a => Assert.Matches(@"^127\.0\.0\.1:\d+$", a));
        Assert.All(addresses, a => Assert.True(Accepts(a), $"{a} should accept connections"));
    }

    [Fact]
    public void Dispose_is_idempotent_and_the_brokers_stop_accepting_connections()
    {
        var cluster = EmbeddedKafkaCluster.Start(brokers: 2);
        var addresses = cluster.BootstrapServers.Split(',');
        Assert.All(addresses, a => Assert.True(Accepts(a)));

        cluster.Dispose();
        cluster.Dispose();

        Assert.True(cluster.IsDisposed);
        Assert.All(addresses, a => Assert.False(Accepts(a), $"{a} should refuse connections after dispose"));
        Assert.Throws<ObjectDisposedException>(() => cluster.CreateTopic("after-dispose", 1));
        Assert.Throws<ObjectDisposedException>(() => cluster.SetBrokerDown(1));
    }

    [Fact]
    public void A_broker_set_down_refuses_connections_until_set_up_on_the_same_port()
    {
        using var cluster = EmbeddedKafkaCluster.Start(brokers: 3);
        var second = cluster.BootstrapServers.Split(',')[1];

        cluster.SetBrokerDown(2);
        cluster.SetBrokerDown(2);
        var acceptedWhileDown = Accepts(second);
        cluster.SetBrokerUp(2);

        Assert.False(acceptedWhileDown);
        Assert.True(Accepts(second));
    }

    [Fact]
    public void Creating_an_existing_topic_is_not_an_error()
    {
        using var cluster = EmbeddedKafkaCluster.Start(brokers: 3);

        Assert.True(cluster.CreateTopic("prices", partitions: 4, replicationFactor: 3));
        Assert.False(cluster.CreateTopic("prices", partitions: 4, replicationFactor: 3));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(EmbeddedKafkaCluster.MaxBrokers + 1)]
    public void Start_rejects_a_broker_count_outside_one_to_nine(int brokers) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => EmbeddedKafkaCluster.Start(brokers));

    [Fact]
    public void Broker_ids_and_topic_arguments_are_checked_before_reaching_the_mock()
    {
        using var cluster = EmbeddedKafkaCluster.Start(brokers: 2);

        Assert.Throws<ArgumentOutOfRangeException>(() => cluster.SetBrokerDown(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => cluster.SetBrokerUp(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => cluster.CreateTopic("t", partitions: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => cluster.CreateTopic("t", partitions: 1, replicationFactor: 3));
        Assert.Throws<ArgumentException>(() => cluster.CreateTopic("no spaces", partitions: 1));
    }

    private static bool Accepts(string address)
    {
        var colon = address.LastIndexOf(':');
        using var client = new TcpClient();
        try
        {
            client.Connect(address[..colon], int.Parse(address[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
