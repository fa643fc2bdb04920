using System.Diagnostics.CodeAnalysis;

namespace BigDataTrading.Fix;

/// <summary>
/// ExecutionReport (35=8). Quantities (38, 32, 151, 14) are instrument units and prices (44, 31, 6) quote currency
/// per unit, all <see cref="decimal"/>. LastQty/LastPx are 0 on reports without a fill (New, Rejected).
/// Immutable; safe to share.
/// </summary>
public sealed record ExecutionReport : IFixApplicationMessage
{
    /// <summary>OrderID (37), assigned by the venue ("NONE" when the order was rejected before getting one).</summary>
    public required string OrderId { get; init; }

    /// <summary>ClOrdID (11) of the order this report is about.</summary>
    public required string ClOrdId { get; init; }

    /// <summary>ExecID (17), unique per report.</summary>
    public required string ExecId { get; init; }

    /// <summary>ExecType (150): what this report announces.</summary>
    public required FixExecType ExecType { get; init; }

    /// <summary>OrdStatus (39): the order's state after this report.</summary>
    public required FixOrdStatus OrdStatus { get; init; }

    /// <summary>Symbol (55).</summary>
    public required string Symbol { get; init; }

    /// <summary>Side (54).</summary>
    public required FixSide Side { get; init; }

    /// <summary>OrderQty (38).</summary>
    public required decimal OrderQty { get; init; }

    /// <summary>Price (44), the order's limit price when it has one.</summary>
    public decimal? Price { get; init; }

    /// <summary>LastQty (32): quantity of this fill (0 when not a fill).</summary>
    public decimal LastQty { get; init; }

    /// <summary>LastPx (31): price of this fill (0 when not a fill).</summary>
    public decimal LastPx { get; init; }

    /// <summary>LeavesQty (151): quantity still open.</summary>
    public required decimal LeavesQty { get; init; }

    /// <summary>CumQty (14): total quantity filled so far.</summary>
    public required decimal CumQty { get; init; }

    /// <summary>AvgPx (6): volume-weighted price of all fills so far (0 before any fill).</summary>
    public decimal AvgPx { get; init; }

    /// <summary>TransactTime (60), UTC. Optional on the wire (QuickFIX's examples omit it): decoding then uses SendingTime (52).</summary>
    public required DateTimeOffset TransactTime { get; init; }

    /// <summary>Text (58), e.g. the reject reason.</summary>
    public string? Text { get; init; }

    /// <inheritdoc />
    public string MsgType => FixMsgType.ExecutionReport;

    /// <inheritdoc />
    public void WriteBody(FixMessageBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Set(FixTag.OrderId, OrderId)
            .Set(FixTag.ClOrdId, ClOrdId)
            .Set(FixTag.ExecId, ExecId)
            .Set(FixTag.ExecType, (char)ExecType)
            .Set(FixTag.OrdStatus, (char)OrdStatus)
            .Set(FixTag.Symbol, Symbol)
            .Set(FixTag.Side, (char)Side)
            .Set(FixTag.OrderQty, OrderQty);
        if (Price is { } price)
        {
            builder.Set(FixTag.Price, price);
        }

        builder.Set(FixTag.LastQty, LastQty)
            .Set(FixTag.LastPx, LastPx)
            .Set(FixTag.LeavesQty, LeavesQty)
            .Set(FixTag.CumQty, CumQty)
            .Set(FixTag.AvgPx, AvgPx)
            .SetTimestamp(FixTag.TransactTime, TransactTime);
        if (!string.IsNullOrEmpty(Text))
        {
            builder.Set(FixTag.Text, Text);
        }
    }

    /// <summary>Decodes a 35=8 message; fails with the first missing or invalid required field.</summary>
    public static bool TryParse(FixMessage message, [NotNullWhen(true)] out ExecutionReport? report, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(message);
        report = null;
        error = null;
        string? orderId = null, clOrdId = null, execId = null, symbol = null;
        char execType = default, ordStatus = default, side = default;
        decimal orderQty = 0, leaves = 0, cum = 0;
        decimal? price = null, lastQty = null, lastPx = null, avgPx = null;
        DateTimeOffset transactTime = default;
        FieldReader.ExpectType(message, FixMsgType.ExecutionReport, ref error);
        FieldReader.String(message, FixTag.OrderId, "OrderID", ref orderId, ref error);
        FieldReader.String(message, FixTag.ClOrdId, "ClOrdID", ref clOrdId, ref error);
        FieldReader.String(message, FixTag.ExecId, "ExecID", ref execId, ref error);
        FieldReader.Char(message, FixTag.ExecType, "ExecType", ref execType, ref error);
        FieldReader.Char(message, FixTag.OrdStatus, "OrdStatus", ref ordStatus, ref error);
        FieldReader.String(message, FixTag.Symbol, "Symbol", ref symbol, ref error);
        FieldReader.Char(message, FixTag.Side, "Side", ref side, ref error);
        FieldReader.Decimal(message, FixTag.OrderQty, "OrderQty", ref orderQty, ref error);
        FieldReader.OptionalDecimal(message, FixTag.Price, "Price", ref price, ref error);
        FieldReader.OptionalDecimal(message, FixTag.LastQty, "LastQty", ref lastQty, ref error);
        FieldReader.OptionalDecimal(message, FixTag.LastPx, "LastPx", ref lastPx, ref error);
        FieldReader.Decimal(message, FixTag.LeavesQty, "LeavesQty", ref leaves, ref error);
        FieldReader.Decimal(message, FixTag.CumQty, "CumQty", ref cum, ref error);
        FieldReader.OptionalDecimal(message, FixTag.AvgPx, "AvgPx", ref avgPx, ref error);
        FieldReader.Timestamp(message, message.Contains(FixTag.TransactTime) ? FixTag.TransactTime : FixTag.SendingTime, "TransactTime", ref transactTime, ref error);
        if (error is not null)
        {
            return false;
        }

        report = new ExecutionReport
        {
            OrderId = orderId!,
            ClOrdId = clOrdId!,
            ExecId = execId!,
            ExecType = (FixExecType)execType,
            OrdStatus = (FixOrdStatus)ordStatus,
            Symbol = symbol!,
            Side = (FixSide)side,
            OrderQty = orderQty,
            Price = price,
            LastQty = lastQty ?? 0,
            LastPx = lastPx ?? 0,
            LeavesQty = leaves,
            CumQty = cum,
            AvgPx = avgPx ?? 0,
            TransactTime = transactTime,
            Text = message.GetString(FixTag.Text),
        };
        return true;
    }
}
