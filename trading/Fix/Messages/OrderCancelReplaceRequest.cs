using System.Diagnostics.CodeAnalysis;

namespace BigDataTrading.Fix;

/// <summary>
/// OrderCancelReplaceRequest (35=G): amend the price and/or quantity of the open order <see cref="OrigClOrdId"/>.
/// Quantities in instrument units, prices in quote currency per unit (<see cref="decimal"/>). Immutable.
/// </summary>
public sealed record OrderCancelReplaceRequest : IFixApplicationMessage
{
    /// <summary>OrigClOrdID (41): the order's current ClOrdID.</summary>
    public required string OrigClOrdId { get; init; }

    /// <summary>ClOrdID (11): the order's ClOrdID after the replace.</summary>
    public required string ClOrdId { get; init; }

    /// <summary>Symbol (55).</summary>
    public required string Symbol { get; init; }

    /// <summary>Side (54).</summary>
    public required FixSide Side { get; init; }

    /// <summary>TransactTime (60), UTC.</summary>
    public required DateTimeOffset TransactTime { get; init; }

    /// <summary>OrderQty (38): the new total quantity (including what is already filled).</summary>
    public required decimal OrderQty { get; init; }

    /// <summary>OrdType (40); must stay the order's type.</summary>
    public required FixOrdType OrdType { get; init; }

    /// <summary>Price (44): the new limit price (limit orders).</summary>
    public decimal? Price { get; init; }

    /// <summary>HandlInst (21), required by FIX 4.2; omitted when null.</summary>
    public FixHandlInst? HandlInst { get; init; }

    /// <inheritdoc />
    public string MsgType => FixMsgType.OrderCancelReplaceRequest;

    /// <inheritdoc />
    public void WriteBody(FixMessageBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Set(FixTag.OrigClOrdId, OrigClOrdId).Set(FixTag.ClOrdId, ClOrdId);
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
    }

    /// <summary>Decodes a 35=G message; fails with the first missing or malformed required field.</summary>
    public static bool TryParse(FixMessage message, [NotNullWhen(true)] out OrderCancelReplaceRequest? request, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(message);
        request = null;
        error = message.MsgType == FixMsgType.OrderCancelReplaceRequest ? null : $"MsgType {message.MsgType} is not {FixMsgType.OrderCancelReplaceRequest}";
        var orig = Required(message, FixTag.OrigClOrdId, "OrigClOrdID", ref error);
        var clOrdId = Required(message, FixTag.ClOrdId, "ClOrdID", ref error);
        var symbol = Required(message, FixTag.Symbol, "Symbol", ref error);
        if (!message.TryGetChar(FixTag.Side, out var side))
        {
            error ??= "Side(54) is missing or not one character";
        }

        if (!message.TryGetTimestamp(FixTag.TransactTime, out var transactTime))
        {
            error ??= "TransactTime(60) is missing or not a UTCTimestamp";
        }

        if (!message.TryGetDecimal(FixTag.OrderQty, out var qty))
        {
            error ??= "OrderQty(38) is missing or not a number";
        }

        if (!message.TryGetChar(FixTag.OrdType, out var ordType))
        {
            error ??= "OrdType(40) is missing or not one character";
        }

        decimal? price = null;
        if (message.Contains(FixTag.Price))
        {
            if (message.TryGetDecimal(FixTag.Price, out var p))
            {
                price = p;
            }
            else
            {
                error ??= "Price(44) is not a number";
            }
        }

        if (error is not null)
        {
            return false;
        }

        request = new OrderCancelReplaceRequest
        {
            OrigClOrdId = orig!,
            ClOrdId = clOrdId!,
            Symbol = symbol!,
            Side = (FixSide)side,
            TransactTime = transactTime,
            OrderQty = qty,
            OrdType = (FixOrdType)ordType,
            Price = price,
            HandlInst = message.TryGetChar(FixTag.HandlInst, out var h) ? (FixHandlInst)h : null,
        };
        return true;
    }

    private static string? Required(FixMessage message, int tag, string name, ref string? error)
    {
        if (message.TryGetString(tag, out var value))
        {
            return value;
        }

        error ??= $"{name}({tag}) is missing";
        return null;
    }
}
