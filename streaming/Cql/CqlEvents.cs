using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using BigDataTrading.Core.MarketData;

namespace BigDataTrading.Streaming.Cql;

/// <summary>What a declared stream carries.</summary>
public enum CqlStreamKind
{
    /// <summary>Trades (<see cref="TradeTick"/>): symbol, time, price, size, sequence, exchange.</summary>
    Trades,

    /// <summary>Top-of-book quotes (<see cref="QuoteTick"/>): symbol, time, bid, bid_size, ask, ask_size, sequence.</summary>
    Quotes,
}

/// <summary>
/// A driving event enriched by joins: the latest quote of its symbol (as-of join) and/or its reference-data row
/// (stream-table join). In a LEFT join a missing side is <c>default</c> / null and its <c>matched()</c> is false.
/// </summary>
/// <typeparam name="TLeft"><see cref="TradeTick"/> or <see cref="QuoteTick"/>.</typeparam>
internal struct Joined<TLeft>
    where TLeft : struct
{
    public TLeft Left;
    public QuoteTick Quote;
    public bool HasQuote;
    public CqlTableRow? Row;
}

/// <summary>
/// Event-type-independent access to event time and key. The <c>typeof(T) ==</c> tests are JIT-time constants for value
/// types, so each generic instantiation compiles to a direct field read.
/// </summary>
internal static class EventAccess
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Time<T>(in T e)
        where T : struct
    {
        if (typeof(T) == typeof(TradeTick))
        {
            return Unsafe.As<T, TradeTick>(ref Unsafe.AsRef(in e)).Time.UnixNanoseconds;
        }

        if (typeof(T) == typeof(QuoteTick))
        {
            return Unsafe.As<T, QuoteTick>(ref Unsafe.AsRef(in e)).Time.UnixNanoseconds;
        }

        if (typeof(T) == typeof(Joined<TradeTick>))
        {
            return Unsafe.As<T, Joined<TradeTick>>(ref Unsafe.AsRef(in e)).Left.Time.UnixNanoseconds;
        }

        return Unsafe.As<T, Joined<QuoteTick>>(ref Unsafe.AsRef(in e)).Left.Time.UnixNanoseconds;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static string Key<T>(in T e)
        where T : struct
    {
        string? key;
        if (typeof(T) == typeof(TradeTick))
        {
            key = Unsafe.As<T, TradeTick>(ref Unsafe.AsRef(in e)).Symbol.Value;
        }
        else if (typeof(T) == typeof(QuoteTick))
        {
            key = Unsafe.As<T, QuoteTick>(ref Unsafe.AsRef(in e)).Symbol.Value;
        }
        else if (typeof(T) == typeof(Joined<TradeTick>))
        {
            key = Unsafe.As<T, Joined<TradeTick>>(ref Unsafe.AsRef(in e)).Left.Symbol.Value;
        }
        else
        {
            key = Unsafe.As<T, Joined<QuoteTick>>(ref Unsafe.AsRef(in e)).Left.Symbol.Value;
        }

        return key ?? string.Empty;
    }

    /// <summary>The late-event record of an event (the driving trade or quote of a joined event).</summary>
    public static CqlLateEvent Late<T>(in T e, string query, long watermark, long lateness)
        where T : struct
    {
        var at = new Core.Time.Timestamp(watermark);
        if (typeof(T) == typeof(TradeTick))
        {
            return new CqlLateEvent(query, Unsafe.As<T, TradeTick>(ref Unsafe.AsRef(in e)), at, lateness, CqlLateReason.BehindWatermark);
        }

        if (typeof(T) == typeof(Joined<TradeTick>))
        {
            return new CqlLateEvent(query, Unsafe.As<T, Joined<TradeTick>>(ref Unsafe.AsRef(in e)).Left, at, lateness, CqlLateReason.BehindWatermark);
        }

        var quote = typeof(T) == typeof(QuoteTick)
            ? Unsafe.As<T, QuoteTick>(ref Unsafe.AsRef(in e))
            : Unsafe.As<T, Joined<QuoteTick>>(ref Unsafe.AsRef(in e)).Left;
        return new CqlLateEvent(query, default, at, lateness, CqlLateReason.BehindWatermark) { Quote = quote, IsQuote = true };
    }
}

/// <summary>The columns each stream kind offers, with their CQL types.</summary>
internal static class StreamColumns
{
    public static readonly ImmutableDictionary<string, CqlType> Trade = new Dictionary<string, CqlType>(StringComparer.OrdinalIgnoreCase)
    {
        ["symbol"] = CqlType.String,
        ["time"] = CqlType.Timestamp,
        ["price"] = CqlType.Price,
        ["size"] = CqlType.BigInt,
        ["sequence"] = CqlType.BigInt,
        ["exchange"] = CqlType.Char,
        ["conditions"] = CqlType.BigInt,
        ["price_eligible"] = CqlType.Boolean,
    }.ToImmutableDictionary(StringComparer.OrdinalIgnoreCase);

    public static readonly ImmutableDictionary<string, CqlType> Quote = new Dictionary<string, CqlType>(StringComparer.OrdinalIgnoreCase)
    {
        ["symbol"] = CqlType.String,
        ["time"] = CqlType.Timestamp,
        ["bid"] = CqlType.Price,
        ["bid_size"] = CqlType.BigInt,
        ["ask"] = CqlType.Price,
        ["ask_size"] = CqlType.BigInt,
        ["sequence"] = CqlType.BigInt,
    }.ToImmutableDictionary(StringComparer.OrdinalIgnoreCase);

    public static ImmutableDictionary<string, CqlType> Of(CqlStreamKind kind) => kind == CqlStreamKind.Quotes ? Quote : Trade;

    public static string Describe(CqlStreamKind kind) => kind == CqlStreamKind.Quotes
        ? "quote streams have symbol STRING, time TIMESTAMP, bid PRICE, bid_size BIGINT, ask PRICE, ask_size BIGINT, sequence BIGINT"
        : "trade streams have symbol STRING, time TIMESTAMP, price PRICE, size BIGINT, sequence BIGINT, exchange CHAR, conditions BIGINT, price_eligible BOOLEAN";
}
