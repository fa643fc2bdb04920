using System.Text.Json;
using BigDataTrading.Cli.Commands;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Jobs.Etl;
using BigDataTrading.Sources;
using BigDataTrading.Warehouse;
using BigDataTrading.Warehouse.Catalog;
using BigDataTrading.Warehouse.Hive;
using Microsoft.Extensions.Time.Testing;
using ParquetSharp;
using ParquetSharp.Schema;
using Xunit;

namespace BigDataTrading.Data.Tests;

/// <summary>
/// The ticks' sale conditions through the lake: the Parquet writer, both file readers, the lake replay, the SQL views,
/// the catalog, the Hive DDL and the clean job — and files written before the column existed (schema version 1), which
/// read as <see cref="SaleConditions.None"/> next to new ones.
/// </summary>
public sealed class LakeSaleConditionsTests : IDisposable
{
    private const uint Sweep = (uint)SaleConditions.IntermarketSweep; // 32
    private const uint OddLot = (uint)SaleConditions.OddLot; // 2^31: must stay positive in SQL

    // Named flags, combinations as the LEAN files have them, a bit no name covers (kept as it came) and all 32 bits.
    private static readonly SaleConditions[] s_palette =
    [
        SaleConditions.None,
        SaleConditions.Regular,
        SaleConditions.TradeThroughExempt | SaleConditions.IntermarketSweep,
        SaleConditions.IntermarketSweep,
        SaleConditions.OddLot,
        SaleConditions.OddLot | SaleConditions.IntermarketSweep | SaleConditions.ExtendedHours,
        SaleConditions.AveragePrice | SaleConditions.FormT,
        (SaleConditions)(1u << 17),
        (SaleConditions)uint.MaxValue,
    ];

