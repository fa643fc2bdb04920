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
/// </remarks>
public static class LakeSchemas
{
    /// <summary>Schema version, stored in each file's metadata as <c>bdt.schema_version</c>.</summary>
    public const string Version = "1";

    /// <summary>Ticks columns in file order with their DuckDB types.</summary>
    public static IReadOnlyList<(string Name, string SqlType)> TicksColumns { get; } =
    [
        ("symbol", "VARCHAR"),
        ("time", "TIMESTAMP_NS"),
        ("price", "DECIMAL(18,8)"),
        ("size", "BIGINT"),
        ("sequence", "BIGINT"),
        ("exchange", "VARCHAR"),
    ];

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
