using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;
using BigDataTrading.Streaming.Bars;
using BigDataTrading.Streaming.Cql;
using BigDataTrading.Streaming.Cql.Packs;
using BigDataTrading.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace BigDataTrading.Streaming.Tests;

/// <summary>
/// The stream processor's 1-minute bars (<see cref="BarBuilder"/>) over the shared LEAN tick files against the trading
/// pack's <c>ohlcv_1m</c> rows over the same ticks: two implementations of one bar rule must give the same bars.
/// </summary>
public sealed class BarBuilderLeanTickTests(ITestOutputHelper output)
{
    public static TheoryData<string, string> Days => LeanMinuteBars.Days;

    [SharedDataTheory(LeanMinuteBars.GuardFile)]
    [MemberData(nameof(Days))]
    public async Task Processor_bars_equal_the_pack_one_minute_rows_on_every_minute(string symbol, string day)
    {
        var ticks = await LeanMinuteBars.ReadTicksAsync(symbol, day);
        var sink = new CollectingCqlSink();
        var engine = CqlEngine.Compile(CqlPacks.TradingPack, sink);
        var builder = new BarBuilder(Timestamp.NanosPerMinute);
        var bars = new List<Bar>();
        foreach (var tick in ticks)
        {
            engine.OnTrade(tick);
            if (builder.Add(tick, out var bar))
            {
                bars.Add(bar);
            }
        }

        engine.Complete();
        bars.AddRange(builder.Flush());
        var rows = sink.Rows.Where(r => r.Query == "ohlcv_1m").ToDictionary(r => r.WindowStart.UnixNanoseconds);

        Assert.Equal(0, builder.LateTradesMerged);
        Assert.Equal(rows.Keys.Order(), bars.Select(b => b.Start.UnixNanoseconds));
        var priced = 0;
        foreach (var bar in bars)
        {
            var row = rows[bar.Start.UnixNanoseconds];
            // Volume and trade count come from every print; prices from the eligible ones, or from all when there are
            // none (the pack's CASE on priced_trades, the builder's fallback): every minute agrees in every field.
            Assert.Equal(((long)row["volume"], (long)row["trades"]), (bar.Volume, (long)bar.TradeCount));
            priced += (long)row["priced_trades"] > 0 ? 1 : 0;
            Assert.Equal(
                (((Price)row["open"]).Raw, ((Price)row["high"]).Raw, ((Price)row["low"]).Raw, ((Price)row["close"]).Raw, ((Price)row["vwap"]).Raw),
                (bar.Open.Raw, bar.High.Raw, bar.Low.Raw, bar.Close.Raw, bar.Vwap.Raw));
        }

        output.WriteLine($"{symbol} {day}: {bars.Count} minutes, {priced} with an eligible print, {bars.Count - priced} priced from all prints (fallback)");
        Assert.True(priced > 380, $"only {priced} minutes with an eligible print");
    }
}
