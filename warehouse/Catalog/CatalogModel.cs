using System.Text.Json.Serialization;
using BigDataTrading.Core.Time;

namespace BigDataTrading.Warehouse.Catalog;

/// <summary>One column of a dataset as stored in its Parquet files, with the types engines use for it. Immutable.</summary>
/// <param name="Name">Column name in the files.</param>
/// <param name="ParquetType">Physical type and logical annotation, e.g. <c>INT64 DECIMAL(18,8)</c> or
/// <c>INT64 TIMESTAMP(NANOS,utc=false)</c>.</param>
/// <param name="HiveType">HiveQL type for <c>CREATE EXTERNAL TABLE</c>, e.g. <c>DECIMAL(18,8)</c>, <c>TIMESTAMP</c>.</param>
/// <param name="SqlType">DuckDB type the column reads as, e.g. <c>TIMESTAMP_NS</c>, <c>VARCHAR</c>.</param>
/// <param name="Nullable">True when the column is OPTIONAL in the Parquet schema.</param>
public sealed record CatalogColumn(string Name, string ParquetType, string HiveType, string SqlType, bool Nullable);

/// <summary>One committed data file of a partition. Immutable.</summary>
/// <param name="Path">Path relative to the lake root, '/' separated (so a catalog survives moving the lake).</param>
/// <param name="Rows">Rows, from the Parquet footer.</param>
/// <param name="Bytes">File size in bytes.</param>
public sealed record CatalogFile(string Path, long Rows, long Bytes);

/// <summary>Who produced (part of) a partition, from what, and when. Immutable.</summary>
/// <param name="Job">Job or writer name, e.g. <c>etl-bars-1m</c> or <c>demo-ingest</c>.</param>
/// <param name="RunId">The run of that job.</param>
/// <param name="Inputs">What it read: lake-relative file paths, or external sources (a zip path, a Kafka topic).</param>
/// <param name="ProducedAt">Wall time of the registration, from the catalog's <see cref="TimeProvider"/>.</param>
public sealed record CatalogLineage(string Job, string RunId, IReadOnlyList<string> Inputs, DateTimeOffset ProducedAt);

/// <summary>One date partition of a dataset. Immutable.</summary>
/// <param name="Date">Partition date (UTC), the <c>date=</c> folder.</param>
/// <param name="Files">Committed files, sorted by path.</param>
/// <param name="Rows">Rows over all files.</param>
/// <param name="MinTimeNs">Earliest event time (Unix ns) of the dataset's time column, or null when unknown/empty.</param>
/// <param name="MaxTimeNs">Latest event time (Unix ns), or null.</param>
/// <param name="Quality">Data-quality counts by rule (reason code → rows), as recorded by writers and jobs.</param>
/// <param name="Lineage">Registrations that produced the current files, oldest first.</param>
public sealed record CatalogPartition(
    DateOnly Date,
    IReadOnlyList<CatalogFile> Files,
    long Rows,
    long? MinTimeNs,
    long? MaxTimeNs,
    IReadOnlyDictionary<string, long> Quality,
    IReadOnlyList<CatalogLineage> Lineage)
{
    /// <summary>Earliest event time, or null.</summary>
    [JsonIgnore]
    public Timestamp? MinTime => MinTimeNs is { } t ? new Timestamp(t) : null;

    /// <summary>Latest event time, or null.</summary>
    [JsonIgnore]
    public Timestamp? MaxTime => MaxTimeNs is { } t ? new Timestamp(t) : null;
}

/// <summary>One dataset (a Hive table): its schema and partitions. Immutable.</summary>
/// <param name="Name">Dataset name: the folder under the lake root and the SQL/Hive table name.</param>
/// <param name="TimeColumn">The event-time column (the first TIMESTAMP column), or null when it has none.</param>
/// <param name="Columns">Columns in file order; the partition column <c>date</c> is not among them.</param>
/// <param name="Partitions">Partitions by ascending date.</param>
public sealed record CatalogDataset(string Name, string? TimeColumn, IReadOnlyList<CatalogColumn> Columns, IReadOnlyList<CatalogPartition> Partitions)
{
    /// <summary>Rows over all partitions.</summary>
    [JsonIgnore]
    public long Rows => Partitions.Sum(p => p.Rows);

    /// <summary>Files over all partitions.</summary>
    [JsonIgnore]
    public int FileCount => Partitions.Sum(p => p.Files.Count);

    /// <summary>Earliest event time over all partitions, or null.</summary>
    [JsonIgnore]
    public Timestamp? MinTime => Partitions.Select(p => p.MinTimeNs).Min() is { } t ? new Timestamp(t) : null;

    /// <summary>Latest event time over all partitions, or null.</summary>
    [JsonIgnore]
    public Timestamp? MaxTime => Partitions.Select(p => p.MaxTimeNs).Max() is { } t ? new Timestamp(t) : null;

    /// <summary>Quality counts summed over partitions, by rule.</summary>
    [JsonIgnore]
    public IReadOnlyDictionary<string, long> Quality =>
        Partitions.SelectMany(p => p.Quality).GroupBy(kv => kv.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(kv => kv.Value), StringComparer.Ordinal);

    /// <summary>The partition of a date, or null.</summary>
    public CatalogPartition? Partition(DateOnly date) => Partitions.FirstOrDefault(p => p.Date == date);
}

/// <summary>A file the catalog refused to count: unreadable Parquet (truncated, corrupt) or a staged leftover. Immutable.</summary>
/// <param name="Path">Absolute path of the file.</param>
/// <param name="Message">What is wrong with it.</param>
public sealed record CatalogProblem(string Path, string Message);

/// <summary>The whole catalog at one moment (the content of <c>_catalog/catalog.json</c>). Immutable.</summary>
/// <param name="FormatVersion">Version of this JSON layout (<see cref="LakeCatalog.FormatVersion"/>).</param>
/// <param name="UpdatedAt">Wall time of the last change.</param>
/// <param name="Datasets">Datasets sorted by name.</param>
/// <param name="Problems">Files found unreadable by the last rebuild (empty after registrations only).</param>
public sealed record LakeCatalogSnapshot(int FormatVersion, DateTimeOffset UpdatedAt, IReadOnlyList<CatalogDataset> Datasets, IReadOnlyList<CatalogProblem> Problems)
{
    /// <summary>A catalog with nothing in it.</summary>
    public static LakeCatalogSnapshot Empty { get; } = new(LakeCatalog.FormatVersion, DateTimeOffset.UnixEpoch, [], []);

    /// <summary>The dataset of a name, or null.</summary>
    public CatalogDataset? Dataset(string name) => Datasets.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.Ordinal));

    /// <summary>The datasets as SQL table definitions (name and DuckDB column types) for <see cref="LakeSql"/>.</summary>
    public IReadOnlyList<LakeTable> Tables =>
        [.. Datasets.Where(d => d.Columns.Count > 0).Select(d => new LakeTable(d.Name, [.. d.Columns.Select(c => (c.Name, c.SqlType))]))];
}

/// <summary>A job run that registers output: its name, run id and inputs. Immutable.</summary>
/// <param name="Job">Job or writer name (free text, e.g. <c>etl-bars-1m</c>).</param>
/// <param name="RunId">Identifies the run (free text).</param>
/// <param name="Inputs">What it read (lake-relative paths or external source names).</param>
public sealed record LakeJobRun(string Job, string RunId, IReadOnlyList<string> Inputs);
