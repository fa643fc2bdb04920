using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;

namespace BigDataTrading.Streaming.Bars;

/// <summary>
/// Builds OHLCV bars of a fixed period from trades in event time, per symbol. A bar is emitted when the first trade of
/// a later period arrives for its symbol, or on <see cref="Flush"/> at end of stream.
/// </summary>
/// <remarks>
/// <para>The bar rule is <see cref="BarAccumulator"/>'s, shared with the ETL bar job and the CQL pack's <c>ohlcv_1m</c>:
/// every trade counts toward volume and trade count, only price-eligible trades
/// (<see cref="SaleConditionsExtensions.IsBarPriceEligible"/>) set open, high, low, close and VWAP; a bar whose trades
/// are all ineligible takes its prices from all of them. Open and close follow arrival order.</para>
/// <para>A trade earlier than its symbol's open bar (late, but inside the quality filter's tolerance) is folded into the
/// open bar rather than reopening a closed one, because a closed bar has already been published; such trades are
/// counted in <see cref="LateTradesMerged"/>. VWAP sums in 128-bit integers so a busy minute cannot overflow, and
/// state is one struct per symbol: allocation-free after a symbol's first trade. Not thread-safe.</para>
/// </remarks>
public sealed class BarBuilder
{
    private readonly Dictionary<Symbol, OpenBar> _open = [];

    /// <summary>Creates a builder for bars of <paramref name="periodNanos"/> nanoseconds (60e9 for one minute).</summary>
    public BarBuilder(long periodNanos)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(periodNanos);
        PeriodNanos = periodNanos;
    }

    /// <summary>Bar length in nanoseconds.</summary>
    public long PeriodNanos { get; }

    /// <summary>Trades that arrived after their period's bar had closed and were merged into the open bar.</summary>
    public long LateTradesMerged { get; private set; }

    /// <summary>Adds a trade; when it starts a new period for its symbol, returns true with the completed bar.</summary>
    public bool Add(in TradeTick trade, out Bar completed)
    {
        var start = trade.Time.FloorTo(PeriodNanos);
        ref var bar = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_open, trade.Symbol, out var exists);
        if (!exists)
        {
            bar = OpenBar.Begin(start, trade);
            completed = default;
            return false;
        }

        if (start > bar.Start)
        {
            completed = bar.ToBar(trade.Symbol, PeriodNanos);
            bar = OpenBar.Begin(start, trade);
            return true;
        }

        if (start < bar.Start)
        {
            LateTradesMerged++;
        }

        bar.Add(trade);
        completed = default;
        return false;
    }

    /// <summary>Closes and returns every open bar (end of stream), ordered by symbol.</summary>
    public IReadOnlyList<Bar> Flush()
    {
        var bars = _open.Select(kv => kv.Value.ToBar(kv.Key, PeriodNanos)).OrderBy(b => b.Symbol).ToList();
        _open.Clear();
        return bars;
    }

    private struct OpenBar
    {
        public Timestamp Start;
        public BarAccumulator State;

        public static OpenBar Begin(Timestamp start, in TradeTick trade) => new() { Start = start, State = BarAccumulator.Begin(trade) };

        public void Add(in TradeTick trade) => State.Add(trade);

        public readonly Bar ToBar(Symbol symbol, long period) => State.ToBar(symbol, Start, period);
    }
}
