using BigDataTrading.Core.MarketData;

namespace BigDataTrading.Jobs.Etl;

/// <summary>
/// Aggregates clean ticks into OHLCV bars of a fixed period aligned to the UTC epoch, with the bar rule of
/// <see cref="BarAccumulator"/>: volume and trade count from every print; open/close the first/last price-eligible print
/// in (time, sequence) order, high/low and VWAP (Σ(price·size)/Σsize, rounded half up to 10^-8) over the eligible prints
/// only (<see cref="SaleConditionsExtensions.IsBarPriceEligible"/>). A bar with no eligible print takes its prices from
/// all its prints. The stream's bar builder and the CQL pack's <c>ohlcv_1m</c> apply the same rule, so batch and stream
/// bars of the same ticks are equal. Empty intervals produce no bar. Stateless and thread-safe.
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
        var bar = default(BarAccumulator);
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
                bars.Add(bar.ToBar(symbol, start, periodNanos));
                symbol = t.Symbol;
                start = bucket;
                bar = default;
            }

            bar.Add(t);
        }

        bars.Add(bar.ToBar(symbol, start, periodNanos));
        return bars;
    }
}
