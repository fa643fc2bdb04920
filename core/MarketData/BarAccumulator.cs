using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Time;

namespace BigDataTrading.Core.MarketData;

/// <summary>
/// The running state of one OHLCV bar: the single place where the bar rule lives, shared by the stream's bar builder and
/// the ETL's bar job so a bar is the same whichever layer builds it (and equal to the CQL pack's <c>ohlcv_1m</c>).
/// </summary>
/// <remarks>
/// <para><b>Rule</b> (<see cref="SaleConditionsExtensions.IsBarPriceEligible"/>): every print counts toward volume and
/// trade count; only price-eligible prints set open, high, low, close and the VWAP. This reproduces the LEAN minute
/// files from the LEAN tick files (an intermarket sweep or average-price print in regular hours must not move the bar).</para>
/// <para><b>Fallback</b>: a bar whose prints are all ineligible still exists, because its volume is real; its open,
/// high, low, close and VWAP then come from all its prints. <see cref="Bar"/> and the ingest bar check need positive,
/// consistent prices, so "no price" is not representable; <see cref="PricedTrades"/> tells such a bar apart (0), as the
/// CQL pack's <c>priced_trades</c> column does (the CQL row has prices 0 there instead).</para>
/// <para>Open and close are the first and last print in the order they are added (the callers add in (time, sequence)
/// order). VWAP is Σ(price·size)/Σsize in 128-bit integers, rounded half up to the price's 10^-8 unit, so a busy bar
/// cannot overflow. A mutable struct kept in place by its owner: no allocation. Not thread-safe.</para>
/// </remarks>
public struct BarAccumulator
{
    private long _open, _high, _low, _close, _pricedVolume;
    private long _allOpen, _allHigh, _allLow, _allClose;
    private Int128 _pricedNotional, _allNotional;

    /// <summary>Summed size of every print added (whole units).</summary>
    public long Volume { get; private set; }

    /// <summary>Number of prints added.</summary>
    public int Trades { get; private set; }

    /// <summary>Number of price-eligible prints added; 0 means the bar's prices fall back to all its prints.</summary>
    public int PricedTrades { get; private set; }

    /// <summary>A state holding <paramref name="first"/> only.</summary>
    public static BarAccumulator Begin(in TradeTick first)
    {
        var bar = default(BarAccumulator);
        bar.Add(first);
        return bar;
    }

    /// <summary>Adds a print (price and size positive, as the quality filter guarantees).</summary>
    /// <exception cref="OverflowException">The volume or the trade count overflows.</exception>
    public void Add(in TradeTick trade)
    {
        var p = trade.Price.Raw;
        var size = trade.Size;
        if (Trades == 0)
        {
            _allOpen = _allHigh = _allLow = p;
        }
        else
        {
            _allHigh = Math.Max(_allHigh, p);
            _allLow = Math.Min(_allLow, p);
        }

        _allClose = p;
        _allNotional += (Int128)p * size;
        Volume = checked(Volume + size);
        Trades = checked(Trades + 1);
        if (!trade.Conditions.IsBarPriceEligible())
        {
            return;
        }

        if (PricedTrades == 0)
        {
            _open = _high = _low = p;
        }
        else
        {
            _high = Math.Max(_high, p);
            _low = Math.Min(_low, p);
        }

        _close = p;
        _pricedVolume += size;
        _pricedNotional += (Int128)p * size;
        PricedTrades++;
    }

    /// <summary>The bar of the prints added so far (at least one).</summary>
    /// <exception cref="InvalidOperationException">No print was added.</exception>
    public readonly Bar ToBar(Symbol symbol, Timestamp start, long periodNanos)
    {
        if (Trades == 0)
        {
            throw new InvalidOperationException("A bar needs at least one print.");
        }

        return PricedTrades > 0
            ? Make(symbol, start, periodNanos, _open, _high, _low, _close, _pricedNotional, _pricedVolume)
            : Make(symbol, start, periodNanos, _allOpen, _allHigh, _allLow, _allClose, _allNotional, Volume);
    }

    private readonly Bar Make(Symbol symbol, Timestamp start, long period, long open, long high, long low, long close, Int128 notional, long volume)
    {
        var vwap = volume == 0 ? close : (long)((notional + (volume / 2)) / volume);
        return new Bar(symbol, start, period, new Price(open), new Price(high), new Price(low), new Price(close), Volume, Trades, new Price(vwap));
    }
}
