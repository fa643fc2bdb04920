using BigDataTrading.Core.MarketData;

namespace BigDataTrading.Sources;

/// <summary>
/// A provider of top-of-book quotes, the sibling of <see cref="IMarketDataSource"/> for quote data. Same contract:
/// event-time order per symbol (ties keep source order), unusable input reported to the source's
/// <see cref="ISourceErrorSink"/> and skipped, each enumeration starts from the beginning, one enumeration per thread.
/// </summary>
public interface IQuoteSource
{
    /// <summary>Human-readable description of the source, for logs.</summary>
    string Description { get; }

    /// <summary>Streams the quotes of the source from the start.</summary>
    /// <param name="ct">Stops the enumeration; the enumerator then throws <see cref="OperationCanceledException"/>.</param>
    IAsyncEnumerable<QuoteTick> ReadQuotesAsync(CancellationToken ct = default);
}

/// <summary>
/// A provider of OHLCV bars (daily or intraday history), the sibling of <see cref="IMarketDataSource"/> for bar data.
/// Same contract: event-time order per symbol, unusable input reported and skipped, each enumeration from the start.
/// </summary>
public interface IBarSource
{
    /// <summary>Human-readable description of the source, for logs.</summary>
    string Description { get; }

    /// <summary>Streams the bars of the source from the start.</summary>
    /// <param name="ct">Stops the enumeration; the enumerator then throws <see cref="OperationCanceledException"/>.</param>
    IAsyncEnumerable<Bar> ReadBarsAsync(CancellationToken ct = default);
}
