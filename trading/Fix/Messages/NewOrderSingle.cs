using System.Diagnostics.CodeAnalysis;

namespace BigDataTrading.Fix;

/// <summary>
/// NewOrderSingle (35=D). Quantities and prices are <see cref="decimal"/>: quantity in units of the instrument
/// (shares/contracts/coins, fractions allowed), price in the instrument's quote currency per unit.
/// Immutable; safe to share.
/// </summary>
public sealed record NewOrderSingle : IFixApplicationMessage
{
    /// <summary>ClOrdID (11): the client's unique order id.</summary>
    public required string ClOrdId { get; init; }

    /// <summary>Symbol (55).</summary>
    public required string Symbol { get; init; }

    /// <summary>Side (54).</summary>
    public required FixSide Side { get; init; }

    /// <summary>TransactTime (60), UTC; written with millisecond precision.</summary>
    public required DateTimeOffset TransactTime { get; init; }

    /// <summary>OrderQty (38) in instrument units.</summary>
    public required decimal OrderQty { get; init; }

    /// <summary>OrdType (40).</summary>
    public required FixOrdType OrdType { get; init; }

    /// <summary>Price (44), required for limit orders, omitted for market orders.</summary>
    public decimal? Price { get; init; }

    /// <summary>HandlInst (21); omitted when null. FIX 4.2 requires it (FIX 4.4 made it optional).</summary>
    public FixHandlInst? HandlInst { get; init; }

    /// <summary>TimeInForce (59); Day when absent on the wire.</summary>
    public FixTimeInForce TimeInForce { get; init; } = FixTimeInForce.Day;

    /// <inheritdoc />
    public string MsgType => FixMsgType.NewOrderSingle;

    /// <inheritdoc />
    public void WriteBody(FixMessageBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Set(FixTag.ClOrdId, ClOrdId);
        if (HandlInst is { } handlInst)
        {
            builder.Set(FixTag.HandlInst, (char)handlInst);
        }

        builder.Set(FixTag.Symbol, Symbol)
            .Set(FixTag.Side, (char)Side)
            .SetTimestamp(FixTag.TransactTime, TransactTime)
            .Set(FixTag.OrderQty, OrderQty)
            .Set(FixTag.OrdType, (char)OrdType);
        if (Price is { } price)
        {
            builder.Set(FixTag.Price, price);
        }

        builder.Set(FixTag.TimeInForce, (char)TimeInForce);
    }

    /// <summary>
    /// Decodes a 35=D message. Fails (with the first problem found) only when a required field is missing or
    /// syntactically invalid; enumeration values are not range-checked so the receiver can reject them with a reason.
    /// </summary>
    public static bool TryParse(FixMessage message, [NotNullWhen(true)] out NewOrderSingle? order, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(message);
        order = null;
        error = null;
        string? clOrdId = null, symbol = null;
        char side = default, ordType = default;
        decimal qty = 0;
        decimal? price = null;
        DateTimeOffset transactTime = default;
        FieldReader.ExpectType(message, FixMsgType.NewOrderSingle, ref error);
        FieldReader.String(message, FixTag.ClOrdId, "ClOrdID", ref clOrdId, ref error);
        FieldReader.String(message, FixTag.Symbol, "Symbol", ref symbol, ref error);
        FieldReader.Char(message, FixTag.Side, "Side", ref side, ref error);
        FieldReader.Timestamp(message, FixTag.TransactTime, "TransactTime", ref transactTime, ref error);
        FieldReader.Decimal(message, FixTag.OrderQty, "OrderQty", ref qty, ref error);
        FieldReader.Char(message, FixTag.OrdType, "OrdType", ref ordType, ref error);
        FieldReader.OptionalDecimal(message, FixTag.Price, "Price", ref price, ref error);
        char? handlInst = null;
        if (message.TryGetChar(FixTag.HandlInst, out var h))
        {
            handlInst = h;
        }

        var tif = '0';
        if (message.Contains(FixTag.TimeInForce))
        {
            FieldReader.Char(message, FixTag.TimeInForce, "TimeInForce", ref tif, ref error);
        }

        if (error is not null)
        {
            return false;
        }

        order = new NewOrderSingle
        {
            ClOrdId = clOrdId!,
            Symbol = symbol!,
            Side = (FixSide)side,
            TransactTime = transactTime,
            OrderQty = qty,
            OrdType = (FixOrdType)ordType,
            Price = price,
            TimeInForce = (FixTimeInForce)tif,
            HandlInst = (FixHandlInst?)handlInst,
        };
        return true;
    }
}
