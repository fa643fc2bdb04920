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
/// CQL pack's <c>priced_trades</c> column does (the pack falls back the same way through CASE).</para>
/// <para>Open and close are the first and last print in the order they are added (the callers add in (time, sequence)
/// order). VWAP is Σ(price·size)/Σsize in 128-bit integers, rounded half up to the price's 10^-8 unit, so a busy bar
/// cannot overflow. A mutable struct kept in place by its owner: no allocation. Not thread-safe.</para>
/// </remarks>
public struct BarAccumulator
{
    private Prices _priced;
    private Prices _all;

    /// <summary>Summed size of every print added (whole units).</summary>
    public long Volume { get; private set; }

    /// <summary>Number of prints added.</summary>
    public int Trades { get; private set; }

    /// <summary>Number of price-eligible prints added; 0 means the bar's prices fall back to all its prints.</summary>
    public readonly int PricedTrades => _priced.Count;

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
        Volume = checked(Volume + size);
        Trades = checked(Trades + 1);
        _all.Add(p, size);
        if (trade.Conditions.IsBarPriceEligible())
        {
            _priced.Add(p, size);
        }
    }

    /// <summary>The bar of the prints added so far (at least one).</summary>
    /// <exception cref="InvalidOperationException">No print was added.</exception>
    public readonly Bar ToBar(Symbol symbol, Timestamp start, long periodNanos)
    {
        if (Trades == 0)
        {
            throw new InvalidOperationException("A bar needs at least one print.");
        }

        var prices = _priced.Count > 0 ? _priced : _all;
        var vwap = prices.Volume == 0 ? prices.Close : (long)((prices.Notional + (prices.Volume / 2)) / prices.Volume);
        return new Bar(symbol, start, periodNanos, new Price(prices.Open), new Price(prices.High), new Price(prices.Low), new Price(prices.Close), Volume, Trades, new Price(vwap));
    }

    /// <summary>Open, high, low, close and the VWAP sums of one set of prints (raw price units).</summary>
    private struct Prices
    {
        public long Open, High, Low, Close, Volume;
        public Int128 Notional;
        public int Count;

        public void Add(long price, long size)
        {
            if (Count++ == 0)
            {
                Open = High = Low = price;
            }
            else
            {
                High = Math.Max(High, price);
                Low = Math.Min(Low, price);
            }

            Close = price;
            Volume += size;
            Notional += (Int128)price * size;
        }
    }
}
