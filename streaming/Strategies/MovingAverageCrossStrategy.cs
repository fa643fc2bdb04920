using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Orders;
using BigDataTrading.Core.Signals;
using BigDataTrading.Core.Strategies;

namespace BigDataTrading.Streaming.Strategies;

/// <summary>Parameters of <see cref="MovingAverageCrossStrategy"/>.</summary>
/// <param name="FastBars">Bars in the fast simple moving average (≥ 1).</param>
/// <param name="SlowBars">Bars in the slow simple moving average (&gt; FastBars, ≤ 1000).</param>
/// <param name="TargetQuantity">Absolute position (units) held long or short.</param>
public sealed record MovingAverageCrossOptions(int FastBars = 5, int SlowBars = 20, long TargetQuantity = 100)
{
    /// <summary>Throws when a parameter is out of range, naming it.</summary>
    public void Validate()
    {
        if (FastBars < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(FastBars), FastBars, "Must be ≥ 1.");
        }

        if (SlowBars <= FastBars || SlowBars > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(SlowBars), SlowBars, "Must be > FastBars and ≤ 1000.");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(TargetQuantity);
    }
}

/// <summary>
/// Classic trend follower on bar closes: long <see cref="MovingAverageCrossOptions.TargetQuantity"/> while the fast
/// average is above the slow one, short the same while below; a signal trades the difference to the new target.
/// Deterministic: signal ids are derived from strategy, symbol and bar time, so a replay emits the same ids.
/// Not thread-safe; allocation-free per bar except when it emits a signal.
/// </summary>
public sealed class MovingAverageCrossStrategy : IBarStrategy
{
    private readonly MovingAverageCrossOptions _options;
    private readonly Dictionary<Symbol, State> _states = [];

    /// <summary>Creates the strategy.</summary>
    public MovingAverageCrossStrategy(MovingAverageCrossOptions options)
    {
        options.Validate();
        _options = options;
    }

    /// <inheritdoc />
    public string StrategyId => "smax";

    /// <inheritdoc />
    public Signal? OnBar(in Bar bar)
    {
        if (!_states.TryGetValue(bar.Symbol, out var state))
        {
            state = new State(_options.SlowBars);
            _states.Add(bar.Symbol, state);
        }

        state.Push(bar.Close.Raw);
        if (state.Count < _options.SlowBars)
        {
            return null;
        }

        var fast = state.Average(_options.FastBars);
        var slow = state.Average(_options.SlowBars);
        var target = fast > slow ? _options.TargetQuantity : fast < slow ? -_options.TargetQuantity : state.Position;
        var delta = target - state.Position;
        if (delta == 0)
        {
            return null;
        }

        state.Position = target;
        var id = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{StrategyId}-{bar.Symbol}-{bar.Start.UnixNanoseconds / bar.PeriodNanos}");
        return new Signal(id, StrategyId, bar.Symbol, bar.End, delta > 0 ? Side.Buy : Side.Sell, Math.Abs(delta), bar.Close);
    }

    private sealed class State(int capacity)
    {
        private readonly long[] _closes = new long[capacity];
        private int _next;

        public int Count { get; private set; }

        public long Position { get; set; }

        public void Push(long close)
        {
            _closes[_next] = close;
            _next = (_next + 1) % _closes.Length;
            Count = Math.Min(Count + 1, _closes.Length);
        }

        public decimal Average(int n)
        {
            Int128 sum = 0;
            for (var i = 1; i <= n; i++)
            {
                sum += _closes[(_next - i + _closes.Length) % _closes.Length];
            }

            return (decimal)sum / n;
        }
    }
}
