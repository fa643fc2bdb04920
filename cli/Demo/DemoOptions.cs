using BigDataTrading.Infra.Kafka;
using BigDataTrading.Streaming.Quality;
using BigDataTrading.Streaming.Strategies;
using BigDataTrading.Trading;

namespace BigDataTrading.Cli.Demo;

/// <summary>Everything <c>bdt demo</c> needs; validated before anything starts.</summary>
/// <param name="OutputRoot">Folder under which each run gets its own sub-folder (lake, warehouse, FIX logs).</param>
/// <param name="TicksPath">A LEAN tick trade zip to replay, or null for the built-in synthetic market.</param>
/// <param name="Date">Trading date of the synthetic market.</param>
/// <param name="Symbols">Symbols of the synthetic market.</param>
/// <param name="TradesPerSymbol">Trades per symbol the synthetic market generates.</param>
/// <param name="Seed">Seed of the synthetic market (same seed, same day).</param>
/// <param name="Kafka">Kafka settings: empty bootstrap servers start the embedded cluster.</param>
/// <param name="Quality">Tick quality filter limits.</param>
/// <param name="Strategy">Strategy parameters.</param>
/// <param name="Trader">Trader settings, including risk limits.</param>
/// <param name="WarehouseConnectionString">PostgreSQL connection string of the order warehouse, or null for the run's own DuckDB file.</param>
public sealed record DemoOptions(
    string OutputRoot,
    string? TicksPath,
    DateOnly Date,
    IReadOnlyList<string> Symbols,
    int TradesPerSymbol,
    int Seed,
    KafkaOptions Kafka,
    TickQualityOptions Quality,
    MovingAverageCrossOptions Strategy,
    TraderOptions Trader,
    string? WarehouseConnectionString = null)
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting and how to fix it.</summary>
    public void Validate()
    {
        if (TicksPath is not null && !File.Exists(TicksPath))
        {
            throw new ArgumentException($"--ticks: file '{TicksPath}' does not exist. Give a LEAN tick trade zip such as .../equity/usa/tick/spy/20131008_trade.zip.");
        }

        if (TicksPath is null && Symbols.Count == 0)
        {
            throw new ArgumentException("--symbols: give at least one symbol for the synthetic market.");
        }

        if (TradesPerSymbol is < 100 or > 10_000_000)
        {
            throw new ArgumentException($"--trades-per-symbol: {TradesPerSymbol} is outside 100..10,000,000.");
        }

        var kafkaErrors = Kafka.Validate();
        if (kafkaErrors.Count > 0)
        {
            throw new ArgumentException("Kafka settings: " + string.Join("; ", kafkaErrors));
        }

        Quality.Validate();
        Strategy.Validate();
        Trader.Validate();
    }
}
