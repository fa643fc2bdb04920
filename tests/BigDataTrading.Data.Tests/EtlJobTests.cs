using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;
using BigDataTrading.Jobs.Etl;
using BigDataTrading.Sources;
using BigDataTrading.Warehouse;
using BigDataTrading.Warehouse.Catalog;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using Xunit.Abstractions;

namespace BigDataTrading.Data.Tests;

public sealed class EtlJobTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2024, 6, 1, 12, 0, 0, TimeSpan.Zero));

    public void Dispose() => _temp.Dispose();

    [SharedDataFact(SharedData.SpyTradeZip)]
    public async Task Spy_day_to_1_minute_bars_equals_bars_grouped_from_the_raw_csv_and_a_rerun_leaves_the_same_rows()
    {
        var zip = SharedData.Require(SharedData.SpyTradeZip);
        var lake = new LakeLayout(Path.Combine(_temp.Path, "lake"));
        var ingest = new ParquetTickWriter(lake, "ingest");
        await foreach (var tick in new LeanTickTradeZipSource(zip, new CountingSourceErrorSink()).ReadTradesAsync())
        {
            ingest.Append(tick);
        }

        var commit = await ingest.CommitAsync();
        var catalog = new LakeCatalog(lake, _clock);
        catalog.RegisterCommit(commit, new LakeJobRun("ingest", "spy", [zip]));
        var etl = new LakeEtl(lake, _clock, catalog);

        var watch = Stopwatch.StartNew();
        var first = await etl.BuildBarsAsync(BarPeriod.OneMinute);
        output.WriteLine($"ETL of {first.InputRows:N0} ticks to {first.OutputRows:N0} 1-minute bars: {watch.Elapsed.TotalMilliseconds:F0} ms (Debug, cold)");
        var firstRows = ReadBars(lake, LakeDatasets.Bars1mEtl);
        _clock.Advance(TimeSpan.FromHours(1));
        var second = await etl.BuildBarsAsync(BarPeriod.OneMinute);
        var secondRows = ReadBars(lake, LakeDatasets.Bars1mEtl);

        var expected = BarsFromRawCsv(zip);
        Assert.Equal(451_545, first.InputRows);
        Assert.Equal(expected.Count, first.OutputRows);
        Assert.Equal(expected.Select(e => e[..7]), firstRows.Select(r => r[..7])); // start, OHLC, volume, trade count
        Assert.Equal(expected.Select(e => e[7]), firstRows.Select(r => r[7])); // VWAP rounded half up to 10^-8
        Assert.Equal(firstRows, secondRows);
        Assert.Equal([lake.PartFilePath(LakeDatasets.Bars1mEtl, new DateOnly(2013, 10, 8), "etl", 0)], lake.ListPartFiles(LakeDatasets.Bars1mEtl));
        Assert.False(Directory.Exists(Path.Combine(lake.Root, "_staging")));
        var partition = catalog.Load().Dataset(LakeDatasets.Bars1mEtl)!.Partitions.Single();
        Assert.Equal(expected.Count, partition.Rows);
        var lineage = Assert.Single(partition.Lineage);
        Assert.Equal(("etl-bars-1m", second.RunId, _clock.GetUtcNow()), (lineage.Job, lineage.RunId, lineage.ProducedAt));
        Assert.Equal(["ticks/date=2013-10-08/part-ingest-00000.parquet"], lineage.Inputs);
        Assert.NotEqual(first.RunId, second.RunId);
        Assert.Empty(partition.Quality);
    }

    [Fact]
    public async Task Clean_drops_replayed_and_invalid_prints_sorts_and_records_quality_and_lineage()
    {
        var lake = new LakeLayout(Path.Combine(_temp.Path, "lake"));
        var ticks = LakeCatalogTests.TwoDaysOfTicks();
        var first = new ParquetTickWriter(lake, "a");
        foreach (var t in ticks)
        {
            first.Append(t);
        }

        first.Commit();
        // A second ingest replays every 10th print (one with a shifted time) and adds two invalid prints.
        var replay = new ParquetTickWriter(lake, "b");
        var replayed = ticks.Where((_, i) => i % 10 == 0).Select((t, i) => i == 0 ? t with { Time = t.Time.AddNanoseconds(5) } : t).ToList();
        var spy = Symbol.Parse("SPY");
        var at = Timestamp.FromUtc(LakeCatalogTests.Day1, TimeSpan.FromHours(15));
        replayed.Add(new TradeTick(spy, at, Price.Zero, 100, 5_000_001));
        replayed.Add(new TradeTick(spy, at, Price.FromDecimal(500m), 0, 5_000_002));
        foreach (var t in replayed)
        {
            replay.Append(t);
        }

        replay.Commit();
        var catalog = new LakeCatalog(lake, _clock);
        // Expected independently: the synthetic market itself emits duplicates and bad prints, so count them here.
        List<TradeTick> all = [.. ticks, .. replayed];
        var valid = all.Where(t => t.Price.IsPositive && t.Size > 0).ToList();
        var unique = valid.DistinctBy(t => (t.Symbol, t.Sequence)).ToList();

        var result = await new LakeEtl(lake, _clock, catalog).CleanTicksAsync(new EtlJobOptions { MaxParallelism = 2 });

        Assert.Equal([LakeCatalogTests.Day1, LakeCatalogTests.Day2], result.Partitions.Select(p => p.Date));
        Assert.Equal(all.Count, result.InputRows);
        Assert.Equal(unique.Count, result.OutputRows);
        using var sql = new LakeSql(lake);
        Assert.Equal(unique.Count, sql.QueryScalar<long>("SELECT count(DISTINCT (symbol, sequence)) FROM ticks_clean"));
        Assert.Equal(unique.Sum(t => t.Size), sql.QueryScalar<long>("SELECT sum(size) FROM ticks_clean"));
        // The first occurrence wins: the replayed print with a shifted time is gone.
        Assert.NotEqual(ticks[0].Time, replayed[0].Time);
        Assert.Equal(ticks[0].Time.UnixNanoseconds, sql.QueryScalar<long>($"SELECT epoch_ns(time) FROM ticks_clean WHERE symbol = '{ticks[0].Symbol}' AND sequence = {ticks[0].Sequence}"));
        var order = sql.Query("SELECT symbol, epoch_ns(time), sequence FROM read_parquet('" + lake.ListPartFiles(LakeDatasets.TicksClean, LakeCatalogTests.Day1)[0] + "', file_row_number = true) ORDER BY file_row_number").Rows;
        for (var i = 1; i < order.Count; i++)
        {
            var a = ((string)order[i - 1][0]!, (long)order[i - 1][1]!, (long)order[i - 1][2]!);
            var b = ((string)order[i][0]!, (long)order[i][1]!, (long)order[i][2]!);
            Assert.True(string.CompareOrdinal(a.Item1, b.Item1) < 0 || (a.Item1 == b.Item1 && (a.Item2, a.Item3).CompareTo((b.Item2, b.Item3)) < 0), $"row {i} out of order");
        }

        var day1 = catalog.Load().Dataset(LakeDatasets.TicksClean)!.Partition(LakeCatalogTests.Day1)!;
        static bool OnDay1(TradeTick t) => t.Time.UtcDate == LakeCatalogTests.Day1;
        Assert.Equal(valid.Count(OnDay1) - unique.Count(OnDay1), day1.Quality["Duplicate"]);
        Assert.True(day1.Quality["Duplicate"] > replayed.Count - 2, "every replayed valid print is a duplicate");
        Assert.Equal(all.Count(t => OnDay1(t) && !t.Price.IsPositive), day1.Quality["NonPositivePrice"]);
        Assert.Equal(all.Count(t => OnDay1(t) && t.Price.IsPositive && t.Size <= 0), day1.Quality["NonPositiveSize"]);
        Assert.Equal(
            ["ticks/date=2024-03-12/part-a-00000.parquet", "ticks/date=2024-03-12/part-b-00000.parquet"],
            Assert.Single(day1.Lineage).Inputs);
    }

    [Fact]
    public async Task Progress_is_reported_once_per_published_partition_with_a_count_that_reaches_the_total()
    {
        var lake = new LakeLayout(Path.Combine(_temp.Path, "lake"));
        var writer = new ParquetTickWriter(lake, "a");
        foreach (var t in LakeCatalogTests.TwoDaysOfTicks())
        {
            writer.Append(t);
        }

        writer.Commit();
        var seen = new ConcurrentQueue<EtlProgress>();
        var progress = new RecordingProgress(seen);

        var result = await new LakeEtl(lake, _clock, new LakeCatalog(lake, _clock)).BuildBarsAsync(BarPeriod.OneMinute, new EtlJobOptions { MaxParallelism = 2, Progress = progress });

        Assert.Equal(2, seen.Count);
        Assert.All(seen, p => Assert.Equal(2, p.Total));
        Assert.Equal([1, 2], seen.Select(p => p.Done).Order());
        Assert.Equal(result.Partitions.Select(p => (p.Date, p.OutputRows)).Order(), seen.Select(p => (p.Partition.Date, p.Partition.OutputRows)).Order());
    }

    // Progress<T> would post to the thread pool and could report after the job returned; record synchronously instead.
    private sealed class RecordingProgress(ConcurrentQueue<EtlProgress> seen) : IProgress<EtlProgress>
    {
        public void Report(EtlProgress value) => seen.Enqueue(value);
    }

    [Fact]
    public async Task A_corrupt_part_file_fails_the_job_with_its_path_and_leaves_the_published_partition_intact()
    {
        var lake = new LakeLayout(Path.Combine(_temp.Path, "lake"));
        LakeCatalogTests.WriteTicksAndBars(lake, null);
        var etl = new LakeEtl(lake, _clock, new LakeCatalog(lake, _clock));
        await etl.BuildBarsAsync(BarPeriod.OneMinute);
        var before = ReadBars(lake, LakeDatasets.Bars1mEtl);
        var good = lake.ListPartFiles(LakeDatasets.Ticks, LakeCatalogTests.Day1)[0];
        var bad = Path.Combine(Path.GetDirectoryName(good)!, "part-late-00000.parquet");
        var bytes = await File.ReadAllBytesAsync(good);
        await File.WriteAllBytesAsync(bad, bytes[..(bytes.Length * 2 / 3)]);

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => etl.BuildBarsAsync(BarPeriod.OneMinute, new EtlJobOptions { Dates = [LakeCatalogTests.Day1] }));

        Assert.Contains(bad, e.Message, StringComparison.Ordinal);
        Assert.Contains("etl-bars-1m", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, ReadBars(lake, LakeDatasets.Bars1mEtl));
        Assert.False(Directory.Exists(Path.Combine(lake.Root, "_staging")));
    }

    [Fact]
    public async Task Second_and_day_bars_agree_with_the_clean_ticks_they_summarize()
    {
        var lake = new LakeLayout(Path.Combine(_temp.Path, "lake"));
        LakeCatalogTests.WriteTicksAndBars(lake, null);
        var etl = new LakeEtl(lake, _clock, null);

        await etl.CleanTicksAsync();
        await Task.WhenAll(
            etl.BuildBarsAsync(BarPeriod.OneSecond, new EtlJobOptions { SourceDataset = LakeDatasets.TicksClean }),
            etl.BuildBarsAsync(BarPeriod.OneDay, new EtlJobOptions { SourceDataset = LakeDatasets.TicksClean }));

        using var sql = new LakeSql(lake);
        const string Totals = "SELECT symbol, sum({0}) AS v, sum({1}) AS n, min({2}) AS lo, max({3}) AS hi FROM {4} GROUP BY symbol ORDER BY symbol";
        var fromTicks = sql.Query(string.Format(CultureInfo.InvariantCulture, Totals, "size", "1", "price", "price", "ticks_clean")).Rows;
        Assert.Equal(fromTicks, sql.Query(string.Format(CultureInfo.InvariantCulture, Totals, "volume", "trade_count", "low", "high", "bars_1s")).Rows);
        Assert.Equal(fromTicks, sql.Query(string.Format(CultureInfo.InvariantCulture, Totals, "volume", "trade_count", "low", "high", "bars_1d")).Rows);
        Assert.Equal(0, sql.QueryScalar<long>("SELECT count(*) FROM bars_1d WHERE period_ns <> 86400000000000 OR epoch_ns(start) % 86400000000000 <> 0"));
        Assert.Equal(0, sql.QueryScalar<long>("SELECT count(*) FROM bars_1s WHERE epoch_ns(start) % 1000000000 <> 0 OR date <> CAST(start AS DATE)"));
    }

    /// <summary>Rows of a bar dataset: start (Unix ns), open, high, low, close, volume, trade count, vwap; by symbol and start.</summary>
    private static List<object?[]> ReadBars(LakeLayout lake, string dataset)
    {
        using var sql = new LakeSql(lake);
        return [.. sql.Query($"SELECT epoch_ns(start), open, high, low, close, volume, CAST(trade_count AS BIGINT), vwap FROM {dataset} ORDER BY symbol, start")
            .Rows.Select(r => r.ToArray())];
    }

    /// <summary>
    /// 1-minute bars computed straight from the CSV lines, independently of the lake and the job: time is milliseconds
    /// after midnight in New York (EDT, UTC−4, on 2013-10-08), price deci-cents, the fifth field the sale conditions in
    /// hex; lines are in time order. Volume and count take every line; open, high, low, close and VWAP only the lines
    /// whose conditions are bar-price eligible, or every line of a minute that has no eligible one.
    /// </summary>
    private static List<object?[]> BarsFromRawCsv(string zip)
    {
        var midnightUtcNs = Timestamp.FromUtc(new DateOnly(2013, 10, 8), TimeSpan.FromHours(4)).UnixNanoseconds;
        var bars = new List<object?[]>();
        long? minute = null;
        long volume = 0, count = 0;
        var all = new List<(decimal Price, long Size)>();
        var eligible = new List<(decimal Price, long Size)>();
        using var archive = ZipFile.OpenRead(zip);
        using var reader = new StreamReader(archive.Entries.Single().Open());
        while (reader.ReadLine() is { } line)
        {
            var f = line.Split(',');
            var ns = midnightUtcNs + (long)(decimal.Parse(f[0], CultureInfo.InvariantCulture) * 1_000_000m);
            var m = ns / Timestamp.NanosPerMinute;
            var price = decimal.Parse(f[1], CultureInfo.InvariantCulture) / 10_000m;
            var size = long.Parse(f[2], CultureInfo.InvariantCulture);
            var conditions = (SaleConditions)uint.Parse(f[4], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (m != minute)
            {
                Flush();
                minute = m;
                volume = count = 0;
                all.Clear();
                eligible.Clear();
            }

            volume += size;
            count++;
            all.Add((price, size));
            if (conditions.IsBarPriceEligible())
            {
                eligible.Add((price, size));
            }
        }

        Flush();
        return bars;

        void Flush()
        {
            if (minute is { } start)
            {
                var priced = eligible.Count > 0 ? eligible : all;
                var vwap = priced.Sum(p => p.Price * p.Size) / priced.Sum(p => p.Size);
                bars.Add([start * Timestamp.NanosPerMinute, priced[0].Price, priced.Max(p => p.Price), priced.Min(p => p.Price), priced[^1].Price, volume, count, Math.Round(vwap, 8, MidpointRounding.AwayFromZero)]);
            }
        }
    }
}
