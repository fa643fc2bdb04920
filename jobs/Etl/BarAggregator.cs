using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;

namespace BigDataTrading.Jobs.Etl;

/// <summary>
/// Aggregates clean ticks into OHLCV bars of a fixed period aligned to the UTC epoch: open/close are the first/last
/// trade in (time, sequence) order, high/low the extremes, volume the summed size, trade count the number of prints,
/// VWAP Σ(price·size)/Σsize in 128-bit integers rounded half up to 10^-8 — the same arithmetic as the stream's bar
/// builder, so batch and stream bars of the same ticks are equal. Empty intervals produce no bar. Stateless and
/// thread-safe.
/// </summary>
public static class BarAggregator
{
    /// <summary>Bars of the ticks, ordered by (symbol, start).</summary>
    /// <param name="ticks">Ticks sorted by (symbol, time, sequence), e.g. <see cref="CleanTicks.Ticks"/>; prices and
    /// sizes positive.</param>
    /// <param name="periodNanos">Bar length in nanoseconds (positive).</param>
    /// <exception cref="ArgumentException">The ticks are not sorted.</exception>
    public static List<Bar> Aggregate(ReadOnlySpan<TradeTick> ticks, long periodNanos)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(periodNanos);
        var bars = new List<Bar>();
        if (ticks.IsEmpty)
        {
            return bars;
        }

        var symbol = ticks[0].Symbol;
        var start = ticks[0].Time.FloorTo(periodNanos);
        long open = ticks[0].Price.Raw, high = open, low = open, close = open, volume = 0;
        var count = 0;
        Int128 notional = 0;
        for (var i = 0; i < ticks.Length; i++)
        {
            ref readonly var t = ref ticks[i];
            if (i > 0 && TickCleaner.Compare(ticks[i - 1], t) > 0)
            {
                throw new ArgumentException($"Ticks are not sorted by (symbol, time, sequence) at index {i}.", nameof(ticks));
            }

            var bucket = t.Time.FloorTo(periodNanos);
            if (t.Symbol != symbol || bucket != start)
            {
                bars.Add(Make(symbol, start, periodNanos, open, high, low, close, volume, count, notional));
                symbol = t.Symbol;
                start = bucket;
                open = high = low = t.Price.Raw;
                volume = 0;
                count = 0;
                notional = 0;
            }

            var p = t.Price.Raw;
            high = Math.Max(high, p);
            low = Math.Min(low, p);
            close = p;
            volume = checked(volume + t.Size);
            count = checked(count + 1);
            notional += (Int128)p * t.Size;
        }

        bars.Add(Make(symbol, start, periodNanos, open, high, low, close, volume, count, notional));
        return bars;
    }

    private static Bar Make(Symbol symbol, Timestamp start, long period, long open, long high, long low, long close, long volume, int count, Int128 notional)
    {
        var vwap = volume == 0 ? close : (long)((notional + (volume / 2)) / volume);
        return new Bar(symbol, start, period, new Price(open), new Price(high), new Price(low), new Price(close), volume, count, new Price(vwap));
    }
}
