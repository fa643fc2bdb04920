namespace BigDataTrading.Core.MarketData;

/// <summary>
/// Sale-condition flags of a trade print, one bit per condition the reporting market attached to it. The bit layout is
/// the one of the LEAN/AlgoSeek US equity tick files (their fifth column, in hex), so those files carry through
/// unchanged; a source without conditions reports <see cref="None"/>. Bits this type does not name are kept as they came.
/// </summary>
/// <remarks>
/// Conditions decide what a print may do to derived data: every print counts toward volume, but some prints must not
/// set a bar's open, high, low or close. <see cref="SaleConditionsExtensions"/> names the rules that follow from them.
/// </remarks>
[Flags]
public enum SaleConditions : uint
{
    /// <summary>No condition reported (or a source that does not carry conditions).</summary>
    None = 0,

    /// <summary>Regular-way settlement, no special condition.</summary>
    Regular = 1u << 0,

    /// <summary>Same-day settlement.</summary>
    Cash = 1u << 1,

    /// <summary>Next-day settlement.</summary>
    NextDay = 1u << 2,

    /// <summary>Seller's option settlement.</summary>
    Seller = 1u << 3,

    /// <summary>Reported during an out-of-the-ordinary market event (UTP yellow flag).</summary>
    YellowFlag = 1u << 4,

    /// <summary>Execution of an intermarket sweep order.</summary>
    IntermarketSweep = 1u << 5,

    /// <summary>Single-priced opening print of a market centre (opening auction).</summary>
    OpeningPrint = 1u << 6,

    /// <summary>Single-priced closing print of a market centre (closing auction).</summary>
    ClosingPrint = 1u << 7,

    /// <summary>Single-priced reopening print after a halt.</summary>
    ReopeningPrint = 1u << 8,

    /// <summary>Priced from something other than the quote at execution time.</summary>
    DerivativelyPriced = 1u << 9,

    /// <summary>Extended-hours trade reported under Form T.</summary>
    FormT = 1u << 10,

    /// <summary>Reported late ("sold last").</summary>
    SoldLast = 1u << 11,

    /// <summary>Execution of a stopped order.</summary>
    Stopped = 1u << 12,

    /// <summary>Executed outside the primary market's regular hours.</summary>
    ExtendedHours = 1u << 13,

    /// <summary>Reported out of sequence.</summary>
    OutOfSequence = 1u << 14,

    /// <summary>Average-price trade: the price is an average over a period, not an execution price.</summary>
    AveragePrice = 1u << 20,

    /// <summary>Result of a market centre's crossing session.</summary>
    Cross = 1u << 21,

    /// <summary>Price significantly away from the prevailing market at the time.</summary>
    PriceVariation = 1u << 22,

    /// <summary>A market centre's official closing price.</summary>
    OfficialClose = 1u << 24,

    /// <summary>Priced at a reference point more than 90 seconds before the report.</summary>
    PriorReferencePrice = 1u << 25,

    /// <summary>A market centre's official opening price.</summary>
    OfficialOpen = 1u << 26,

    /// <summary>Exempt from the trade-through rule (Reg NMS 611).</summary>
    TradeThroughExempt = 1u << 29,

    /// <summary>Fewer than 100 shares.</summary>
    OddLot = 1u << 31,
}

/// <summary>Rules derived from <see cref="SaleConditions"/>. Pure functions; thread-safe.</summary>
public static class SaleConditionsExtensions
{
    /// <summary>Conditions that keep a regular-hours print from setting a bar's price.</summary>
    public const SaleConditions NotBarPriceEligibleInRegularHours =
        SaleConditions.IntermarketSweep | SaleConditions.AveragePrice | SaleConditions.DerivativelyPriced;

    /// <summary>
    /// Whether a print may set a bar's open, high, low or close. The rule is the one that reproduces the LEAN minute
    /// files from the LEAN tick files of the same day (measured on the shared SPY and IBM days, see streaming/Cql/README.md):
    /// an extended-hours print always may; a regular-hours print may unless it is an intermarket sweep, an average-price or
    /// a derivatively priced print. Every print, eligible or not, counts toward volume. Using the same rule live keeps
    /// bars built from the stream equal to the historical bars a backtest reads.
    /// </summary>
    public static bool IsBarPriceEligible(this SaleConditions conditions) =>
        (conditions & SaleConditions.ExtendedHours) != 0 || (conditions & NotBarPriceEligibleInRegularHours) == 0;
}
