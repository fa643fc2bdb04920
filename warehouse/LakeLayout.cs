using System.Globalization;

namespace BigDataTrading.Warehouse;

/// <summary>Names of the lake's datasets (top-level folders); they are also the SQL view names in <see cref="LakeSql"/>.</summary>
public static class LakeDatasets
{
    /// <summary>Trade ticks, schema in <see cref="LakeSchemas.TicksColumns"/>.</summary>
    public const string Ticks = "ticks";

    /// <summary>One-minute bars built by the stream processor, schema in <see cref="LakeSchemas.BarsColumns"/>.</summary>
    public const string Bars1m = "bars_1m";

    /// <summary>Ticks after the batch clean job (deduplicated on (symbol, sequence), invalid prints dropped, sorted by
    /// symbol and time); schema <see cref="LakeSchemas.TicksColumns"/>.</summary>
    public const string TicksClean = "ticks_clean";

    /// <summary>One-second bars built by the batch bar job; schema <see cref="LakeSchemas.BarsColumns"/>.</summary>
    public const string Bars1s = "bars_1s";

    /// <summary>One-minute bars built by the batch bar job (kept apart from the stream's <see cref="Bars1m"/> so the two
    /// can be compared); schema <see cref="LakeSchemas.BarsColumns"/>.</summary>
    public const string Bars1mEtl = "bars_1m_etl";

    /// <summary>One-day (UTC day) bars built by the batch bar job; schema <see cref="LakeSchemas.BarsColumns"/>.</summary>
    public const string Bars1d = "bars_1d";

    /// <summary>Quote ticks (best bid and ask) as ingested, written by the lake writer; schema in
    /// <see cref="LakeSchemas.QuotesColumns"/>.</summary>
    public const string Quotes = "quotes";

    /// <summary>Bars as ingested (any period: the <c>period_ns</c> column says which; e.g. the S&amp;P 500 daily file),
    /// written by the lake writer; schema <see cref="LakeSchemas.BarsColumns"/>.</summary>
    public const string Bars = "bars";

    /// <summary>Per-bar features (log return, realized volatility, quoted spread, quote imbalance) of the 1-second ETL
    /// bars, built by the batch feature job; schema <see cref="LakeSchemas.FeaturesColumns"/>.</summary>
    public const string Features1s = "features_1s";

    /// <summary>Per-bar features of the 1-minute ETL bars; schema <see cref="LakeSchemas.FeaturesColumns"/>.</summary>
    public const string Features1m = "features_1m";

    /// <summary>Per-bar features of the 1-day ETL bars; schema <see cref="LakeSchemas.FeaturesColumns"/>.</summary>
    public const string Features1d = "features_1d";

    /// <summary>Every dataset the lake knows, with a frozen schema.</summary>
    public static IReadOnlyList<string> All { get; } = [Ticks, Bars1m, TicksClean, Bars1s, Bars1mEtl, Bars1d, Quotes, Bars, Features1s, Features1m, Features1d];
}

/// <summary>
/// Paths of the HDFS-style lake: <c>&lt;root&gt;/&lt;dataset&gt;/date=YYYY-MM-DD/part-&lt;writerId&gt;-&lt;seq:00000&gt;.parquet</c>.
/// </summary>
/// <remarks>
/// The layout is the contract with Spark, Hive, Trino and DuckDB: Hive-style partition folders (<c>date=</c> is the UTC
/// date of the row's event time, exposed as a <c>date</c> column by readers with hive partitioning, never stored in
/// the files), and files whose names start with <c>part-</c> and end in <c>.parquet</c>. Writers stage a file as
/// <c>.part-...parquet.tmp</c> in the same folder and rename it when complete; the leading dot and the extension keep
/// every reader away from partial files. Immutable and thread-safe; it only computes paths and lists folders.
/// </remarks>
public sealed class LakeLayout
{
    /// <summary>Extension of committed data files.</summary>
    public const string PartExtension = ".parquet";

    /// <summary>Extension of files being written (never read by queries).</summary>
    public const string TempExtension = ".tmp";

    private const string PartitionPrefix = "date=";

    /// <summary>Creates the layout for a root folder (made absolute; the folder is not created here).</summary>
    public LakeLayout(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
    }

    /// <summary>Absolute path of the lake root.</summary>
    public string Root { get; }

    /// <summary>Folder of a dataset.</summary>
    public string DatasetPath(string dataset) => Path.Combine(Root, ValidateName(dataset, nameof(dataset)));

    /// <summary>Folder of one date partition of a dataset.</summary>
    public string PartitionPath(string dataset, DateOnly date) => Path.Combine(DatasetPath(dataset), PartitionFolderName(date));

