using BigDataTrading.Core.MarketData;

namespace BigDataTrading.Sources;

/// <summary>
/// A provider of trade prints: a file replay, a generator or a live feed adapter. Every adapter sits behind this one
/// async stream so ingestion, backtests and tests consume them the same way.
/// </summary>
/// <remarks>
/// Contract: ticks arrive in event-time order per symbol (ties keep source order); ticks of different symbols may
/// interleave. Input the adapter cannot turn into a tick is never dropped silently: it is reported to the
/// <see cref="ISourceErrorSink"/> given to the adapter at construction, and reading carries on with the next record.
/// Faults that make the whole input unusable (missing file, no CSV in a zip) throw. An instance may be read more than
/// once; each enumeration starts from the beginning. Enumerations are independent, but a single enumeration must not be
/// used from several threads at once.
/// </remarks>
public interface IMarketDataSource
{
    /// <summary>Human-readable description of the source, for logs (e.g. the file and symbol it replays).</summary>
    string Description { get; }

    /// <summary>Streams the trades of the source from the start.</summary>
    /// <param name="ct">Stops the enumeration; the enumerator then throws <see cref="OperationCanceledException"/>.</param>
    IAsyncEnumerable<TradeTick> ReadTradesAsync(CancellationToken ct = default);
}
