using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Orders;
using BigDataTrading.Core.Signals;
using BigDataTrading.Core.Time;
using BigDataTrading.Core.Wire;

namespace BigDataTrading.Tests.Core;

public class MarketDataCodecTests
{
    private static readonly Symbol Spy = Symbol.Parse("SPY");

    [Fact]
    public void Trade_round_trips_with_the_documented_length()
    {
        var tick = new TradeTick(Spy, new Timestamp(1_381_233_614_417_000_000), Price.FromDecimal(167.42m), 210, 1, 'Q');
        Span<byte> buffer = stackalloc byte[MarketDataCodec.MaxRecordLength];
        var n = MarketDataCodec.Encode(tick, buffer);
        Assert.Equal(3 + 3 + 34, n);
        Assert.Equal(MarketDataCodec.TradeType, MarketDataCodec.PeekType(buffer[..n]));
        Assert.Equal(tick, MarketDataCodec.DecodeTrade(buffer[..n], new SymbolCache()));
    }

    [Fact]
    public void Bar_and_quote_round_trip()
    {
        var bar = new Bar(Spy, new Timestamp(60_000_000_000), 60_000_000_000, Price.FromDecimal(1m), Price.FromDecimal(2m), Price.FromDecimal(0.5m), Price.FromDecimal(1.5m), 1000, 12, Price.FromDecimal(1.25m));
        var quote = new QuoteTick(Spy, new Timestamp(5), Price.FromDecimal(1m), 10, Price.FromDecimal(1.01m), 20, 7);
        var buffer = new byte[MarketDataCodec.MaxRecordLength];
        var cache = new SymbolCache();
        Assert.Equal(bar, MarketDataCodec.DecodeBar(buffer.AsSpan(0, MarketDataCodec.Encode(bar, buffer)), cache));
        Assert.Equal(quote, MarketDataCodec.DecodeQuote(buffer.AsSpan(0, MarketDataCodec.Encode(quote, buffer)), cache));
    }

    [Fact]
    public void Truncated_or_foreign_records_are_refused_with_a_reason()
    {
        var tick = new TradeTick(Spy, new Timestamp(1), Price.FromDecimal(1m), 1, 1);
        var buffer = new byte[MarketDataCodec.MaxRecordLength];
        var n = MarketDataCodec.Encode(tick, buffer);
        var truncated = Assert.Throws<FormatException>(() => MarketDataCodec.DecodeTrade(buffer.AsSpan(0, n - 1), new SymbolCache()));
        Assert.Contains("expected", truncated.Message, StringComparison.Ordinal);
        buffer[0] = 9;
        var version = Assert.Throws<FormatException>(() => MarketDataCodec.DecodeTrade(buffer.AsSpan(0, n), new SymbolCache()));
        Assert.Contains("version 9", version.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decoding_a_known_symbol_allocates_nothing()
    {
        var tick = new TradeTick(Spy, new Timestamp(1), Price.FromDecimal(1m), 1, 1);
        var buffer = new byte[MarketDataCodec.MaxRecordLength];
        var n = MarketDataCodec.Encode(tick, buffer);
        var cache = new SymbolCache();
        MarketDataCodec.DecodeTrade(buffer.AsSpan(0, n), cache);
        var before = GC.GetAllocatedBytesForCurrentThread();
        long sum = 0;
        for (var i = 0; i < 1000; i++)
        {
            sum += MarketDataCodec.DecodeTrade(buffer.AsSpan(0, n), cache).Size;
            MarketDataCodec.Encode(tick, buffer);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1000, sum);
    }

    [Fact]
    public void Signals_round_trip_as_json()
    {
        var signal = new Signal("smax-SPY-1", "smax", Spy, new Timestamp(60_000_000_000), Side.Sell, 200, Price.FromDecimal(167.42m));
        var json = JsonRecords.Serialize(signal);
        Assert.Contains("\"side\":\"Sell\"", System.Text.Encoding.UTF8.GetString(json), StringComparison.Ordinal);
        Assert.Equal(signal, JsonRecords.Deserialize<Signal>(json));
        Assert.Throws<FormatException>(() => JsonRecords.Deserialize<Signal>("{not json"u8));
    }
}
