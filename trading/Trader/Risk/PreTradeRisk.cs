using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Orders;

namespace BigDataTrading.Trading.Risk;

/// <summary>Limits applied to every order before it leaves the trader.</summary>
/// <param name="MaxOrderQuantity">Largest order, in units.</param>
/// <param name="MaxOrderNotional">Largest order value at its limit price, in quote currency.</param>
/// <param name="MaxAbsolutePosition">Largest absolute position per symbol after the order fills completely, in units.</param>
/// <param name="PriceCollarFraction">Largest |limit / market − 1| accepted, e.g. 0.02 for 2 %.</param>
/// <param name="MaxGrossExposure">Largest Σ |position × mark| over all symbols plus the notional of every working order,
/// including the new one, in quote currency.</param>
/// <param name="MaxOrdersPerWindow">Most orders accepted within any <paramref name="OrderRateWindowMilliseconds"/> window.</param>
/// <param name="OrderRateWindowMilliseconds">Length of the sliding order-rate window, milliseconds (≥ 1).</param>
/// <param name="MaxOpenOrders">Most orders working at once; the new order must fit.</param>
/// <param name="MaxDailyLoss">Largest loss today (realized + unrealized since the UTC day began, quote currency, positive) before new orders are refused.</param>
public sealed record PreTradeRiskOptions(
    long MaxOrderQuantity = 1_000,
    decimal MaxOrderNotional = 1_000_000m,
    long MaxAbsolutePosition = 2_000,
    decimal PriceCollarFraction = 0.02m,
    decimal MaxGrossExposure = 10_000_000m,
    int MaxOrdersPerWindow = 100,
    int OrderRateWindowMilliseconds = 1_000,
    int MaxOpenOrders = 200,
    decimal MaxDailyLoss = 100_000m)
{
    /// <summary>Throws when a limit is not positive, naming it.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxOrderQuantity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxOrderNotional);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxAbsolutePosition);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxGrossExposure);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxOrdersPerWindow);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(OrderRateWindowMilliseconds);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxOpenOrders);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxDailyLoss);
        if (PriceCollarFraction is <= 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(PriceCollarFraction), PriceCollarFraction, "Must be in (0, 1).");
        }
    }
}

/// <summary>Why risk refused an order. Stable codes: stored in the warehouse and published on the orders topic.</summary>
public enum RiskRejectReason
{
    /// <summary>Not rejected.</summary>
    None = 0,

    /// <summary>Quantity not positive.</summary>
    InvalidQuantity,

    /// <summary>Quantity above <see cref="PreTradeRiskOptions.MaxOrderQuantity"/>.</summary>
    MaxOrderQuantity,

    /// <summary>Notional above <see cref="PreTradeRiskOptions.MaxOrderNotional"/>.</summary>
    MaxOrderNotional,

    /// <summary>Resulting position would exceed <see cref="PreTradeRiskOptions.MaxAbsolutePosition"/>.</summary>
    MaxPosition,

    /// <summary>Limit price too far from the market.</summary>
    PriceCollar,

    /// <summary>No market price is known for the symbol, so the collar cannot be checked.</summary>
    NoMarketPrice,

    /// <summary>The kill switch is engaged: no new orders until an operator releases it.</summary>
    KillSwitch,

    /// <summary>Gross exposure after the order would exceed <see cref="PreTradeRiskOptions.MaxGrossExposure"/>.</summary>
    MaxGrossExposure,

    /// <summary>More than <see cref="PreTradeRiskOptions.MaxOrdersPerWindow"/> orders in the rate window.</summary>
    OrderRate,

    /// <summary><see cref="PreTradeRiskOptions.MaxOpenOrders"/> orders are already working.</summary>
    MaxOpenOrders,

    /// <summary>Today's loss has reached <see cref="PreTradeRiskOptions.MaxDailyLoss"/>.</summary>
    DailyLoss,

    /// <summary>A model gate (<see cref="IRiskModelGate"/>, e.g. the volatility gate) refused the order.</summary>
    ModelGate,

    /// <summary>
    /// The venue session is down (reconnecting): the order is refused rather than held, because a signal is priced for
    /// the market of its moment and an outage of unknown length would send it stale; the strategy signals again.
    /// </summary>
    VenueDisconnected,
}

/// <summary>
/// Everything besides the order that the limits compare against, taken consistently by the caller (under its lock).
/// </summary>
/// <param name="PositionWithOpenOrders">Signed position in the order's symbol now, plus what its open orders would add.</param>
/// <param name="MarketPrice">Last market price of the symbol, or null when unknown.</param>
/// <param name="GrossExposure">Σ |position × mark| over all symbols plus the notional of working orders, before this order (quote currency).</param>
/// <param name="OpenOrders">Orders working now.</param>
/// <param name="OrdersInWindow">Orders accepted in the current order-rate window.</param>
/// <param name="DailyPnl">Realized + unrealized P&amp;L since the UTC day began (negative = loss), quote currency.</param>
public readonly record struct RiskSnapshot(
    long PositionWithOpenOrders,
    Price? MarketPrice,
    decimal GrossExposure = 0m,
    int OpenOrders = 0,
    int OrdersInWindow = 0,
    decimal DailyPnl = 0m);

