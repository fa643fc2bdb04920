using System.Diagnostics.CodeAnalysis;

namespace BigDataTrading.Fix;

/// <summary>
/// OrderStatusRequest (35=H): asks the venue for the current state of the order identified by <see cref="ClOrdId"/>.
/// The venue answers with an ExecutionReport whose ExecType(150) is <see cref="OrderStatusCodes.OrderStatusExecType"/>
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
    public string MsgType => OrderStatusCodes.MsgType;

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
            builder.Set(OrderStatusCodes.OrdStatusReqIdTag, reqId);
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
        FieldReader.ExpectType(message, OrderStatusCodes.MsgType, ref error);
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
            OrdStatusReqId = message.GetString(OrderStatusCodes.OrdStatusReqIdTag),
        };
        return true;
    }
}

/// <summary>
/// Codes of the order-status exchange that the shared enums and tag list do not carry yet (kept here so the codec and
/// enum files stay untouched; fold them into <see cref="FixMsgType"/>, <see cref="FixExecType"/>, <see cref="FixOrdStatus"/>
/// and <see cref="FixTag"/> when those are next edited).
/// </summary>
public static class OrderStatusCodes
{
    /// <summary>MsgType of OrderStatusRequest.</summary>
    public const string MsgType = "H";

    /// <summary>OrdStatusReqID (790).</summary>
    public const int OrdStatusReqIdTag = 790;

    /// <summary>ExecType (150) 'I' = Order Status: the report answers a status request, it is not an event.</summary>
    public const FixExecType OrderStatusExecType = (FixExecType)'I';

    /// <summary>ExecType (150) '6' = Pending Cancel.</summary>
    public const FixExecType PendingCancelExecType = (FixExecType)'6';

    /// <summary>ExecType (150) 'E' = Pending Replace.</summary>
    public const FixExecType PendingReplaceExecType = (FixExecType)'E';

    /// <summary>ExecType (150) 'A' = Pending New.</summary>
    public const FixExecType PendingNewExecType = (FixExecType)'A';

    /// <summary>OrdStatus (39) '6' = Pending Cancel.</summary>
    public const FixOrdStatus PendingCancelStatus = (FixOrdStatus)'6';

    /// <summary>OrdStatus (39) 'E' = Pending Replace.</summary>
    public const FixOrdStatus PendingReplaceStatus = (FixOrdStatus)'E';

    /// <summary>OrdStatus (39) 'A' = Pending New.</summary>
    public const FixOrdStatus PendingNewStatus = (FixOrdStatus)'A';

    /// <summary>OrdStatus (39) '5' = Replaced (FIX 4.2 and earlier).</summary>
    public const FixOrdStatus ReplacedStatus = (FixOrdStatus)'5';

    /// <summary>OrdRejReason (103) 5 = Unknown order.</summary>
    public const int UnknownOrderRejectReason = 5;
}
