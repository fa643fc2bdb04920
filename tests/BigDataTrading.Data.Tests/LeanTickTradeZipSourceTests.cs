using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;
using BigDataTrading.Sources;
using Xunit;
using Xunit.Abstractions;

namespace BigDataTrading.Data.Tests;

// Runs alone (after the parallel classes) so the parse-speed check measures the parser, not the neighbours.
[Collection(SerialCollection.Name)]
public sealed class LeanTickTradeZipSourceTests(ITestOutputHelper output)
{
    [SharedDataFact(SharedData.SpyTradeZip)]
    public async Task Spy_2013_10_08_reads_every_row_with_exchange_time_converted_from_EDT()
    {
        var path = SharedData.Require(SharedData.SpyTradeZip);
        var errors = new CountingSourceErrorSink();
        var source = new LeanTickTradeZipSource(path, errors);

        // Warm-up pass so the timed pass measures parsing, not JIT.
        _ = await source.ReadAllAsync();
        var stopwatch = Stopwatch.StartNew();
        var ticks = new List<TradeTick>(460_000);
        await foreach (var tick in source.ReadTradesAsync())
        {
            ticks.Add(tick);
        }

        stopwatch.Stop();
        output.WriteLine($"Parsed {ticks.Count:N0} ticks in {stopwatch.Elapsed.TotalMilliseconds:F0} ms ({ticks.Count / stopwatch.Elapsed.TotalSeconds:N0} ticks/s).");

        Assert.Equal(451_545, ticks.Count);
        Assert.Equal(0, errors.Count);
        var first = ticks[0];
        Assert.Equal(Symbol.Parse("SPY"), first.Symbol);
        // The first row's time is 14,417,034 ms after midnight = 04:00:17.034 New York (14,417.034 s = 4 h 0 min 17.034 s),
        // not "04:00:14.417" as the digits might suggest; EDT is UTC-4 on 2013-10-08.
        Assert.Equal(Timestamp.FromUtc(new DateOnly(2013, 10, 8), new TimeSpan(0, 8, 0, 17, 34)), first.Time);
        Assert.Equal(Price.FromDecimal(167.42m), first.Price);
        Assert.Equal(210, first.Size);
        Assert.Equal(1, first.Sequence);
        Assert.Equal('Q', first.Exchange);
        // Condition column "2000" is hex: the extended-hours bit.
        Assert.Equal(SaleConditions.ExtendedHours, first.Conditions);
        Assert.Equal(451_545, ticks[^1].Sequence);
        for (var i = 1; i < ticks.Count; i++)
        {
            Assert.True(ticks[i].Time >= ticks[i - 1].Time, $"tick {i} goes back in time");
        }

        // A Debug build parses in ~0.35 s on an idle 2-core machine (Release ~0.06 s warm); the 3 s bound only catches gross
        // regressions (e.g. string-per-field parsing) without failing on a busy CI box.
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(3), $"Parsing took {stopwatch.Elapsed}; expected well under 1 s.");
    }

    [SharedDataFact(SharedData.SpyTradeZip)]
    public async Task Spy_total_volume_equals_the_size_column_summed_independently()
    {
        var path = SharedData.Require(SharedData.SpyTradeZip);
        long expected = 0;
        using (var zip = ZipFile.OpenRead(path))
        using (var reader = new StreamReader(zip.Entries.Single().Open()))
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                expected += long.Parse(line.Split(',')[2], CultureInfo.InvariantCulture);
            }
        }

        long actual = 0;
        await foreach (var tick in new LeanTickTradeZipSource(path, new CountingSourceErrorSink()).ReadTradesAsync())
        {
            actual += tick.Size;
        }

        Assert.Equal(178_346_557, expected);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task Malformed_lines_are_reported_with_file_line_and_field_and_the_rest_is_read()
    {
        using var temp = new TempDirectory();
        var zip = WriteLeanZip(temp.Path, "spy", "20131008",
            "34200000,1674200,100,P,0,0",
            "34200001,16x4200,200,P,0,0",
            "34200002,1674300,300,Q,0,0",
            "34200003,1674300,300",
            "34200004,1674400,400,Z,1,0",
            "",
            "99999999,1674400,400,Z,1,0",
            "34200005,1674500,500,Z,zz,0",
            "34200006.5,1674600,600,D,20000020,1",
            "34200007,1674600,600,D,100000000,0");
        var errors = new CountingSourceErrorSink();

        var ticks = await new LeanTickTradeZipSource(zip, errors).ReadAllAsync();

        Assert.Equal([1L, 3, 5, 9], ticks.Select(t => t.Sequence));
        Assert.Equal([100L, 300, 400, 600], ticks.Select(t => t.Size));
        Assert.Equal(6, errors.Count);
        var reported = errors.FirstErrors;
        Assert.Equal([$"{zip}:2", $"{zip}:4", $"{zip}:6", $"{zip}:7", $"{zip}:8", $"{zip}:10"], reported.Select(e => e.Location));
        Assert.Equal(["price", "line", "line", "time", "condition", "condition"], reported.Select(e => e.Field));
        Assert.Equal(SaleConditions.TradeThroughExempt | SaleConditions.IntermarketSweep, ticks[^1].Conditions);
        Assert.Equal("34200001,16x4200,200,P,0,0", reported[0].RawLine);
        Assert.All(reported, e => Assert.False(string.IsNullOrWhiteSpace(e.Reason)));
        // The fractional millisecond is kept to the nanosecond.
        Assert.Equal(500_000, ticks[^1].Time.UnixNanoseconds % 1_000_000);
    }

    [Fact]
    public async Task Winter_dates_use_EST_and_a_DST_change_inside_the_file_is_honoured()
    {
        using var temp = new TempDirectory();
        var winter = WriteLeanZip(temp.Path, "ibm", "20140115", "34200000,1850000,100,N,0,0");
        // 2013-11-03: clocks go back from 02:00 EDT to 01:00 EST.
        var fallBack = WriteLeanZip(temp.Path, "bac", "20131103", "1800000,150000,100,N,0,0", "10800000,150000,100,N,0,0");

        var winterTick = Assert.Single(await new LeanTickTradeZipSource(winter, new CountingSourceErrorSink()).ReadAllAsync());
        var fallBackTicks = await new LeanTickTradeZipSource(fallBack, new CountingSourceErrorSink()).ReadAllAsync();

        Assert.Equal(Timestamp.FromUtc(new DateOnly(2014, 1, 15), new TimeSpan(14, 30, 0)), winterTick.Time);
        Assert.Equal(Symbol.Parse("IBM"), winterTick.Symbol);
        Assert.Equal(Timestamp.FromUtc(new DateOnly(2013, 11, 3), new TimeSpan(4, 30, 0)), fallBackTicks[0].Time); // 00:30 EDT
        Assert.Equal(Timestamp.FromUtc(new DateOnly(2013, 11, 3), new TimeSpan(8, 0, 0)), fallBackTicks[1].Time); // 03:00 EST
    }

    [Fact]
    public async Task Zero_and_negative_prices_are_passed_on_for_the_quality_filter_to_judge()
    {
        using var temp = new TempDirectory();
        var zip = WriteLeanZip(temp.Path, "spy", "20131008", "34200000,0,100,P,0,0", "34200001,-1674200,0,P,0,0");
        var errors = new CountingSourceErrorSink();

        var ticks = await new LeanTickTradeZipSource(zip, errors).ReadAllAsync();

        Assert.Equal(0, errors.Count);
        Assert.Equal([Price.Zero, Price.FromDecimal(-167.42m)], ticks.Select(t => t.Price));
        Assert.Equal(0, ticks[1].Size);
    }

    [Fact]
    public void A_path_outside_the_LEAN_layout_needs_an_explicit_symbol_and_date()
    {
        Assert.Throws<ArgumentException>(() => new LeanTickTradeZipSource("/tmp/whatever.zip", new CountingSourceErrorSink()));
        Assert.True(LeanTickTradeZipSource.TryParsePath("/data/equity/usa/tick/spy/20131008_trade.zip", out var symbol, out var date));
        Assert.Equal(("SPY", new DateOnly(2013, 10, 8)), (symbol.Value, date));
    }

    [Fact]
    public async Task A_zip_without_a_csv_is_a_fault_not_a_silent_empty_stream()
    {
        using var temp = new TempDirectory();
        var folder = Directory.CreateDirectory(Path.Combine(temp.Path, "tick", "spy")).FullName;
        var path = Path.Combine(folder, "20131008_trade.zip");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            zip.CreateEntry("readme.txt");
        }

        await Assert.ThrowsAsync<InvalidDataException>(() => new LeanTickTradeZipSource(path, new CountingSourceErrorSink()).ReadAllAsync());
    }

    private static string WriteLeanZip(string root, string symbol, string yyyymmdd, params string[] lines)
    {
        var folder = Directory.CreateDirectory(Path.Combine(root, "equity", "usa", "tick", symbol)).FullName;
        var path = Path.Combine(folder, $"{yyyymmdd}_trade.zip");
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        using var writer = new StreamWriter(zip.CreateEntry($"{yyyymmdd}_{symbol}_Trade_Tick.csv").Open(), new UTF8Encoding(false));
        foreach (var line in lines)
        {
            writer.Write(line + "\r\n");
        }

        return path;
    }
}
