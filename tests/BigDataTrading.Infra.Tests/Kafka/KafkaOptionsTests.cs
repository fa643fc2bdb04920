using BigDataTrading.Infra.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Xunit;

namespace BigDataTrading.Infra.Tests.Kafka;

public sealed class KafkaOptionsTests
{
    [Fact]
    public void Defaults_are_valid_and_mean_a_three_broker_embedded_cluster()
    {
        var options = new KafkaOptions();

        Assert.Empty(options.Validate());
        Assert.True(options.IsEmbedded);
        Assert.Equal(3, options.EmbeddedBrokers);
        Assert.Equal(4, options.DefaultPartitions);
        Assert.Equal(1, options.EffectiveReplicationFactor);
    }

    [Fact]
    public void A_real_cluster_defaults_to_three_replicas()
    {
        var options = new KafkaOptions { BootstrapServers = "kafka1:9092,kafka2:9092" };

        Assert.False(options.IsEmbedded);
        Assert.Equal(3, options.EffectiveReplicationFactor);
        Assert.Empty(options.Validate());
    }

    [Theory]
    [InlineData("Kafka:EmbeddedBrokers", "EmbeddedBrokers=0")]
    [InlineData("Kafka:EmbeddedBrokers", "EmbeddedBrokers=10")]
    [InlineData("Kafka:DefaultPartitions", "DefaultPartitions=0")]
    [InlineData("Kafka:ReplicationFactor", "ReplicationFactor=0")]
    [InlineData("Kafka:ReplicationFactor", "EmbeddedBrokers=2;ReplicationFactor=3")]
    [InlineData("Kafka:ClientId", "ClientId=")]
    [InlineData("Kafka:ClientId", "ClientId=bad id")]
    [InlineData("Kafka:BootstrapServers", "BootstrapServers=kafka1")]
    [InlineData("Kafka:BootstrapServers", "BootstrapServers=kafka1:9092,kafka2:99999")]
    public void Each_validation_error_names_the_setting(string setting, string settings)
    {
        var values = settings.Split(';').Select(s => s.Split('=', 2))
            .ToDictionary(kv => "Kafka:" + kv[0], kv => (string?)kv[1]);
        var options = Configuration(values).GetSection(KafkaOptions.SectionName).Get<KafkaOptions>()!;

        var errors = options.Validate();

        var error = Assert.Single(errors);
        Assert.StartsWith(setting, error, StringComparison.Ordinal);
    }

    [Fact]
    public void FromConfiguration_binds_the_Kafka_section()
    {
        var configuration = Configuration(new()
        {
            ["Kafka:BootstrapServers"] = "k1:9092, k2:9092",
            ["Kafka:DefaultPartitions"] = "12",
            ["Kafka:ReplicationFactor"] = "2",
            ["Kafka:ClientId"] = "trader",
        });

        var options = KafkaOptions.FromConfiguration(configuration);

        Assert.Equal("k1:9092, k2:9092", options.BootstrapServers);
        Assert.Equal(12, options.DefaultPartitions);
        Assert.Equal(2, options.EffectiveReplicationFactor);
        Assert.Equal("trader", options.ClientId);
    }

    [Fact]
    public void A_command_line_override_keeps_the_other_settings()
    {
        var configured = new KafkaOptions { DefaultPartitions = 8, ClientId = "bdt-demo" };

        var overridden = configured with { BootstrapServers = "k1:9092" };

        Assert.False(overridden.IsEmbedded);
        Assert.Equal(8, overridden.DefaultPartitions);
        Assert.Equal("bdt-demo", overridden.ClientId);
        Assert.True(configured.IsEmbedded);
    }

    [Fact]
    public void FromConfiguration_without_a_Kafka_section_gives_the_embedded_defaults()
    {
        var options = KafkaOptions.FromConfiguration(Configuration(new()));

        Assert.True(options.IsEmbedded);
        Assert.Equal(3, options.EmbeddedBrokers);
    }

    [Fact]
    public void FromConfiguration_rejects_invalid_settings_listing_every_one()
    {
        var configuration = Configuration(new()
        {
            ["Kafka:EmbeddedBrokers"] = "12",
            ["Kafka:DefaultPartitions"] = "-1",
        });

        var e = Assert.Throws<OptionsValidationException>(() => KafkaOptions.FromConfiguration(configuration));

        Assert.Equal(2, e.Failures.Count());
        Assert.Contains(e.Failures, f => f.StartsWith("Kafka:EmbeddedBrokers", StringComparison.Ordinal) && f.Contains("12", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.StartsWith("Kafka:DefaultPartitions", StringComparison.Ordinal));
    }

    [Fact]
    public void The_options_validator_reports_the_same_errors_to_Microsoft_Extensions_Options()
    {
        var result = new KafkaOptionsValidator().Validate(null, new KafkaOptions { DefaultPartitions = 0 });

        Assert.True(result.Failed);
        Assert.Contains("Kafka:DefaultPartitions", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Starting_an_endpoint_with_invalid_options_fails_before_anything_starts()
    {
        var e = Assert.Throws<OptionsValidationException>(() => KafkaEndpoint.Start(new KafkaOptions { EmbeddedBrokers = 0 }));

        Assert.Contains(e.Failures, f => f.StartsWith("Kafka:EmbeddedBrokers", StringComparison.Ordinal));
    }

    private static IConfiguration Configuration(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
