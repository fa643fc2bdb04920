using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Time;

namespace BigDataTrading.Core.MarketData;

/// <summary>
/// One trade print. Sizes are whole units (shares or contracts); <paramref name="Sequence"/> is the source's
/// per-symbol, strictly increasing number of the record, which makes every tick identifiable end to end
/// (the lake's exactly-once checks rely on it).
/// </summary>
/// <param name="Symbol">Instrument traded.</param>
/// <param name="Time">Event time of the print, from the data.</param>
/// <param name="Price">Trade price (must be positive to be valid).</param>
/// <param name="Size">Units traded (must be positive to be valid).</param>
/// <param name="Sequence">Source record number, unique per symbol and source.</param>
/// <param name="Exchange">Single-letter venue code, or '\0' when unknown.</param>
/// <param name="Conditions">Sale conditions the market reported, or <see cref="SaleConditions.None"/> when the source has none.</param>
public readonly record struct TradeTick(Symbol Symbol, Timestamp Time, Price Price, long Size, long Sequence, char Exchange = '\0', SaleConditions Conditions = SaleConditions.None);
