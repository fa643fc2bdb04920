using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;
using BigDataTrading.Sources;
using BigDataTrading.Warehouse;
using BigDataTrading.Warehouse.Catalog;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace BigDataTrading.Data.Tests;

public sealed class LakeCatalogTests : IDisposable
{
    internal static readonly DateOnly Day1 = new(2024, 3, 12);
    internal static readonly DateOnly Day2 = new(2024, 3, 13);
    private readonly TempDirectory _temp = new();
    private readonly LakeLayout _lake;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2024, 6, 1, 12, 0, 0, TimeSpan.Zero));

    public LakeCatalogTests() => _lake = new LakeLayout(Path.Combine(_temp.Path, "lake"));

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Registered_commits_record_schema_partitions_rows_time_range_quality_and_lineage()
    {
        var catalog = new LakeCatalog(_lake, _clock);
        var ticks = TwoDaysOfTicks();
        var writer = new ParquetTickWriter(_lake, "ingest");
        foreach (var t in ticks.Take(1000))
        {
            writer.Append(t);
        }

        var run = new LakeJobRun("ingest", "run-1", ["md.ticks"]);
        catalog.RegisterCommit(writer.Commit(), run);
        _clock.Advance(TimeSpan.FromMinutes(5));
        foreach (var t in ticks.Skip(1000))
        {
            writer.Append(t);
        }

        catalog.RegisterCommit(writer.Commit(), run);
        catalog.RecordQuality(LakeDatasets.Ticks, Day1, new Dictionary<string, long> { ["Duplicate"] = 3, ["NonPositivePrice"] = 1 });
        catalog.RecordQuality(LakeDatasets.Ticks, Day1, new Dictionary<string, long> { ["Duplicate"] = 2 });

        var stored = new LakeCatalog(_lake, TimeProvider.System).Load(); // read back from disk by another instance
        var dataset = Assert.Single(stored.Datasets);
        Assert.Equal(LakeDatasets.Ticks, dataset.Name);
        Assert.Equal("time", dataset.TimeColumn);
        Assert.Equal(LakeSchemas.TicksColumns.Select(c => c.Name), dataset.Columns.Select(c => c.Name));
        Assert.Equal(LakeSchemas.TicksColumns.Select(c => c.SqlType), dataset.Columns.Select(c => c.SqlType));
        Assert.Equal(["STRING", "TIMESTAMP", "DECIMAL(18,8)", "BIGINT", "BIGINT", "STRING", "BIGINT"], dataset.Columns.Select(c => c.HiveType));
        Assert.Equal("INT64 DECIMAL(18,8)", dataset.Columns[2].ParquetType);
        Assert.Equal([false, false, false, false, false, true, false], dataset.Columns.Select(c => c.Nullable));
        Assert.Equal([Day1, Day2], dataset.Partitions.Select(p => p.Date));
        Assert.Equal(ticks.Count, dataset.Rows);
        var day1 = dataset.Partition(Day1)!;
        Assert.Equal(ticks.Count(t => t.Time.UtcDate == Day1), day1.Rows);
        Assert.Equal(2, day1.Files.Count);
        Assert.All(day1.Files, f => Assert.StartsWith("ticks/date=2024-03-12/part-ingest-", f.Path, StringComparison.Ordinal));
        Assert.Equal(ticks.Where(t => t.Time.UtcDate == Day1).Min(t => t.Time.UnixNanoseconds), day1.MinTimeNs);
        Assert.Equal(ticks.Where(t => t.Time.UtcDate == Day1).Max(t => t.Time.UnixNanoseconds), day1.MaxTimeNs);
        Assert.Equal(ticks.Max(t => t.Time), dataset.MaxTime);
        Assert.Equal(new Dictionary<string, long> { ["Duplicate"] = 5, ["NonPositivePrice"] = 1 }, day1.Quality);
        // Two commits of one run are one lineage entry, stamped with the (fake) wall time of the last.
        var lineage = Assert.Single(day1.Lineage);
        Assert.Equal(("ingest", "run-1", "md.ticks"), (lineage.Job, lineage.RunId, Assert.Single(lineage.Inputs)));
        Assert.Equal(_clock.GetUtcNow(), lineage.ProducedAt);
        Assert.Empty(_lake.ListTempFiles(LakeDatasets.Ticks));
        Assert.Empty(Directory.EnumerateFiles(Path.GetDirectoryName(catalog.CatalogPath)!, "*.tmp"));
    }

    [Fact]
    public void Rebuild_of_a_lake_written_without_a_catalog_equals_what_registration_records()
    {
        var registered = new LakeCatalog(new LakeLayout(Path.Combine(_temp.Path, "registered")), _clock);
        WriteTicksAndBars(_lake, null);
        WriteTicksAndBars(registered.Lake, registered);

        var rebuilt = new LakeCatalog(_lake, _clock).Rebuild();
        var expected = registered.Load();

        Assert.Empty(rebuilt.Problems);
        Assert.Equal([LakeDatasets.Bars1m, LakeDatasets.Ticks], rebuilt.Datasets.Select(d => d.Name));
        foreach (var d in rebuilt.Datasets)
        {
            var e = expected.Dataset(d.Name)!;
            Assert.Equal(e.Columns, d.Columns);
            Assert.Equal(e.TimeColumn, d.TimeColumn);
            Assert.Equal(
                e.Partitions.Select(p => (p.Date, p.Rows, p.MinTimeNs, p.MaxTimeNs, string.Join(",", p.Files.Select(f => (f.Path, f.Rows))))),
                d.Partitions.Select(p => (p.Date, p.Rows, p.MinTimeNs, p.MaxTimeNs, string.Join(",", p.Files.Select(f => (f.Path, f.Rows))))));
        }

        Assert.Equal("start", rebuilt.Dataset(LakeDatasets.Bars1m)!.TimeColumn);
        Assert.True(File.Exists(Path.Combine(_lake.Root, "_catalog", "catalog.json")));
    }

    [Fact]
    public void A_truncated_part_file_is_reported_with_its_path_and_never_counted()
    {
        WriteTicksAndBars(_lake, null);
        var good = _lake.ListPartFiles(LakeDatasets.Ticks, Day1).Single();
        var goodRows = new LakeCatalog(_lake, _clock).Scan().Dataset(LakeDatasets.Ticks)!.Partition(Day1)!.Rows;
        // A second file in the partition, cut in half as a crashed copy would leave it.
        var bad = Path.Combine(Path.GetDirectoryName(good)!, "part-copy-00000.parquet");
        var bytes = File.ReadAllBytes(good);
        File.WriteAllBytes(bad, bytes[..(bytes.Length / 2)]);
        // And one whose footer is intact but whose data pages are garbage.
        var garbled = Path.Combine(Path.GetDirectoryName(good)!, "part-garbled-00000.parquet");
        var copy = (byte[])bytes.Clone();
        for (var i = 4; i < copy.Length / 2; i++)
        {
            copy[i] = (byte)(i * 31);
        }

        File.WriteAllBytes(garbled, copy);

        var rebuilt = new LakeCatalog(_lake, _clock).Rebuild();

        Assert.Equal([bad, garbled], rebuilt.Problems.Select(p => p.Path).Order(StringComparer.Ordinal));
        Assert.All(rebuilt.Problems, p => Assert.Contains(p.Path, p.Message + p.Path, StringComparison.Ordinal));
        Assert.Contains(bad, rebuilt.Problems.Single(p => p.Path == bad).Message, StringComparison.Ordinal);
        var partition = rebuilt.Dataset(LakeDatasets.Ticks)!.Partition(Day1)!;
        Assert.Equal(goodRows, partition.Rows);
        Assert.Equal([_lake.RelativePath(good)], partition.Files.Select(f => f.Path));
    }

    [Fact]
    public void Registering_an_unreadable_file_fails_with_its_path()
    {
        var folder = Directory.CreateDirectory(_lake.PartitionPath(LakeDatasets.Ticks, Day1)).FullName;
        var path = Path.Combine(folder, "part-x-00000.parquet");
        File.WriteAllText(path, "not parquet");
        var catalog = new LakeCatalog(_lake, _clock);

        var e = Assert.Throws<InvalidDataException>(() =>
            catalog.RegisterCommit(new LakeCommit([new LakePartFile(LakeDatasets.Ticks, Day1, path, 1)]), new LakeJobRun("j", "r", [])));

        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.False(catalog.Exists);
    }

    [Fact]
    public async Task Concurrent_registrations_from_many_writers_lose_nothing()
    {
        // Two catalog instances over one lake stand in for two processes: they share only the file and its lock.
        var catalogs = new[] { new LakeCatalog(_lake, _clock), new LakeCatalog(_lake, _clock) };
        var spy = Symbol.Parse("SPY");
        await Parallel.ForEachAsync(Enumerable.Range(0, 16), new ParallelOptions { MaxDegreeOfParallelism = 4 }, (i, ct) =>
        {
            var writer = new ParquetTickWriter(_lake, "w" + i);
            writer.Append(new TradeTick(spy, Timestamp.FromUtc(Day1, TimeSpan.FromHours(14)).AddNanoseconds(i), Price.FromDecimal(100m), 10, i, 'P'));
            catalogs[i % 2].RegisterCommit(writer.Commit(ct), new LakeJobRun("writer", "w" + i, []));
            return ValueTask.CompletedTask;
        });

        var partition = catalogs[0].Load().Dataset(LakeDatasets.Ticks)!.Partition(Day1)!;
        Assert.Equal(16, partition.Files.Count);
        Assert.Equal(16, partition.Rows);
        Assert.Equal(16, partition.Lineage.Count);
    }

    [Fact]
    public void A_damaged_catalog_file_is_an_error_naming_it_and_rebuild_replaces_it()
    {
        WriteTicksAndBars(_lake, null);
        var catalog = new LakeCatalog(_lake, _clock);
        Directory.CreateDirectory(Path.GetDirectoryName(catalog.CatalogPath)!);
        File.WriteAllText(catalog.CatalogPath, "{ \"formatVersion\": 1, \"datasets\": [");

        var e = Assert.Throws<InvalidDataException>(catalog.Load);
        Assert.Contains(catalog.CatalogPath, e.Message, StringComparison.Ordinal);

        var rebuilt = catalog.Rebuild();
        Assert.Equal(2, catalog.Load().Datasets.Count);
        Assert.Contains(rebuilt.Problems, p => p.Path == catalog.CatalogPath);
    }

    /// <summary>Ticks over two UTC days and 1-minute bars of them, registered in <paramref name="catalog"/> when given.</summary>
    internal static void WriteTicksAndBars(LakeLayout lake, LakeCatalog? catalog)
    {
        var ticks = TwoDaysOfTicks();
        var tickWriter = new ParquetTickWriter(lake, "ingest");
        foreach (var t in ticks)
        {
            tickWriter.Append(t);
        }

        var commit = tickWriter.Commit();
        catalog?.RegisterCommit(commit, new LakeJobRun("ingest", "r1", ["synthetic"]));
        var barWriter = new ParquetBarWriter(lake, "bars");
        foreach (var bar in Jobs.Etl.BarAggregator.Aggregate([.. ticks.OrderBy(t => t, Comparer<TradeTick>.Create(Jobs.Etl.TickCleaner.Compare))], Timestamp.NanosPerMinute))
        {
            barWriter.Append(bar);
        }

        var bars = barWriter.Commit();
        catalog?.RegisterCommit(bars, new LakeJobRun("bars", "r1", [.. commit.Files.Select(f => lake.RelativePath(f.Path))]));
    }

    /// <summary>A synthetic session on day 1 plus prints on both sides of the UTC midnight into day 2.</summary>
    internal static List<TradeTick> TwoDaysOfTicks()
    {
        var ticks = new SyntheticMarketSource(new SyntheticMarketOptions { Date = Day1, TradesPerSymbol = 2_000 }).ReadTrades().ToList();
        var aapl = Symbol.Parse("AAPL");
        var midnight = Timestamp.FromUtc(Day2, TimeSpan.Zero);
        ticks.Add(new TradeTick(aapl, midnight.AddNanoseconds(-1), Price.FromDecimal(173.01m), 10, 900_001, 'Q'));
        ticks.Add(new TradeTick(aapl, midnight, Price.FromDecimal(173.02m), 20, 900_002));
        ticks.Add(new TradeTick(aapl, midnight.AddNanoseconds(123_456_789), Price.FromDecimal(173.03m), 30, 900_003, 'K'));
        return ticks;
    }
}
