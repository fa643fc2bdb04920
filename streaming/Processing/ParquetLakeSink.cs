using BigDataTrading.Core.MarketData;
using BigDataTrading.Warehouse;
using BigDataTrading.Warehouse.Catalog;

namespace BigDataTrading.Streaming.Processing;

/// <summary>
/// The processor's lake outputs as Hive-partitioned Parquet: the <c>ticks</c> and <c>bars_1m</c> datasets, each commit
/// registered in the lake catalog with its lineage and the quality filter's rejection counts per partition.
/// </summary>
/// <remarks>Not thread-safe: called from the processor's consume loop only.</remarks>
public sealed class ParquetLakeSink(LakeLayout lake, string writerId, LakeCatalog catalog, LakeJobRun run) : IMarketDataLakeSink
{
    private readonly ParquetTickWriter _ticks = new(lake, writerId);
    private readonly ParquetBarWriter _bars = new(lake, writerId);

    /// <inheritdoc />
    public void Append(in TradeTick trade) => _ticks.Append(trade);

    /// <inheritdoc />
    public void Append(in Bar bar) => _bars.Append(bar);

    /// <inheritdoc />
    public long Commit(IReadOnlyDictionary<DateOnly, IReadOnlyDictionary<string, long>> rejectionsByDate)
    {
        var ticks = _ticks.Commit();
        var bars = _bars.Commit();
        catalog.RegisterCommit(ticks, run);
        catalog.RegisterCommit(bars, run);
        foreach (var (date, counts) in rejectionsByDate)
        {
            catalog.RecordQuality(LakeDatasets.Ticks, date, counts);
        }

        return ticks.TotalRows + bars.TotalRows;
    }
}
