using System.Diagnostics.CodeAnalysis;

namespace BigDataTrading.Fix;

/// <summary>
/// OrderCancelRequest (35=F): cancel the remaining quantity of the order identified by <see cref="OrigClOrdId"/>.
/// Quantity in instrument units (<see cref="decimal"/>). Immutable.
/// </summary>
public sealed record OrderCancelRequest : IFixApplicationMessage
{
    /// <summary>OrigClOrdID (41): ClOrdID of the order to cancel.</summary>
    public required string OrigClOrdId { get; init; }

    /// <summary>ClOrdID (11): unique id of this cancel request.</summary>
    public required string ClOrdId { get; init; }

    /// <summary>Symbol (55).</summary>
    public required string Symbol { get; init; }

    /// <summary>Side (54).</summary>
    public required FixSide Side { get; init; }

    /// <summary>TransactTime (60), UTC.</summary>
    public required DateTimeOffset TransactTime { get; init; }

    /// <summary>OrderQty (38) of the original order, optional.</summary>
    public decimal? OrderQty { get; init; }

    /// <inheritdoc />
    public string MsgType => FixMsgType.OrderCancelRequest;

    /// <inheritdoc />
    public void WriteBody(FixMessageBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Set(FixTag.OrigClOrdId, OrigClOrdId)
            .Set(FixTag.ClOrdId, ClOrdId)
            .Set(FixTag.Symbol, Symbol)
            .Set(FixTag.Side, (char)Side)
            .SetTimestamp(FixTag.TransactTime, TransactTime);
        if (OrderQty is { } qty)
        {
            builder.Set(FixTag.OrderQty, qty);
        }
    }

    /// <summary>Decodes a 35=F message; fails with the first missing or invalid required field.</summary>
    public static bool TryParse(FixMessage message, [NotNullWhen(true)] out OrderCancelRequest? request, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(message);
        request = null;
        error = null;
        string? orig = null, clOrdId = null, symbol = null;
        char side = default;
        decimal? qty = null;
        DateTimeOffset transactTime = default;
        FieldReader.ExpectType(message, FixMsgType.OrderCancelRequest, ref error);
        FieldReader.String(message, FixTag.OrigClOrdId, "OrigClOrdID", ref orig, ref error);
        FieldReader.String(message, FixTag.ClOrdId, "ClOrdID", ref clOrdId, ref error);
        FieldReader.String(message, FixTag.Symbol, "Symbol", ref symbol, ref error);
        FieldReader.Char(message, FixTag.Side, "Side", ref side, ref error);
        FieldReader.Timestamp(message, FixTag.TransactTime, "TransactTime", ref transactTime, ref error);
        FieldReader.OptionalDecimal(message, FixTag.OrderQty, "OrderQty", ref qty, ref error);
        if (error is not null)
        {
            return false;
        }

        request = new OrderCancelRequest
        {
            OrigClOrdId = orig!,
            ClOrdId = clOrdId!,
            Symbol = symbol!,
            Side = (FixSide)side,
            TransactTime = transactTime,
            OrderQty = qty,
        };
        return true;
    }
}
