using BigDataTrading.Core.MarketData;
using BigDataTrading.Warehouse;

namespace BigDataTrading.Jobs.Etl;

/// <summary>
/// Computes the per-bar features of one day: log return, realized volatility, quoted spread and quote imbalance.
/// Stateless and thread-safe.
/// </summary>
/// <remarks>
/// <para><b>Log return</b> = ln(close / close of the previous bar of the same symbol in the same day's bars). Bars exist
/// only for intervals with trades, so "previous" is the previous traded interval, not necessarily the adjacent one.
/// The symbol's first bar of the day has no return: NULL (never NaN), because the job works per date partition and a
/// return across the overnight gap is a different quantity.</para>
/// <para><b>Realized volatility</b> = sqrt(Σ r²) over the returns of the last N bars of the symbol, this bar included
/// (the first bar's missing return counts as absent, not zero); NULL when the window holds no return. Not annualized.</para>
/// <para><b>Quotes</b>: a quote belongs to the bar whose interval [start, start + period) holds its time. Only two-sided
/// quotes count (bid and ask price and size all positive): LEAN's raw one-sided rows carry 0 for the missing side,
/// which is no spread. Spread is the plain mean over those quotes (not time-weighted) of ask − bid in price units;
/// spread_bps the mean of (ask − bid) / ((ask + bid) / 2) × 10^4; imbalance the mean of (bid_size − ask_size) /
/// (bid_size + ask_size). All three NULL when the bar holds no such quote. Quotes in intervals without trades have no
/// bar and are not reported.</para>
/// </remarks>
public static class FeatureBuilder
{
    /// <summary>Features of the bars, in the bars' order.</summary>
    /// <param name="bars">Bars of one day ordered by (symbol, start), as <see cref="BarAggregator.Aggregate"/> returns them.</param>
    /// <param name="quotes">The day's quotes, any order.</param>
    /// <param name="volatilityWindow">N, the bars in the realized-volatility window (≥ 1).</param>
    public static List<BarFeatures> Compute(IReadOnlyList<Bar> bars, IReadOnlyList<QuoteTick> quotes, int volatilityWindow)
    {
        ArgumentNullException.ThrowIfNull(bars);
        ArgumentNullException.ThrowIfNull(quotes);
        ArgumentOutOfRangeException.ThrowIfLessThan(volatilityWindow, 1);
        var bySymbol = quotes
            .Where(q => q.BidPrice.IsPositive && q.AskPrice.IsPositive && q.BidSize > 0 && q.AskSize > 0)
            .GroupBy(q => q.Symbol)
            .ToDictionary(g => g.Key, g => g.OrderBy(q => q.Time).ToArray());
        var result = new List<BarFeatures>(bars.Count);
        var window = new double?[volatilityWindow];
        var cursor = 0;
        for (var i = 0; i < bars.Count; i++)
        {
            var bar = bars[i];
            var first = i == 0 || bars[i - 1].Symbol != bar.Symbol;
            if (first)
            {
                Array.Clear(window);
                cursor = 0;
            }

            double? logReturn = first ? null : Math.Log((double)bar.Close.Raw / bars[i - 1].Close.Raw);
            window[i % volatilityWindow] = logReturn;
            double sum = 0;
            var any = false;
            foreach (var r in window)
            {
                if (r is { } x)
                {
                    sum += x * x;
                    any = true;
                }
            }

            var (count, spread, bps, imbalance) = QuoteStats(bySymbol.GetValueOrDefault(bar.Symbol), bar, ref cursor);
            result.Add(new BarFeatures(bar.Symbol, bar.Start, bar.PeriodNanos, bar.Close, logReturn, any ? Math.Sqrt(sum) : null, count, spread, bps, imbalance));
        }

        return result;
    }

    // The bars of a symbol ascend in time, so one cursor per symbol walks its sorted quotes once.
    private static (int Count, double? Spread, double? Bps, double? Imbalance) QuoteStats(QuoteTick[]? quotes, in Bar bar, ref int cursor)
    {
        if (quotes is null)
        {
            return (0, null, null, null);
        }

        var start = bar.Start.UnixNanoseconds;
        var end = start + bar.PeriodNanos;
        while (cursor < quotes.Length && quotes[cursor].Time.UnixNanoseconds < start)
        {
            cursor++;
        }

        double spread = 0, bps = 0, imbalance = 0;
        var n = 0;
        for (; cursor < quotes.Length && quotes[cursor].Time.UnixNanoseconds < end; cursor++, n++)
        {
            var q = quotes[cursor];
            var width = (q.AskPrice.Raw - q.BidPrice.Raw) / 1e8;
            spread += width;
            bps += width / ((q.AskPrice.Raw + q.BidPrice.Raw) / 2e8) * 1e4;
            imbalance += (double)(q.BidSize - q.AskSize) / (q.BidSize + q.AskSize);
        }

        return n == 0 ? (0, null, null, null) : (n, spread / n, bps / n, imbalance / n);
    }
}
