using Microsoft.Extensions.Configuration;

namespace BigDataTrading.Cli.Commands;

/// <summary>
/// Configuration of every command: <c>appsettings.json</c> next to the tool or in the working folder (optional), then
/// environment variables prefixed <c>BDT_</c> (<c>BDT_Kafka__BootstrapServers=host:9092</c>), then command-line
/// options, each overriding the one before.
/// </summary>
public static class BdtConfiguration
{
    /// <summary>Builds the configuration.</summary>
    public static IConfiguration Load() =>
        new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true)
            .AddEnvironmentVariables("BDT_")
            .Build();
}
