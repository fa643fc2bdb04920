using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;
using BigDataTrading.Sources;
using Xunit;

namespace BigDataTrading.Data.Tests;

public sealed class SyntheticMarketSourceTests
{
    private static readonly SyntheticMarketOptions s_defaults = new();

    [Fact]
    public async Task The_same_seed_gives_identical_output_and_another_seed_does_not()
    {
        var a = await new SyntheticMarketSource(s_defaults).ReadAllAsync();
        var b = await new SyntheticMarketSource(s_defaults).ReadAllAsync();
        var c = await new SyntheticMarketSource(s_defaults with { Seed = 43 }).ReadAllAsync();

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Every_symbol_gets_exactly_the_configured_number_of_prints_all_inside_the_regular_session()
    {
        var source = new SyntheticMarketSource(s_defaults);
        var ticks = source.ReadTrades().ToList();

        // 2024-03-12 is after the March DST change: 09:30 EDT is 13:30 UTC, 16:00 EDT is 20:00 UTC.
        Assert.Equal(Timestamp.FromUtc(new DateOnly(2024, 3, 12), new TimeSpan(13, 30, 0)), source.SessionStartUtc);
        Assert.Equal(Timestamp.FromUtc(new DateOnly(2024, 3, 12), new TimeSpan(20, 0, 0)), source.SessionEndUtc);
        Assert.Equal(3 * 20_000, ticks.Count);
        Assert.All(ticks.GroupBy(t => t.Symbol), g => Assert.Equal(20_000, g.Count()));
        Assert.All(ticks, t => Assert.True(t.Time >= source.SessionStartUtc && t.Time < source.SessionEndUtc, $"{t} is outside the session"));
    }

    [Fact]
    public void Symbols_interleave_in_time_order_and_each_symbol_is_in_time_and_sequence_order()
    {
        var ticks = new SyntheticMarketSource(s_defaults).ReadTrades().ToList();

        for (var i = 1; i < ticks.Count; i++)
        {
            Assert.True(ticks[i].Time >= ticks[i - 1].Time, $"print {i} goes back in time");
        }

        foreach (var perSymbol in ticks.GroupBy(t => t.Symbol))
        {
            TradeTick? previous = null;
            foreach (var tick in perSymbol)
            {
                if (previous is { } p)
                {
                    Assert.True(tick.Time >= p.Time);
                    // Sequence numbers only repeat for the injected duplicates, which repeat the whole print.
                    Assert.True(tick.Sequence > p.Sequence || tick == p, $"{tick} after {p}");
                }

                previous = tick;
            }
        }

        // Interleaved, not one symbol after another.
        Assert.True(ticks.Take(1000).Select(t => t.Symbol).Distinct().Count() == 3);
    }

    [Theory]
    [InlineData(0.001)]
    [InlineData(0.01)]
    public void Bad_prints_of_every_kind_appear_at_about_the_configured_rate(double rate)
    {
        var ticks = new SyntheticMarketSource(s_defaults with { BadTickRate = rate }).ReadTrades().ToList();

        var kinds = CountBadPrints(ticks);
        var bad = kinds.Values.Sum();
        var expected = rate * ticks.Count;

        // Binomial noise: ±4 standard deviations.
        var tolerance = 4 * Math.Sqrt(expected);
        Assert.InRange(bad, expected - tolerance, expected + tolerance);
        if (rate >= 0.01)
        {
            Assert.All(kinds, k => Assert.True(k.Value > 0, $"no {k.Key} prints"));
        }
    }

    [Fact]
    public void A_zero_bad_tick_rate_gives_a_clean_tape()
    {
        var ticks = new SyntheticMarketSource(s_defaults with { BadTickRate = 0 }).ReadTrades().ToList();

        Assert.Equal(0, CountBadPrints(ticks).Values.Sum());
    }

    [Fact]
    public void Intraday_volume_is_U_shaped()
    {
        var source = new SyntheticMarketSource(s_defaults);
        var open = source.SessionStartUtc;
        long VolumeBetween(int fromMinute, int toMinute) => source.ReadTrades()
            .Where(t => t.Time >= open.AddNanoseconds(fromMinute * Timestamp.NanosPerMinute) &&
                        t.Time < open.AddNanoseconds(toMinute * Timestamp.NanosPerMinute))
            .Sum(t => t.Size);

        var first = VolumeBetween(0, 30);
        var midday = VolumeBetween(180, 210);
        var last = VolumeBetween(360, 390);

        Assert.True(first > 1.5 * midday, $"first 30 min {first} vs midday {midday}");
        Assert.True(last > 1.5 * midday, $"last 30 min {last} vs midday {midday}");
    }

    [Fact]
    public void Prices_sit_on_the_cent_grid_near_realistic_levels_and_sizes_have_a_heavy_tail()
    {
        var ticks = new SyntheticMarketSource(s_defaults with { BadTickRate = 0 }).ReadTrades().ToList();

        Assert.All(ticks, t => Assert.Equal(0, t.Price.Raw % (Price.Scale / 100)));
        foreach (var g in ticks.GroupBy(t => t.Symbol))
        {
            var start = SyntheticMarketSource.StartingPrice(g.Key);
            Assert.All(g, t => Assert.InRange(t.Price.ToDecimal(), start * 0.85m, start * 1.15m));
        }

        var sizes = ticks.Select(t => t.Size).ToList();
        Assert.True(sizes.Count(s => s % 100 == 0) > sizes.Count / 2, "mostly round lots");
        Assert.True(sizes.Count(s => s < 100) > sizes.Count / 10, "a good share of odd lots");
        Assert.True(sizes.Max() >= 10_000, "a heavy tail of blocks");
    }

    [Fact]
    public void Volatility_clusters_absolute_minute_returns_are_autocorrelated()
    {
        var spy = new SyntheticMarketSource(s_defaults with { BadTickRate = 0, Symbols = [Symbol.Parse("SPY")] }).ReadTrades();
        var closes = spy.GroupBy(t => t.Time.FloorTo(Timestamp.NanosPerMinute)).Select(g => g.Last().Price.ToDouble()).ToArray();
        var absReturns = closes.Zip(closes.Skip(1), (a, b) => Math.Abs(Math.Log(b / a))).ToArray();

        var mean = absReturns.Average();
        var lag1 = 0.0;
        var variance = 0.0;
        for (var i = 0; i < absReturns.Length; i++)
        {
            variance += (absReturns[i] - mean) * (absReturns[i] - mean);
            if (i > 0)
            {
                lag1 += (absReturns[i] - mean) * (absReturns[i - 1] - mean);
            }
        }

        Assert.True(lag1 / variance > 0.1, $"lag-1 autocorrelation of |returns| was {lag1 / variance:F3}");
    }

    [Fact]
    public void Invalid_options_are_refused_with_the_setting_named()
    {
        var e = Assert.Throws<ArgumentException>(() => new SyntheticMarketSource(s_defaults with { TradesPerSymbol = 0 }));
        Assert.Equal("TradesPerSymbol", e.ParamName);
        Assert.Throws<ArgumentException>(() => new SyntheticMarketSource(s_defaults with { BadTickRate = 2 }));
        Assert.Throws<ArgumentException>(() => new SyntheticMarketSource(s_defaults with { Symbols = [Symbol.Parse("SPY"), Symbol.Parse("spy")] }));
        Assert.Throws<ArgumentException>(() => new SyntheticMarketSource(s_defaults with { Symbols = [] }));
    }

    [Fact]
    public async Task Cancellation_stops_the_stream()
    {
        using var cts = new CancellationTokenSource();
        var read = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in new SyntheticMarketSource(s_defaults).ReadTradesAsync(cts.Token))
            {
                if (++read == 10_000)
                {
                    await cts.CancelAsync();
                }
            }
        });
        Assert.True(read < 60_000);
    }

    /// <summary>Classifies bad prints independently of the generator: impossible values, repeated sequence numbers,
    /// and jumps of more than 5 % from the last good price (a real tape moves a few basis points per print).</summary>
    private static Dictionary<string, int> CountBadPrints(IEnumerable<TradeTick> ticks)
    {
        var kinds = new Dictionary<string, int> { ["non-positive price"] = 0, ["zero size"] = 0, ["spike"] = 0, ["duplicate"] = 0 };
        var lastGood = new Dictionary<Symbol, TradeTick>();
        var lastSeen = new Dictionary<Symbol, TradeTick>();
        foreach (var t in ticks)
        {
            string? kind = null;
            if (lastSeen.TryGetValue(t.Symbol, out var seen) && seen.Sequence == t.Sequence)
            {
                kind = "duplicate";
            }
            else if (!t.Price.IsPositive)
            {
                kind = "non-positive price";
            }
            else if (t.Size <= 0)
            {
                kind = "zero size";
            }
            else if (lastGood.TryGetValue(t.Symbol, out var good) && Math.Abs((t.Price.ToDouble() / good.Price.ToDouble()) - 1) > 0.05)
            {
                kind = "spike";
            }

            if (kind is null)
            {
                lastGood[t.Symbol] = t;
            }
            else
            {
                kinds[kind]++;
            }

            lastSeen[t.Symbol] = t;
        }

        return kinds;
    }
}
