using System.Buffers.Binary;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;

namespace BigDataTrading.Core.Wire;

/// <summary>
/// The frozen binary format of market-data records on Kafka (schema version 2; version 1 is still read). Little-endian,
/// fixed layout so any language can read it with a dozen lines:
/// <code>
/// byte   version      = 2 (1: the same without the trade's conditions)
/// byte   record type  = 'T' trade | 'Q' quote | 'B' bar
/// byte   symbol length n (1..32), then n ASCII bytes
/// trade: int64 time_ns, int64 price_e8, int64 size, int64 sequence, uint16 exchange (UTF-16 code unit, 0 = unknown),
///        uint32 sale conditions (<see cref="SaleConditions"/> bits; absent in version 1)
/// quote: int64 time_ns, int64 bid_e8, int64 bid_size, int64 ask_e8, int64 ask_size, int64 sequence
/// bar:   int64 start_ns, int64 period_ns, int64 open_e8, int64 high_e8, int64 low_e8, int64 close_e8,
///        int64 volume, int32 trade_count, int64 vwap_e8
/// </code>
/// Times are Unix nanoseconds UTC; prices are 10^-8 units (see <see cref="Price"/>). Encoding writes into a
/// caller-provided span and decoding reads spans, so neither allocates. Decoding is not thread-safe when it shares a
/// <see cref="SymbolCache"/>.
/// </summary>
public static class MarketDataCodec
{
    /// <summary>Schema version written in byte 0.</summary>
    public const byte Version = 2;

    /// <summary>The oldest schema version this reader still decodes (trades without sale conditions).</summary>
    public const byte OldestReadableVersion = 1;

    /// <summary>Record type byte of a trade.</summary>
    public const byte TradeType = (byte)'T';

    /// <summary>Record type byte of a quote.</summary>
    public const byte QuoteType = (byte)'Q';

    /// <summary>Record type byte of a bar.</summary>
    public const byte BarType = (byte)'B';

    /// <summary>Largest encoded record, in bytes; a buffer this long fits any record.</summary>
    public const int MaxRecordLength = 3 + Symbol.MaxLength + (8 * 9) + 4;

