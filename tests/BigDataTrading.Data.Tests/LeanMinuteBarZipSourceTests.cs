using System.Globalization;
using System.IO.Compression;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Time;
using BigDataTrading.Sources;
using Xunit;

namespace BigDataTrading.Data.Tests;

public sealed class LeanMinuteBarZipSourceTests : IDisposable
{
    internal const string SpyMinuteZip = "data/market/lean-sample/Data/equity/usa/minute/spy/20131008_trade.zip";
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [SharedDataFact(SpyMinuteZip)]
    public async Task Spy_minute_zip_yields_every_bar_with_its_UTC_start_and_the_file_volume()
    {
        var zip = SharedData.Require(SpyMinuteZip);
        var errors = new CountingSourceErrorSink();
        var bars = new List<Core.MarketData.Bar>();
        await foreach (var bar in new LeanMinuteBarZipSource(zip, errors).ReadBarsAsync())
        {
            bars.Add(bar);
        }

        // Straight from the file: line count and summed volume (column 6).
        long rows = 0, volume = 0;
        using (var archive = ZipFile.OpenRead(zip))
        using (var reader = new StreamReader(archive.Entries[0].Open()))
        {
            while (reader.ReadLine() is { } line)
            {
                rows++;
                volume += long.Parse(line.Split(',')[5], CultureInfo.InvariantCulture);
            }
        }

        Assert.Equal(0, errors.Count);
        Assert.Equal(rows, bars.Count);
        Assert.Equal(volume, bars.Sum(b => b.Volume));
        Assert.All(bars, b => Assert.Equal((Symbol.Parse("SPY"), Timestamp.NanosPerMinute, 0), (b.Symbol, b.PeriodNanos, b.TradeCount)));
        Assert.True(bars.Zip(bars.Skip(1)).All(p => p.First.Start < p.Second.Start));
        // First line 14400000 ms = 04:00 EDT = 08:00 UTC; 1674200 deci-cents = 167.42.
        Assert.Equal(Timestamp.FromUtc(new DateOnly(2013, 10, 8), new TimeSpan(8, 0, 0)), bars[0].Start);
        Assert.Equal(Price.FromDecimal(167.42m), bars[0].Open);
    }

    [Fact]
    public async Task Malformed_minute_lines_are_reported_with_file_line_and_field_and_the_rest_is_read()
    {
        var folder = Path.Combine(_temp.Path, "minute", "ibm");
        Directory.CreateDirectory(folder);
        var zip = Path.Combine(folder, "20131008_trade.zip");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
        using (var writer = new StreamWriter(archive.CreateEntry("20131008_ibm_minute_trade.csv").Open()))
        {
            writer.Write("34200000,1800000,1801000,1799000,1800500,1200\n34260000,1800500,x,1800000,1800000,300\n34320000,1800000,1800000\n34380000,1800000,1800100,1799900,1800000,500\n");
        }

        var errors = new CollectingSourceErrorSink();
        var bars = new List<Core.MarketData.Bar>();
        await foreach (var bar in new LeanMinuteBarZipSource(zip, errors).ReadBarsAsync())
        {
            bars.Add(bar);
        }

        Assert.Equal([1200L, 500L], bars.Select(b => b.Volume));
        Assert.Equal([($"{zip}:2", "high"), ($"{zip}:3", "line")], errors.Errors.Select(e => (e.Location, e.Field)));
        Assert.Contains("expected 6", errors.Errors[1].Reason, StringComparison.Ordinal);
    }

    private sealed class CollectingSourceErrorSink : ISourceErrorSink
    {
        public List<SourceError> Errors { get; } = [];

        public void Report(SourceError error) => Errors.Add(error);
    }
}
