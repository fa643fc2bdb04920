using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Signals;

namespace BigDataTrading.Core.Strategies;

/// <summary>
/// A trading strategy driven by completed bars. The same instance runs live (bars from the stream processor) and in a
/// backtest (bars replayed from the lake): only the code that feeds it differs, never the strategy (LEAN's idea).
/// </summary>
/// <remarks>Implementations keep per-symbol state and are not thread-safe: feed one instance from one thread.</remarks>
public interface IBarStrategy
{
    /// <summary>Stable id written into every signal (and so into every order) for lineage.</summary>
    string StrategyId { get; }

    /// <summary>Consumes a completed bar; returns a signal when the strategy wants to trade, else null.</summary>
    Signal? OnBar(in Bar bar);
}
