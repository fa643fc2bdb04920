using System.Diagnostics;
using System.Globalization;
using BigDataTrading.Core.MarketData;
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
                    // Once, untimed: the baseline must compute the same bars, not just as many.
                    var differing = DifferingBars(lake, period, Path.Combine(scratch, "duckdb-bars.parquet"));
                    if (differing != 0)
                    {
                        throw new InvalidOperationException($"{differing} bars of the DuckDB baseline and the job differ in value: the two disagree.");
                    }

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

    /// <summary>Bars present in only one of the job's output and the baseline's file, compared on every column.</summary>
    private static long DifferingBars(LakeLayout lake, BarPeriod period, string baseline)
    {
        using var duck = new DuckDBConnection("DataSource=:memory:");
        duck.Open();
        using var command = duck.CreateCommand();
        const string Columns = "symbol, epoch_ns(start), period_ns, open::DECIMAL(18,8), high::DECIMAL(18,8), low::DECIMAL(18,8), close::DECIMAL(18,8), volume, trade_count::BIGINT, vwap::DECIMAL(18,8)";
        var job = $"SELECT {Columns} FROM read_parquet('{lake.ParquetGlob(period.Dataset()).Replace("'", "''", StringComparison.Ordinal)}')";
        var duckdb = $"SELECT {Columns} FROM read_parquet('{baseline.Replace("'", "''", StringComparison.Ordinal)}')";
        command.CommandText = $"SELECT count(*) FROM (({job} EXCEPT ALL {duckdb}) UNION ALL ({duckdb} EXCEPT ALL {job}))";
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The same bars with DuckDB alone (no dedupe: the ingested day has no duplicates), under the same bar rule: volume
    /// and count from every print, prices and VWAP from price-eligible prints, all prints when a bar has none; returns
    /// the bar count.
    /// </summary>
    private static long DuckDbBars(LakeLayout lake, BarPeriod period, string output)
    {
        using var duck = new DuckDBConnection("DataSource=:memory:");
        duck.Open();
        using var command = duck.CreateCommand();
        var glob = lake.ParquetGlob(LakeDatasets.Ticks).Replace("'", "''", StringComparison.Ordinal);
        var target = output.Replace("'", "''", StringComparison.Ordinal);
        var nanos = period.Nanos();
        var extended = (long)SaleConditions.ExtendedHours;
        var excluded = (long)SaleConditionsExtensions.NotBarPriceEligibleInRegularHours;
        command.CommandText = string.Create(CultureInfo.InvariantCulture, $"""
            COPY (
              WITH t AS (
                SELECT symbol, time, sequence, price, size, (epoch_ns(time) // {nanos}) * {nanos} AS bucket,
                       (conditions & {extended} <> 0 OR conditions & {excluded} = 0) AS eligible
                FROM read_parquet('{glob}', hive_partitioning = true)
                WHERE price > 0 AND size > 0)
              SELECT symbol,
                     make_timestamp_ns(bucket) AS start,
                     {nanos}::BIGINT AS period_ns,
                     coalesce(first(price ORDER BY time, sequence) FILTER (WHERE eligible), first(price ORDER BY time, sequence)) AS open,
                     coalesce(max(price) FILTER (WHERE eligible), max(price)) AS high,
                     coalesce(min(price) FILTER (WHERE eligible), min(price)) AS low,
                     coalesce(last(price ORDER BY time, sequence) FILTER (WHERE eligible), last(price ORDER BY time, sequence)) AS close,
                     sum(size)::BIGINT AS volume, count(*)::INTEGER AS trade_count,
                     coalesce(sum(price * size) FILTER (WHERE eligible) / sum(size) FILTER (WHERE eligible), sum(price * size) / sum(size))::DECIMAL(18,8) AS vwap
              FROM t
              GROUP BY symbol, bucket ORDER BY symbol, start
            ) TO '{target}' (FORMAT parquet, COMPRESSION snappy)
            """);
        command.ExecuteNonQuery();
        command.CommandText = $"SELECT count(*) FROM read_parquet('{target}')";
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }
}
