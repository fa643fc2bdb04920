using BigDataTrading.Core.MarketData;

namespace BigDataTrading.Warehouse;

/// <summary>
/// The frozen Parquet schemas of the lake's datasets (version <see cref="Version"/>), as DuckDB column types.
/// </summary>
/// <remarks>
/// <para><b>time / start</b>: Parquet <c>TIMESTAMP(NANOS, isAdjustedToUTC=false)</c> holding UTC. Why not
/// <c>isAdjustedToUTC=true</c>: DuckDB reads UTC-adjusted nanosecond timestamps as <c>TIMESTAMP WITH TIME ZONE</c>,
/// which has microsecond resolution, and silently truncates the nanoseconds; the non-adjusted form reads as exact
/// <c>TIMESTAMP_NS</c>. Every file carries the key-value metadata <c>bdt.time_zone=UTC</c> to make the convention
/// explicit (Spark reads the column as <c>TIMESTAMP_NTZ</c>).</para>
/// <para><b>prices</b>: <c>DECIMAL(18,8)</c> stored as INT64, whose unscaled value is exactly
/// <see cref="Core.Instruments.Price.Raw"/>. Why not double: binary floating point cannot hold 0.01, so sums and VWAPs
/// drift; DuckDB aggregates DECIMAL(18,8) exactly (sum widens to DECIMAL(38,8)). The cost is range: |price| must be
/// below 10^10, which writers check.</para>
/// <para>The <c>date</c> column readers see comes from the Hive partition folder, not from the files.</para>
/// <para><b>conditions</b> (ticks, since version 2): the trade's <see cref="Core.MarketData.SaleConditions"/> bits as a
/// plain INT64 (no logical annotation; DuckDB, Hive, Spark and Trino all read it as <c>BIGINT</c>), holding the unsigned
/// 32-bit value zero-extended, so it is never negative (0 = none). Why not UINT32: Hive has no unsigned types and would
/// read the odd-lot bit (2^31) as a negative INT, and an INT32 column would do the same everywhere; dictionary encoding
/// makes the wider column cost almost nothing (a day has a few dozen distinct values). Filter with bitwise AND:
/// <c>WHERE conditions &amp; 32 &lt;&gt; 0</c> (intermarket sweep) works in DuckDB and HiveQL alike.</para>
/// <para><b>Evolution</b>: columns are only ever appended (<see cref="AddedColumnsOf"/>). Files written before a column
/// existed lack it; the lake's readers give it the value listed there, the SQL views (<see cref="LakeSql"/>) read old
/// and new files together by name and supply the same value, and a Hive table over old partitions reads NULL for it.</para>
/// </remarks>
public static class LakeSchemas
{
    /// <summary>Schema version, stored in each file's metadata as <c>bdt.schema_version</c>.</summary>
    /// <remarks>1: the first lake; 2: <c>conditions</c> appended to the tick schema.</remarks>
    public const string Version = "2";

    /// <summary>Ticks columns in file order with their DuckDB types.</summary>
    public static IReadOnlyList<(string Name, string SqlType)> TicksColumns { get; } =
    [
        ("symbol", "VARCHAR"),
        ("time", "TIMESTAMP_NS"),
        ("price", "DECIMAL(18,8)"),
        ("size", "BIGINT"),
        ("sequence", "BIGINT"),
        ("exchange", "VARCHAR"),
        ("conditions", "BIGINT"),
    ];

    /// <summary>The tick columns of version 1 (files written before <c>conditions</c>): the first six of
    /// <see cref="TicksColumns"/>.</summary>
    public const int TicksColumnsV1 = 6;

    /// <summary>Quote columns in file order with their DuckDB types (a side the quote lacks is price 0, size 0).</summary>
    public static IReadOnlyList<(string Name, string SqlType)> QuotesColumns { get; } =
    [
        ("symbol", "VARCHAR"),
        ("time", "TIMESTAMP_NS"),
        ("bid_price", "DECIMAL(18,8)"),
        ("bid_size", "BIGINT"),
        ("ask_price", "DECIMAL(18,8)"),
        ("ask_size", "BIGINT"),
        ("sequence", "BIGINT"),
    ];

    /// <summary>1-minute bar columns in file order with their DuckDB types.</summary>
    public static IReadOnlyList<(string Name, string SqlType)> BarsColumns { get; } =
    [
        ("symbol", "VARCHAR"),
        ("start", "TIMESTAMP_NS"),
        ("period_ns", "BIGINT"),
        ("open", "DECIMAL(18,8)"),
        ("high", "DECIMAL(18,8)"),
        ("low", "DECIMAL(18,8)"),
        ("close", "DECIMAL(18,8)"),
        ("volume", "BIGINT"),
        ("trade_count", "INTEGER"),
        ("vwap", "DECIMAL(18,8)"),
    ];

