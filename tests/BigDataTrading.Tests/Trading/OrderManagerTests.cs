using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Orders;
using BigDataTrading.Core.Time;
using BigDataTrading.Trading.Orders;

namespace BigDataTrading.Tests.Trading;

/// <summary>The order state machine and the order manager's idempotency and reconciliation.</summary>
public sealed class OrderManagerTests
{
    private static readonly Symbol Spy = Symbol.Parse("SPY");
    private static readonly Order Buy100 = new(new ClientOrderId("S1"), Spy, Side.Buy, 100, OrderType.Limit, Price.FromDecimal(50m), TimeInForce.Day, new Timestamp(0), "S1");

    private static VenueExecution E(OrderStateEvent e, string execId, long lastQty = 0, decimal lastPx = 0m, long cum = 0, OrderState venue = OrderState.New, decimal avg = 0m, bool status = false, bool unknown = false) => new(
        e,
        new ExecutionReport(Buy100.ClientOrderId, "X-O1", execId, e == OrderStateEvent.Trade ? ExecutionKind.Trade : ExecutionKind.New, OrderStatus.New, Spy, Side.Buy, lastQty, Price.FromDecimal(lastPx), cum, 100 - cum, new Timestamp(1), null),
        venue,
        avg,
        status,
        unknown);

    [Theory]
    [InlineData(OrderState.PendingNew, OrderStateEvent.New, 100, 0, OrderState.New)]
    [InlineData(OrderState.PendingNew, OrderStateEvent.Rejected, 100, 0, OrderState.Rejected)]
    [InlineData(OrderState.PendingNew, OrderStateEvent.Lost, 100, 0, OrderState.LostNeverSent)]
    [InlineData(OrderState.New, OrderStateEvent.Trade, 40, 60, OrderState.PartiallyFilled)]
    [InlineData(OrderState.PartiallyFilled, OrderStateEvent.Trade, 0, 100, OrderState.Filled)]
    [InlineData(OrderState.New, OrderStateEvent.PendingCancel, 100, 0, OrderState.PendingCancel)]
    [InlineData(OrderState.PendingCancel, OrderStateEvent.Trade, 30, 70, OrderState.PendingCancel)]
    [InlineData(OrderState.PendingCancel, OrderStateEvent.Trade, 0, 100, OrderState.Filled)]
    [InlineData(OrderState.PendingCancel, OrderStateEvent.Canceled, 30, 70, OrderState.Canceled)]
    [InlineData(OrderState.PendingCancel, OrderStateEvent.CancelRejected, 30, 70, OrderState.PartiallyFilled)]
    [InlineData(OrderState.PendingCancel, OrderStateEvent.CancelRejected, 100, 0, OrderState.New)]
    [InlineData(OrderState.New, OrderStateEvent.PendingReplace, 100, 0, OrderState.PendingReplace)]
    [InlineData(OrderState.PendingReplace, OrderStateEvent.Replaced, 100, 0, OrderState.Replaced)]
    [InlineData(OrderState.PartiallyFilled, OrderStateEvent.Expired, 40, 60, OrderState.Expired)]
    public void Legal_transitions_go_where_FIX_says(OrderState from, OrderStateEvent e, long leaves, long cum, OrderState expected)
    {
        Assert.Equal(expected, OrderStateMachine.Next(from, e, leaves, cum));
    }

    [Theory]
    [InlineData(OrderState.Filled, OrderStateEvent.New)]
    [InlineData(OrderState.Filled, OrderStateEvent.Trade)]
    [InlineData(OrderState.Canceled, OrderStateEvent.Trade)]
    [InlineData(OrderState.Rejected, OrderStateEvent.New)]
    [InlineData(OrderState.LostNeverSent, OrderStateEvent.New)]
    [InlineData(OrderState.PartiallyFilled, OrderStateEvent.Rejected)]
    [InlineData(OrderState.New, OrderStateEvent.New)]
    [InlineData(OrderState.New, OrderStateEvent.Lost)]
    [InlineData(OrderState.New, OrderStateEvent.CancelRejected)]
    [InlineData(OrderState.PendingNew, OrderStateEvent.Replaced)]
    public void Illegal_transitions_have_no_target(OrderState from, OrderStateEvent e)
    {
        Assert.Null(OrderStateMachine.Next(from, e, 50, 50));
    }

    [Fact]
    public void A_resent_report_with_a_known_exec_id_changes_nothing_the_second_time()
    {
        var manager = new OrderManager();
        manager.Add(Buy100, OrderState.PendingNew);
        var fill = E(OrderStateEvent.Trade, "E2", 40, 50m, 40, OrderState.PartiallyFilled);

        var first = manager.Apply(fill);
        var second = manager.Apply(fill);

        Assert.Equal((ApplyOutcome.Applied, OrderState.PendingNew, OrderState.PartiallyFilled, 40L), (first.Outcome, first.From, first.To, first.Fill!.Quantity));
        Assert.Equal((ApplyOutcome.Duplicate, (Fill?)null), (second.Outcome, second.Fill));
        Assert.Equal((40L, 2_000m), (manager.Get(Buy100.ClientOrderId)!.CumulativeQuantity, manager.Get(Buy100.ClientOrderId)!.FilledNotional));
    }