    /// <summary>Path of a committed data file.</summary>
    /// <param name="dataset">Dataset name.</param>
    /// <param name="date">Partition date (UTC).</param>
    /// <param name="writerId">Writer identity: letters, digits, '_' and '-' (unique per concurrent writer).</param>
    /// <param name="sequence">Per writer and partition file number, from 0; printed with at least 5 digits.</param>
    public string PartFilePath(string dataset, DateOnly date, string writerId, int sequence)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sequence);
        return Path.Combine(PartitionPath(dataset, date), PartFileName(writerId, sequence));
    }

    /// <summary>Glob matching every committed file of a dataset (what SQL engines read).</summary>
    public string ParquetGlob(string dataset) => Path.Combine(DatasetPath(dataset), "*", "*" + PartExtension);

    /// <summary>Committed files of a dataset (optionally one partition), sorted by path.</summary>
    public IReadOnlyList<string> ListPartFiles(string dataset, DateOnly? date = null)
    {
        var folder = date is { } d ? PartitionPath(dataset, d) : DatasetPath(dataset);
        if (!Directory.Exists(folder))
        {
            return [];
        }

        var files = date is null
            ? Directory.EnumerateDirectories(folder, PartitionPrefix + "*").SelectMany(p => Directory.EnumerateFiles(p, "part-*" + PartExtension))
            : Directory.EnumerateFiles(folder, "part-*" + PartExtension);
        return [.. files.Order(StringComparer.Ordinal)];
    }

    /// <summary>Staged (uncommitted) files of a dataset: in-flight writes, or leftovers of a crashed writer.</summary>
    public IReadOnlyList<string> ListTempFiles(string dataset)
    {
        var folder = DatasetPath(dataset);
        return Directory.Exists(folder)
            ? [.. Directory.EnumerateFiles(folder, "*" + TempExtension, SearchOption.AllDirectories).Order(StringComparer.Ordinal)]
            : [];
    }

    /// <summary>
    /// Dataset folders present under the root, sorted: every folder with a valid dataset name that does not start with
    /// '_' (reserved for the lake's own bookkeeping such as <c>_catalog</c> and <c>_staging</c>).
    /// </summary>
    public IReadOnlyList<string> ListDatasets()
    {
        if (!Directory.Exists(Root))
        {
            return [];
        }

        return [.. Directory.EnumerateDirectories(Root)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(n => n.Length > 0 && n[0] != '_' && n.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            .Order(StringComparer.Ordinal)];
    }

    /// <summary>Path of a file relative to the root with '/' separators (how the catalog and lineage name files).</summary>
    public string RelativePath(string path) => Path.GetRelativePath(Root, Path.GetFullPath(path)).Replace('\\', '/');

    /// <summary>Absolute path of a root-relative path produced by <see cref="RelativePath"/>.</summary>
    public string AbsolutePath(string relativePath) => Path.GetFullPath(Path.Combine(Root, relativePath));

    /// <summary>Date partitions of a dataset, ascending.</summary>
    public IReadOnlyList<DateOnly> ListPartitions(string dataset)
    {
        var folder = DatasetPath(dataset);
        if (!Directory.Exists(folder))
        {
            return [];
        }

        var dates = new List<DateOnly>();
        foreach (var dir in Directory.EnumerateDirectories(folder, PartitionPrefix + "*"))
        {
            if (TryParsePartitionFolder(Path.GetFileName(dir), out var date))
            {
                dates.Add(date);
            }
        }

        dates.Sort();
        return dates;
    }

    /// <summary>The partition folder name of a date, e.g. <c>date=2013-10-08</c>.</summary>
    public static string PartitionFolderName(DateOnly date) =>
        PartitionPrefix + date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>Parses a partition folder name such as <c>date=2013-10-08</c>.</summary>
    public static bool TryParsePartitionFolder(string folderName, out DateOnly date)
    {
        date = default;
        return folderName is not null && folderName.StartsWith(PartitionPrefix, StringComparison.Ordinal) &&
               DateOnly.TryParseExact(folderName.AsSpan(PartitionPrefix.Length), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date);
    }

    /// <summary>File name of a committed data file.</summary>
    public static string PartFileName(string writerId, int sequence) =>
        string.Create(CultureInfo.InvariantCulture, $"part-{ValidateName(writerId, nameof(writerId))}-{sequence:00000}{PartExtension}");

    /// <summary>Next free file number of a writer in a partition folder (0 when it has none): restarts never overwrite.</summary>
    internal static int NextSequence(string partitionFolder, string writerId)
    {
        if (!Directory.Exists(partitionFolder))
        {
            return 0;
        }

        var prefix = "part-" + writerId + "-";
        var next = 0;
        foreach (var file in Directory.EnumerateFiles(partitionFolder, prefix + "*" + PartExtension))
        {
            var name = Path.GetFileName(file);
            var digits = name.AsSpan(prefix.Length, name.Length - prefix.Length - PartExtension.Length);
            if (int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var seq) && seq >= next)
            {
                next = seq + 1;
            }
        }

        return next;
    }

    private static string ValidateName(string name, string parameter)
    {
        ArgumentException.ThrowIfNullOrEmpty(name, parameter);
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            {
                throw new ArgumentException($"'{name}' may only contain ASCII letters, digits, '_' and '-'.", parameter);
            }
        }

        return name;
    }
}