    /// <summary>Feature columns in file order with their DuckDB types. The DOUBLE columns are nullable: NULL where the
    /// feature is undefined (no previous bar of the day, no two-sided quote in the bar).</summary>
    public static IReadOnlyList<(string Name, string SqlType)> FeaturesColumns { get; } =
    [
        ("symbol", "VARCHAR"),
        ("start", "TIMESTAMP_NS"),
        ("period_ns", "BIGINT"),
        ("close", "DECIMAL(18,8)"),
        ("log_return", "DOUBLE"),
        ("realized_vol", "DOUBLE"),
        ("quote_count", "INTEGER"),
        ("spread", "DOUBLE"),
        ("spread_bps", "DOUBLE"),
        ("imbalance", "DOUBLE"),
    ];

    /// <summary>Columns of a dataset.</summary>
    /// <exception cref="ArgumentException">Unknown dataset.</exception>
    public static IReadOnlyList<(string Name, string SqlType)> ColumnsOf(string dataset) => dataset switch
    {
        LakeDatasets.Ticks or LakeDatasets.TicksClean => TicksColumns,
        LakeDatasets.Bars1m or LakeDatasets.Bars1s or LakeDatasets.Bars1mEtl or LakeDatasets.Bars1d or LakeDatasets.Bars => BarsColumns,
        LakeDatasets.Quotes => QuotesColumns,
        LakeDatasets.Features1s or LakeDatasets.Features1m or LakeDatasets.Features1d => FeaturesColumns,
        _ => throw new ArgumentException($"Unknown lake dataset '{dataset}'.", nameof(dataset)),
    };

    /// <summary>
    /// The columns appended to a dataset's schema after its first version, with the DuckDB literal that rows of files
    /// written before them have (empty for datasets whose schema never grew, and for unknown names).
    /// </summary>
    public static IReadOnlyList<LakeAddedColumn> AddedColumnsOf(string dataset) => IsTickDataset(dataset) ? s_tickAdded : [];

    private static readonly LakeAddedColumn[] s_tickAdded = [new("conditions", "BIGINT", "0", "2")];

    /// <summary>
    /// Checks that a Parquet file's leaf column names are the tick schema of version 2 (<see cref="TicksColumns"/>) or of
    /// version 1 (its first <see cref="TicksColumnsV1"/> columns, no <c>conditions</c>).
    /// </summary>
    /// <param name="path">The file, for the message.</param>
    /// <param name="names">Leaf column names in file order.</param>
    /// <returns>True when the file has the <c>conditions</c> column (version 2), false for a version-1 file.</returns>
    /// <exception cref="InvalidDataException">Any other set or order of columns; the message names the file and both schemas.</exception>
    public static bool HasTickConditions(string path, IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var matches = names.Count == TicksColumnsV1 || names.Count == TicksColumns.Count;
        for (var i = 0; matches && i < names.Count; i++)
        {
            matches = string.Equals(names[i], TicksColumns[i].Name, StringComparison.Ordinal);
        }

        return matches
            ? names.Count == TicksColumns.Count
            : throw new InvalidDataException(
                $"'{path}' has columns ({string.Join(", ", names)}), not the tick schema ({string.Join(", ", TicksColumns.Select(c => c.Name))}; files written before version 2 lack conditions).");
    }

    /// <summary>The flags of a <c>conditions</c> value read from a tick file. The writer stores the 32 bits zero-extended,
    /// so a value outside 0..2^32−1 is damage, not data.</summary>
    /// <param name="path">The file, for the message.</param>
    /// <param name="value">The INT64 value read.</param>
    /// <exception cref="InvalidDataException">The value is negative or wider than 32 bits; the message names the file.</exception>
    public static SaleConditions TickConditions(string path, long value) =>
        value is >= 0 and <= uint.MaxValue
            ? (SaleConditions)(uint)value
            : throw new InvalidDataException($"'{path}': conditions value {value} is not a 32-bit set of sale-condition flags (0..4294967295).");

    /// <summary>True when the dataset is one of the known datasets with the tick schema.</summary>
    public static bool IsTickDataset(string dataset) => dataset is LakeDatasets.Ticks or LakeDatasets.TicksClean;

    /// <summary>True when the dataset is one of the known datasets with the bar schema.</summary>
    public static bool IsBarDataset(string dataset) =>
        dataset is LakeDatasets.Bars1m or LakeDatasets.Bars1s or LakeDatasets.Bars1mEtl or LakeDatasets.Bars1d or LakeDatasets.Bars;

    /// <summary>True when the dataset is one of the known datasets with the feature schema.</summary>
    public static bool IsFeatureDataset(string dataset) =>
        dataset is LakeDatasets.Features1s or LakeDatasets.Features1m or LakeDatasets.Features1d;

    /// <summary>Largest |raw| price a DECIMAL(18,8) column holds: 10^18 − 1 units of 10^-8.</summary>
    internal const long MaxDecimalRaw = 999_999_999_999_999_999;
}

/// <summary>A column appended to a dataset's schema in a later version. Immutable.</summary>
/// <param name="Name">Column name.</param>
/// <param name="SqlType">Its DuckDB type.</param>
/// <param name="SqlValueInOlderFiles">DuckDB literal the rows of files written without the column have.</param>
/// <param name="SinceVersion">The <see cref="LakeSchemas.Version"/> that added it.</param>
public sealed record LakeAddedColumn(string Name, string SqlType, string SqlValueInOlderFiles, string SinceVersion);