/// <summary>The outcome of a risk check: accepted, or rejected with a reason code and a human-readable explanation.</summary>
/// <param name="Reason">Reject code, <see cref="RiskRejectReason.None"/> when accepted.</param>
/// <param name="Message">Explanation naming the limit and the values compared; null when accepted.</param>
public readonly record struct RiskDecision(RiskRejectReason Reason, string? Message)
{
    /// <summary>The accepted decision.</summary>
    public static RiskDecision Accept => default;

    /// <summary>True when the order may be sent.</summary>
    public bool IsAccepted => Reason == RiskRejectReason.None;
}

/// <summary>
/// Pre-trade checks, in order: quantity, market price known, notional, post-fill position, price collar, open orders,
/// order rate, gross exposure, daily loss, then every model gate. The checks are a pure function of the order and the
/// <see cref="RiskSnapshot"/> (the caller keeps the state: positions, open orders, the rate window), so they are
/// thread-safe and identical in live trading and backtests; gates may keep their own thread-safe state.
/// </summary>
public sealed class PreTradeRisk
{
    private readonly PreTradeRiskOptions _options;
    private readonly IReadOnlyList<IRiskModelGate> _gates;

    /// <summary>Creates the checker.</summary>
    /// <param name="options">The limits (validated).</param>
    /// <param name="gates">Model gates consulted after every limit passed, in order; none by default.</param>
    public PreTradeRisk(PreTradeRiskOptions options, IReadOnlyList<IRiskModelGate>? gates = null)
    {
        options.Validate();
        _options = options;
        _gates = gates ?? [];
    }

    /// <summary>The model gates, in evaluation order.</summary>
    public IReadOnlyList<IRiskModelGate> Gates => _gates;

    /// <summary>Checks an order against the size, position and collar limits only (no portfolio state).</summary>
    /// <param name="order">The order intent.</param>
    /// <param name="currentPosition">Signed position in the symbol now, plus what open orders would add.</param>
    /// <param name="marketPrice">Last market price of the symbol, or null when unknown.</param>
    public RiskDecision Check(Order order, long currentPosition, Price? marketPrice) => Check(order, new RiskSnapshot(currentPosition, marketPrice));

    /// <summary>Checks an order against every limit and gate.</summary>
    public RiskDecision Check(Order order, in RiskSnapshot snapshot)
    {
        var currentPosition = snapshot.PositionWithOpenOrders;
        var marketPrice = snapshot.MarketPrice;
        if (order.Quantity <= 0)
        {
            return Reject(RiskRejectReason.InvalidQuantity, $"quantity {order.Quantity} is not positive");
        }

        if (order.Quantity > _options.MaxOrderQuantity)
        {
            return Reject(RiskRejectReason.MaxOrderQuantity, $"quantity {order.Quantity} > limit {_options.MaxOrderQuantity}");
        }

        if (marketPrice is not { } market || !market.IsPositive)
        {
            return Reject(RiskRejectReason.NoMarketPrice, $"no market price known for {order.Symbol}");
        }

        var notional = order.Notional(market);
        if (notional > _options.MaxOrderNotional)
        {
            return Reject(RiskRejectReason.MaxOrderNotional, $"notional {notional:0.##} > limit {_options.MaxOrderNotional:0.##}");
        }

        var after = currentPosition + (order.Side.Sign() * order.Quantity);
        if (Math.Abs(after) > _options.MaxAbsolutePosition)
        {
            return Reject(RiskRejectReason.MaxPosition, $"position after fill {after} exceeds ±{_options.MaxAbsolutePosition}");
        }

        if (order.LimitPrice is { } limit)
        {
            var deviation = Math.Abs((limit.ToDecimal() / market.ToDecimal()) - 1m);
            if (deviation > _options.PriceCollarFraction)
            {
                return Reject(RiskRejectReason.PriceCollar, $"limit {limit} is {deviation:P2} from market {market}, collar {_options.PriceCollarFraction:P2}");
            }
        }

        if (snapshot.OpenOrders >= _options.MaxOpenOrders)
        {
            return Reject(RiskRejectReason.MaxOpenOrders, $"{snapshot.OpenOrders} orders open, limit {_options.MaxOpenOrders}");
        }

        if (snapshot.OrdersInWindow >= _options.MaxOrdersPerWindow)
        {
            return Reject(RiskRejectReason.OrderRate, $"{snapshot.OrdersInWindow} orders in the last {_options.OrderRateWindowMilliseconds} ms, limit {_options.MaxOrdersPerWindow}");
        }

        var gross = snapshot.GrossExposure + notional;
        if (gross > _options.MaxGrossExposure)
        {
            return Reject(RiskRejectReason.MaxGrossExposure, $"gross exposure after the order {gross:0.##} > limit {_options.MaxGrossExposure:0.##}");
        }

        if (-snapshot.DailyPnl >= _options.MaxDailyLoss)
        {
            return Reject(RiskRejectReason.DailyLoss, $"today's P&L {snapshot.DailyPnl:0.##} reached the loss limit {_options.MaxDailyLoss:0.##}");
        }

        foreach (var gate in _gates)
        {
            var decision = gate.Evaluate(order, snapshot);
            if (!decision.IsAccepted)
            {
                return decision;
            }
        }

        return RiskDecision.Accept;
    }

    /// <summary>A rejection whose message starts with the reason code; for gates too.</summary>
    public static RiskDecision Reject(RiskRejectReason reason, string message) =>
        new(reason, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{reason}: {message}"));
}
