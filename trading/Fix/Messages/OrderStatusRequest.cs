using System.Diagnostics.CodeAnalysis;

namespace BigDataTrading.Fix;

/// <summary>
/// OrderStatusRequest (35=H): asks the venue for the current state of the order identified by <see cref="ClOrdId"/>.
/// The venue answers with an ExecutionReport whose ExecType(150) is <see cref="FixExecType.OrderStatus"/>
/// ('I'); for an order it does not know, OrdStatus(39)=8 Rejected with OrdRejReason(103)=5 Unknown order. Used by a
/// trader recovering from a crash to reconcile its journal with the venue. Immutable.
/// </summary>
public sealed record OrderStatusRequest : IFixApplicationMessage
{
    /// <summary>ClOrdID (11) of the order asked about.</summary>
    public required string ClOrdId { get; init; }

    /// <summary>Symbol (55).</summary>
    public required string Symbol { get; init; }

    /// <summary>Side (54).</summary>
    public required FixSide Side { get; init; }

    /// <summary>OrderID (37) when known (FIX 4.2 requires the field; "NONE" when the venue never answered).</summary>
    public string? OrderId { get; init; }

    /// <summary>OrdStatusReqID (790, FIX 4.4), echoed on the answer; optional.</summary>
    public string? OrdStatusReqId { get; init; }

    /// <inheritdoc />
    public string MsgType => FixMsgType.OrderStatusRequest;

    /// <inheritdoc />
    public void WriteBody(FixMessageBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (OrderId is { } orderId)
        {
            builder.Set(FixTag.OrderId, orderId);
        }

        builder.Set(FixTag.ClOrdId, ClOrdId);
        if (OrdStatusReqId is { } reqId)
        {
            builder.Set(FixTag.OrdStatusReqId, reqId);
        }

        builder.Set(FixTag.Symbol, Symbol)
            .Set(FixTag.Side, (char)Side);
    }

    /// <summary>Decodes a 35=H message; fails with the first missing or invalid required field.</summary>
    public static bool TryParse(FixMessage message, [NotNullWhen(true)] out OrderStatusRequest? request, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(message);
        request = null;
        error = null;
        string? clOrdId = null, symbol = null;
        char side = default;
        FieldReader.ExpectType(message, FixMsgType.OrderStatusRequest, ref error);
        FieldReader.String(message, FixTag.ClOrdId, "ClOrdID", ref clOrdId, ref error);
        FieldReader.String(message, FixTag.Symbol, "Symbol", ref symbol, ref error);
        FieldReader.Char(message, FixTag.Side, "Side", ref side, ref error);
        if (error is not null)
        {
            return false;
        }

        request = new OrderStatusRequest
        {
            ClOrdId = clOrdId!,
            Symbol = symbol!,
            Side = (FixSide)side,
            OrderId = message.GetString(FixTag.OrderId),
            OrdStatusReqId = message.GetString(FixTag.OrdStatusReqId),
        };
        return true;
    }
}
