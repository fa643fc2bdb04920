using BigDataTrading.Core.MarketData;
using BigDataTrading.Sources;
using Xunit;

namespace BigDataTrading.Data.Tests;

/// <summary>A fresh temporary folder, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "bdt-data-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal static class MarketDataSourceExtensions
{
    /// <summary>Drains a source into a list.</summary>
    public static async Task<List<TradeTick>> ReadAllAsync(this IMarketDataSource source)
    {
        var ticks = new List<TradeTick>();
        await foreach (var tick in source.ReadTradesAsync())
        {
            ticks.Add(tick);
        }

        return ticks;
    }
}

/// <summary>Test classes that measure time run in this collection, which xunit runs alone after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "Serial (timing-sensitive)";
}
