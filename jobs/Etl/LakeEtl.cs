using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Warehouse;
using BigDataTrading.Warehouse.Catalog;

namespace BigDataTrading.Jobs.Etl;

/// <summary>Settings of one ETL job run. Immutable.</summary>
public sealed record EtlJobOptions
{
    /// <summary>Tick-schema dataset to read: <c>ticks</c> (default) or <c>ticks_clean</c>.</summary>
    public string SourceDataset { get; init; } = LakeDatasets.Ticks;

    /// <summary>Partitions to process; null for every partition of the source.</summary>
    public IReadOnlyCollection<DateOnly>? Dates { get; init; }

    /// <summary>Partitions processed at once (1..256); default the processor count. Each holds its ticks in memory
    /// (~40 bytes a tick), so this also bounds memory.</summary>
    public int MaxParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Settings of the Parquet writer of the output.</summary>
    public LakeWriterOptions WriterOptions { get; init; } = LakeWriterOptions.Default;

    /// <summary>Told after each partition is published (from the worker that finished it, so calls may overlap: the
    /// receiver must be thread-safe); null for none. <c>bdt etl</c> draws its progress bar from it.</summary>
    public IProgress<EtlProgress>? Progress { get; init; }

    internal void Validate()
    {
        if (!LakeSchemas.IsTickDataset(SourceDataset))
        {
            throw new ArgumentException($"Source dataset '{SourceDataset}' does not have the tick schema; use '{LakeDatasets.Ticks}' or '{LakeDatasets.TicksClean}'.", nameof(SourceDataset));
        }

        if (MaxParallelism is < 1 or > 256)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxParallelism), MaxParallelism, "Parallelism must be in 1..256.");
        }
    }
}

/// <summary>What a job did to one partition. Immutable.</summary>
/// <param name="Date">Partition date.</param>
/// <param name="InputRows">Rows read from the source partition.</param>
/// <param name="OutputRows">Rows in the replaced target partition.</param>
/// <param name="OutputFiles">Absolute paths of the target partition's files now.</param>
/// <param name="Quality">Input rows dropped by rule.</param>
public sealed record EtlPartitionResult(DateOnly Date, long InputRows, long OutputRows, IReadOnlyList<string> OutputFiles, IReadOnlyDictionary<string, long> Quality);

/// <summary>Progress of a job run: partitions published so far, of how many, and the one just published. Immutable.</summary>
/// <param name="Done">Partitions published so far in this run, 1..<paramref name="Total"/>.</param>
/// <param name="Total">Partitions the run processes.</param>
/// <param name="Partition">The partition just published.</param>
public sealed record EtlProgress(int Done, int Total, EtlPartitionResult Partition);

/// <summary>What one job run did. Immutable.</summary>
/// <param name="Job">Job name (as in the catalog's lineage), e.g. <c>etl-bars-1m</c>.</param>
/// <param name="RunId">This run's id.</param>
/// <param name="SourceDataset">Dataset read.</param>
/// <param name="TargetDataset">Dataset written.</param>
/// <param name="Partitions">Per partition, by date.</param>
public sealed record EtlResult(string Job, string RunId, string SourceDataset, string TargetDataset, IReadOnlyList<EtlPartitionResult> Partitions)
{
    /// <summary>Rows read.</summary>
    public long InputRows => Partitions.Sum(p => p.InputRows);

    /// <summary>Rows written.</summary>
    public long OutputRows => Partitions.Sum(p => p.OutputRows);
}

/// <summary>
/// The batch ETL jobs over the lake (the Hive/Pig role): <see cref="CleanTicksAsync"/> (raw ticks → <c>ticks_clean</c>),
/// <see cref="BuildBarsAsync"/> (ticks → <c>bars_1s</c>, <c>bars_1m_etl</c> or <c>bars_1d</c>) and
/// <see cref="BuildFeaturesAsync"/> (ticks + quotes → <c>features_1s</c>, <c>features_1m</c> or <c>features_1d</c>).
/// </summary>
/// <remarks>
/// <para>Each job works per date partition: it reads every part file of the source partition (ParquetSharp), cleans the
/// ticks (<see cref="TickCleaner"/>: drop non-positive prices/sizes, dedupe on (symbol, sequence), sort), transforms them,
/// writes the target partition completely under <c>_staging</c> and swaps it into place
/// (<see cref="LakePartitionSwap"/>). So a job is idempotent per partition: a re-run replaces the partition with the
/// same rows, a failure leaves the previous partition untouched, and readers never see a mix. The bar job cleans too,
/// so bars built straight from raw ticks carry no replayed print twice.</para>
/// <para>Partitions run in parallel, at most <see cref="EtlJobOptions.MaxParallelism"/> at once. A source file that cannot
/// be read fails the job with an <see cref="InvalidDataException"/> naming the file; partitions finished before that
/// stay published.</para>
/// <para>With a catalog, each replaced partition is registered with its lineage (job, run id, the source files read, wall
/// time from the catalog's clock) and its quality counts; a lake without a catalog gets one rebuilt from its files
/// first. Thread-safe; concurrent runs of the same job on the same partitions must be avoided by the caller.</para>
/// </remarks>
public sealed class LakeEtl
{
    private const string WriterId = "etl";
    private readonly TimeProvider _clock;