    /// <summary>Encodes a trade; returns bytes written.</summary>
    public static int Encode(in TradeTick tick, Span<byte> destination)
    {
        var o = WriteHeader(destination, TradeType, tick.Symbol);
        o = WriteInt64(destination, o, tick.Time.UnixNanoseconds);
        o = WriteInt64(destination, o, tick.Price.Raw);
        o = WriteInt64(destination, o, tick.Size);
        o = WriteInt64(destination, o, tick.Sequence);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[o..], tick.Exchange);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[(o + 2)..], (uint)tick.Conditions);
        return o + 6;
    }

    /// <summary>Encodes a quote; returns bytes written.</summary>
    public static int Encode(in QuoteTick quote, Span<byte> destination)
    {
        var o = WriteHeader(destination, QuoteType, quote.Symbol);
        o = WriteInt64(destination, o, quote.Time.UnixNanoseconds);
        o = WriteInt64(destination, o, quote.BidPrice.Raw);
        o = WriteInt64(destination, o, quote.BidSize);
        o = WriteInt64(destination, o, quote.AskPrice.Raw);
        o = WriteInt64(destination, o, quote.AskSize);
        return WriteInt64(destination, o, quote.Sequence);
    }

    /// <summary>Encodes a bar; returns bytes written.</summary>
    public static int Encode(in Bar bar, Span<byte> destination)
    {
        var o = WriteHeader(destination, BarType, bar.Symbol);
        o = WriteInt64(destination, o, bar.Start.UnixNanoseconds);
        o = WriteInt64(destination, o, bar.PeriodNanos);
        o = WriteInt64(destination, o, bar.Open.Raw);
        o = WriteInt64(destination, o, bar.High.Raw);
        o = WriteInt64(destination, o, bar.Low.Raw);
        o = WriteInt64(destination, o, bar.Close.Raw);
        o = WriteInt64(destination, o, bar.Volume);
        BinaryPrimitives.WriteInt32LittleEndian(destination[o..], bar.TradeCount);
        return WriteInt64(destination, o + 4, bar.Vwap.Raw);
    }

    /// <summary>Returns the record type byte of an encoded record after checking its version and length.</summary>
    /// <exception cref="FormatException">Empty, unknown version, or truncated header.</exception>
    public static byte PeekType(ReadOnlySpan<byte> source)
    {
        if (source.Length < 3)
        {
            throw new FormatException($"Record of {source.Length} bytes is shorter than the 3-byte header.");
        }

        if (source[0] is < OldestReadableVersion or > Version)
        {
            throw new FormatException($"Unknown market-data schema version {source[0]} (this reader knows {OldestReadableVersion} to {Version}).");
        }

        return source[1];
    }

    /// <summary>Decodes a trade.</summary>
    /// <exception cref="FormatException">Wrong type, version or length, or an invalid symbol.</exception>
    public static TradeTick DecodeTrade(ReadOnlySpan<byte> source, SymbolCache symbols)
    {
        // Version 1 trades end after the exchange; version 2 appends the sale conditions.
        var withConditions = source.Length > 0 && source[0] >= 2;
        var o = ReadHeader(source, TradeType, withConditions ? 38 : 34, symbols, out var symbol);
        return new TradeTick(
            symbol,
            new Timestamp(ReadInt64(source, o)),
            new Price(ReadInt64(source, o + 8)),
            ReadInt64(source, o + 16),
            ReadInt64(source, o + 24),
            (char)BinaryPrimitives.ReadUInt16LittleEndian(source[(o + 32)..]),
            withConditions ? (SaleConditions)BinaryPrimitives.ReadUInt32LittleEndian(source[(o + 34)..]) : SaleConditions.None);
    }

    /// <summary>Decodes a quote.</summary>
    /// <exception cref="FormatException">Wrong type, version or length, or an invalid symbol.</exception>
    public static QuoteTick DecodeQuote(ReadOnlySpan<byte> source, SymbolCache symbols)
    {
        var o = ReadHeader(source, QuoteType, 48, symbols, out var symbol);
        return new QuoteTick(
            symbol,
            new Timestamp(ReadInt64(source, o)),
            new Price(ReadInt64(source, o + 8)),
            ReadInt64(source, o + 16),
            new Price(ReadInt64(source, o + 24)),
            ReadInt64(source, o + 32),
            ReadInt64(source, o + 40));
    }

    /// <summary>Decodes a bar.</summary>
    /// <exception cref="FormatException">Wrong type, version or length, or an invalid symbol.</exception>
    public static Bar DecodeBar(ReadOnlySpan<byte> source, SymbolCache symbols)
    {
        var o = ReadHeader(source, BarType, 68, symbols, out var symbol);
        return new Bar(
            symbol,
            new Timestamp(ReadInt64(source, o)),
            ReadInt64(source, o + 8),
            new Price(ReadInt64(source, o + 16)),
            new Price(ReadInt64(source, o + 24)),
            new Price(ReadInt64(source, o + 32)),
            new Price(ReadInt64(source, o + 40)),
            ReadInt64(source, o + 48),
            BinaryPrimitives.ReadInt32LittleEndian(source[(o + 56)..]),
            new Price(ReadInt64(source, o + 60)));
    }

    private static int WriteHeader(Span<byte> destination, byte type, Symbol symbol)
    {
        var text = symbol.Value ?? throw new ArgumentException("Default symbol cannot be encoded.", nameof(symbol));
        destination[0] = Version;
        destination[1] = type;
        destination[2] = (byte)text.Length;
        for (var i = 0; i < text.Length; i++)
        {
            destination[3 + i] = (byte)text[i];
        }

        return 3 + text.Length;
    }

    private static int ReadHeader(ReadOnlySpan<byte> source, byte expectedType, int payloadLength, SymbolCache symbols, out Symbol symbol)
    {
        var type = PeekType(source);
        if (type != expectedType)
        {
            throw new FormatException($"Record type '{(char)type}' where '{(char)expectedType}' was expected.");
        }

        int n = source[2];
        if (source.Length != 3 + n + payloadLength)
        {
            throw new FormatException($"Record '{(char)type}' is {source.Length} bytes; expected {3 + n + payloadLength} for a {n}-byte symbol.");
        }

        symbol = symbols.Get(source.Slice(3, n));
        return 3 + n;
    }

    private static int WriteInt64(Span<byte> destination, int offset, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(destination[offset..], value);
        return offset + 8;
    }

    private static long ReadInt64(ReadOnlySpan<byte> source, int offset) => BinaryPrimitives.ReadInt64LittleEndian(source[offset..]);
}
