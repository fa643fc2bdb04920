using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Orders;

namespace BigDataTrading.Trading.Risk;

/// <summary>Limits applied to every order before it leaves the trader.</summary>
/// <param name="MaxOrderQuantity">Largest order, in units.</param>
/// <param name="MaxOrderNotional">Largest order value at its limit price, in quote currency.</param>
/// <param name="MaxAbsolutePosition">Largest absolute position per symbol after the order fills completely, in units.</param>
/// <param name="PriceCollarFraction">Largest |limit / market − 1| accepted, e.g. 0.02 for 2 %.</param>
public sealed record PreTradeRiskOptions(
    long MaxOrderQuantity = 1_000,
    decimal MaxOrderNotional = 1_000_000m,
    long MaxAbsolutePosition = 2_000,
    decimal PriceCollarFraction = 0.02m)
{
    /// <summary>Throws when a limit is not positive, naming it.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxOrderQuantity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxOrderNotional);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxAbsolutePosition);
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
}

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
/// Stateless pre-trade checks: order size, notional, post-fill position and price collar. Pure function of its
/// inputs, so it is thread-safe and identical in live trading and backtests.
/// </summary>
public sealed class PreTradeRisk
{
    private readonly PreTradeRiskOptions _options;

    /// <summary>Creates the checker.</summary>
    public PreTradeRisk(PreTradeRiskOptions options)
    {
        options.Validate();
        _options = options;
    }

    /// <summary>Checks an order against the limits.</summary>
    /// <param name="order">The order intent.</param>
    /// <param name="currentPosition">Signed position in the symbol now, plus what open orders would add.</param>
    /// <param name="marketPrice">Last market price of the symbol, or null when unknown.</param>
    public RiskDecision Check(Order order, long currentPosition, Price? marketPrice)
    {
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

        return RiskDecision.Accept;
    }

    private static RiskDecision Reject(RiskRejectReason reason, string message) =>
        new(reason, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{reason}: {message}"));
}
