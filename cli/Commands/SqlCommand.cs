using System.CommandLine;
using BigDataTrading.Warehouse;
using BigDataTrading.Warehouse.Catalog;
using BigDataTrading.Warehouse.Sql;
using DuckDB.NET.Data;

namespace BigDataTrading.Cli.Commands;

/// <summary><c>bdt sql "&lt;query&gt;"</c>: runs SQL over the lake (every catalog dataset is a view) and prints the rows.</summary>
public static class SqlCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var query = new Argument<string>("query") { Description = "The SQL (DuckDB dialect). Tables: every dataset of the lake's catalog, each with a 'date' partition column." };
        var lake = new Option<string?>("--lake") { Description = "Lake root folder. Default: the newest bdt-out/run-*/lake." + RemoteLakeRoot.LakeHelp };
        var cache = RemoteLakeRoot.CacheOption();
        var format = new Option<string>("--format") { Description = "Output format: table (aligned text), csv (RFC 4180) or json (array of objects).", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "csv", "json");
        var command = new Command("sql", "Query the lake with SQL: each dataset is a DuckDB view over its Parquet files with hive partitioning.")
        {
            query, lake, format, cache,
        };

        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            // A webhdfs:// root is read through its local cache: DuckDB here has no httpfs extension (and WebHDFS reads
            // redirect to datanodes), so queries run on copies refreshed from the root first.
            var (root, problem, _) = await RemoteLakeRoot.ResolveForReadingAsync(parse.GetValue(lake), parse.GetValue(cache), ct);
            if (root is null)
            {
                await error.WriteLineAsync("error: " + problem);
                return 2;
            }

            var sql = parse.GetValue(query)!;
            var layout = new LakeLayout(root);
            LakeCatalogSnapshot catalog;
            try
            {
                catalog = new LakeCatalog(layout, TimeProvider.System).LoadOrScan(out _);
            }
            catch (InvalidDataException e)
            {
                await error.WriteLineAsync("error: " + e.Message);
                return 1;
            }

            // Known datasets are views even before they have files (an empty result rather than 'table not found').
            var tables = catalog.Tables.Concat(LakeTable.Known.Where(k => catalog.Dataset(k.Name) is null)).ToList();
            try
            {
                using var session = new LakeSql(layout, tables);
                var result = await Task.Run(() => session.Query(sql), ct);
                var outputFormat = parse.GetValue(format) switch
                {
                    "csv" => LakeOutputFormat.Csv,
                    "json" => LakeOutputFormat.Json,
                    _ => LakeOutputFormat.Table,
                };
                LakeQueryFormatter.Write(result, output, outputFormat);
                return 0;
            }
            catch (DuckDBException e)
            {
                await error.WriteLineAsync("error: " + e.Message);
                await error.WriteLineAsync("query: " + sql);
                await error.WriteLineAsync(
                    $"hint: tables in {root}: {string.Join(", ", tables.Select(t => t.Name))}; each has a 'date' partition column. " +
                    "List a table's columns with: bdt sql \"DESCRIBE ticks\". Quote identifiers with double quotes and strings with single quotes.");
                return 1;
            }
        });
        return command;
    }
}
