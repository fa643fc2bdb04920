using System.CommandLine;
using System.Globalization;
using BigDataTrading.Core.Time;
using BigDataTrading.Warehouse;
using BigDataTrading.Warehouse.Catalog;
using BigDataTrading.Warehouse.Sql;

namespace BigDataTrading.Cli.Commands;

/// <summary>
/// <c>bdt catalog</c>: lists the lake's datasets (partitions, files, rows, event-time range); <c>bdt catalog show
/// DATASET</c> prints schema, partitions, quality counts and lineage; <c>bdt catalog rebuild</c> rescans the files.
/// </summary>
public static class CatalogCommand
{
    /// <summary>Builds the command with its sub-commands.</summary>
    public static Command Create()
    {
        var listLake = LakeOption();
        var command = new Command("catalog", "The lake's catalog: datasets, schemas, partitions, data-quality counts and lineage (stored in <lake>/_catalog/catalog.json).")
        {
            listLake,
        };
        command.SetAction(async (parse, ct) =>
        {
            var (catalog, code) = await LoadAsync(parse, listLake, ct);
            if (catalog is null)
            {
                return code;
            }

            var rows = catalog.Datasets.Select(d => (IReadOnlyList<object?>)
                [d.Name, d.Partitions.Count, d.FileCount, d.Rows, Time(d.MinTime), Time(d.MaxTime), d.Quality.Values.Sum()]).ToList();
            LakeQueryFormatter.Write(new LakeQueryResult(["dataset", "partitions", "files", "rows", "min_time", "max_time", "quality_drops"], rows), parse.InvocationConfiguration.Output, LakeOutputFormat.Table);
            return PrintProblems(parse, catalog);
        });

        var showLake = LakeOption();
        var dataset = new Argument<string>("dataset") { Description = "Dataset name, e.g. ticks or bars_1m_etl." };
        var show = new Command("show", "Schema, partitions, data-quality counts and lineage of one dataset.") { dataset, showLake };
        show.SetAction(async (parse, ct) =>
        {
            var (catalog, code) = await LoadAsync(parse, showLake, ct);
            if (catalog is null)
            {
                return code;
            }

            var name = parse.GetValue(dataset)!;
            var output = parse.InvocationConfiguration.Output;
            if (catalog.Dataset(name) is not { } d)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"error: no dataset '{name}' in the catalog; datasets: {string.Join(", ", catalog.Datasets.Select(x => x.Name))}.");
                return 1;
            }

            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"dataset {d.Name}: {d.Partitions.Count} partitions, {d.FileCount} files, {d.Rows} rows, time column {d.TimeColumn ?? "(none)"}"));
            await output.WriteLineAsync();
            await output.WriteLineAsync("schema (partition column: date STRING, from the date= folders)");
            LakeQueryFormatter.Write(new LakeQueryResult(["column", "parquet_type", "hive_type", "sql_type", "nullable"],
                [.. d.Columns.Select(c => (IReadOnlyList<object?>)[c.Name, c.ParquetType, c.HiveType, c.SqlType, c.Nullable])]), output, LakeOutputFormat.Table);
            await output.WriteLineAsync();
            await output.WriteLineAsync("partitions");
            LakeQueryFormatter.Write(new LakeQueryResult(["date", "files", "rows", "min_time", "max_time", "quality"],
                [.. d.Partitions.Select(p => (IReadOnlyList<object?>)[p.Date, p.Files.Count, p.Rows, Time(p.MinTime), Time(p.MaxTime), Counts(p.Quality)])]), output, LakeOutputFormat.Table);
            await output.WriteLineAsync();
            await output.WriteLineAsync("data quality (rows dropped or flagged, by rule)");
            LakeQueryFormatter.Write(new LakeQueryResult(["rule", "rows"],
                [.. d.Quality.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (IReadOnlyList<object?>)[kv.Key, kv.Value])]), output, LakeOutputFormat.Table);
            await output.WriteLineAsync();
            await output.WriteLineAsync("lineage");
            LakeQueryFormatter.Write(new LakeQueryResult(["date", "job", "run", "produced_at", "inputs"],
                [.. d.Partitions.SelectMany(p => p.Lineage.Select(l => (IReadOnlyList<object?>)
                    [p.Date, l.Job, l.RunId, l.ProducedAt.UtcDateTime, string.Join(" ", l.Inputs)]))]), output, LakeOutputFormat.Table);
            return PrintProblems(parse, catalog);
        });

        var rebuildLake = LakeOption();
        var rebuild = new Command("rebuild", "Describe the lake again from its Parquet files (footers and a DuckDB scan of the time column) and save the catalog.") { rebuildLake };
        rebuild.SetAction(async (parse, ct) =>
        {
            var (root, problem, _) = await RemoteLakeRoot.ResolveForReadingAsync(parse.GetValue(rebuildLake), cache: null, ct);
            if (root is null)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("error: " + problem);
                return 2;
            }

            var catalog = new LakeCatalog(new LakeLayout(root), TimeProvider.System);
            var snapshot = await Task.Run(() => catalog.Rebuild(ct), ct);
            await parse.InvocationConfiguration.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"catalog rebuilt: {snapshot.Datasets.Count} datasets, {snapshot.Datasets.Sum(d => d.Partitions.Count)} partitions, {snapshot.Datasets.Sum(d => d.Rows)} rows → {catalog.CatalogPath}"));
            return PrintProblems(parse, snapshot);
        });

        command.Subcommands.Add(show);
        command.Subcommands.Add(rebuild);
        return command;
    }

    private static Option<string?> LakeOption() => new("--lake") { Description = "Lake root folder. Default: the newest bdt-out/run-*/lake." + RemoteLakeRoot.LakeHelp };

    private static async Task<(LakeCatalogSnapshot? Catalog, int ExitCode)> LoadAsync(ParseResult parse, Option<string?> lake, CancellationToken ct)
    {
        var error = parse.InvocationConfiguration.Error;
        var (root, problem, _) = await RemoteLakeRoot.ResolveForReadingAsync(parse.GetValue(lake), cache: null, ct);
        if (root is null)
        {
            await error.WriteLineAsync("error: " + problem);
            return (null, 2);
        }

        var catalog = new LakeCatalog(new LakeLayout(root), TimeProvider.System);
        try
        {
            var snapshot = await Task.Run(() => catalog.LoadOrScan(out _), ct);
            if (!catalog.Exists)
            {
                await error.WriteLineAsync($"note: {root} has no catalog; this is a scan of its files (save it with: bdt catalog rebuild --lake {root}).");
            }

            return (snapshot, 0);
        }
        catch (InvalidDataException e)
        {
            await error.WriteLineAsync("error: " + e.Message);
            return (null, 1);
        }
    }

    /// <summary>Lists unreadable files on stderr; exit code 1 when there are any (a lake with corrupt files is not healthy).</summary>
    private static int PrintProblems(ParseResult parse, LakeCatalogSnapshot catalog)
    {
        foreach (var p in catalog.Problems)
        {
            parse.InvocationConfiguration.Error.WriteLine($"problem: {p.Path}: {p.Message}");
        }

        return catalog.Problems.Count == 0 ? 0 : 1;
    }

    private static DateTime? Time(Timestamp? t) => t?.ToDateTimeOffset().UtcDateTime;

    private static string Counts(IReadOnlyDictionary<string, long> counts) =>
        string.Join(" ", counts.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}={kv.Value}")));
}
