using System.CommandLine;
using System.Globalization;
using BigDataTrading.Jobs.Etl;
using BigDataTrading.Warehouse;
using BigDataTrading.Warehouse.Catalog;

namespace BigDataTrading.Cli.Commands;

/// <summary>
/// <c>bdt etl</c>: the batch ETL jobs over the lake — <c>clean</c> (ticks → ticks_clean), <c>bars</c> (ticks → bars_1s,
/// bars_1m_etl or bars_1d), <c>features</c> (ticks + quotes → features_1s/1m/1d) — and <c>bench</c>, the timing harness of the bar job.
/// </summary>
public static class EtlCommand
{
    /// <summary>Builds the command with its sub-commands.</summary>
    public static Command Create()
    {
        var command = new Command("etl", "Batch ETL over the lake; each job replaces its output partitions atomically and registers them in the catalog with lineage.");
        command.Subcommands.Add(CreateClean());
        command.Subcommands.Add(CreateBars());
        command.Subcommands.Add(CreateFeatures());
        command.Subcommands.Add(CreateBench());
        return command;
    }

    private static Command CreateClean()
    {
        var (lake, from, dates, parallelism) = CommonOptions();
        var clean = new Command("clean", "Raw ticks → ticks_clean: drop non-positive prices/sizes, dedupe on (symbol, sequence), sort by symbol and time.")
        {
            lake, from, dates, parallelism,
        };
        clean.SetAction((parse, ct) => RunAsync(parse, lake, from, dates, parallelism, (etl, options) => etl.CleanTicksAsync(options, ct)));
        return clean;
    }

    private static Command CreateBars()
    {
        var (lake, from, dates, parallelism) = CommonOptions();
        var period = new Option<string>("--period") { Description = "Bar length: 1s (→ bars_1s), 1m (→ bars_1m_etl) or 1d (→ bars_1d, UTC days).", DefaultValueFactory = _ => "1m" };
        period.AcceptOnlyFromAmong("1s", "1m", "1d");
        var bars = new Command("bars", "Ticks → OHLCV bars with VWAP and trade count (the ticks are cleaned first).")
        {
            lake, from, period, dates, parallelism,
        };
        bars.SetAction((parse, ct) =>
        {
            _ = BarPeriods.TryParse(parse.GetValue(period), out var p);
            return RunAsync(parse, lake, from, dates, parallelism, (etl, options) => etl.BuildBarsAsync(p, options, ct));
        });
        return bars;
    }

    private static Command CreateFeatures()
    {
        var (lake, from, dates, parallelism) = CommonOptions();
        var period = new Option<string>("--period") { Description = "Bar length: 1s (→ features_1s), 1m (→ features_1m) or 1d (→ features_1d).", DefaultValueFactory = _ => "1m" };
        period.AcceptOnlyFromAmong("1s", "1m", "1d");
        var window = new Option<int>("--vol-window") { Description = "Bars in the realized-volatility window (1..100000; checked by the job).", DefaultValueFactory = _ => 30 };
        var features = new Command("features", "Ticks (+ quotes of the same date) → per-bar close, log return, realized volatility, quoted spread (abs, bps) and quote imbalance.")
        {
            lake, from, period, window, dates, parallelism,
        };
        features.SetAction((parse, ct) =>
        {
            _ = BarPeriods.TryParse(parse.GetValue(period), out var p);
            return RunAsync(parse, lake, from, dates, parallelism, (etl, options) => etl.BuildFeaturesAsync(p, parse.GetValue(window), options, ct), [LakeDatasets.Quotes]);
        });
        return features;
    }

