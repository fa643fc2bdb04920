using BigDataTrading.Core.MarketData;
using BigDataTrading.Warehouse;

namespace BigDataTrading.Streaming.Processing;

/// <summary>The processor's lake outputs as Hive-partitioned Parquet: the <c>ticks</c> and <c>bars_1m</c> datasets.</summary>
/// <remarks>Not thread-safe: called from the processor's consume loop only.</remarks>
public sealed class ParquetLakeSink(LakeLayout lake, string writerId) : IMarketDataLakeSink
{
    private readonly ParquetTickWriter _ticks = new(lake, writerId);
    private readonly ParquetBarWriter _bars = new(lake, writerId);

    /// <inheritdoc />
    public void Append(in TradeTick trade) => _ticks.Append(trade);

    /// <inheritdoc />
    public void Append(in Bar bar) => _bars.Append(bar);

    /// <inheritdoc />
    public long Commit() => _ticks.Commit().TotalRows + _bars.Commit().TotalRows;
}
