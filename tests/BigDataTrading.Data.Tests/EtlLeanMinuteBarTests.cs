using BigDataTrading.Core.Instruments;
using BigDataTrading.Jobs.Etl;
using BigDataTrading.Warehouse;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace BigDataTrading.Data.Tests;

/// <summary>
/// The ETL bar job (<c>bdt etl bars</c>) over the shared LEAN tick files, ingested into a temporary lake, against the
/// LEAN minute files of the same day, under the comparison rule the CQL pack is held to (<see cref="LeanMinuteBars"/>).
/// </summary>
public sealed class EtlLeanMinuteBarTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2024, 6, 1, 12, 0, 0, TimeSpan.Zero));

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string, string> Days => LeanMinuteBars.Days;

    [SharedDataTheory(LeanMinuteBars.GuardFile)]
    [MemberData(nameof(Days))]
    public async Task Etl_one_minute_bars_from_the_lake_equal_the_LEAN_minute_file_outside_the_auction_minutes(string symbol, string day)
    {
        var ticks = await LeanMinuteBars.ReadTicksAsync(symbol, day);
        var lake = new LakeLayout(Path.Combine(_temp.Path, "lake"));
        var ingest = new ParquetTickWriter(lake, "ingest");
        foreach (var tick in ticks)
        {
            ingest.Append(tick);
        }

        await ingest.CommitAsync();
        var expected = await LeanMinuteBars.ReadMinuteBarsAsync(symbol, day);

        var result = await new LakeEtl(lake, _clock, null).BuildBarsAsync(BarPeriod.OneMinute);

        Assert.Equal(ticks.Count, result.InputRows);
        using var sql = new LakeSql(lake);
        var rows = sql.Query($"SELECT epoch_ns(start), open, high, low, close, volume, CAST(trade_count AS BIGINT) FROM {LakeDatasets.Bars1mEtl} ORDER BY start").Rows;
        Assert.Equal(ticks.Count, rows.Sum(r => (long)r[6]!));
        static long Raw(object? value) => Price.FromDecimal((decimal)value!).Raw;
        LeanMinuteBars.AssertEqualOutsideAuctionMinutes(symbol, expected, rows.ToDictionary(
            r => (long)r[0]!,
            r => (Raw(r[1]), Raw(r[2]), Raw(r[3]), Raw(r[4]), (long)r[5]!)));
    }
}
