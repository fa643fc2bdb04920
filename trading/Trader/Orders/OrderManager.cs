using System.Globalization;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Orders;
using BigDataTrading.Core.Time;

namespace BigDataTrading.Trading.Orders;

/// <summary>How <see cref="OrderManager.Apply"/> treated an event.</summary>
public enum ApplyOutcome
{
    /// <summary>The event moved the order (or added a fill) and was applied.</summary>
    Applied,

    /// <summary>Its execution id had been applied before (a resent or replayed report): nothing changed.</summary>
    Duplicate,

    /// <summary>The transition is not legal from the order's state: reported, the state is unchanged (a fill's quantity still counts, see remarks on <see cref="OrderManager"/>).</summary>
    Illegal,

    /// <summary>The event names an order the manager does not know.</summary>
    UnknownOrder,

    /// <summary>A status answer saying the venue does not know the order: the caller decides to send it or mark it lost.</summary>
    NotAtVenue,
}

/// <summary>The result of applying one event to the order manager.</summary>
/// <param name="Outcome">How it was treated.</param>
/// <param name="From">State before (null for an unknown order).</param>
/// <param name="To">State after (equals <paramref name="From"/> unless applied).</param>
/// <param name="Fill">The fill to apply to positions (a reported fill, or the quantity a status answer shows we missed), or null.</param>
/// <param name="WarehouseReport">What to record in the warehouse and on the <c>executions</c> topic, or null when nothing new (duplicates, unchanged status answers).</param>
/// <param name="Message">For illegal and unknown events: what was wrong, naming the order, state and event.</param>
public sealed record ApplyResult(ApplyOutcome Outcome, OrderState? From, OrderState? To, Fill? Fill, ExecutionReport? WarehouseReport, string? Message)
{
    /// <summary>True when the state changed.</summary>
    public bool StateChanged => Outcome == ApplyOutcome.Applied && From != To;
}

/// <summary>One order as the manager tracks it. Immutable snapshot.</summary>
/// <param name="Order">The intent.</param>
/// <param name="State">Current state.</param>
/// <param name="CumulativeQuantity">Units filled.</param>
/// <param name="FilledNotional">Σ fill quantity × price, quote currency.</param>
public sealed record ManagedOrder(Order Order, OrderState State, long CumulativeQuantity, decimal FilledNotional)
{
    /// <summary>Units still working (0 once final).</summary>
    public long LeavesQuantity => State.IsFinal() ? 0 : Order.Quantity - CumulativeQuantity;
}

