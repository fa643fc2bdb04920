using BigDataTrading.Infra.Kafka;
using Xunit;

namespace BigDataTrading.Infra.Tests.Kafka;

public sealed class KafkaTopologyTests
{
    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("has space")]
    [InlineData("slash/topic")]
    public void Illegal_topic_names_are_rejected(string name) =>
        Assert.ThrowsAny<ArgumentException>(() => new TopicSpec(name));

    [Fact]
    public void Names_longer_than_249_characters_are_rejected() =>
        Assert.Throws<ArgumentException>(() => new TopicSpec(new string('a', 250)));

    [Fact]
    public void A_spec_without_partitions_uses_the_default()
    {
        Assert.Equal(4, new TopicSpec("md.ticks").PartitionsOr(4));
        Assert.Equal(12, new TopicSpec("md.ticks", 12).PartitionsOr(4));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TopicSpec("md.ticks", 0));
    }

    [Fact]
    public void A_topology_rejects_duplicate_names_and_keeps_order()
    {
        var topology = KafkaTopology.Of(new TopicSpec("b"), new TopicSpec("a", 2));

        Assert.Equal(["b", "a"], topology.Topics.Select(t => t.Name));
        Assert.Throws<ArgumentException>(() => KafkaTopology.Of(new TopicSpec("a"), new TopicSpec("a", 3)));
        Assert.Throws<ArgumentException>(() => topology.Concat(KafkaTopology.Of(new TopicSpec("a"))));
    }
}
