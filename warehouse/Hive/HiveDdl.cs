using System.Text;
using BigDataTrading.Warehouse.Catalog;

namespace BigDataTrading.Warehouse.Hive;

/// <summary>Settings of <see cref="HiveDdl.Generate"/>. Immutable.</summary>
public sealed record HiveDdlOptions
{
    /// <summary>Database to qualify table names with (e.g. <c>bdt</c>), or null for the session's current database.</summary>
    public string? Database { get; init; }

    /// <summary>
    /// URI of the lake root as Hive sees it, e.g. <c>hdfs://namenode:8020/lake</c> when the same files were copied to
    /// HDFS; null for <c>file://</c> plus the local absolute path (a metastore on this machine).
    /// </summary>
    public string? LocationRoot { get; init; }
}

/// <summary>
/// Generates HiveQL DDL that registers the lake's datasets in a Hive metastore (or Spark/Trino's Hive catalog): per
/// dataset one <c>CREATE EXTERNAL TABLE IF NOT EXISTS ... PARTITIONED BY (`date` STRING) STORED AS PARQUET LOCATION</c>
/// and one <c>ALTER TABLE ... ADD IF NOT EXISTS PARTITION (`date`='YYYY-MM-DD') LOCATION</c> per partition.
/// </summary>
/// <remarks>
/// <para>Columns and types come from the catalog, i.e. from the Parquet footers: DECIMAL(p,s) for decimals, TIMESTAMP for
/// timestamps, BIGINT/INT for 64/32-bit integers, STRING for UTF-8 strings. A column the lake appended later (the ticks'
/// <c>conditions</c> BIGINT, schema version 2) is in the table; Hive reads it as NULL from partitions whose files predate it
/// (<c>coalesce(`conditions`, 0)</c> gives the value the lake's own readers use). Every identifier is back-quoted, since
/// <c>date</c> (and in some versions other column names) is a reserved word in HiveQL. The tables are EXTERNAL: dropping
/// one never deletes lake files. The statements are idempotent (IF NOT EXISTS), so the DDL can be re-run after every
/// batch.</para>
/// <para>Caveat on timestamps: the lake stores INT64 TIMESTAMP(NANOS) without UTC adjustment. Hive 4 and Spark 3.x read
/// it; older Hive releases read only INT96 or millisecond/microsecond timestamps. The output is checked here against
/// the HiveQL grammar it uses (there is no Hive on this machine), not executed by a Hive server.</para>
/// <para>Stateless and thread-safe.</para>
/// </remarks>
public static class HiveDdl
{
    /// <summary>The partition column every lake dataset has (from the <c>date=</c> folders).</summary>
    public const string PartitionColumn = "date";

    /// <summary>Generates the DDL for every dataset of the catalog (datasets without a known schema are skipped).</summary>
    /// <param name="catalog">The catalog.</param>
    /// <param name="lake">The lake whose root the locations are derived from.</param>
    /// <param name="options">Database and location root, or the defaults.</param>
    /// <returns>HiveQL statements, each ending with ';' on its own line group, preceded by '--' comments.</returns>
    public static string Generate(LakeCatalogSnapshot catalog, LakeLayout lake, HiveDdlOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(lake);
        options ??= new HiveDdlOptions();
        var root = (options.LocationRoot ?? "file://" + lake.Root.Replace('\\', '/')).TrimEnd('/');
        var sb = new StringBuilder();
        sb.Append("-- HiveQL DDL for the lake at ").Append(root).Append('\n');
        if (options.Database is { } db)
        {
            sb.Append("CREATE DATABASE IF NOT EXISTS ").Append(Quote(db)).Append(";\n");
        }

        foreach (var dataset in catalog.Datasets.Where(d => d.Columns.Count > 0))
        {
            var table = options.Database is { } d ? Quote(d) + "." + Quote(dataset.Name) : Quote(dataset.Name);
            var location = root + "/" + dataset.Name;
            sb.Append('\n').Append("-- dataset ").Append(dataset.Name).Append(": ")
              .Append(dataset.Partitions.Count).Append(" partitions, ").Append(dataset.Rows).Append(" rows\n");
            sb.Append("CREATE EXTERNAL TABLE IF NOT EXISTS ").Append(table).Append(" (\n");
            for (var i = 0; i < dataset.Columns.Count; i++)
            {
                var c = dataset.Columns[i];
                sb.Append("  ").Append(Quote(c.Name)).Append(' ').Append(c.HiveType)
                  .Append(" COMMENT ").Append(Literal("parquet " + c.ParquetType))
                  .Append(i + 1 < dataset.Columns.Count ? ",\n" : "\n");
            }

            sb.Append(")\n")
              .Append("PARTITIONED BY (").Append(Quote(PartitionColumn)).Append(" STRING)\n")
              .Append("STORED AS PARQUET\n")
              .Append("LOCATION ").Append(Literal(location)).Append(";\n");
            foreach (var partition in dataset.Partitions.Where(p => p.Files.Count > 0))
            {
                var folder = LakeLayout.PartitionFolderName(partition.Date);
                var value = folder[(PartitionColumn.Length + 1)..];
                sb.Append("ALTER TABLE ").Append(table).Append(" ADD IF NOT EXISTS PARTITION (")
                  .Append(Quote(PartitionColumn)).Append('=').Append(Literal(value)).Append(") LOCATION ")
                  .Append(Literal(location + "/" + folder)).Append(";\n");
            }
        }

        return sb.ToString();
    }

    /// <summary>Back-quotes an identifier (a back-quote inside is doubled, as HiveQL requires).</summary>
    public static string Quote(string identifier)
    {
        ArgumentException.ThrowIfNullOrEmpty(identifier);
        return "`" + identifier.Replace("`", "``", StringComparison.Ordinal) + "`";
    }

    /// <summary>A single-quoted HiveQL string literal; backslash and quote are backslash-escaped (Hive's escaping).</summary>
    public static string Literal(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
    }
}
