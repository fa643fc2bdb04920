using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Time;

namespace BigDataTrading.Core.MarketData;

/// <summary>
/// An OHLCV bar over the half-open interval [<paramref name="Start"/>, <paramref name="Start"/> + <paramref name="PeriodNanos"/>).
/// </summary>
/// <param name="Symbol">Instrument.</param>
/// <param name="Start">Inclusive start of the interval (aligned to the period in UTC).</param>
/// <param name="PeriodNanos">Length of the interval in nanoseconds (60,000,000,000 for one minute).</param>
/// <param name="Open">First trade price in the interval.</param>
/// <param name="High">Highest trade price.</param>
/// <param name="Low">Lowest trade price.</param>
/// <param name="Close">Last trade price.</param>
/// <param name="Volume">Units traded.</param>
/// <param name="TradeCount">Number of trades.</param>
/// <param name="Vwap">Volume-weighted average price (rounded to 10^-8).</param>
public readonly record struct Bar(
    Symbol Symbol,
    Timestamp Start,
    long PeriodNanos,
    Price Open,
    Price High,
    Price Low,
    Price Close,
    long Volume,
    int TradeCount,
    Price Vwap)
{
    /// <summary>Exclusive end of the interval.</summary>
    public Timestamp End => Start.AddNanoseconds(PeriodNanos);
}
