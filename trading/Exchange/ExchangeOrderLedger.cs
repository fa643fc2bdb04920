using System.Collections.Concurrent;
using BigDataTrading.Fix;

namespace BigDataTrading.Exchange;

/// <summary>
/// The simulator's view of one order it accepted, as of its latest report (whether or not that report could be
/// delivered). Quantities in instrument units, prices in quote currency per unit. Immutable.
/// </summary>
/// <param name="Owner">The party (client CompID) that sent it.</param>
/// <param name="ClOrdId">Its ClOrdID (the latest one after a replace).</param>
/// <param name="OrderId">The venue's OrderID.</param>
/// <param name="Symbol">Symbol.</param>
/// <param name="Side">Side.</param>
/// <param name="OrderQty">Order quantity.</param>
/// <param name="Price">Limit price, null for market orders.</param>
/// <param name="OrdStatus">Status after the latest event.</param>
/// <param name="CumQty">Filled so far.</param>
/// <param name="LeavesQty">Still working.</param>
/// <param name="AvgPx">Volume-weighted fill price (0 before any fill).</param>
public sealed record ExchangeOrderSnapshot(
    string Owner,
    string ClOrdId,
    string OrderId,
    string Symbol,
    FixSide Side,
    decimal OrderQty,
    decimal? Price,
    FixOrdStatus OrdStatus,
    decimal CumQty,
    decimal LeavesQty,
    decimal AvgPx);

/// <summary>
/// Every order the simulator accepted, by party and ClOrdID, kept current from the reports it produces; answers
/// OrderStatusRequests and lets tests check what the exchange really saw. Thread-safe.
/// </summary>
internal sealed class ExchangeOrderLedger
{
    private readonly ConcurrentDictionary<(string Owner, string ClOrdId), ExchangeOrderSnapshot> _orders = new();

    public void Track(string owner, ExecutionReport report)
    {
        if (report.OrderId != "NONE")
        {
            _orders[(owner, report.ClOrdId)] = new ExchangeOrderSnapshot(owner, report.ClOrdId, report.OrderId, report.Symbol, report.Side, report.OrderQty, report.Price, report.OrdStatus, report.CumQty, report.LeavesQty, report.AvgPx);
        }
    }

    public void Track(in OrderEvent e, string orderId)
    {
        if (e.OrderId != 0 && e.Kind is not (OrderEventKind.CancelRejected or OrderEventKind.Rejected))
        {
            var snapshot = new ExchangeOrderSnapshot(e.Owner, e.ClOrdId, orderId, e.Symbol, e.Side, e.OrderQty, e.Price, e.OrdStatus, e.CumQty, e.LeavesQty, e.AvgPx);
            _orders[(e.Owner, e.ClOrdId)] = snapshot;

            // A cancel or replace is reported under the request's ClOrdID; the order's earlier ClOrdID names the same
            // order, so a status request by either sees its current state (not the New it had before the cancel).
            if (e.OrigClOrdId is { } original && original != e.ClOrdId && _orders.ContainsKey((e.Owner, original)))
            {
                _orders[(e.Owner, original)] = snapshot with { ClOrdId = original };
            }
        }
    }

    public bool TryGet(string owner, string clOrdId, out ExchangeOrderSnapshot? order) => _orders.TryGetValue((owner, clOrdId), out order);

    public IReadOnlyList<ExchangeOrderSnapshot> Snapshot() => [.. _orders.Values.OrderBy(o => o.Owner, StringComparer.Ordinal).ThenBy(o => o.ClOrdId, StringComparer.Ordinal)];
}
