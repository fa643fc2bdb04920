using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Orders;
using BigDataTrading.Core.Time;

namespace BigDataTrading.Core.Signals;

/// <summary>
/// A strategy's request to trade, published by the intelligence layer and consumed by the trader service.
/// </summary>
/// <param name="SignalId">Deterministic id (strategy, symbol, bar time): replays produce the same ids, so downstream is idempotent.</param>
/// <param name="StrategyId">Which strategy produced it.</param>
/// <param name="Symbol">Instrument.</param>
/// <param name="Time">Event time of the data that triggered it.</param>
/// <param name="Side">Buy or sell.</param>
/// <param name="Quantity">Whole units to trade, positive.</param>
/// <param name="ReferencePrice">The market price the strategy saw (last close), used for limit price and collars.</param>
public sealed record Signal(
    string SignalId,
    string StrategyId,
    Symbol Symbol,
    Timestamp Time,
    Side Side,
    long Quantity,
    Price ReferencePrice);