    /// <summary>Creates the jobs for a lake.</summary>
    /// <param name="lake">The lake read and written.</param>
    /// <param name="clock">Wall time for run ids (and the catalog's stamps).</param>
    /// <param name="catalog">Catalog to register output in; null to skip registration.</param>
    public LakeEtl(LakeLayout lake, TimeProvider clock, LakeCatalog? catalog)
    {
        ArgumentNullException.ThrowIfNull(lake);
        ArgumentNullException.ThrowIfNull(clock);
        Lake = lake;
        _clock = clock;
        Catalog = catalog;
    }

    /// <summary>The lake.</summary>
    public LakeLayout Lake { get; }

    /// <summary>The catalog registered in, or null.</summary>
    public LakeCatalog? Catalog { get; }

    /// <summary>Raw ticks → <c>ticks_clean</c>: deduplicated on (symbol, sequence), invalid prints dropped, sorted by symbol
    /// and time.</summary>
    public Task<EtlResult> CleanTicksAsync(EtlJobOptions? options = null, CancellationToken ct = default)
    {
        options ??= new EtlJobOptions();
        if (options.SourceDataset == LakeDatasets.TicksClean)
        {
            throw new ArgumentException("The clean job reads raw ticks; its output is ticks_clean.", nameof(options));
        }

        return RunAsync("etl-clean", LakeDatasets.TicksClean, options, (clean, _, staging) =>
        {
            var writer = new ParquetTickWriter(staging, WriterId, options.WriterOptions, LakeDatasets.TicksClean);
            foreach (var t in clean.Ticks)
            {
                writer.Append(t);
            }

            return writer.Commit(ct);
        }, ct);
    }

    /// <summary>Ticks → OHLCV bars (VWAP, trade count) of a period, into the period's dataset (<see cref="BarPeriods.Dataset"/>).</summary>
    public Task<EtlResult> BuildBarsAsync(BarPeriod period, EtlJobOptions? options = null, CancellationToken ct = default)
    {
        options ??= new EtlJobOptions();
        return RunAsync("etl-bars-" + period.ShortName(), period.Dataset(), options, (clean, _, staging) =>
        {
            var writer = new ParquetBarWriter(staging, WriterId, options.WriterOptions, period.Dataset());
            foreach (var bar in BarAggregator.Aggregate(clean.Ticks, period.Nanos()))
            {
                writer.Append(bar);
            }

            return writer.Commit(ct);
        }, ct);
    }

