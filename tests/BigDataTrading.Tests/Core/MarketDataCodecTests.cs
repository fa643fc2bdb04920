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
    public void Trade_round_trips_with_the_documented_length_and_its_sale_conditions()
    {
        var tick = new TradeTick(Spy, new Timestamp(1_381_233_614_417_000_000), Price.FromDecimal(167.42m), 210, 1, 'Q', SaleConditions.IntermarketSweep | SaleConditions.OddLot);
        Span<byte> buffer = stackalloc byte[MarketDataCodec.MaxRecordLength];
        var n = MarketDataCodec.Encode(tick, buffer);
        Assert.Equal(3 + 3 + 38, n);
        Assert.Equal(2, buffer[0]);
        Assert.Equal(MarketDataCodec.TradeType, MarketDataCodec.PeekType(buffer[..n]));
        Assert.Equal(tick, MarketDataCodec.DecodeTrade(buffer[..n], new SymbolCache()));
    }

    [Fact]
    public void Version_1_trades_still_decode_without_conditions()
    {
        // A version-1 trade as written before sale conditions existed: header, four int64, the uint16 exchange.
        var v1 = new byte[3 + 3 + 34];
        v1[0] = 1;
        v1[1] = MarketDataCodec.TradeType;
        v1[2] = 3;
        "SPY"u8.CopyTo(v1.AsSpan(3));
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(v1.AsSpan(6), 5);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(v1.AsSpan(14), Price.FromDecimal(1.5m).Raw);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(v1.AsSpan(22), 100);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(v1.AsSpan(30), 9);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(v1.AsSpan(38), 'P');

        var tick = MarketDataCodec.DecodeTrade(v1, new SymbolCache());

        Assert.Equal(new TradeTick(Spy, new Timestamp(5), Price.FromDecimal(1.5m), 100, 9, 'P', SaleConditions.None), tick);
        var v2Length = Assert.Throws<FormatException>(() => MarketDataCodec.DecodeTrade(v1.AsSpan(0, v1.Length - 2), new SymbolCache()));
        Assert.Contains("expected", v2Length.Message, StringComparison.Ordinal);
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
