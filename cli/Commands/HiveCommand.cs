using System.CommandLine;
using BigDataTrading.Warehouse;
using BigDataTrading.Warehouse.Catalog;
using BigDataTrading.Warehouse.Hive;

namespace BigDataTrading.Cli.Commands;

/// <summary><c>bdt hive ddl</c>: prints HiveQL that registers every lake dataset and partition in a Hive metastore.</summary>
public static class HiveCommand
{
    /// <summary>Builds the command with its sub-commands.</summary>
    public static Command Create()
    {
        var lake = new Option<string?>("--lake") { Description = "Lake root folder. Default: the newest bdt-out/run-*/lake." + RemoteLakeRoot.LakeHelp };
        var database = new Option<string?>("--database") { Description = "Database to create and qualify the tables with (default: the session's current database)." };
        var locationRoot = new Option<string?>("--location-root") { Description = "The lake root as Hive sees it, e.g. hdfs://namenode:8020/lake (default: the webhdfs:// root itself, which Hadoop's WebHdfsFileSystem reads, or file:// plus the local path)." };
        var output = new Option<FileInfo?>("--out") { Description = "Write the DDL to this file instead of standard output." };
        var ddl = new Command("ddl", "Print CREATE EXTERNAL TABLE ... STORED AS PARQUET and ALTER TABLE ... ADD PARTITION statements for every dataset of the catalog.")
        {
            lake, database, locationRoot, output,
        };
        ddl.SetAction(async (parse, ct) =>
        {
            var error = parse.InvocationConfiguration.Error;
            var (root, problem, remoteRoot) = await RemoteLakeRoot.ResolveForReadingAsync(parse.GetValue(lake), cache: null, ct);
            if (root is null)
            {
                await error.WriteLineAsync("error: " + problem);
                return 2;
            }

            var layout = new LakeLayout(root);
            LakeCatalogSnapshot catalog;
            try
            {
                catalog = await Task.Run(() => new LakeCatalog(layout, TimeProvider.System).LoadOrScan(out _), ct);
            }
            catch (InvalidDataException e)
            {
                await error.WriteLineAsync("error: " + e.Message);
                return 1;
            }

            var text = HiveDdl.Generate(catalog, layout, new HiveDdlOptions { Database = parse.GetValue(database), LocationRoot = parse.GetValue(locationRoot) ?? remoteRoot });
            if (parse.GetValue(output) is { } file)
            {
                await File.WriteAllTextAsync(file.FullName, text, ct);
                await parse.InvocationConfiguration.Output.WriteLineAsync($"wrote {file.FullName}");
            }
            else
            {
                await parse.InvocationConfiguration.Output.WriteAsync(text);
            }

            foreach (var p in catalog.Problems)
            {
                await error.WriteLineAsync($"problem (not in the DDL's counts): {p.Path}: {p.Message}");
            }

            return 0;
        });

        return new Command("hive", "Hive metastore integration: DDL for the lake's datasets.") { ddl };
    }
}