    /// <summary>
    /// Ticks (+ the <c>quotes</c> partition of the same date, when there is one) → per-bar features of a period, into
    /// the period's feature dataset (<see cref="BarPeriods.FeatureDataset"/>): close, log return, realized volatility
    /// over the last <paramref name="volatilityWindow"/> bars, quoted spread (absolute and bps) and quote imbalance.
    /// </summary>
    /// <remarks>
    /// <para>The bars are rebuilt from the ticks with <see cref="BarAggregator"/> (the bar job's own code) rather than
    /// read from the bar dataset: the features then never depend on whether, or from which tick dataset, the bar job
    /// last ran, and the lineage names the ticks actually used. Definitions (NULLs, windows, which quotes count):
    /// <see cref="FeatureBuilder"/>. The lineage lists the tick files and the quote files read.</para>
    /// </remarks>
    /// <param name="period">Bar length.</param>
    /// <param name="volatilityWindow">Bars in the realized-volatility window, 1..100,000; default 30.</param>
    /// <param name="options">Source dataset, dates, parallelism.</param>
    /// <param name="ct">Cancels between partitions and files.</param>
    public Task<EtlResult> BuildFeaturesAsync(BarPeriod period, int volatilityWindow = 30, EtlJobOptions? options = null, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(volatilityWindow, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(volatilityWindow, 100_000);
        options ??= new EtlJobOptions();
        var dataset = period.FeatureDataset();
        return RunAsync("etl-features-" + period.ShortName(), dataset, options, (clean, quoteFiles, staging) =>
        {
            var quotes = new List<QuoteTick>();
            LakeQuoteReader.ReadFiles(quoteFiles, quotes, ct);
            var writer = new ParquetFeatureWriter(staging, WriterId, dataset, options.WriterOptions);
            foreach (var row in FeatureBuilder.Compute(BarAggregator.Aggregate(clean.Ticks, period.Nanos()), quotes, volatilityWindow))
            {
                writer.Append(row);
            }

            return writer.Commit(ct);
        }, ct, LakeDatasets.Quotes);
    }

    private async Task<EtlResult> RunAsync(string job, string target, EtlJobOptions options, Func<CleanTicks, IReadOnlyList<string>, LakeLayout, LakeCommit> write, CancellationToken ct, string? sideDataset = null)
    {
        options.Validate();
        var source = options.SourceDataset;
        var available = Lake.ListPartitions(source);
        var dates = options.Dates is null ? available : [.. options.Dates.Distinct().Order()];
        var missing = dates.Except(available).ToList();
        if (missing.Count > 0)
        {
            throw new ArgumentException($"Dataset '{source}' has no partition {string.Join(", ", missing.Select(d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)))} under {Lake.DatasetPath(source)}.", nameof(options));
        }

        if (Catalog is { Exists: false })
        {
            Catalog.Rebuild(ct);
        }

        var runId = _clock.GetUtcNow().ToString("yyyyMMdd-HHmmss-fff", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..8];
        var results = new ConcurrentDictionary<DateOnly, EtlPartitionResult>();
        var done = 0;
        await Parallel.ForEachAsync(
            dates,
            new ParallelOptions { MaxDegreeOfParallelism = options.MaxParallelism, CancellationToken = ct },
            (date, token) =>
            {
                var result = RunPartition(job, runId, source, target, date, write, sideDataset, token);
                results[date] = result;
                options.Progress?.Report(new EtlProgress(Interlocked.Increment(ref done), dates.Count, result));
                return ValueTask.CompletedTask;
            }).ConfigureAwait(false);

        return new EtlResult(job, runId, source, target, [.. results.Values.OrderBy(r => r.Date)]);
    }

    // sideDataset: an optional second input read for the same date (e.g. quotes); absent partitions read as no files.
    private EtlPartitionResult RunPartition(string job, string runId, string source, string target, DateOnly date, Func<CleanTicks, IReadOnlyList<string>, LakeLayout, LakeCommit> write, string? sideDataset, CancellationToken ct)
    {
        var inputs = Lake.ListPartFiles(source, date);
        IReadOnlyList<string> sideInputs = sideDataset is null ? [] : Lake.ListPartFiles(sideDataset, date);
        var ticks = new List<TradeTick>();
        try
        {
            LakeTickReader.ReadFiles(inputs, ticks, ct);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"Job {job} failed on {source}/{LakeLayout.PartitionFolderName(date)}: {e.Message}", e);
        }

        var clean = TickCleaner.Clean(ticks);
        var staging = LakePartitionSwap.StagingLake(Lake, string.Create(CultureInfo.InvariantCulture, $"{job}-{runId}-{date:yyyyMMdd}"));
        try
        {
            LakeCommit commit;
            try
            {
                commit = write(clean, sideInputs, staging);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"Job {job} failed on {sideDataset ?? source}/{LakeLayout.PartitionFolderName(date)}: {e.Message}", e);
            }

            Debug.Assert(commit.Files.All(f => f.Date == date), "Bars and ticks of a UTC date partition stay in that date.");
            LakePartitionSwap.Replace(Lake, target, date, commit.Files.Count > 0 ? staging.PartitionPath(target, date) : null);
        }
        finally
        {
            LakePartitionSwap.DeleteStaging(staging);
        }

        var outputs = Lake.ListPartFiles(target, date);
        var run = new LakeJobRun(job, runId, [.. inputs.Concat(sideInputs).Select(Lake.RelativePath)]);
        var registered = Catalog?.ReplacePartition(target, date, outputs, run, clean.Quality);
        var rows = registered?.Dataset(target)?.Partition(date)?.Rows ?? outputs.Sum(f => ParquetFooter.Read(f).Rows);
        return new EtlPartitionResult(date, ticks.Count, rows, outputs, clean.Quality);
    }
}
