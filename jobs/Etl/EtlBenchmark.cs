using System.Diagnostics;
using System.Globalization;
using BigDataTrading.Sources;
using BigDataTrading.Warehouse;
using BigDataTrading.Warehouse.Catalog;
using DuckDB.NET.Data;

namespace BigDataTrading.Jobs.Etl;

/// <summary>Timings of <see cref="EtlBenchmark.RunAsync"/>. Immutable.</summary>
/// <param name="Ticks">Ticks in the ingested day.</param>
/// <param name="Bars">Bars the job wrote.</param>
/// <param name="JobSeconds">Each timed run of the bar job (C#/ParquetSharp, with catalog registration).</param>
/// <param name="DuckDbSeconds">Each timed run of the DuckDB SQL baseline (same aggregation as one COPY statement).</param>
public sealed record EtlBenchmarkResult(long Ticks, long Bars, IReadOnlyList<double> JobSeconds, IReadOnlyList<double> DuckDbSeconds)
{
    /// <summary>Median of <see cref="JobSeconds"/>.</summary>
    public double JobMedian => Median(JobSeconds);

    /// <summary>Median of <see cref="DuckDbSeconds"/>.</summary>
    public double DuckDbMedian => Median(DuckDbSeconds);

    private static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}

/// <summary>
/// Benchmark of the bar ETL: ingests a LEAN tick zip into a scratch lake (not timed), then times the bar job
/// (<see cref="LakeEtl.BuildBarsAsync"/>) and, as a baseline in the same run, the equivalent DuckDB SQL (read the
/// partition, group by symbol and bucket, write Parquet) — the alternative implementation of the job.
/// </summary>
public static class EtlBenchmark
{
    /// <summary>Runs the benchmark; progress lines go to <paramref name="log"/>.</summary>
    /// <param name="zipPath">A LEAN tick trade zip (e.g. the SPY 2013-10-08 sample).</param>
    /// <param name="runs">Timed runs of each (after one warm-up run of each).</param>
    /// <param name="period">Bar period.</param>
    /// <param name="log">Where per-run lines go.</param>
    /// <param name="clock">Wall time for the catalog.</param>
    /// <param name="ct">Cancels between runs.</param>
    public static async Task<EtlBenchmarkResult> RunAsync(string zipPath, int runs, BarPeriod period, TextWriter log, TimeProvider clock, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(runs, 1);
        ArgumentNullException.ThrowIfNull(log);
        var scratch = Directory.CreateTempSubdirectory("bdt-etl-bench-").FullName;
        try
        {
            var lake = new LakeLayout(Path.Combine(scratch, "lake"));
            var writer = new ParquetTickWriter(lake, "ingest");
            long ticks = 0;
            await foreach (var tick in new LeanTickTradeZipSource(zipPath, new CountingSourceErrorSink()).ReadTradesAsync(ct))
            {
                writer.Append(tick);
                ticks++;
            }

            await writer.CommitAsync(ct);
            var etl = new LakeEtl(lake, clock, new LakeCatalog(lake, clock));
            var jobTimes = new List<double>();
            var duckTimes = new List<double>();
            long bars = 0;
            for (var i = 0; i <= runs; i++)
            {
                var watch = Stopwatch.StartNew();
                var result = await etl.BuildBarsAsync(period, null, ct);
                var job = watch.Elapsed.TotalSeconds;
                bars = result.OutputRows;

                watch.Restart();
                var duckBars = DuckDbBars(lake, period, Path.Combine(scratch, "duckdb-bars.parquet"));
                var duck = watch.Elapsed.TotalSeconds;
                if (duckBars != bars)
                {
                    throw new InvalidOperationException($"The DuckDB baseline made {duckBars} bars, the job {bars}: the two disagree.");
                }

                if (i == 0)
                {
                    await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"warm-up: job {job:0.000} s, duckdb {duck:0.000} s ({ticks:N0} ticks → {bars:N0} bars)"));
                    continue;
                }

                jobTimes.Add(job);
                duckTimes.Add(duck);
                await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"run {i}: job {job:0.000} s, duckdb {duck:0.000} s"));
            }

            return new EtlBenchmarkResult(ticks, bars, jobTimes, duckTimes);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>The same bars with DuckDB alone (no dedupe: the ingested day has no duplicates); returns the bar count.</summary>
    private static long DuckDbBars(LakeLayout lake, BarPeriod period, string output)
    {
        using var duck = new DuckDBConnection("DataSource=:memory:");
        duck.Open();
        using var command = duck.CreateCommand();
        var glob = lake.ParquetGlob(LakeDatasets.Ticks).Replace("'", "''", StringComparison.Ordinal);
        var target = output.Replace("'", "''", StringComparison.Ordinal);
        var nanos = period.Nanos();
        command.CommandText = string.Create(CultureInfo.InvariantCulture, $"""
            COPY (
              SELECT symbol,
                     make_timestamp_ns((epoch_ns(time) // {nanos}) * {nanos}) AS start,
                     {nanos}::BIGINT AS period_ns,
                     first(price ORDER BY time, sequence) AS open, max(price) AS high, min(price) AS low,
                     last(price ORDER BY time, sequence) AS close,
                     sum(size)::BIGINT AS volume, count(*)::INTEGER AS trade_count,
                     (sum(price * size) / sum(size))::DECIMAL(18,8) AS vwap
              FROM read_parquet('{glob}', hive_partitioning = true)
              WHERE price > 0 AND size > 0
              GROUP BY ALL ORDER BY symbol, start
            ) TO '{target}' (FORMAT parquet, COMPRESSION snappy)
            """);
        command.ExecuteNonQuery();
        command.CommandText = $"SELECT count(*) FROM read_parquet('{target}')";
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }
}
