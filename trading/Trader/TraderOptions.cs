using BigDataTrading.Trading.Risk;

namespace BigDataTrading.Trading;

/// <summary>Settings of the trader service.</summary>
/// <param name="Risk">Pre-trade risk limits.</param>
/// <param name="LimitOffsetBasisPoints">How far through the reference price a marketable limit order is priced (bps, 0..500).</param>
/// <param name="TickSize">Price increment limit prices are rounded to (0.01 for US equities).</param>
/// <param name="DrainTimeout">How long, at end of stream, to wait for open orders to reach a final state.</param>
/// <param name="MarkStaleness">How much older (event time) than a signal the trader's own last price may be and still serve as the collar's market price.</param>
public sealed record TraderOptions(PreTradeRiskOptions Risk, int LimitOffsetBasisPoints, decimal TickSize, TimeSpan DrainTimeout, TimeSpan MarkStaleness)
{
    /// <summary>Default settings: 5 bps through the reference, cent ticks, 30 s drain, 1-minute mark staleness.</summary>
    public static TraderOptions Default { get; } = new(new PreTradeRiskOptions(), 5, 0.01m, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1));

    /// <summary>Throws when a setting is out of range, naming it.</summary>
    public void Validate()
    {
        Risk.Validate();
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
    }
}
