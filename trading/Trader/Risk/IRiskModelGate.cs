using System.Globalization;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Orders;

namespace BigDataTrading.Trading.Risk;

/// <summary>
/// A model-based pre-trade gate, consulted after every hard limit passed: the seam where the ML risk model plugs in.
/// Until then <see cref="VolatilityGate"/> is the default.
/// </summary>
/// <remarks>Implementations must be thread-safe: <see cref="Observe"/> runs on the market-data thread while
/// <see cref="Evaluate"/> runs on the signal thread. Evaluate must be fast (it is on the order path) and must not throw
/// for business outcomes: refuse with <see cref="PreTradeRisk.Reject"/> and <see cref="RiskRejectReason.ModelGate"/>.</remarks>
public interface IRiskModelGate
{
    /// <summary>Short name, shown in rejection messages.</summary>
    string Name { get; }

    /// <summary>Feeds a market price (a bar close, in event-time order per symbol).</summary>
    void Observe(Symbol symbol, Price price);

    /// <summary>Accepts or refuses an order.</summary>
    RiskDecision Evaluate(Order order, in RiskSnapshot snapshot);
}

/// <summary>Settings of <see cref="VolatilityGate"/>.</summary>
/// <param name="Window">Number of most recent returns (price-to-price) used, ≥ 2.</param>
/// <param name="MaxVolatility">Largest realized volatility accepted, as a fraction per observation (0.02 = 2 % per bar), &gt; 0.</param>
public sealed record VolatilityGateOptions(int Window = 20, double MaxVolatility = 0.02)
{
    /// <summary>Throws when a setting is out of range, naming it.</summary>
    public void Validate()
    {
        if (Window < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(Window), Window, "Must be ≥ 2.");
        }

        if (!(MaxVolatility > 0) || double.IsInfinity(MaxVolatility))
        {
            throw new ArgumentOutOfRangeException(nameof(MaxVolatility), MaxVolatility, "Must be a positive fraction.");
        }
    }
}

/// <summary>
/// Refuses orders in a symbol whose recent realized volatility is above a bound: σ = √(Σ rᵢ² / n) over the last
/// <see cref="VolatilityGateOptions.Window"/> simple returns rᵢ = pᵢ / pᵢ₋₁ − 1 of observed prices (zero-mean
/// realized volatility, the usual estimator for short horizons). With fewer than 2 returns seen it cannot judge and
/// accepts. Thread-safe (one lock); O(1) per observation (running sum of squares over a ring).
/// </summary>
public sealed class VolatilityGate : IRiskModelGate
{
    private readonly VolatilityGateOptions _options;
    private readonly Lock _gate = new();
    private readonly Dictionary<Symbol, Series> _series = [];

    /// <summary>Creates the gate.</summary>
    public VolatilityGate(VolatilityGateOptions options)
    {
        options.Validate();
        _options = options;
    }

    /// <inheritdoc />
    public string Name => "volatility";

    /// <inheritdoc />
    public void Observe(Symbol symbol, Price price)
    {
        if (!price.IsPositive)
        {
            return;
        }

        lock (_gate)
        {
            if (!_series.TryGetValue(symbol, out var series))
            {
                _series[symbol] = series = new Series(_options.Window);
            }

            series.Add((double)price.ToDecimal());
        }
    }

    /// <summary>Realized volatility of the symbol's recent returns, or null with fewer than 2 returns.</summary>
    public double? Volatility(Symbol symbol)
    {
        lock (_gate)
        {
            return _series.TryGetValue(symbol, out var series) ? series.Volatility : null;
        }
    }

    /// <inheritdoc />
    public RiskDecision Evaluate(Order order, in RiskSnapshot snapshot)
    {
        var volatility = Volatility(order.Symbol);
        return volatility is { } sigma && sigma > _options.MaxVolatility
            ? PreTradeRisk.Reject(RiskRejectReason.ModelGate, string.Create(CultureInfo.InvariantCulture, $"{Name} gate: realized volatility of {order.Symbol} {sigma:P3} over the last {_options.Window} returns exceeds {_options.MaxVolatility:P3}"))
            : RiskDecision.Accept;
    }

    private sealed class Series(int window)
    {
        private readonly double[] _squares = new double[window];
        private double _last;
        private int _count;
        private int _next;
        private double _sum;

        public double? Volatility => _count >= 2 ? Math.Sqrt(Math.Max(0, _sum) / _count) : null;

        public void Add(double price)
        {
            if (_last > 0)
            {
                var r = (price / _last) - 1;
                _sum += (r * r) - _squares[_next];
                _squares[_next] = r * r;
                _next = (_next + 1) % _squares.Length;
                _count = Math.Min(_count + 1, _squares.Length);
            }

            _last = price;
        }
    }
}

/// <summary>
/// Counts accepted orders in a sliding window measured on the injected clock (monotonic timestamps). Not
/// thread-safe: the trader calls it under its own lock.
/// </summary>
public sealed class OrderRateWindow
{
    private readonly Queue<long> _accepted = new();
    private readonly TimeProvider _clock;
    private readonly long _windowTicks;

    /// <summary>Creates a window of <paramref name="window"/> length.</summary>
    public OrderRateWindow(TimeProvider clock, TimeSpan window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        _clock = clock;
        _windowTicks = (long)(window.TotalSeconds * clock.TimestampFrequency);
    }

    /// <summary>Orders accepted within the window ending now.</summary>
    public int Count()
    {
        var now = _clock.GetTimestamp();
        while (_accepted.Count > 0 && now - _accepted.Peek() >= _windowTicks)
        {
            _accepted.Dequeue();
        }

        return _accepted.Count;
    }

    /// <summary>Records an accepted order now.</summary>
    public void Record() => _accepted.Enqueue(_clock.GetTimestamp());
}