    private readonly TempDirectory _temp = new();
    private readonly LakeLayout _lake;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2024, 6, 1, 12, 0, 0, TimeSpan.Zero));

    public LakeSaleConditionsTests() => _lake = new LakeLayout(Path.Combine(_temp.Path, "lake"));

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Sale_conditions_round_trip_through_the_writer_both_file_readers_and_the_lake_replay()
    {
        var ticks = TicksWithConditions();
        Write(_lake, "w", ticks);

        var files = _lake.ListPartFiles(LakeDatasets.Ticks);
        var fromFileReader = files.SelectMany(LakeTickFileReader.ReadFile).ToList();
        var fromEtlReader = new List<TradeTick>();
        LakeTickReader.ReadFiles(files, fromEtlReader);
        var replayed = await new LakeParquetTickSource(_lake.Root, new CountingSourceErrorSink()).ReadAllAsync();

        Assert.Equal(2, files.Count);
        Assert.Equal(Canonical(ticks), Canonical(fromFileReader));
        Assert.Equal(Canonical(ticks), Canonical(fromEtlReader));
        Assert.Equal(Canonical(ticks), Canonical(replayed));
        // The replay's own order (time, symbol, sequence) with the conditions of each print.
        Assert.Equal(
            ticks.OrderBy(t => t.Time).ThenBy(t => t.Symbol).ThenBy(t => t.Sequence).Select(t => (t.Symbol, t.Sequence, t.Conditions)),
            replayed.Select(t => (t.Symbol, t.Sequence, t.Conditions)));
        Assert.All(s_palette, c => Assert.Contains(replayed, t => t.Conditions == c));
    }

    [Fact]
    public async Task Sql_filters_on_condition_bits_and_reads_the_odd_lot_bit_as_a_positive_bigint()
    {
        var ticks = TicksWithConditions();
        Write(_lake, "w", ticks);
        using var sql = new LakeSql(_lake);

        Assert.Equal("BIGINT", sql.QueryScalar<string>("SELECT typeof(conditions) FROM ticks LIMIT 1"));
        Assert.Equal(LakeSchemas.TicksColumns.Select(c => c.Name).Append("date"), sql.Query("SELECT * FROM ticks LIMIT 0").Columns);
        Assert.Equal(ticks.Count(t => ((uint)t.Conditions & Sweep) != 0), sql.QueryScalar<long>("SELECT count(*) FROM ticks WHERE conditions & 32 <> 0"));
        Assert.Equal(ticks.Count(t => ((uint)t.Conditions & OddLot) != 0), sql.QueryScalar<long>($"SELECT count(*) FROM ticks WHERE conditions & {OddLot} <> 0"));
        Assert.Equal(ticks.Count(t => t.Conditions == SaleConditions.None), sql.QueryScalar<long>("SELECT count(*) FROM ticks WHERE conditions = 0"));
        Assert.Equal(uint.MaxValue, sql.QueryScalar<long>("SELECT max(conditions) FROM ticks"));
        Assert.Equal(0, sql.QueryScalar<long>("SELECT min(conditions) FROM ticks"));
        Assert.Equal(ticks.Sum(t => (long)(uint)t.Conditions), sql.QueryScalar<long>("SELECT sum(conditions) FROM ticks"));
        var first = ticks.First(t => t.Conditions == s_palette[5]);
        Assert.Equal((long)(uint)first.Conditions, sql.QueryScalar<long>($"SELECT conditions FROM ticks WHERE symbol = '{first.Symbol}' AND sequence = {first.Sequence}"));

        // The same filter through bdt sql.
        var json = await LakeCommandsTests.RunAsync(SqlCommand.Create(), "SELECT count(*) AS n FROM ticks WHERE (conditions & 32) <> 0 AND (conditions & 2147483648) <> 0", "--lake", _lake.Root, "--format", "json");
        Assert.Equal(0, json.ExitCode);
        using var doc = JsonDocument.Parse(json.Output);
        Assert.Equal(ticks.Count(t => ((uint)t.Conditions & (Sweep | OddLot)) == (Sweep | OddLot)), doc.RootElement[0].GetProperty("n").GetInt64());
    }

    [Fact]
    public async Task Version_1_files_without_conditions_read_as_none_next_to_version_2_files()
    {
        var (old, current) = SplitOldAndNew(TicksWithConditions());
        var oldPath = WriteVersion1(_lake, LakeCatalogTests.Day1, old);
        Write(_lake, "new", current); // day 1 now holds a v1 and a v2 file, day 2 only v2
        var expected = old.Select(t => t with { Conditions = SaleConditions.None }).Concat(current).ToList();

        var fromOld = LakeTickFileReader.ReadFile(oldPath);
        var fromEtlReader = new List<TradeTick>();
        LakeTickReader.ReadFiles(_lake.ListPartFiles(LakeDatasets.Ticks), fromEtlReader);
        var replayed = await new LakeParquetTickSource(_lake.Root, new CountingSourceErrorSink()).ReadAllAsync();

        Assert.Equal(Canonical(old.Select(t => t with { Conditions = SaleConditions.None })), Canonical(fromOld));
        Assert.Equal(Canonical(expected), Canonical(fromEtlReader));
        Assert.Equal(Canonical(expected), Canonical(replayed));
        Assert.Contains(old, t => t.Conditions != SaleConditions.None); // so the None above is the reader's doing
    }

    [Fact]
    public async Task Sql_over_version_1_and_version_2_partitions_reads_the_missing_conditions_as_zero()
    {
        var (old, current) = SplitOldAndNew(TicksWithConditions());
        WriteVersion1(_lake, LakeCatalogTests.Day1, old);

        // Only v1 files: the column is there all the same, 0 everywhere, in schema order.
        using var session = new LakeSql(_lake);
        Assert.Equal(LakeSchemas.TicksColumns.Select(c => c.Name).Append("date"), session.Query("SELECT * FROM ticks LIMIT 0").Columns);
        Assert.Equal(old.Count, session.QueryScalar<long>("SELECT count(*) FROM ticks WHERE conditions = 0"));
        Assert.Equal("BIGINT", session.QueryScalar<string>("SELECT typeof(conditions) FROM ticks LIMIT 1"));

        Write(_lake, "new", current);
        var expectedSweeps = current.Count(t => ((uint)t.Conditions & Sweep) != 0);
        var catalog = new LakeCatalog(_lake, _clock).Rebuild();
        using var byDefault = new LakeSql(_lake);
        using var byCatalog = new LakeSql(_lake, catalog.Tables);
        foreach (var sql in new[] { session, byDefault, byCatalog }) // the open session follows the new files too
        {
            Assert.Equal(LakeSchemas.TicksColumns.Select(c => c.Name).Append("date"), sql.Query("SELECT * FROM ticks LIMIT 0").Columns);
            Assert.Equal(old.Count + current.Count, sql.QueryScalar<long>("SELECT count(*) FROM ticks"));
            Assert.Equal(old.Count + current.Count(t => t.Conditions == SaleConditions.None), sql.QueryScalar<long>("SELECT count(*) FROM ticks WHERE conditions = 0"));
            Assert.Equal(0, sql.QueryScalar<long>("SELECT count(*) FROM ticks WHERE conditions IS NULL"));
            Assert.Equal(expectedSweeps, sql.QueryScalar<long>("SELECT count(*) FROM ticks WHERE conditions & 32 <> 0"));
            Assert.Equal(current.Sum(t => (long)(uint)t.Conditions), sql.QueryScalar<long>("SELECT sum(conditions) FROM ticks"));
            // The partition column still filters (the day-2 partition holds only v2 rows).
            Assert.Equal(current.Count(t => t.Time.UtcDate == LakeCatalogTests.Day2), sql.QueryScalar<long>("SELECT count(*) FROM ticks WHERE date = DATE '2024-03-13'"));
        }

        var json = await LakeCommandsTests.RunAsync(SqlCommand.Create(), "SELECT count(*) AS n FROM ticks WHERE conditions & 32 <> 0", "--lake", _lake.Root, "--format", "json");
        Assert.Equal(0, json.ExitCode);
        using var doc = JsonDocument.Parse(json.Output);
        Assert.Equal(expectedSweeps, doc.RootElement[0].GetProperty("n").GetInt64());
    }

    [Fact]
    public void Catalog_widens_the_tick_schema_over_old_and_new_files_and_the_hive_ddl_declares_conditions()
    {
        var (old, current) = SplitOldAndNew(TicksWithConditions());
        var oldPath = WriteVersion1(_lake, LakeCatalogTests.Day1, old);
        var registered = new LakeCatalog(_lake, _clock);
        var run = new LakeJobRun("test", "r1", ["test"]);
        registered.ReplacePartition(LakeDatasets.Ticks, LakeCatalogTests.Day1, [oldPath], run);
        var beforeNew = registered.Load().Dataset(LakeDatasets.Ticks)!;
        var commit = Write(_lake, "new", current);
        registered.RegisterCommit(commit, run);

        var stored = registered.Load().Dataset(LakeDatasets.Ticks)!;
        var rebuilt = new LakeCatalog(_lake, _clock).Rebuild();
        var scanned = rebuilt.Dataset(LakeDatasets.Ticks)!;

        Assert.Equal(LakeSchemas.TicksColumnsV1, beforeNew.Columns.Count);
        Assert.Equal(LakeSchemas.TicksColumns.Select(c => (c.Name, c.SqlType)), stored.Columns.Select(c => (c.Name, c.SqlType)));
        var conditions = stored.Columns[^1];
        Assert.Equal(new CatalogColumn("conditions", "INT64", "BIGINT", "BIGINT", Nullable: true), conditions); // NULL in Hive for old files
        Assert.Equal(old.Count + current.Count, stored.Rows);
        Assert.Empty(rebuilt.Problems);
        Assert.Equal(stored.Columns, scanned.Columns);
        Assert.Equal(stored.Rows, scanned.Rows);

        var script = HiveQlChecker.Parse(HiveDdl.Generate(rebuilt, _lake));
        var table = Assert.Single(script.Tables, t => t.Name == LakeDatasets.Ticks);
        Assert.Equal(new HiveColumn("conditions", "BIGINT"), table.Columns[^1]);
        Assert.Equal(["symbol", "time", "price", "size", "sequence", "exchange", "conditions"], table.Columns.Select(c => c.Name));
    }

    [Fact]
    public void A_tick_file_with_a_foreign_seventh_column_is_still_refused_by_the_catalog_and_the_readers()
    {
        var ticks = TicksWithConditions().Where(t => t.Time.UtcDate == LakeCatalogTests.Day1).Take(100).ToList();
        Write(_lake, "new", ticks);
        var foreign = WriteVersion1(_lake, LakeCatalogTests.Day1, ticks, extra: ("venue_flags", [.. ticks.Select(_ => 1L)]));

        var catalog = new LakeCatalog(_lake, _clock).Rebuild();

        var problem = Assert.Single(catalog.Problems);
        Assert.Equal(foreign, problem.Path);
        Assert.Contains("venue_flags", problem.Message, StringComparison.Ordinal);
        var e1 = Assert.Throws<InvalidDataException>(() => LakeTickFileReader.ReadFile(foreign));
        var e2 = Assert.Throws<InvalidDataException>(() => LakeTickReader.ReadFile(foreign, []));
        Assert.All(new[] { e1.Message, e2.Message }, m => Assert.StartsWith($"'{foreign}' has columns (", m, StringComparison.Ordinal));
    }

    [Fact]
    public void A_conditions_value_outside_32_bits_is_an_error_naming_the_file_in_both_readers()
    {
        var ticks = TicksWithConditions().Take(10).ToList();
        long[] raw = [.. ticks.Select(_ => 1L)];
        raw[7] = -1; // what a writer that forgot the zero-extension would store for 0xFFFFFFFF
        var path = WriteVersion1(_lake, LakeCatalogTests.Day1, ticks, extra: ("conditions", raw));

        var e1 = Assert.Throws<InvalidDataException>(() => LakeTickFileReader.ReadFile(path));
        var into = new List<TradeTick>();
        var e2 = Assert.Throws<InvalidDataException>(() => LakeTickReader.ReadFile(path, into));

        Assert.All(new[] { e1.Message, e2.Message }, m => Assert.Equal($"'{path}': conditions value -1 is not a 32-bit set of sale-condition flags (0..4294967295).", m));
        Assert.Empty(into);
    }

    [Fact]
    public async Task Clean_job_carries_the_sale_conditions_of_old_and_new_files_into_ticks_clean()
    {
        var (old, current) = SplitOldAndNew(TicksWithConditions());
        WriteVersion1(_lake, LakeCatalogTests.Day1, old);
        Write(_lake, "new", current);
        var expected = TickCleaner.Clean([.. old.Select(t => t with { Conditions = SaleConditions.None }), .. current]).Ticks;

        var result = await new LakeEtl(_lake, _clock, new LakeCatalog(_lake, _clock)).CleanTicksAsync(new EtlJobOptions { MaxParallelism = 2 });

        var clean = _lake.ListPartFiles(LakeDatasets.TicksClean).SelectMany(LakeTickFileReader.ReadFile).ToList();
        Assert.Equal(expected.Length, result.OutputRows);
        Assert.Equal(Canonical(expected), Canonical(clean));
        Assert.Contains(clean, t => t.Conditions == (SaleConditions)uint.MaxValue);
        using var sql = new LakeSql(_lake);
        Assert.Equal(expected.Count(t => ((uint)t.Conditions & Sweep) != 0), sql.QueryScalar<long>("SELECT count(*) FROM ticks_clean WHERE conditions & 32 <> 0"));
    }

    /// <summary>The two-day synthetic ticks, each with a condition from the palette chosen by its (symbol, sequence), so the
    /// synthetic market's replayed prints carry the same conditions as their originals, as a replayed feed would.</summary>
    private static List<TradeTick> TicksWithConditions() =>
        [.. LakeCatalogTests.TwoDaysOfTicks().Select(t => t with { Conditions = s_palette[(int)((t.Sequence * 7 + t.Symbol.Value[0]) % s_palette.Length)] })];

    /// <summary>Day-1 ticks split in two (the "old" half goes to a version-1 file); every day-2 tick is new.</summary>
    private static (List<TradeTick> Old, List<TradeTick> New) SplitOldAndNew(List<TradeTick> ticks)
    {
        var old = ticks.Where((t, i) => t.Time.UtcDate == LakeCatalogTests.Day1 && i % 2 == 0).ToList();
        return (old, [.. ticks.Except(old)]);
    }

    private static LakeCommit Write(LakeLayout lake, string writerId, IEnumerable<TradeTick> ticks)
    {
        var writer = new ParquetTickWriter(lake, writerId);
        foreach (var t in ticks)
        {
            writer.Append(t);
        }

        return writer.Commit();
    }

    /// <summary>Rows in a fixed order with every field in the key, so lists compare as multisets.</summary>
    private static List<TradeTick> Canonical(IEnumerable<TradeTick> ticks) =>
        [.. ticks.OrderBy(t => t.Symbol).ThenBy(t => t.Time).ThenBy(t => t.Sequence).ThenBy(t => t.Price.Raw).ThenBy(t => t.Size).ThenBy(t => t.Exchange).ThenBy(t => t.Conditions)];

    /// <summary>
    /// Writes a tick file as the lake wrote them before schema version 2 (six columns, no <c>conditions</c>, metadata
    /// <c>bdt.schema_version=1</c>), into the partition of <paramref name="date"/> under writer id <c>v1</c>; with
    /// <paramref name="extra"/>, a seventh required INT64 column of that name and raw values (damaged or foreign files).
    /// </summary>
    private static string WriteVersion1(LakeLayout lake, DateOnly date, IReadOnlyList<TradeTick> ticks, (string Name, long[] Values)? extra = null)
    {
        var path = lake.PartFilePath(LakeDatasets.Ticks, date, "v1", extra is null ? 0 : 1);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var fields = new List<Node>
        {
            new PrimitiveNode("symbol", Repetition.Required, LogicalType.String(), PhysicalType.ByteArray),
            new PrimitiveNode("time", Repetition.Required, LogicalType.Timestamp(isAdjustedToUtc: false, TimeUnit.Nanos), PhysicalType.Int64),
            new PrimitiveNode("price", Repetition.Required, LogicalType.Decimal(precision: 18, scale: 8), PhysicalType.Int64),
            new PrimitiveNode("size", Repetition.Required, LogicalType.None(), PhysicalType.Int64),
            new PrimitiveNode("sequence", Repetition.Required, LogicalType.None(), PhysicalType.Int64),
            new PrimitiveNode("exchange", Repetition.Optional, LogicalType.String(), PhysicalType.ByteArray),
        };
        if (extra is { } x)
        {
            fields.Add(new PrimitiveNode(x.Name, Repetition.Required, LogicalType.None(), PhysicalType.Int64));
        }

        using var schema = new GroupNode("schema", Repetition.Required, fields);
        foreach (var f in fields)
        {
            f.Dispose();
        }

        using var builder = new WriterPropertiesBuilder();
        using var properties = builder.Compression(Compression.Snappy).Build();
        var metadata = new Dictionary<string, string> { ["bdt.dataset"] = LakeDatasets.Ticks, ["bdt.schema_version"] = "1", ["bdt.time_zone"] = "UTC" };
        using (var file = new ParquetFileWriter(path, schema, properties, metadata))
        {
            using (var rowGroup = file.AppendRowGroup())
            {
                using (var symbols = rowGroup.NextColumn().LogicalWriter<string>())
                {
                    symbols.WriteBatch([.. ticks.Select(t => t.Symbol.Value)]);
                }

                WriteLongs(rowGroup, [.. ticks.Select(t => t.Time.UnixNanoseconds)]);
                WriteLongs(rowGroup, [.. ticks.Select(t => t.Price.Raw)]);
                WriteLongs(rowGroup, [.. ticks.Select(t => t.Size)]);
                WriteLongs(rowGroup, [.. ticks.Select(t => t.Sequence)]);
                using (var exchanges = rowGroup.NextColumn().LogicalWriter<string?>())
                {
                    exchanges.WriteBatch([.. ticks.Select(t => t.Exchange == '\0' ? null : t.Exchange.ToString())]);
                }

                if (extra is { } e)
                {
                    WriteLongs(rowGroup, e.Values);
                }
            }

            file.Close();
        }

        return path;

        static void WriteLongs(RowGroupWriter rowGroup, long[] values)
        {
            using var column = (ColumnWriter<long>)rowGroup.NextColumn();
            column.WriteBatch(values);
        }
    }
}
