using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;

namespace BigDataTrading.Streaming.Quality;

/// <summary>Limits of the tick quality filter.</summary>
/// <param name="OutOfOrderToleranceNanos">How far (ns) a tick may be earlier than the last accepted one of its symbol and still pass; default 1 s.</param>
/// <param name="MaxDeviationFraction">Largest accepted |price / reference − 1|, where the reference is the median of the recent accepted prices; default 0.05 (5 %).</param>
/// <param name="ReferenceWindow">How many recent accepted prices form the median reference (3..255); default 31.</param>
/// <param name="MinReferenceTicks">Prices needed before the outlier rule applies; default 5.</param>
public sealed record TickQualityOptions(
    long OutOfOrderToleranceNanos = 1_000_000_000,
    double MaxDeviationFraction = 0.05,
    int ReferenceWindow = 31,
    int MinReferenceTicks = 5)
{
    /// <summary>Throws when a limit is out of range, naming the setting.</summary>
    public void Validate()
    {
        if (OutOfOrderToleranceNanos < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(OutOfOrderToleranceNanos), OutOfOrderToleranceNanos, "Must be ≥ 0.");
        }

        if (MaxDeviationFraction is not (> 0 and < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDeviationFraction), MaxDeviationFraction, "Must be in (0, 1).");
        }

        if (ReferenceWindow is < 3 or > 255)
        {
            throw new ArgumentOutOfRangeException(nameof(ReferenceWindow), ReferenceWindow, "Must be 3..255.");
        }

        if (MinReferenceTicks < 1 || MinReferenceTicks > ReferenceWindow)
        {
            throw new ArgumentOutOfRangeException(nameof(MinReferenceTicks), MinReferenceTicks, "Must be 1..ReferenceWindow.");
        }
    }
}

/// <summary>
/// Decides per tick whether it is fit to use, with a reason code when not. Rules in order: non-positive price,
/// non-positive size, duplicate (sequence not above the last accepted one), out of order beyond the tolerance, price
/// outlier against the median of recent accepted prices.
/// </summary>
/// <remarks>
/// Allocation-free after a symbol's first tick (per-symbol state is a small ring buffer). Not thread-safe: the
/// stream processor owns one filter per consumer thread, and Kafka keys by symbol so a symbol never spans two.
/// </remarks>
public sealed class TickQualityFilter
{
    private readonly TickQualityOptions _options;
    private readonly Dictionary<Symbol, SymbolState> _states = [];
    private readonly long[] _scratch;

    /// <summary>Creates a filter.</summary>
    public TickQualityFilter(TickQualityOptions options)
    {
        options.Validate();
        _options = options;
        _scratch = new long[options.ReferenceWindow];
    }

    /// <summary>Checks a tick; when it passes, it becomes part of the symbol's state.</summary>
    public TickRejectReason Check(in TradeTick tick)
    {
        if (!tick.Price.IsPositive)
        {
            return TickRejectReason.NonPositivePrice;
        }

        if (tick.Size <= 0)
        {
            return TickRejectReason.NonPositiveSize;
        }

        if (!_states.TryGetValue(tick.Symbol, out var state))
        {
            state = new SymbolState(_options.ReferenceWindow);
            _states.Add(tick.Symbol, state);
        }
        else
        {
            if (tick.Sequence <= state.LastSequence)
            {
                return TickRejectReason.Duplicate;
            }

            if (tick.Time.UnixNanoseconds < state.LastTimeNanos - _options.OutOfOrderToleranceNanos)
            {
                return TickRejectReason.OutOfOrder;
            }

            if (state.Count >= _options.MinReferenceTicks)
            {
                var reference = Median(state);
                var deviation = Math.Abs((double)(tick.Price.Raw - reference) / reference);
                if (deviation > _options.MaxDeviationFraction)
                {
                    return TickRejectReason.PriceOutlier;
                }
            }
        }

        state.Accept(tick);
        return TickRejectReason.None;
    }

    private long Median(SymbolState state)
    {
        var span = _scratch.AsSpan(0, state.Count);
        state.CopyPrices(span);
        span.Sort();
        return span[span.Length / 2];
    }

    private sealed class SymbolState(int window)
    {
        private readonly long[] _prices = new long[window];
        private int _next;

        public int Count { get; private set; }

        public long LastSequence { get; private set; } = long.MinValue;

        public long LastTimeNanos { get; private set; } = long.MinValue;

        public void Accept(in TradeTick tick)
        {
            LastSequence = tick.Sequence;
            LastTimeNanos = Math.Max(LastTimeNanos, tick.Time.UnixNanoseconds);
            _prices[_next] = tick.Price.Raw;
            _next = (_next + 1) % _prices.Length;
            Count = Math.Min(Count + 1, _prices.Length);
        }

        public void CopyPrices(Span<long> destination) => _prices.AsSpan(0, Count).CopyTo(destination);
    }
}
