using System.Globalization;
using System.IO.Compression;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;
using BigDataTrading.Sources;
using BigDataTrading.Warehouse;
using Xunit;

namespace BigDataTrading.Data.Tests;

public sealed class MoreSourcesTests : IDisposable
{
    private const string BacQuoteZip = "data/market/lean-sample/Data/equity/usa/tick/bac/20131008_quote.zip";
    private const string Sp500Daily = "data/market/sp500-daily/sp500_daily_2013-01-02_to_2017-11-10.csv.gz";
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [SharedDataFact(BacQuoteZip)]
    public async Task Lean_quote_zip_yields_every_row_in_time_order_with_its_side_and_merged_books()
    {
        var errors = new CountingSourceErrorSink();
        var merged = await ReadQuotes(new LeanTickQuoteZipSource(SharedData.Require(BacQuoteZip), errors));
        var raw = await ReadQuotes(new LeanTickQuoteZipSource(SharedData.Require(BacQuoteZip), errors, mergeSides: false));

        Assert.Equal(0, errors.Count);
        Assert.Equal(576_096, merged.Count);
        Assert.Equal(576_096, raw.Count);
        Assert.All(raw, q => Assert.True(q.BidPrice.IsPositive ^ q.AskPrice.IsPositive, "each LEAN quote row carries exactly one side"));
        Assert.Equal(Enumerable.Range(1, merged.Count).Select(i => (long)i), merged.Select(q => q.Sequence));
        Assert.True(merged.Zip(merged.Skip(1)).All(p => p.First.Time <= p.Second.Time));

        // The first row is 14400142 ms after New York midnight on an EDT day: 04:00:00.142 EDT = 08:00:00.142 UTC.
        Assert.Equal(Timestamp.FromUtc(new DateOnly(2013, 10, 8), new TimeSpan(0, 8, 0, 0, 142)), merged[0].Time);
        Assert.Equal(Price.FromDecimal(13.80m), raw[0].BidPrice);
        Assert.Equal(Price.FromDecimal(13.92m), raw[1].AskPrice);

        // Merged: the second row (an ask) carries the same exchange's earlier bid.
        Assert.Equal((Price.FromDecimal(13.80m), Price.FromDecimal(13.92m)), (merged[1].BidPrice, merged[1].AskPrice));
        Assert.True(merged.Count(q => q.BidPrice.IsPositive && q.AskPrice.IsPositive) > 570_000);
    }