    [Fact]
    public void A_late_ack_after_the_fill_is_reported_illegal_and_not_applied()
    {
        var manager = new OrderManager();
        manager.Add(Buy100, OrderState.PendingNew);
        manager.Apply(E(OrderStateEvent.Trade, "E2", 100, 50m, 100, OrderState.Filled));

        var late = manager.Apply(E(OrderStateEvent.New, "E1"));

        Assert.Equal(ApplyOutcome.Illegal, late.Outcome);
        Assert.Contains("New (ExecID E1) is not legal in state Filled", late.Message, StringComparison.Ordinal);
        Assert.Equal(OrderState.Filled, manager.Get(Buy100.ClientOrderId)!.State);
        Assert.Equal(0, manager.OpenCount);
    }

    [Fact]
    public void A_fill_arriving_after_the_cancel_is_counted_for_positions_but_the_state_stays_canceled()
    {
        var manager = new OrderManager();
        manager.Add(Buy100, OrderState.PendingNew);
        manager.Apply(E(OrderStateEvent.Canceled, "E1", venue: OrderState.Canceled));

        var late = manager.Apply(E(OrderStateEvent.Trade, "E0", 30, 50m, 30, OrderState.PartiallyFilled));

        Assert.Equal((ApplyOutcome.Illegal, 30L), (late.Outcome, late.Fill!.Quantity));
        Assert.Equal((OrderState.Canceled, 30L), (manager.Get(Buy100.ClientOrderId)!.State, manager.Get(Buy100.ClientOrderId)!.CumulativeQuantity));
    }

    [Fact]
    public void A_status_answer_showing_missed_fills_adds_the_difference_at_the_implied_price()
    {
        var manager = new OrderManager();
        manager.Add(Buy100, OrderState.PendingNew);
        manager.Apply(E(OrderStateEvent.Trade, "E2", 40, 50m, 40, OrderState.PartiallyFilled));

        // The venue filled 100 at an average of 50.30: 40 @ 50.00 seen, so 60 @ (100 × 50.30 − 2000) / 60 = 50.50 missed.
        var answer = manager.Apply(E(OrderStateEvent.New, "E9", cum: 100, venue: OrderState.Filled, avg: 50.30m, status: true));

        Assert.Equal((ApplyOutcome.Applied, OrderState.Filled), (answer.Outcome, answer.To));
        Assert.Equal((60L, 50.50m, "E9"), (answer.Fill!.Quantity, answer.Fill.Price.ToDecimal(), answer.Fill.ExecutionId));
        Assert.Equal((ExecutionKind.Trade, OrderStatus.Filled, 60L), (answer.WarehouseReport!.Kind, answer.WarehouseReport.Status, answer.WarehouseReport.LastQuantity));
        Assert.Equal(0, manager.OpenCount);
    }

    [Fact]
    public void A_status_answer_older_than_the_reports_already_applied_changes_nothing()
    {
        var manager = new OrderManager();
        manager.Add(Buy100, OrderState.PendingNew);
        manager.Apply(E(OrderStateEvent.Trade, "E2", 40, 50m, 40, OrderState.PartiallyFilled));

        var stale = manager.Apply(E(OrderStateEvent.New, "E0", cum: 0, venue: OrderState.New, status: true));

        Assert.Equal((ApplyOutcome.Applied, false, (Fill?)null), (stale.Outcome, stale.StateChanged, stale.Fill));
        Assert.Equal((OrderState.PartiallyFilled, 40L), (manager.Get(Buy100.ClientOrderId)!.State, manager.Get(Buy100.ClientOrderId)!.CumulativeQuantity));
    }

    [Fact]
    public void A_status_answer_that_matches_what_the_trader_knows_records_nothing()
    {
        var manager = new OrderManager();
        manager.Add(Buy100, OrderState.PendingNew);
        manager.Apply(E(OrderStateEvent.New, "E1"));

        var answer = manager.Apply(E(OrderStateEvent.New, "E9", venue: OrderState.New, status: true));

        Assert.Equal((ApplyOutcome.Applied, (Fill?)null, (ExecutionReport?)null), (answer.Outcome, answer.Fill, answer.WarehouseReport));
        Assert.False(answer.StateChanged);
    }

    [Fact]
    public void A_status_answer_for_an_order_the_venue_never_saw_is_left_to_the_caller()
    {
        var manager = new OrderManager();
        manager.Add(Buy100, OrderState.PendingNew);

        var answer = manager.Apply(E(OrderStateEvent.New, "E9", venue: OrderState.Rejected, status: true, unknown: true));
        Assert.Equal(ApplyOutcome.NotAtVenue, answer.Outcome);
        Assert.Equal(OrderState.PendingNew, manager.Get(Buy100.ClientOrderId)!.State);

        var lost = manager.Act(Buy100.ClientOrderId, OrderStateEvent.Lost, new Timestamp(5));
        Assert.Equal((OrderState.LostNeverSent, ExecutionKind.Rejected, "S1:lost"), (lost.To, lost.WarehouseReport!.Kind, lost.WarehouseReport.ExecutionId));
        Assert.Equal(0, manager.OpenCount);
    }
}
