using BigDataTrading.Trading.Risk;

namespace BigDataTrading.Trading;

/// <summary>Settings of the trader service.</summary>
/// <param name="Risk">Pre-trade risk limits.</param>
/// <param name="LimitOffsetBasisPoints">How far through the reference price a marketable limit order is priced (bps, 0..500).</param>
/// <param name="TickSize">Price increment limit prices are rounded to (0.01 for US equities).</param>
/// <param name="DrainTimeout">How long, at end of stream, to wait for open orders to reach a final state.</param>
/// <param name="MarkStaleness">How much older (event time) than a signal the trader's own last price may be and still serve as the collar's market price.</param>
/// <param name="Volatility">The default model gate (realized volatility of recent bar closes); null for no gate.</param>
/// <param name="UnsentOrderMaxAgeSeconds">Recovery: a journaled order the venue never saw is sent (exactly once) when it is
/// at most this old (seconds since it was created), else it is marked <c>LostNeverSent</c>. 0 never re-sends.</param>
/// <param name="RecoveryTimeoutSeconds">Recovery: how long to wait for the venue's answers to the status requests.</param>
/// <param name="BarWarmup">Bars per partition read back at start-up (marks and the volatility gate's history).</param>
public sealed record TraderOptions(
    PreTradeRiskOptions Risk,
    int LimitOffsetBasisPoints,
    decimal TickSize,
    TimeSpan DrainTimeout,
    TimeSpan MarkStaleness,
    VolatilityGateOptions? Volatility = null,
    int UnsentOrderMaxAgeSeconds = 300,
    int RecoveryTimeoutSeconds = 30,
    int BarWarmup = 1_000)
{
    /// <summary>Default settings: 5 bps through the reference, cent ticks, 30 s drain, 1-minute mark staleness, a 5 %-per-bar volatility gate.</summary>
    public static TraderOptions Default { get; } = new(new PreTradeRiskOptions(), 5, 0.01m, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1), new VolatilityGateOptions(20, 0.05));

    /// <summary>Throws when a setting is out of range, naming it.</summary>
    public void Validate()
    {
        Risk.Validate();
        Volatility?.Validate();
        if (LimitOffsetBasisPoints is < 0 or > 500)
        {
            throw new ArgumentOutOfRangeException(nameof(LimitOffsetBasisPoints), LimitOffsetBasisPoints, "Must be 0..500.");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(TickSize);
        if (MarkStaleness < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(MarkStaleness), MarkStaleness, "Must be ≥ 0.");
        }

        if (DrainTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(DrainTimeout), DrainTimeout, "Must be positive.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(UnsentOrderMaxAgeSeconds);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(RecoveryTimeoutSeconds);
        ArgumentOutOfRangeException.ThrowIfNegative(BarWarmup);
    }
}
