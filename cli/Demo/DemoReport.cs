using BigDataTrading.Streaming.Processing;
using BigDataTrading.Trading;

namespace BigDataTrading.Cli.Demo;

/// <summary>The outcome of one demo run: what every stage counted and where its outputs are.</summary>
/// <param name="RunDirectory">The run's own folder.</param>
/// <param name="LakeRoot">Lake root (Hive-partitioned Parquet).</param>
/// <param name="WarehousePath">Where orders and executions were recorded: the run's DuckDB file, or a PostgreSQL server and database.</param>
/// <param name="FixLogDirectory">FIX message logs of both session ends.</param>
/// <param name="Source">What was replayed.</param>
/// <param name="SourceTicks">Ticks read from the source.</param>
/// <param name="SourceErrors">Source lines that could not be parsed (reported, not dropped).</param>
/// <param name="Published">Ticks acknowledged by Kafka.</param>
/// <param name="Processor">Stream processor counts.</param>
/// <param name="RejectionsByReason">Quality-filter rejections per reason code.</param>
/// <param name="DeadLettersByReason">Records found on the dead-letter topic afterwards, by their reason header.</param>
/// <param name="Trader">Trader counts, positions and marks.</param>
/// <param name="LakeTickRows">Rows in the lake's ticks table, counted back through DuckDB.</param>
/// <param name="LakeBarRows">Rows in the lake's bars table, counted back through DuckDB.</param>
/// <param name="Elapsed">Wall time of the replay.</param>
public sealed record DemoReport(
    string RunDirectory,
    string LakeRoot,
    string WarehousePath,
    string FixLogDirectory,
    string Source,
    long SourceTicks,
    long SourceErrors,
    long Published,
    ProcessorResult Processor,
    IReadOnlyList<KeyValuePair<string, long>> RejectionsByReason,
    IReadOnlyDictionary<string, long> DeadLettersByReason,
    TraderResult Trader,
    long LakeTickRows,
    long LakeBarRows,
    TimeSpan Elapsed)
{
    /// <summary>What the shipped trading pack did over the accepted ticks (events in, rows per query, late events).</summary>
    public BigDataTrading.Streaming.Cql.Kafka.CqlStreamReport? Cql { get; init; }

    /// <summary>Realized plus unrealized P&amp;L at the last marks, quote currency.</summary>
    public decimal TotalPnl => Trader.Positions.Sum(p => p.RealizedPnl + (Trader.Marks.TryGetValue(p.Symbol, out var m) ? p.UnrealizedPnl(m) : 0m));

    /// <summary>Source ticks per second of wall time.</summary>
    public double TicksPerSecond => SourceTicks / Math.Max(Elapsed.TotalSeconds, 1e-9);
}