    [SharedDataFact(Sp500Daily)]
    public async Task Sp500_daily_csv_yields_every_bar_and_per_symbol_volume_matches_the_file()
    {
        var path = SharedData.Require(Sp500Daily);
        var errors = new CountingSourceErrorSink();
        var volumes = new Dictionary<string, long>(StringComparer.Ordinal);
        var bars = 0;
        Bar first = default;
        await foreach (var bar in new CsvMarketDataSource(path, CsvColumnMap.Sp500Daily, errors).ReadBarsAsync())
        {
            first = bars == 0 ? bar : first;
            bars++;
            volumes[bar.Symbol.Value] = volumes.GetValueOrDefault(bar.Symbol.Value) + bar.Volume;
        }

        // Independent computation straight from the file.
        var expected = new Dictionary<string, long>(StringComparer.Ordinal);
        using (var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress)))
        {
            _ = reader.ReadLine();
            while (reader.ReadLine() is { } line)
            {
                var f = line.Split(',');
                expected[f[0]] = expected.GetValueOrDefault(f[0]) + long.Parse(f[7], CultureInfo.InvariantCulture);
            }
        }

        Assert.Equal(0, errors.Count);
        Assert.Equal(606_071, bars);
        Assert.Equal(505, volumes.Count);
        Assert.Equal(expected.OrderBy(k => k.Key), volumes.OrderBy(k => k.Key));
        Assert.Equal(new Bar(Symbol.Parse("MMM"), Timestamp.FromUtc(new DateOnly(2013, 1, 2), TimeSpan.Zero), Timestamp.NanosPerDay,
            Price.FromDecimal(83.803m), Price.FromDecimal(84.335m), Price.FromDecimal(83.597m), Price.FromDecimal(84.326m), 3_604_164, 0, Price.Zero), first);
    }

    [Fact]
    public async Task Malformed_csv_lines_are_reported_with_file_line_and_field_and_the_rest_is_processed()
    {
        var path = Path.Combine(_temp.Path, "ticks.csv");
        await File.WriteAllLinesAsync(path,
        [
            "sym;ts;px;qty",
            "AAA;2024-03-12 14:30:00.000;10.5;100",
            "AAA;2024-03-12 14:30:01.000;ten;100",
            "AAA;2024-03-12 14:30:02.000;NaN;100",
            "AAA;2024-03-12 14:30:03.000;10.6",
            "AAA;not-a-time;10.6;100",
            "AAA;2024-03-12 14:30:04.000;10.7;Infinity",
            "BBB;2024-03-12 14:30:05.000;20.25;7",
        ]);
        var map = new CsvColumnMap { Symbol = "sym", Time = "ts", TimeFormat = "yyyy-MM-dd HH:mm:ss.fff", Price = "px", Size = "qty", Delimiter = ';' };
        var errors = new CountingSourceErrorSink();
        var ticks = await new CsvMarketDataSource(path, map, errors).ReadAllAsync();

        Assert.Equal([2L, 8L], ticks.Select(t => t.Sequence));
        Assert.Equal(Timestamp.FromUtc(new DateOnly(2024, 3, 12), new TimeSpan(14, 30, 5)), ticks[1].Time);
        Assert.Equal(Price.FromDecimal(20.25m), ticks[1].Price);
        Assert.Equal(
            [($"{path}:3", "px", SourceErrorKind.Malformed), ($"{path}:4", "px", SourceErrorKind.NonFinitePrice), ($"{path}:5", "line", SourceErrorKind.Malformed),
             ($"{path}:6", "ts", SourceErrorKind.Malformed), ($"{path}:7", "qty", SourceErrorKind.NonFiniteSize)],
            errors.FirstErrors.Select(e => (e.Location, e.Field, e.Kind)));
        Assert.Equal("AAA;not-a-time;10.6;100", errors.FirstErrors[3].RawLine);
    }

    [Fact]
    public async Task Lake_replay_yields_every_tick_in_event_time_order_per_symbol_across_files_and_days()
    {
        var lake = new LakeLayout(Path.Combine(_temp.Path, "lake"));
        var writer = new ParquetTickWriter(lake, "w");
        var day = Timestamp.FromUtc(new DateOnly(2024, 3, 12), new TimeSpan(14, 0, 0));
        var all = new List<TradeTick>();
        for (var commit = 0; commit < 3; commit++)
        {
            // Each commit holds a time slice of both days interleaved with the other commits' slices.
            for (var i = 0; i < 500; i++)
            {
                var t = day.AddNanoseconds(((i * 3) + commit) * 1_000_000L + (i % 2 * Timestamp.NanosPerDay));
                var tick = new TradeTick(Symbol.Parse(i % 3 == 0 ? "AAA" : "BBB"), t, Price.FromDecimal(10m + (i % 7)), 1 + i, (commit * 1000) + i, 'P');
                writer.Append(tick);
                all.Add(tick);
            }

            writer.Commit();
        }

        var errors = new CountingSourceErrorSink();
        var replay = await new LakeParquetTickSource(lake.Root, errors).ReadAllAsync();

        Assert.Equal(all.Count, replay.Count);
        Assert.Equal(all.OrderBy(t => t.Sequence), replay.OrderBy(t => t.Sequence));
        foreach (var group in replay.GroupBy(t => t.Symbol))
        {
            Assert.True(group.Zip(group.Skip(1)).All(p => p.First.Time <= p.Second.Time), $"{group.Key} is in event-time order");
        }

        var secondDayOnly = await new LakeParquetTickSource(lake.Root, errors, from: new DateOnly(2024, 3, 13)).ReadAllAsync();
        Assert.Equal(all.Count(t => t.Time.UtcDate == new DateOnly(2024, 3, 13)), secondDayOnly.Count);
    }

    [Fact]
    public async Task Lake_replay_never_reads_a_truncated_file_as_valid()
    {
        var lake = new LakeLayout(Path.Combine(_temp.Path, "lake"));
        var writer = new ParquetTickWriter(lake, "w");
        var start = Timestamp.FromUtc(new DateOnly(2024, 3, 12), new TimeSpan(14, 0, 0));
        for (var i = 0; i < 1000; i++)
        {
            writer.Append(new TradeTick(Symbol.Parse("AAA"), start.AddNanoseconds(i * 1000L), Price.FromDecimal(10m), 1, i));
        }

        var file = writer.Commit().Files[0].Path;
        for (var i = 0; i < 10; i++)
        {
            writer.Append(new TradeTick(Symbol.Parse("BBB"), start.AddNanoseconds(i * 1000L), Price.FromDecimal(10m), 1, i));
        }

        writer.Commit();
        var bytes = await File.ReadAllBytesAsync(file);
        await File.WriteAllBytesAsync(file, bytes[..(bytes.Length / 2)]);

        var errors = new CountingSourceErrorSink();
        var fails = await Assert.ThrowsAsync<InvalidDataException>(() => new LakeParquetTickSource(lake.Root, errors).ReadAllAsync());
        Assert.Contains(file, fails.Message, StringComparison.Ordinal);

        var rest = await new LakeParquetTickSource(lake.Root, errors, skipUnreadableFiles: true).ReadAllAsync();
        Assert.Equal(10, rest.Count);
        Assert.Equal(file, Assert.Single(errors.FirstErrors).Location);
    }

    private static async Task<List<QuoteTick>> ReadQuotes(LeanTickQuoteZipSource source)
    {
        var list = new List<QuoteTick>();
        await foreach (var q in source.ReadQuotesAsync())
        {
            list.Add(q);
        }

        return list;
    }
}
