using BigDataTrading.Warehouse;
using BigDataTrading.Warehouse.Catalog;
using BigDataTrading.Warehouse.Hive;
using Microsoft.Extensions.Time.Testing;
using ParquetSharp;
using Xunit;

namespace BigDataTrading.Data.Tests;

public sealed class HiveDdlTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly LakeLayout _lake;
    private readonly LakeCatalog _catalog;

    public HiveDdlTests()
    {
        _lake = new LakeLayout(Path.Combine(_temp.Path, "lake with 'quote"));
        _catalog = new LakeCatalog(_lake, new FakeTimeProvider());
        LakeCatalogTests.WriteTicksAndBars(_lake, _catalog);
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Ddl_parses_as_HiveQL_and_matches_the_lake_layout_and_the_parquet_schemas()
    {
        var ddl = HiveDdl.Generate(_catalog.Load(), _lake);

        var script = HiveQlChecker.Parse(ddl);

        Assert.Equal([LakeDatasets.Bars1m, LakeDatasets.Ticks], script.Tables.Select(t => t.Name));
        foreach (var table in script.Tables)
        {
            Assert.True(table.External);
            Assert.Equal("PARQUET", table.StoredAs);
            Assert.Equal([new HiveColumn("date", "STRING")], table.PartitionColumns);
            var folder = LocalPath(table.Location!);
            Assert.Equal(_lake.DatasetPath(table.Name), folder);

            // Columns equal the schema of every Parquet file of the dataset, read here straight from the footers.
            foreach (var file in _lake.ListPartFiles(table.Name))
            {
                Assert.Equal(ParquetColumnsAsHive(file), table.Columns);
            }

            var partitions = script.Partitions.Where(p => p.Table == table.Name).ToList();
            Assert.Equal(_lake.ListPartitions(table.Name).Select(d => d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)),
                partitions.Select(p => Assert.Single(p.Spec).Value));
            foreach (var p in partitions)
            {
                var location = LocalPath(p.Location!);
                Assert.True(Directory.Exists(location), $"partition location {location} does not exist");
                Assert.Equal(Path.Combine(folder, "date=" + p.Spec[0].Value), location);
                Assert.NotEmpty(Directory.EnumerateFiles(location, "part-*.parquet"));
            }
        }
    }

    [Fact]
    public void Database_and_location_root_options_qualify_tables_and_rewrite_locations()
    {
        var ddl = HiveDdl.Generate(_catalog.Load(), _lake, new HiveDdlOptions { Database = "bdt", LocationRoot = "hdfs://namenode:8020/lake/" });

        var script = HiveQlChecker.Parse(ddl);

        Assert.Equal(["bdt"], script.Databases);
        Assert.All(script.Tables, t => Assert.Equal("bdt", t.Database));
        Assert.Equal("hdfs://namenode:8020/lake/ticks", script.Tables.Single(t => t.Name == "ticks").Location);
        Assert.Contains(script.Partitions, p => p.Location == "hdfs://namenode:8020/lake/ticks/date=2024-03-13");
        Assert.Contains("CREATE EXTERNAL TABLE IF NOT EXISTS `bdt`.`ticks` (", ddl, StringComparison.Ordinal);
        Assert.Contains("ALTER TABLE `bdt`.`ticks` ADD IF NOT EXISTS PARTITION (`date`='2024-03-12') LOCATION 'hdfs://namenode:8020/lake/ticks/date=2024-03-12';", ddl, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("CREATE EXTERNAL TABLE t (date STRING) STORED AS PARQUET LOCATION '/x';", "reserved word")]
    [InlineData("CREATE EXTERNAL TABLE t (`a` DECIMAL(40,2)) LOCATION '/x';", "out of range")]
    [InlineData("CREATE EXTERNAL TABLE t (`a` INT) PARTITIONED BY (`a` STRING) LOCATION '/x';", "repeated in partitioning")]
    [InlineData("CREATE EXTERNAL TABLE t (`a` INT) PARTITIONED BY `date` STRING LOCATION '/x';", "expected (")]
    [InlineData("CREATE EXTERNAL TABLE t (`a` NUMBER) LOCATION '/x';", "unknown type")]
    [InlineData("CREATE EXTERNAL TABLE t (`a` INT) STORED AS PARQUET LOCATION '/x'", "expected ;")]
    [InlineData("ALTER TABLE t ADD PARTITION (`date`='2024-01-01');", "not created earlier")]
    [InlineData("CREATE TABLE t (`a` INT) PARTITIONED BY (`d` STRING);ALTER TABLE t ADD PARTITION (`e`='1');", "does not name the partition columns")]
    [InlineData("CREATE TABLE t (`a` INT) LOCATION 'it's';", "unterminated string")]
    public void The_checker_rejects_statements_Hive_would_reject(string ddl, string reason)
    {
        var e = Assert.Throws<HiveQlSyntaxException>(() => HiveQlChecker.Parse(ddl));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    private static string LocalPath(string location)
    {
        Assert.StartsWith("file://", location, StringComparison.Ordinal);
        return location["file://".Length..];
    }

    /// <summary>The Hive types a Parquet file's columns must have, derived here from the physical/logical types.</summary>
    private static List<HiveColumn> ParquetColumnsAsHive(string path)
    {
        using var reader = new ParquetFileReader(path);
        using var meta = reader.FileMetaData;
        var columns = new List<HiveColumn>();
        for (var i = 0; i < meta.Schema.NumColumns; i++)
        {
            var c = meta.Schema.Column(i);
            using var logical = c.LogicalType;
            var type = (logical, c.PhysicalType) switch
            {
                (DecimalLogicalType d, PhysicalType.Int64) => $"DECIMAL({d.Precision},{d.Scale})",
                (TimestampLogicalType, PhysicalType.Int64) => "TIMESTAMP",
                (StringLogicalType, PhysicalType.ByteArray) => "STRING",
                (NoneLogicalType, PhysicalType.Int64) => "BIGINT",
                (NoneLogicalType, PhysicalType.Int32) => "INT",
                _ => throw new InvalidOperationException($"unexpected column {c.Name} {c.PhysicalType}"),
            };
            columns.Add(new HiveColumn(c.Name, type));
        }

        return columns;
    }
}