    private static Command CreateBench()
    {
        var ticks = new Option<FileInfo>("--ticks") { Description = "LEAN tick trade zip to ingest into a scratch lake, e.g. ../shared/data/market/lean-sample/Data/equity/usa/tick/spy/20131008_trade.zip.", Required = true };
        var runs = new Option<int>("--runs") { Description = "Timed runs (after one warm-up).", DefaultValueFactory = _ => 5 };
        var period = new Option<string>("--period") { Description = "Bar length: 1s, 1m or 1d.", DefaultValueFactory = _ => "1m" };
        period.AcceptOnlyFromAmong("1s", "1m", "1d");
        var bench = new Command("bench", "Time the bar job on one LEAN day (median of N runs) against a DuckDB SQL baseline in the same process. Build with -c Release.")
        {
            ticks, runs, period,
        };
        bench.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var zip = parse.GetValue(ticks)!;
            if (!zip.Exists)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"error: --ticks: '{zip.FullName}' does not exist.");
                return 2;
            }

            _ = BarPeriods.TryParse(parse.GetValue(period), out var p);
            var result = await EtlBenchmark.RunAsync(zip.FullName, parse.GetValue(runs), p, output, TimeProvider.System, ct);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"etl bars {p.ShortName()}: {result.Ticks:N0} ticks → {result.Bars:N0} bars; median of {result.JobSeconds.Count}: job {result.JobMedian:0.000} s ({result.Ticks / result.JobMedian:N0} ticks/s), duckdb sql baseline {result.DuckDbMedian:0.000} s; ratio job/duckdb {result.JobMedian / result.DuckDbMedian:0.00}"));
            return 0;
        });
        return bench;
    }

    private static (Option<string?> Lake, Option<string> From, Option<string[]> Dates, Option<int> Parallelism) CommonOptions() =>
    (
        new Option<string?>("--lake") { Description = "Lake root folder. Default: the newest bdt-out/run-*/lake." + RemoteLakeRoot.LakeHelp },
        new Option<string>("--from-dataset") { Description = "Tick dataset to read: ticks or ticks_clean.", DefaultValueFactory = _ => LakeDatasets.Ticks },
        new Option<string[]>("--date") { Description = "Only this partition (yyyy-MM-dd); repeatable. Default: every partition.", AllowMultipleArgumentsPerToken = false },
        new Option<int>("--parallelism") { Description = "Partitions processed at once.", DefaultValueFactory = _ => Environment.ProcessorCount }
    );

    private static async Task<int> RunAsync(
        ParseResult parse,
        Option<string?> lake,
        Option<string> from,
        Option<string[]> dates,
        Option<int> parallelism,
        Func<LakeEtl, EtlJobOptions, Task<EtlResult>> job,
        IReadOnlyList<string>? sideDatasets = null)
    {
        var output = parse.InvocationConfiguration.Output;
        var error = parse.InvocationConfiguration.Error;
        var (storage, remote) = RemoteLakeRoot.Open(parse.GetValue(lake), cache: null);
        using var owned = storage;
        string? problem = null;
        var root = remote?.Local.Root ?? LakeLocator.Resolve(parse.GetValue(lake), out problem);
        if (root is null)
        {
            await error.WriteLineAsync("error: " + problem);
            return 2;
        }

        var days = new List<DateOnly>();
        foreach (var text in parse.GetValue(dates) ?? [])
        {
            if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            {
                await error.WriteLineAsync($"error: --date: '{text}' is not a date in yyyy-MM-dd form.");
                return 2;
            }

            days.Add(day);
        }

        var layout = new LakeLayout(root);
        var etl = new LakeEtl(layout, TimeProvider.System, new LakeCatalog(layout, TimeProvider.System));
        var options = new EtlJobOptions
        {
            SourceDataset = parse.GetValue(from)!,
            Dates = days.Count > 0 ? days : null,
            MaxParallelism = parse.GetValue(parallelism),
            Progress = new EtlProgressBar(error, TimeProvider.System),
        };
        try
        {
            var result = remote is null
                ? await job(etl, options)
                : await RemoteLakeEtl.RunAsync(remote, options.SourceDataset, TimeProvider.System, remoteEtl => job(remoteEtl, options), CancellationToken.None, sideDatasets);
            foreach (var p in result.Partitions)
            {
                var quality = string.Join(" ", p.Quality.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}={kv.Value}")));
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{result.TargetDataset}/{LakeLayout.PartitionFolderName(p.Date)}: {p.InputRows:N0} rows in → {p.OutputRows:N0} rows out{(quality.Length > 0 ? "; dropped " + quality : string.Empty)}"));
            }

            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{result.Job} run {result.RunId}: {result.Partitions.Count} partitions of {result.SourceDataset} → {result.TargetDataset}, {result.InputRows:N0} → {result.OutputRows:N0} rows (catalog: {etl.Catalog!.CatalogPath})"));
            return 0;
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or IOException or HttpRequestException)
        {
            await error.WriteLineAsync("error: " + e.Message);
            return 1;
        }
    }
}

/// <summary>
/// The progress bar of <c>bdt etl</c>: one line per published partition on stderr (stdout keeps the results), e.g.
/// <c>[########------------]  2/5  40%  bars_1m_etl date=2024-03-12  1.2 s</c>. Lines rather than a redrawn bar, so logs of
/// batch runs keep every step. Thread-safe (partitions finish on parallel workers).
/// </summary>
internal sealed class EtlProgressBar(TextWriter output, TimeProvider clock) : IProgress<EtlProgress>
{
    private const int Width = 20;
    private readonly Lock _gate = new();
    private readonly long _started = clock.GetTimestamp();

    public void Report(EtlProgress value)
    {
        var filled = value.Total == 0 ? Width : (int)((long)value.Done * Width / value.Total);
        var line = string.Create(CultureInfo.InvariantCulture,
            $"[{new string('#', filled)}{new string('-', Width - filled)}] {value.Done,3}/{value.Total}  {100.0 * value.Done / Math.Max(1, value.Total),3:0}%  {LakeLayout.PartitionFolderName(value.Partition.Date)}  {value.Partition.OutputRows:N0} rows  {clock.GetElapsedTime(_started).TotalSeconds:0.0} s");
        lock (_gate)
        {
            output.WriteLine(line);
        }
    }
}
