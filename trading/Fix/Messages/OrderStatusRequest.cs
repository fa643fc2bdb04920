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

/// <summary>
/// Former home of the order-status codes, now in <see cref="FixMsgType"/>, <see cref="FixExecType"/>,
/// <see cref="FixOrdStatus"/>, <see cref="FixTag"/> and <see cref="FixOrdRejReason"/>. Each member is an alias of the
/// proper constant (no literal of its own); kept while the trader's FIX venue still names them. New code uses the
/// proper constants.
/// </summary>
public static class OrderStatusCodes
{
    /// <summary>Alias of <see cref="FixMsgType.OrderStatusRequest"/>.</summary>
    public const string MsgType = FixMsgType.OrderStatusRequest;

    /// <summary>Alias of <see cref="FixTag.OrdStatusReqId"/>.</summary>
    public const int OrdStatusReqIdTag = FixTag.OrdStatusReqId;

    /// <summary>Alias of <see cref="FixExecType.OrderStatus"/>.</summary>
    public const FixExecType OrderStatusExecType = FixExecType.OrderStatus;

    /// <summary>Alias of <see cref="FixExecType.PendingCancel"/>.</summary>
    public const FixExecType PendingCancelExecType = FixExecType.PendingCancel;

    /// <summary>Alias of <see cref="FixExecType.PendingReplace"/>.</summary>
    public const FixExecType PendingReplaceExecType = FixExecType.PendingReplace;

    /// <summary>Alias of <see cref="FixExecType.PendingNew"/>.</summary>
    public const FixExecType PendingNewExecType = FixExecType.PendingNew;

    /// <summary>Alias of <see cref="FixOrdStatus.PendingCancel"/>.</summary>
    public const FixOrdStatus PendingCancelStatus = FixOrdStatus.PendingCancel;

    /// <summary>Alias of <see cref="FixOrdStatus.PendingReplace"/>.</summary>
    public const FixOrdStatus PendingReplaceStatus = FixOrdStatus.PendingReplace;

    /// <summary>Alias of <see cref="FixOrdStatus.PendingNew"/>.</summary>
    public const FixOrdStatus PendingNewStatus = FixOrdStatus.PendingNew;

    /// <summary>Alias of <see cref="FixOrdStatus.Replaced"/>.</summary>
    public const FixOrdStatus ReplacedStatus = FixOrdStatus.Replaced;

    /// <summary>Alias of <see cref="FixOrdRejReason.UnknownOrder"/>.</summary>
    public const int UnknownOrderRejectReason = FixOrdRejReason.UnknownOrder;
}
