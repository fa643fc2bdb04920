using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Time;

namespace BigDataTrading.Core.MarketData;

/// <summary>A top-of-book quote. Sizes are whole units; a side with no interest has price and size 0.</summary>
/// <param name="Symbol">Instrument quoted.</param>
/// <param name="Time">Event time, from the data.</param>
/// <param name="BidPrice">Best bid.</param>
/// <param name="BidSize">Units at the best bid.</param>
/// <param name="AskPrice">Best ask.</param>
/// <param name="AskSize">Units at the best ask.</param>
/// <param name="Sequence">Source record number, unique per symbol and source.</param>
public readonly record struct QuoteTick(Symbol Symbol, Timestamp Time, Price BidPrice, long BidSize, Price AskPrice, long AskSize, long Sequence)
{
    /// <summary>True when the bid is at or above the ask (a locked or crossed market).</summary>
    public bool IsCrossedOrLocked => BidPrice.IsPositive && AskPrice.IsPositive && BidPrice >= AskPrice;
}