/// <summary>
/// The order manager: every order's state through <see cref="OrderStateMachine"/>, driven by venue events and the
/// trader's own actions. Events are idempotent by execution id, so a resent (PossDup) or journal-replayed report
/// changes nothing the second time.
/// </summary>
/// <remarks>
/// A fill is a fact at the venue even when its report arrives out of order (e.g. after a Canceled): its quantity is
/// counted and returned for positions, while the illegal state change is reported and not applied. Status answers
/// (OrderStatusRequest replies) are reconciled: fills the trader missed become a synthetic fill of the difference at
/// the price implied by the venue's average price, and the state follows the venue's. Thread-safe (one lock).
/// </remarks>
public sealed class OrderManager
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ManagedOrder> _orders = new(StringComparer.Ordinal);
    private readonly HashSet<string> _executionIds = new(StringComparer.Ordinal);
    private int _open;

    /// <summary>Orders not in a final state.</summary>
    public int OpenCount
    {
        get
        {
            lock (_gate)
            {
                return _open;
            }
        }
    }

    /// <summary>Adds a new order in <paramref name="state"/> (PendingNew for one being sent, Rejected for one risk refused); false when its id is known.</summary>
    public bool Add(Order order, OrderState state)
    {
        lock (_gate)
        {
            if (!_orders.TryAdd(order.ClientOrderId.Value, new ManagedOrder(order, state, 0, 0m)))
            {
                return false;
            }

            if (!state.IsFinal())
            {
                _open++;
            }

            return true;
        }
    }

    /// <summary>True when an order with this id has been added.</summary>
    public bool Contains(ClientOrderId id)
    {
        lock (_gate)
        {
            return _orders.ContainsKey(id.Value);
        }
    }

    /// <summary>The order's snapshot, or null.</summary>
    public ManagedOrder? Get(ClientOrderId id)
    {
        lock (_gate)
        {
            return _orders.GetValueOrDefault(id.Value);
        }
    }

    /// <summary>Snapshots of the orders not in a final state, by id.</summary>
    public IReadOnlyList<ManagedOrder> OpenOrders()
    {
        lock (_gate)
        {
            return [.. _orders.Values.Where(o => !o.State.IsFinal()).OrderBy(o => o.Order.ClientOrderId.Value, StringComparer.Ordinal)];
        }
    }

    /// <summary>Signed units that the working part of open orders in <paramref name="symbol"/> would add if filled.</summary>
    public long OpenQuantity(Symbol symbol)
    {
        lock (_gate)
        {
            return _orders.Values.Where(o => o.Order.Symbol == symbol && !o.State.IsFinal()).Sum(o => o.Order.Side.Sign() * o.LeavesQuantity);
        }
    }

    /// <summary>Σ |working units × limit price| over open orders, quote currency (market orders at <paramref name="mark"/>).</summary>
    public decimal OpenNotional(Func<Symbol, Price?> mark)
    {
        lock (_gate)
        {
            return _orders.Values.Where(o => !o.State.IsFinal())
                .Sum(o => o.LeavesQuantity * (o.Order.LimitPrice ?? mark(o.Order.Symbol) ?? Price.FromDecimal(0m)).ToDecimal());
        }
    }

    /// <summary>Applies a trader action (cancel requested, lost) to an order.</summary>
    public ApplyResult Act(ClientOrderId id, OrderStateEvent action, Timestamp now)
    {
        lock (_gate)
        {
            if (!_orders.TryGetValue(id.Value, out var order))
            {
                return new ApplyResult(ApplyOutcome.UnknownOrder, null, null, null, null, $"{action} for unknown order {id}");
            }

            var next = OrderStateMachine.Next(order.State, action, order.Order.Quantity - order.CumulativeQuantity, order.CumulativeQuantity);
            if (next is not { } to)
            {
                return new ApplyResult(ApplyOutcome.Illegal, order.State, order.State, null, null, $"order {id}: {action} is not legal in state {order.State}");
            }

            Set(order, order with { State = to });
            var report = to == OrderState.LostNeverSent
                ? new ExecutionReport(id, "NONE", id.Value + ":lost", ExecutionKind.Rejected, OrderStatus.LostNeverSent, order.Order.Symbol, order.Order.Side, 0, Price.FromDecimal(0m), 0, 0, now, "LostNeverSent: journaled, never reached the venue, not sent after recovery")
                : null;
            return new ApplyResult(ApplyOutcome.Applied, order.State, to, null, report, null);
        }
    }

    /// <summary>Applies a venue event; idempotent by execution id.</summary>
    public ApplyResult Apply(VenueExecution execution)
    {
        var report = execution.Report;
        lock (_gate)
        {
            if (!_orders.TryGetValue(report.ClientOrderId.Value, out var order))
            {
                return new ApplyResult(ApplyOutcome.UnknownOrder, null, null, null, null, $"{execution.Event} report {report.ExecutionId} for unknown order {report.ClientOrderId}");
            }

            if (!_executionIds.Add(report.ExecutionId))
            {
                return new ApplyResult(ApplyOutcome.Duplicate, order.State, order.State, null, null, null);
            }

            return execution.IsStatusAnswer ? Reconcile(order, execution) : ApplyEvent(order, execution);
        }
    }

    private ApplyResult ApplyEvent(ManagedOrder order, VenueExecution execution)
    {
        var report = execution.Report;
        Fill? fill = null;
        var updated = order;
        if (execution.Event == OrderStateEvent.Trade && report.LastQuantity > 0)
        {
            fill = new Fill(report.ClientOrderId, report.ExecutionId, report.Symbol, report.Side, report.LastQuantity, report.LastPrice, report.TransactTime);
            updated = order with
            {
                CumulativeQuantity = order.CumulativeQuantity + report.LastQuantity,
                FilledNotional = order.FilledNotional + (report.LastQuantity * report.LastPrice.ToDecimal()),
            };
        }

        var next = OrderStateMachine.Next(order.State, execution.Event, order.Order.Quantity - updated.CumulativeQuantity, updated.CumulativeQuantity);
        if (next is not { } to)
        {
            Set(order, updated);
            return new ApplyResult(
                ApplyOutcome.Illegal,
                order.State,
                order.State,
                fill,
                fill is null ? null : report with { Status = order.State.ToOrderStatus() },
                $"order {report.ClientOrderId}: {execution.Event} (ExecID {report.ExecutionId}) is not legal in state {order.State}; state kept{(fill is null ? string.Empty : ", fill counted")}");
        }

        Set(order, updated with { State = to });
        return new ApplyResult(ApplyOutcome.Applied, order.State, to, fill, report with { Status = to.ToOrderStatus() }, null);
    }

    private ApplyResult Reconcile(ManagedOrder order, VenueExecution answer)
    {
        var report = answer.Report;
        if (answer.IsUnknownOrder)
        {
            return new ApplyResult(ApplyOutcome.NotAtVenue, order.State, order.State, null, null, $"order {report.ClientOrderId} is unknown at the venue");
        }

        if (report.CumulativeQuantity < order.CumulativeQuantity)
        {
            // An answer older than reports already applied (e.g. resent from before a crash): nothing new in it.
            return new ApplyResult(ApplyOutcome.Applied, order.State, order.State, null, null, null);
        }

        Fill? fill = null;
        var updated = order;
        var missed = report.CumulativeQuantity - order.CumulativeQuantity;
        if (missed > 0)
        {
            // The venue's average covers every fill; what we have not seen traded at the remainder of its notional.
            var price = ((answer.AveragePrice * report.CumulativeQuantity) - order.FilledNotional) / missed;
            fill = new Fill(report.ClientOrderId, report.ExecutionId, report.Symbol, report.Side, missed, Price.FromDecimal(price), report.TransactTime);
            updated = order with { CumulativeQuantity = report.CumulativeQuantity, FilledNotional = answer.AveragePrice * report.CumulativeQuantity };
        }

        var to = order.State.IsFinal() ? order.State : answer.VenueState;
        Set(order, updated with { State = to });
        var changed = to != order.State || fill is not null;
        ExecutionReport? warehouse = !changed
            ? null
            : report with
            {
                Kind = fill is not null ? ExecutionKind.Trade : to switch
                {
                    OrderState.Canceled or OrderState.Expired or OrderState.Replaced => ExecutionKind.Canceled,
                    OrderState.Rejected => ExecutionKind.Rejected,
                    _ => ExecutionKind.New,
                },
                Status = to.ToOrderStatus(),
                LastQuantity = fill?.Quantity ?? 0,
                LastPrice = fill?.Price ?? Price.FromDecimal(0m),
                Text = string.Create(CultureInfo.InvariantCulture, $"Reconciled from status answer: venue {answer.VenueState}, cum {report.CumulativeQuantity}, trader had {order.State}, cum {order.CumulativeQuantity}"),
            };
        var illegal = order.State.IsFinal() && answer.VenueState != order.State;
        return new ApplyResult(
            illegal ? ApplyOutcome.Illegal : ApplyOutcome.Applied,
            order.State,
            to,
            fill,
            warehouse,
            illegal ? $"order {report.ClientOrderId}: venue says {answer.VenueState} but the trader has it final in {order.State}; kept" : null);
    }

    private void Set(ManagedOrder before, ManagedOrder after)
    {
        _orders[after.Order.ClientOrderId.Value] = after;
        if (!before.State.IsFinal() && after.State.IsFinal())
        {
            _open--;
        }
    }
}
