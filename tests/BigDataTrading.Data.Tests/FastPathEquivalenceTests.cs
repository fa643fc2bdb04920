using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;
using BigDataTrading.Streaming.Ingestion;
using BigDataTrading.Warehouse;
using Xunit;

namespace BigDataTrading.Data.Tests;

/// <summary>
/// The validator's and lake writer's fast paths (incremental sorted outlier window, cached session interval, counting
/// sort by symbol with pointer-based string columns written concurrently) against straightforward reference versions.
/// </summary>
public sealed class FastPathEquivalenceTests : IDisposable
{
    private static readonly Symbol s_aaa = Symbol.Parse("AAA");
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(5, 1, 3.0, 1)]
    [InlineData(6, 6, 3.0, 2)]
    [InlineData(51, 20, 10.0, 3)]
    [InlineData(51, 20, 2.0, 4)]
    [InlineData(100, 7, 4.0, 5)]
    public void Outlier_decisions_equal_sorting_the_window_for_every_tick(int window, int minReference, double k, int seed)
    {
        var options = new IngestValidationOptions { OutlierWindow = window, MinReferencePrices = minReference, OutlierK = k, Session = TradingSession.Always };
        var validator = new IngestValidator(options);
        var accepted = new List<long>();
        var random = new Random(seed);
        var price = 100_00000000L;
        for (var i = 0; i < 20_000; i++)
        {
            // A random walk on a coarse grid (many equal prices) with spikes.
            price = Math.Max(1_00000000, price + (random.Next(-3, 4) * 1_000_000));
            var p = random.Next(50) == 0 ? price * random.Next(2, 4) / 2 : price;
            var tick = new TradeTick(s_aaa, new Timestamp(1_700_000_000_000_000_000 + i), new Price(p), 10, i + 1);

            var expected = ReferenceIsOutlier(accepted, window, options, p) ? IngestRejectReason.PriceOutlier : IngestRejectReason.None;

            Assert.Equal(expected, validator.Check(tick));
            if (expected == IngestRejectReason.None)
            {
                accepted.Add(p);
            }
        }
    }

    [Theory]
    [InlineData(TradingSession.Regular)]
    [InlineData(TradingSession.Extended)]
    [InlineData(TradingSession.TradingDay)]
    public void Session_decisions_equal_the_calendar_across_dst_changes_early_closes_and_holidays(TradingSession session)
    {
        var validator = new IngestValidator(new IngestValidationOptions { Session = session });
        var calendar = ExchangeCalendar.Nyse;
        var times = new List<long>();
        // DST starts 2024-03-10 and ends 2024-11-03; 2024-07-03 and 2024-11-29 close early; 2024-07-04 and 2024-11-28 are holidays.
        foreach (var (from, days) in new[] { (new DateOnly(2024, 3, 7), 6), (new DateOnly(2024, 7, 2), 4), (new DateOnly(2024, 11, 1), 5), (new DateOnly(2024, 11, 27), 4) })
        {
            var start = Timestamp.FromUtc(from, TimeSpan.Zero).UnixNanoseconds;
            for (var t = start; t < start + (days * Timestamp.NanosPerDay); t += 7 * 60_000_000_000L + 13_000_000_001L)
            {
                times.Add(t);
            }

            // Every session boundary (local 04:00, 09:30, 13:00, 16:00, 17:00, 20:00, midnight) exactly and 1 ns either side.
            for (var d = from; d < from.AddDays(days); d = d.AddDays(1))
            {
                foreach (var local in new[] { 0, 4 * 60, (9 * 60) + 30, 13 * 60, 16 * 60, 17 * 60, 20 * 60, 24 * 60 })
                {
                    var utc = TimeZoneInfo.ConvertTimeToUtc(d.ToDateTime(TimeOnly.MinValue).AddMinutes(local), calendar.TimeZone);
                    var ns = Timestamp.FromDateTimeOffset(new DateTimeOffset(utc, TimeSpan.Zero)).UnixNanoseconds;
                    times.AddRange([ns - 1, ns, ns + 1]);
                }
            }
        }

        times.Sort();
        var sequence = 0L;
        foreach (var t in times.Distinct())
        {
            var time = new Timestamp(t);
            var tick = new TradeTick(s_aaa, time, new Price(100_00000000), 10, ++sequence);
            var expected = calendar.IsInSession(time, session) ? IngestRejectReason.None : IngestRejectReason.OutsideSession;
            Assert.True(expected == validator.Check(tick), $"{time} {session}: expected {expected}");
        }
    }

    [Fact]
    public void Lake_files_hold_every_row_sorted_from_any_append_order_with_exchanges_and_row_groups()
    {
        var random = new Random(7);
        var symbols = new[] { "MSFT", "AAPL", "B", "AA", "ZZZZ", "BRK.B" }.Select(Symbol.Parse).ToArray();
        var exchanges = new[] { '\0', 'Q', 'N', 'P', 'é' };
        var day = new DateOnly(2024, 3, 12);
        var start = Timestamp.FromUtc(day, new TimeSpan(14, 0, 0)).UnixNanoseconds;
        var ticks = new List<TradeTick>();
        for (var i = 0; i < 25_000; i++)
        {
            // Out of order within a symbol, equal times, and a second day.
            var symbol = symbols[random.Next(symbols.Length)];
            var time = start + (random.Next(0, 2) * Timestamp.NanosPerDay) + (random.Next(0, 5_000) * 1_000_000L);
            ticks.Add(new TradeTick(symbol, new Timestamp(time), new Price(random.Next(1, 1_000_000) * 1000L), random.Next(1, 500), random.Next(0, 1_000_000), exchanges[random.Next(exchanges.Length)]));
        }

        var lake = new LakeLayout(Path.Combine(_temp.Path, "lake"));
        var writer = new ParquetTickWriter(lake, "w", new LakeWriterOptions { RowGroupRows = 4_096, Durable = false });
        foreach (var t in ticks)
        {
            writer.Append(t);
        }

        var commit = writer.Commit();

        Assert.Equal(2, commit.Files.Count);
        foreach (var file in commit.Files)
        {
            var stored = LakeTickFileReader.ReadFile(file.Path);
            var expected = ticks.Where(t => t.Time.UtcDate == file.Date).ToList();
            Assert.Equal(expected.Count, stored.Count);
            for (var i = 1; i < stored.Count; i++)
            {
                var a = stored[i - 1];
                var b = stored[i];
                var c = string.CompareOrdinal(a.Symbol.Value, b.Symbol.Value);
                Assert.True(c < 0 || (c == 0 && (a.Time < b.Time || (a.Time == b.Time && a.Sequence <= b.Sequence))), $"row {i} out of order");
            }

            Assert.Equal(
                expected.Select(Key).Order(StringComparer.Ordinal),
                stored.Select(Key).Order(StringComparer.Ordinal));
        }

        static string Key(TradeTick t) => $"{t.Symbol.Value}|{t.Time.UnixNanoseconds}|{t.Price.Raw}|{t.Size}|{t.Sequence}|{(int)t.Exchange}";
    }

    /// <summary>The rule as first written: sort the last <paramref name="window"/> accepted prices, take the median, sort
    /// the absolute deviations, take theirs.</summary>
    private static bool ReferenceIsOutlier(List<long> accepted, int window, IngestValidationOptions options, long price)
    {
        var count = Math.Min(accepted.Count, window);
        if (count < options.MinReferencePrices)
        {
            return false;
        }

        var prices = accepted.Skip(accepted.Count - count).Order().ToArray();
        var median = prices[prices.Length / 2];
        var deviations = prices.Select(p => Math.Abs(p - median)).Order().ToArray();
        var mad = Math.Max(deviations[deviations.Length / 2], options.MinMadFraction * median);
        return Math.Abs(price - median) > options.OutlierK * mad;
    }
}
