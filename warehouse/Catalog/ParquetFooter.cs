using System.Globalization;
using ParquetSharp;

namespace BigDataTrading.Warehouse.Catalog;

/// <summary>What a Parquet file's footer says: rows, schema and the time column's statistics. Immutable.</summary>
/// <param name="Path">Absolute path of the file.</param>
/// <param name="Rows">Rows over all row groups.</param>
/// <param name="Bytes">File size in bytes.</param>
/// <param name="Columns">Leaf columns in file order with their types.</param>
/// <param name="TimeColumn">The first TIMESTAMP column, or null.</param>
/// <param name="MinTimeNs">Minimum of the time column from row-group statistics, in Unix ns (null when absent).</param>
/// <param name="MaxTimeNs">Maximum of the time column from row-group statistics, in Unix ns (null when absent).</param>
public sealed record ParquetFooter(
    string Path,
    long Rows,
    long Bytes,
    IReadOnlyList<CatalogColumn> Columns,
    string? TimeColumn,
    long? MinTimeNs,
    long? MaxTimeNs)
{
    /// <summary>Reads the footer of a Parquet file (not its data pages).</summary>
    /// <exception cref="InvalidDataException">The file is not readable Parquet (truncated, corrupt, not Parquet); the
    /// message names the path.</exception>
    public static ParquetFooter Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = System.IO.Path.GetFullPath(path);
        try
        {
            using var reader = new ParquetFileReader(full);
            using var meta = reader.FileMetaData;
            var schema = meta.Schema;
            var columns = new List<CatalogColumn>(schema.NumColumns);
            int? timeIndex = null;
            long divisor = 1;
            for (var i = 0; i < schema.NumColumns; i++)
            {
                var descriptor = schema.Column(i);
                using var logical = descriptor.LogicalType;
                var column = Describe(descriptor.Name, descriptor.PhysicalType, logical, descriptor.MaxDefinitionLevel > 0, descriptor.MaxRepetitionLevel > 0);
                columns.Add(column);
                if (timeIndex is null && logical is TimestampLogicalType ts && descriptor.PhysicalType == PhysicalType.Int64)
                {
                    timeIndex = i;
                    divisor = ts.TimeUnit switch { TimeUnit.Millis => 1_000_000, TimeUnit.Micros => 1_000, _ => 1 };
                }
            }

            long? min = null, max = null;
            if (timeIndex is { } t)
            {
                (min, max) = TimeStatistics(reader, meta.NumRowGroups, t);
                min *= divisor;
                max *= divisor;
            }

            return new ParquetFooter(full, meta.NumRows, new FileInfo(full).Length, columns, timeIndex is { } ti ? columns[ti].Name : null, min, max);
        }
        catch (ParquetException e)
        {
            throw new InvalidDataException($"'{full}' is not readable Parquet (truncated or corrupt?): {e.Message}", e);
        }
    }

    private static (long? Min, long? Max) TimeStatistics(ParquetFileReader reader, int rowGroups, int column)
    {
        long? min = null, max = null;
        for (var g = 0; g < rowGroups; g++)
        {
            using var rowGroup = reader.RowGroup(g);
            using var chunk = rowGroup.MetaData.GetColumnChunkMetaData(column);
            using var statistics = chunk.Statistics;
            if (statistics is not Statistics<long> { HasMinMax: true } typed)
            {
                return (null, null); // one row group without statistics makes the file's range unknown
            }

            min = min is { } m ? Math.Min(m, typed.Min) : typed.Min;
            max = max is { } x ? Math.Max(x, typed.Max) : typed.Max;
        }

        return (min, max);
    }

    /// <summary>Maps a Parquet column to its catalog description (Parquet, Hive and DuckDB types).</summary>
    internal static CatalogColumn Describe(string name, PhysicalType physical, LogicalType logical, bool nullable, bool repeated)
    {
        if (repeated)
        {
            throw new InvalidDataException($"Column '{name}' is repeated (a list); the lake's datasets are flat tables.");
        }

        var p = physical.ToString().ToUpperInvariant() switch
        {
            "BYTEARRAY" => "BYTE_ARRAY",
            "FIXEDLENBYTEARRAY" => "FIXED_LEN_BYTE_ARRAY",
            var other => other,
        };
        (string Parquet, string Hive, string Sql) types = (logical, physical) switch
        {
            (DecimalLogicalType d, _) => (Invariant($"{p} DECIMAL({d.Precision},{d.Scale})"), Invariant($"DECIMAL({d.Precision},{d.Scale})"), Invariant($"DECIMAL({d.Precision},{d.Scale})")),
            (TimestampLogicalType t, _) => (
                Invariant($"{p} TIMESTAMP({t.TimeUnit.ToString().ToUpperInvariant()},utc={(t.IsAdjustedToUtc ? "true" : "false")})"),
                "TIMESTAMP",
                t.TimeUnit switch
                {
                    TimeUnit.Nanos => "TIMESTAMP_NS",
                    TimeUnit.Millis => "TIMESTAMP_MS",
                    _ => t.IsAdjustedToUtc ? "TIMESTAMP WITH TIME ZONE" : "TIMESTAMP",
                }),
            (StringLogicalType, _) => (p + " STRING", "STRING", "VARCHAR"),
            (DateLogicalType, _) => (p + " DATE", "DATE", "DATE"),
            (IntLogicalType i, _) => (Invariant($"{p} INT({i.BitWidth},{(i.IsSigned ? "true" : "false")})"), IntHive(i.BitWidth, i.IsSigned), IntSql(i.BitWidth, i.IsSigned)),
            (NoneLogicalType, PhysicalType.Int64) => (p, "BIGINT", "BIGINT"),
            (NoneLogicalType, PhysicalType.Int32) => (p, "INT", "INTEGER"),
            (NoneLogicalType, PhysicalType.Boolean) => (p, "BOOLEAN", "BOOLEAN"),
            (NoneLogicalType, PhysicalType.Float) => (p, "FLOAT", "FLOAT"),
            (NoneLogicalType, PhysicalType.Double) => (p, "DOUBLE", "DOUBLE"),
            (NoneLogicalType, PhysicalType.ByteArray) => (p, "BINARY", "BLOB"),
            _ => throw new InvalidDataException($"Column '{name}' has a Parquet type ({p}, {logical.Type}) the catalog does not map to Hive."),
        };
        return new CatalogColumn(name, types.Parquet, types.Hive, types.Sql, nullable);

        static string IntHive(int bits, bool signed) => (bits, signed) switch
        {
            (8, true) => "TINYINT",
            (16, true) or (8, false) => "SMALLINT",
            (32, true) or (16, false) => "INT",
            _ => "BIGINT",
        };

        static string IntSql(int bits, bool signed) => (bits, signed) switch
        {
            (8, true) => "TINYINT",
            (16, true) => "SMALLINT",
            (32, true) => "INTEGER",
            (64, true) => "BIGINT",
            (8, false) => "UTINYINT",
            (16, false) => "USMALLINT",
            (32, false) => "UINTEGER",
            _ => "UBIGINT",
        };
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
