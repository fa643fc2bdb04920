using System.Globalization;
using System.Numerics;
using DuckDB.NET.Data;

namespace BigDataTrading.Warehouse;

/// <summary>The rows of a query: column names and values as DuckDB.NET returns them (null for SQL NULL).</summary>
/// <param name="Columns">Column names in select order.</param>
/// <param name="Rows">Rows; each has one value per column.</param>
public sealed record LakeQueryResult(IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<object?>> Rows);

/// <summary>A dataset exposed as an SQL view: its name and its columns with DuckDB types (used while it has no files).</summary>
/// <param name="Name">Dataset (folder and view) name.</param>
/// <param name="Columns">Columns in file order; the partition column <c>date</c> is added by the view.</param>
public sealed record LakeTable(string Name, IReadOnlyList<(string Name, string SqlType)> Columns)
{
    /// <summary>The lake's known datasets (<see cref="LakeDatasets.All"/>) with their frozen schemas.</summary>
    public static IReadOnlyList<LakeTable> Known { get; } = [.. LakeDatasets.All.Select(d => new LakeTable(d, LakeSchemas.ColumnsOf(d)))];
}

/// <summary>
/// Embedded SQL over the lake (the Hive role): an in-memory DuckDB in which every dataset of
/// <see cref="LakeDatasets"/> is a view over <c>read_parquet('&lt;root&gt;/&lt;dataset&gt;/*/*.parquet', hive_partitioning = true)</c>,
/// so <c>SELECT ... FROM ticks WHERE date = DATE '2013-10-08'</c> works and prunes partitions.
/// </summary>
/// <remarks>
/// Files are listed at query time, so commits made after construction are seen. A dataset without files yet is an
/// empty view with the dataset's columns (queries return no rows instead of failing) and becomes a file-backed view on
/// the first query after files appear. A dataset whose schema grew (<see cref="LakeSchemas.AddedColumnsOf"/>, e.g. the
/// tick datasets' <c>conditions</c>) always shows its current columns in schema order, older files giving the added
/// columns the value they imply (<c>conditions</c> = 0): before each query its files are listed and each new file's
/// footer is read once (ParquetSharp) to see which schema it has, and the view follows — all current files: a plain
/// read as for every other dataset; all older files: the added columns as constants; a mix: the files read by name
/// (DuckDB's <c>union_by_name</c>, which reads every file's footer when the query is planned, so a truncated file
/// then fails every query on that dataset, naming the file, instead of only the queries that scan it). The views are <see cref="LakeTable.Known"/> by default, or the tables given
/// (e.g. every dataset of the catalog, <see cref="Catalog.LakeCatalogSnapshot.Tables"/>). Reads only; committed files are immutable and staged files are never matched.
/// Thread-safe: queries are serialized on one connection (DuckDB parallelizes each query internally).
/// </remarks>
public sealed class LakeSql : IDisposable
{
    private readonly DuckDBConnection _connection;
    private readonly Lock _gate = new();
    private readonly HashSet<string> _fileBacked = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _evolvedViews = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Path, long Length, DateTime Written), bool> _fileIsCurrent = [];

    /// <summary>Opens an in-memory DuckDB over the lake at <paramref name="lake"/>.</summary>
    public LakeSql(LakeLayout lake)
        : this(lake, LakeTable.Known)
    {
    }

    /// <summary>Opens an in-memory DuckDB over the lake at <paramref name="lake"/> with one view per table.</summary>
    /// <param name="lake">The lake.</param>
    /// <param name="tables">Views to create; names must be valid dataset names.</param>
    public LakeSql(LakeLayout lake, IReadOnlyList<LakeTable> tables)
    {
        ArgumentNullException.ThrowIfNull(lake);
        ArgumentNullException.ThrowIfNull(tables);
        Lake = lake;
        Tables = tables;
        foreach (var t in tables)
        {
            _ = lake.DatasetPath(t.Name); // validates the name: it is spliced into SQL
        }

        _connection = new DuckDBConnection("DataSource=:memory:");
        _connection.Open();
        RefreshViews();
    }

    /// <summary>Opens an in-memory DuckDB over the lake rooted at <paramref name="lakeRoot"/>.</summary>
    public LakeSql(string lakeRoot)
        : this(new LakeLayout(lakeRoot))
    {
    }

    /// <summary>The lake queried.</summary>
    public LakeLayout Lake { get; }

    /// <summary>The views this session offers.</summary>
    public IReadOnlyList<LakeTable> Tables { get; }

    /// <summary>Runs a query and returns the first column of the first row, converted to <typeparamref name="T"/>.</summary>
    /// <remarks>DuckDB's wide results convert where exact: HUGEINT (e.g. <c>sum(bigint)</c>) to integer types or
    /// decimal, DECIMAL to decimal. SQL NULL or no row gives <c>default</c> for reference and nullable types.</remarks>
    /// <exception cref="InvalidOperationException">NULL or no row for a non-nullable <typeparamref name="T"/>, or a value
    /// that cannot be converted.</exception>
    /// <exception cref="DuckDBException">The SQL failed (syntax, unknown column, unreadable file).</exception>
    public T QueryScalar<T>(string sql)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        lock (_gate)
        {
            RefreshViews();
            using var command = _connection.CreateCommand();
            command.CommandText = sql;
            return ConvertScalar<T>(command.ExecuteScalar(), sql);
        }
    }

    /// <summary>Runs a query and materializes all rows (meant for summaries and tests, not for bulk export).</summary>
    /// <exception cref="DuckDBException">The SQL failed.</exception>
    public LakeQueryResult Query(string sql)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        lock (_gate)
        {
            RefreshViews();
            using var command = _connection.CreateCommand();
            command.CommandText = sql;
            using var reader = command.ExecuteReader();
            var columns = new string[reader.FieldCount];
            for (var i = 0; i < columns.Length; i++)
            {
                columns[i] = reader.GetName(i);
            }

            var rows = new List<IReadOnlyList<object?>>();
            while (reader.Read())
            {
                var row = new object?[columns.Length];
                for (var i = 0; i < row.Length; i++)
                {
                    row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                }

                rows.Add(row);
            }

            return new LakeQueryResult(columns, rows);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _connection.Dispose();

    private void RefreshViews()
    {
        foreach (var table in Tables)
        {
            var dataset = table.Name;
            var added = LakeSchemas.AddedColumnsOf(dataset);
            if (added.Count > 0)
            {
                RefreshEvolvedView(dataset, added);
                continue;
            }

            if (_fileBacked.Contains(dataset))
            {
                continue;
            }

            var hasFiles = Lake.ListPartFiles(dataset).Count > 0;
            var select = hasFiles
                ? $"SELECT * FROM read_parquet('{Glob(dataset)}', hive_partitioning = true)"
                : EmptySelect(table.Columns);
            CreateView(dataset, select);
            if (hasFiles)
            {
                _fileBacked.Add(dataset);
            }
        }
    }

    /// <summary>
    /// (Re)creates the view of a dataset whose schema grew when the mix of its files' schemas changed. Files whose footer
    /// cannot be read count as neither (DuckDB reports them, naming them, when it reads them).
    /// </summary>
    private void RefreshEvolvedView(string dataset, IReadOnlyList<LakeAddedColumn> added)
    {
        bool anyCurrent = false, anyOlder = false;
        foreach (var path in Lake.ListPartFiles(dataset))
        {
            switch (IsCurrent(path, added))
            {
                case true: anyCurrent = true; break;
                case false: anyOlder = true; break;
            }
        }

        var columns = LakeSchemas.ColumnsOf(dataset);
        string Projection(Func<LakeAddedColumn, string> addedColumn) => string.Join(", ", columns.Select(c =>
            added.FirstOrDefault(a => a.Name == c.Name) is { } a ? $"{addedColumn(a)} AS {Quote(a.Name)}" : Quote(c.Name)));
        var select = (anyCurrent, anyOlder) switch
        {
            (false, false) => EmptySelect(columns),
            (true, false) => $"SELECT * FROM read_parquet('{Glob(dataset)}', hive_partitioning = true)",
            (false, true) => $"SELECT {Projection(a => $"CAST({a.SqlValueInOlderFiles} AS {a.SqlType})")}, \"date\" FROM read_parquet('{Glob(dataset)}', hive_partitioning = true)",
            (true, true) => $"SELECT {Projection(a => $"coalesce({Quote(a.Name)}, CAST({a.SqlValueInOlderFiles} AS {a.SqlType}))")}, \"date\" " +
                $"FROM read_parquet('{Glob(dataset)}', hive_partitioning = true, union_by_name = true)",
        };
        if (!_evolvedViews.TryGetValue(dataset, out var current) || current != select)
        {
            CreateView(dataset, select);
            _evolvedViews[dataset] = select;
        }
    }

    /// <summary>True when the file has every added column, false when it lacks one, null when its footer is
    /// unreadable (not remembered: it may be complete by the next query). Remembered per path, length and write time.</summary>
    private bool? IsCurrent(string path, IReadOnlyList<LakeAddedColumn> added)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return null; // removed since the listing (a partition swap)
        }

        var key = (path, info.Length, info.LastWriteTimeUtc);
        if (_fileIsCurrent.TryGetValue(key, out var known))
        {
            return known;
        }

        try
        {
            using var reader = new ParquetSharp.ParquetFileReader(path);
            using var meta = reader.FileMetaData;
            var names = Enumerable.Range(0, meta.Schema.NumColumns).Select(i => meta.Schema.Column(i).Name).ToHashSet(StringComparer.Ordinal);
            var current = added.All(a => names.Contains(a.Name));
            _fileIsCurrent[key] = current;
            return current;
        }
        catch (Exception e) when (e is ParquetSharp.ParquetException or IOException)
        {
            return null;
        }
    }

    private string Glob(string dataset) => Lake.ParquetGlob(dataset).Replace("'", "''", StringComparison.Ordinal);

    private static string EmptySelect(IReadOnlyList<(string Name, string SqlType)> columns) =>
        $"SELECT {string.Join(", ", columns.Select(c => $"CAST(NULL AS {c.SqlType}) AS {Quote(c.Name)}"))}, CAST(NULL AS DATE) AS \"date\" WHERE false";

    private void CreateView(string dataset, string select)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = $"CREATE OR REPLACE VIEW {Quote(dataset)} AS {select}";
        command.ExecuteNonQuery();
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static T ConvertScalar<T>(object? value, string sql)
    {
        var target = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        if (value is null || value is DBNull)
        {
            return default(T) is null ? default! : throw new InvalidOperationException($"Query returned NULL or no row, not a {typeof(T).Name}: {sql}");
        }

        if (value is T typed)
        {
            return typed;
        }

        try
        {
            object converted = value switch
            {
                BigInteger big when target == typeof(decimal) => (decimal)big,
                BigInteger big when target == typeof(double) => (double)big,
                BigInteger big => Convert.ChangeType((long)big, target, CultureInfo.InvariantCulture),
                _ => Convert.ChangeType(value, target, CultureInfo.InvariantCulture),
            };
            return (T)converted;
        }
        catch (Exception e) when (e is InvalidCastException or OverflowException or FormatException)
        {
            throw new InvalidOperationException($"Query result {value} ({value.GetType().Name}) does not convert to {typeof(T).Name}: {sql}", e);
        }
    }
}
