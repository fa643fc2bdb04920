using System.Globalization;
using System.Text;
using BigDataTrading.Core;
using BigDataTrading.Core.Diagnostics;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Orders;
using BigDataTrading.Core.Signals;
using BigDataTrading.Core.Time;
using BigDataTrading.Core.Wire;
using BigDataTrading.Infra.Messaging;
using BigDataTrading.Trading.Control;
using BigDataTrading.Trading.Journal;
using BigDataTrading.Trading.Orders;
using BigDataTrading.Trading.Positions;
using BigDataTrading.Trading.Risk;
using BigDataTrading.Warehouse;
using Confluent.Kafka;
using Timestamp = BigDataTrading.Core.Time.Timestamp;

namespace BigDataTrading.Trading;

/// <summary>What the trader did in one run.</summary>
/// <param name="Signals">Signals consumed.</param>
/// <param name="DuplicateSignals">Signals ignored because their id had already been turned into an order.</param>
/// <param name="OrdersSent">Orders that passed risk and were sent (including journaled orders re-sent by recovery).</param>
/// <param name="RiskRejected">Orders refused by risk, by reason.</param>
/// <param name="ExecutionReports">Venue events received (execution reports, cancel rejects, status answers).</param>
/// <param name="Fills">Fills applied to positions (including fills reconciled from status answers).</param>
/// <param name="OpenOrders">Orders still not final when the run ended (0 on a clean run).</param>
/// <param name="Positions">Final positions.</param>
/// <param name="Marks">Last market price per symbol, for unrealized P&amp;L.</param>
public sealed record TraderResult(
    long Signals,
    long DuplicateSignals,
    long OrdersSent,
    IReadOnlyDictionary<RiskRejectReason, long> RiskRejected,
    long ExecutionReports,
    long Fills,
    int OpenOrders,
    IReadOnlyList<BigDataTrading.Core.Positions.Position> Positions,
    IReadOnlyDictionary<Symbol, Price> Marks)
{
    /// <summary>What start-up recovery did.</summary>
    public RecoveryResult Recovery { get; init; } = RecoveryResult.None;

    /// <summary>Venue events ignored because their execution id had been applied already (resends, replays).</summary>
    public long DuplicateReports { get; init; }

    /// <summary>Venue events whose state change was illegal (reported on the log, not applied).</summary>
    public long IllegalTransitions { get; init; }

    /// <summary>Times the venue session dropped during the run (each followed by a reconnect or the end).</summary>
    public int VenueOutages { get; init; }

    /// <summary>Total time the venue session was down, as its connection events report it (an outage still running counts up to now).</summary>
    public TimeSpan VenueDowntime { get; init; }

    /// <summary>Reconciliations after a reconnect: open orders asked about with a status request, and what they found.</summary>
    public IReadOnlyList<RecoveryResult> Reconciliations { get; init; } = [];
}

/// <summary>What start-up recovery found and did.</summary>
/// <param name="JournalRecords">Records replayed from the journal.</param>
/// <param name="TornBytes">Bytes of a torn last record truncated from the journal.</param>
/// <param name="OpenOrders">Orders the journal left non-final, each asked about with an OrderStatusRequest.</param>
/// <param name="Resent">Of those, orders the venue had never seen and that were sent now (once).</param>
/// <param name="Lost">Of those, orders the venue had never seen and that were too old to send: marked LostNeverSent.</param>
/// <param name="Unanswered">Status requests the venue did not answer within the recovery timeout.</param>
public sealed record RecoveryResult(long JournalRecords, long TornBytes, int OpenOrders, int Resent, int Lost, int Unanswered)
{
    /// <summary>Nothing to recover.</summary>
    public static RecoveryResult None { get; } = new(0, 0, 0, 0, 0, 0);
}

/// <summary>
/// The trader service: turns signals from Kafka into risk-checked limit orders, journals each intent durably before it
/// is sent, routes it to a venue, drives every order through the <see cref="OrderManager"/>'s state machine from the
/// venue's reports, tracks positions from fills, and records every order and state change in the warehouse and on the
/// <c>orders</c>/<c>executions</c> topics (the backup record).
/// </summary>
/// <remarks>
/// <para><b>Recovery</b> (start of <see cref="RunAsync"/>/<see cref="RunUntilStoppedAsync"/>): the journal replayed in
/// the constructor has rebuilt orders and positions; missing warehouse rows are written (idempotently); the venue
/// session resumes with its persisted sequence numbers, so the FIX layer resends or gap-fills whatever the crash cut
/// off; then every non-final order gets an OrderStatusRequest. The answer reconciles it (missed fills are applied as
/// the difference in cumulative quantity at the implied price, the state follows the venue's); an order the venue never
/// saw is sent now — exactly once, since its client order id is journaled and the venue refuses duplicates — if it is
/// younger than <see cref="TraderOptions.UnsentOrderMaxAgeSeconds"/>, else marked LostNeverSent. Only then are signals
/// consumed.</para>
/// <para><b>Venue outages</b>: the venue session reconnects by itself (see <see cref="IOrderVenue.ConnectionChanged"/>).
/// While it is down, new orders are refused by risk with <see cref="RiskRejectReason.VenueDisconnected"/> — not held,
/// since a signal priced for its moment would go out stale after an outage of unknown length; the refusal is journaled,
/// warehoused and published like any other, so nothing is silently dropped. An order accepted just before the drop
/// whose send failed stays PendingNew. After the reconnect the same reconciliation as start-up recovery runs: every
/// non-final order gets an OrderStatusRequest, missed fills are applied from the answers, and an order the venue never
/// saw is sent exactly once. The kill switch keeps working: it refuses new orders at once and its cancels, which cannot
/// be sent while down, are sent after the reconciliation. Each outage is logged with its reason and duration and
/// counted in <see cref="TraderResult.VenueOutages"/>/<see cref="TraderResult.VenueDowntime"/>.</para>
/// <para>Two threads touch state: the Kafka consume loop (signals, bars) and the venue's event reader; orders are
/// guarded by the <see cref="OrderManager"/>, positions by <see cref="PositionBook"/>, the rest by one lock. Client
/// order ids are the signal ids, so a replayed signal never becomes a second order. Wall time comes from the injected
/// clock.</para>
/// </remarks>
public sealed class TraderService
{
    private readonly TraderOptions _options;
    private readonly IConsumer<byte[]?, byte[]> _consumer;
    private readonly IProducer<byte[]?, byte[]> _producer;
    private readonly IOrderVenue _venue;
    private readonly IOrderWarehouse _warehouse;
    private readonly OrderJournal _journal;
    private readonly PreTradeRisk _risk;
    private readonly OrderRateWindow _rate;
    private readonly OrderManager _orders = new();
    private readonly PositionBook _positions = new();
    private readonly PipelineCounters _counters;
    private readonly TimeProvider _clock;
    private readonly TextWriter _log;
    private readonly SymbolCache _symbols = new();
    private readonly Lock _gate = new();
    private readonly HashSet<string> _seenSignals = new(StringComparer.Ordinal);
    private readonly HashSet<string> _awaitingStatus = new(StringComparer.Ordinal);
    private readonly Dictionary<Symbol, (Price Price, Timestamp Time)> _marks = [];
    private readonly Dictionary<RiskRejectReason, long> _riskRejected = [];
    private readonly List<(object Record, bool Republish)> _catchUp = [];
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<RecoveryResult> _reconciliations = [];
    private TaskCompletionSource _statusAnswered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    /// <summary>Reconciliation rounds, chained so they never overlap: start-up recovery, then one per reconnect.</summary>
    private Task _reconnectWork = Task.CompletedTask;
    private DateTimeOffset? _venueDownSince;
    private string? _venueDownReason;
    private TimeSpan _venueDowntime;
    private int _venueOutages;
    private readonly TaskCompletionSource<RecoveryResult> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly long _replayedRecords;
    private readonly long _tornBytes;
    private DateOnly _pnlDay;
    private decimal _pnlAtDayStart;
    private bool _signalsEnded;
    private bool _recovering;
    private Error? _deliveryError;
    private long _signals;
    private long _duplicates;
    private long _sent;
    private long _executionReports;
    private long _fills;
    private long _duplicateReports;
    private long _illegal;
    private int _resent;
    private int _lost;
    private CancellationToken _runToken;

    /// <summary>Creates the service and replays <paramref name="replay"/> into its order manager and positions; it starts when <see cref="RunAsync"/> is called.</summary>
    /// <param name="options">Settings (validated).</param>
    /// <param name="consumer">Consumer for the signals and bars topics (partitions are assigned explicitly; its group id stores the signal offsets).</param>
    /// <param name="producer">Producer for the orders and executions topics.</param>
    /// <param name="venue">Where orders go.</param>
    /// <param name="warehouse">The order warehouse.</param>
    /// <param name="counters">Pipeline counters.</param>
    /// <param name="clock">The clock.</param>
    /// <param name="killSwitch">The kill switch; a new one by default.</param>
    /// <param name="journal">The durable order journal; an in-memory one (no recovery) by default.</param>
    /// <param name="replay">What <see cref="OrderJournal.Open"/> read back from <paramref name="journal"/>.</param>
    /// <param name="log">Where warnings (illegal transitions, recovery decisions) go; <see cref="TextWriter.Null"/> by default.</param>
    /// <param name="gates">Model gates; by default the volatility gate of <see cref="TraderOptions.Volatility"/>.</param>
    public TraderService(
        TraderOptions options,
        IConsumer<byte[]?, byte[]> consumer,
        IProducer<byte[]?, byte[]> producer,
        IOrderVenue venue,
        IOrderWarehouse warehouse,
        PipelineCounters counters,
        TimeProvider clock,
        KillSwitch? killSwitch = null,
        OrderJournal? journal = null,
        JournalReplay? replay = null,
        TextWriter? log = null,
        IReadOnlyList<IRiskModelGate>? gates = null)
    {
        options.Validate();
        KillSwitch = killSwitch ?? new KillSwitch(clock);
        KillSwitch.Engaged += CancelOpenOrders;
        venue.ConnectionChanged += OnVenueConnectionChanged;
        _options = options;
        _consumer = consumer;
        _producer = producer;
        _venue = venue;
        _warehouse = warehouse;
        _journal = journal ?? OrderJournal.InMemory();
        _log = log ?? TextWriter.Null;
        _risk = new PreTradeRisk(options.Risk, gates ?? (options.Volatility is { } v ? [new VolatilityGate(v)] : []));
        _rate = new OrderRateWindow(clock, TimeSpan.FromMilliseconds(options.Risk.OrderRateWindowMilliseconds));
        _counters = counters;
        _clock = clock;
        if (replay is not null)
        {
            Replay(replay);
            _replayedRecords = replay.Records.Count;
            _tornBytes = replay.TruncatedBytes;
        }
    }

    /// <summary>Current positions (thread-safe).</summary>
    public PositionBook Positions => _positions;

    /// <summary>Every order's state (thread-safe).</summary>
    public OrderManager Orders => _orders;

    /// <summary>The emergency stop: engaging it cancels every open order and refuses new ones.</summary>
    public KillSwitch KillSwitch { get; }

    /// <summary>Completes when recovery is over and signals are being consumed (or faults if recovery failed).</summary>
    public Task<RecoveryResult> Ready => _ready.Task;

    /// <summary>A consistent snapshot for the control endpoint's <c>GET /status</c>.</summary>
    public object Status()
    {
        lock (_gate)
        {
            return new
            {
                killSwitch = KillSwitch.State,
                openOrders = _orders.OpenOrders().Select(o => new { id = o.Order.ClientOrderId.Value, state = o.State.ToString(), cum = o.CumulativeQuantity }).ToList(),
                positions = _positions.Snapshot(),
                signals = _signals,
                ordersSent = _sent,
                venue = new { name = _venue.Name, connected = _venue.IsConnected, downSince = _venueDownSince, downReason = _venueDownReason, outages = _venueOutages },
            };
        }
    }

    /// <summary>
    /// Recovers, then consumes signals and bars until an end-of-stream marker has been seen on every one of the
    /// <paramref name="signalPartitions"/> signal partitions (≤ 0: every partition of the topic), then waits for open
    /// orders to finish and closes the venue.
    /// </summary>
    /// <exception cref="TimeoutException">Open orders did not reach a final state within the drain timeout.</exception>
    public Task<TraderResult> RunAsync(int signalPartitions, CancellationToken ct) => RunCoreAsync(signalPartitions, ct, ct);

    /// <summary>
    /// Live mode: recovers, then consumes signals and bars until <paramref name="stop"/> is signalled (Ctrl+C, service
    /// shutdown), then stops taking signals, waits up to the drain timeout for open orders to finish, logs out of the
    /// venue and returns. End-of-stream markers are ignored: a live trader outlives any one replay.
    /// </summary>
    /// <exception cref="TimeoutException">Open orders did not reach a final state within the drain timeout.</exception>
    public Task<TraderResult> RunUntilStoppedAsync(CancellationToken stop) => RunCoreAsync(int.MaxValue, stop, CancellationToken.None);

    private async Task<TraderResult> RunCoreAsync(int signalPartitions, CancellationToken consumeToken, CancellationToken ct)
    {
        _runToken = ct;
        var executions = Task.Run(() => ReadExecutionsAsync(ct), ct);
        RecoveryResult recovery;
        try
        {
            Task<RecoveryResult> recovering;
            lock (_gate)
            {
                recovering = _reconnectWork.ContinueWith(_ => RecoverAsync(ct), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
                _reconnectWork = recovering;
            }

            recovery = await recovering;
            _ready.TrySetResult(recovery);
        }
        catch (Exception ex)
        {
            _ready.TrySetException(ex);
            throw;
        }

        try
        {
            await Task.Run(() => ConsumeSignals(signalPartitions, consumeToken), CancellationToken.None);
        }
        catch (OperationCanceledException) when (consumeToken.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            // Asked to stop taking signals: drain what is open and shut down cleanly below.
        }

        lock (_gate)
        {
            _signalsEnded = true;
        }

        CheckDrained();
        try
        {
            await _drained.Task.WaitAsync(_options.DrainTimeout, _clock, ct);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{_orders.OpenCount} orders were still open {_options.DrainTimeout.TotalSeconds:0} s after the last signal; check the venue session and its FIX log.");
        }

        Task reconnectWork;
        lock (_gate)
        {
            reconnectWork = _reconnectWork;
        }

        await reconnectWork;
        await _venue.CloseAsync(ct);
        await executions;
        _producer.Flush(ct);
        if (_deliveryError is { } error)
        {
            throw new KafkaException(error);
        }

        lock (_gate)
        {
            return new TraderResult(_signals, _duplicates, _sent, new Dictionary<RiskRejectReason, long>(_riskRejected), _executionReports, _fills, _orders.OpenCount, _positions.Snapshot(), _marks.ToDictionary(kv => kv.Key, kv => kv.Value.Price))
            {
                Recovery = recovery,
                DuplicateReports = Interlocked.Read(ref _duplicateReports),
                IllegalTransitions = Interlocked.Read(ref _illegal),
                VenueOutages = _venueOutages,
                VenueDowntime = _venueDowntime + (_venueDownSince is { } since ? _clock.GetUtcNow() - since : TimeSpan.Zero),
                Reconciliations = [.. _reconciliations],
            };
        }
    }

    /// <summary>Rebuilds orders and positions from the journal; what the warehouse may lack is written by <see cref="RecoverAsync"/>.</summary>
    private void Replay(JournalReplay replay)
    {
        var today = Timestamp.Now(_clock).UtcDate;
        var beforeToday = new PositionBook();
        foreach (var record in replay.Records)
        {
            switch (record)
            {
                case OrderIntentRecord intent:
                    _orders.Add(intent.Order, intent.Decision == "Accepted" ? OrderState.PendingNew : OrderState.Rejected);
                    _seenSignals.Add(intent.Order.ClientOrderId.Value);
                    _catchUp.Add((intent, false));
                    break;
                case VenueExecution execution:
                    var result = _orders.Apply(execution);
                    if (result.Fill is { } fill)
                    {
                        _positions.Apply(fill);
                        if (fill.Time.UtcDate < today)
                        {
                            beforeToday.Apply(fill);
                        }
                    }

                    if (result.WarehouseReport is { } report)
                    {
                        _catchUp.Add((report, false));
                    }

                    break;
                case OrderAction action:
                    var acted = action.Action switch
                    {
                        "CancelRequested" => _orders.Act(action.ClientOrderId, OrderStateEvent.PendingCancel, action.Time),
                        "Lost" => _orders.Act(action.ClientOrderId, OrderStateEvent.Lost, action.Time),
                        _ => null,
                    };
                    if (acted?.WarehouseReport is { } lost)
                    {
                        _catchUp.Add((lost, false));
                    }

                    break;
            }
        }

        // Unrealized P&L at midnight is unknown after a restart: the day starts from the realized P&L before it.
        _pnlDay = today;
        _pnlAtDayStart = beforeToday.Snapshot().Sum(p => p.RealizedPnl);
    }

    private async Task<RecoveryResult> RecoverAsync(CancellationToken ct)
    {
        // The journal is ahead of the warehouse by at most what a crash cut off: write it (idempotent), and publish
        // the records the warehouse did not have (they cannot have reached the topics either).
        foreach (var (record, _) in _catchUp)
        {
            switch (record)
            {
                case OrderIntentRecord intent:
                    if (_warehouse.RecordOrder(intent.Order, intent.Decision, intent.Reason, intent.Decision == "Accepted" ? OrderStatus.PendingNew : OrderStatus.Rejected))
                    {
                        Publish(Topics.Orders, intent.Order.Symbol, JsonRecords.Serialize(intent));
                    }

                    break;
                case ExecutionReport report:
                    if (_warehouse.RecordExecution(report))
                    {
                        Publish(Topics.Executions, report.Symbol, JsonRecords.Serialize(report));
                    }

                    break;
            }
        }

        _catchUp.Clear();
        return await ReconcileOpenOrdersAsync("journaled orders not final after restart", _replayedRecords, _tornBytes, ct);
    }

    /// <summary>
    /// Asks the venue about every non-final order and waits (up to the recovery timeout) for the answers, which
    /// <see cref="OnExecutionAsync"/> applies: missed fills, the venue's state, a send of an order it never saw (once).
    /// Start-up recovery and every reconnect use it; rounds never overlap (they are chained on <see cref="_reconnectWork"/>).
    /// </summary>
    private async Task<RecoveryResult> ReconcileOpenOrdersAsync(string why, long journalRecords, long tornBytes, CancellationToken ct)
    {
        var open = _orders.OpenOrders();
        int resentBefore, lostBefore;
        TaskCompletionSource answered;
        lock (_gate)
        {
            (resentBefore, lostBefore) = (_resent, _lost);
            if (open.Count == 0)
            {
                return new RecoveryResult(journalRecords, tornBytes, 0, 0, 0, 0);
            }

            _recovering = true;
            _statusAnswered = answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            foreach (var order in open)
            {
                _awaitingStatus.Add(order.Order.ClientOrderId.Value);
            }
        }

        _log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"recovery: {open.Count} {why}; asking {_venue.Name} for their status."));
        var unanswered = 0;
        try
        {
            foreach (var order in open)
            {
                await _venue.RequestStatusAsync(order.Order, ct);
            }

            await answered.Task.WaitAsync(TimeSpan.FromSeconds(_options.RecoveryTimeoutSeconds), _clock, ct);
        }
        catch (Exception ex) when (ex is TimeoutException or VenueDisconnectedException)
        {
            // Unanswered (or the venue dropped again mid-round: the next reconnect asks again).
            lock (_gate)
            {
                unanswered = _awaitingStatus.Count;
                _log.WriteLine($"recovery: no status answer ({(ex is TimeoutException ? $"{_options.RecoveryTimeoutSeconds} s timeout" : ex.Message)}) for {string.Join(", ", _awaitingStatus)}; they stay open until the venue reports on them.");
                _awaitingStatus.Clear();
            }
        }

        lock (_gate)
        {
            _recovering = false;
            return new RecoveryResult(journalRecords, tornBytes, open.Count, _resent - resentBefore, _lost - lostBefore, unanswered);
        }
    }

    /// <summary>
    /// Venue connection news, on the venue's connection task: record and log the outage; after a reconnect, reconcile
    /// (and re-send the kill switch's cancels) on a task of its own so the connection task is never blocked.
    /// </summary>
    private void OnVenueConnectionChanged(VenueConnectionChange change)
    {
        lock (_gate)
        {
            switch (change.State)
            {
                case VenueConnectionState.Disconnected:
                    if (_venueDownSince is null)
                    {
                        _venueDownSince = change.At;
                        _venueOutages++;
                    }

                    _venueDownReason = change.Reason;
                    _log.WriteLine($"venue: {_venue.Name} disconnected ({change.Reason}); new orders are refused (VenueDisconnected) until it reconnects; {_orders.OpenCount} orders open.");
                    break;
                case VenueConnectionState.Reconnecting:
                    _log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"venue: reconnect attempt {change.Attempt} to {_venue.Name} in {change.RetryIn?.TotalMilliseconds:0} ms (last: {change.Reason})."));
                    break;
                case VenueConnectionState.Reconnected:
                    var down = _venueDownSince is { } since ? change.At - since : TimeSpan.Zero;
                    _venueDowntime += down;
                    _venueDownSince = null;
                    _venueDownReason = null;
                    _log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"venue: {_venue.Name} reconnected after {down.TotalSeconds:0.###} s down; reconciling open orders."));
                    _reconnectWork = _reconnectWork.ContinueWith(_ => AfterReconnectAsync(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
                    break;
                case VenueConnectionState.Stopped:
                    _venueDownSince ??= change.At;
                    _venueDownReason = change.Reason;
                    _log.WriteLine($"venue: {_venue.Name} stopped for good ({change.Reason}); new orders are refused (VenueDisconnected) until the trader is restarted.");
                    break;
            }
        }
    }

    private async Task AfterReconnectAsync()
    {
        try
        {
            var result = await ReconcileOpenOrdersAsync("orders not final after the venue reconnected", 0, 0, _runToken);
            lock (_gate)
            {
                _reconciliations.Add(result);
            }

            if (KillSwitch.State is { Engaged: true } stop)
            {
                // Cancels that could not go out while the venue was down go now.
                CancelOpenOrders(stop);
            }
        }
        catch (OperationCanceledException) when (_runToken.IsCancellationRequested)
        {
            // The run is ending.
        }
        catch (Exception ex)
        {
            // Not fatal to the trader: the orders stay open and the next reconnect (or restart) reconciles them.
            _log.WriteLine($"venue: reconciliation after reconnect failed: {ex.GetType().Name}: {ex.Message}");
        }

        CheckDrained();
    }

    private void ConsumeSignals(int signalPartitions, CancellationToken ct)
    {
        // Partitions are assigned explicitly (no group membership): a restarted trader must not wait out the dead
        // process's group session, and the journal, not the group, guarantees each signal becomes at most one order.
        var signalCount = PartitionCount(Topics.Signals);
        var assignment = new List<TopicPartitionOffset>();
        var signalPartitionsOf = Enumerable.Range(0, signalCount).Select(p => new TopicPartition(Topics.Signals, p)).ToList();
        foreach (var committed in _consumer.Committed(signalPartitionsOf, TimeSpan.FromSeconds(10)))
        {
            assignment.Add(new TopicPartitionOffset(committed.TopicPartition, committed.Offset == Offset.Unset ? Offset.Beginning : committed.Offset));
        }

        for (var p = 0; p < PartitionCount(Topics.Bars); p++)
        {
            var partition = new TopicPartition(Topics.Bars, p);
            var marks = _consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10));
            assignment.Add(new TopicPartitionOffset(partition, new Offset(Math.Max(marks.Low.Value, marks.High.Value - _options.BarWarmup))));
        }

        _consumer.Assign(assignment);
        try
        {
            _consumer.ConsumeUntilEndOfStream(Topics.Signals, signalPartitions <= 0 ? signalCount : signalPartitions, record =>
            {
                if (record.Topic == Topics.Bars)
                {
                    var bar = MarketDataCodec.DecodeBar(record.Message.Value, _symbols);
                    lock (_gate)
                    {
                        _marks[bar.Symbol] = (bar.Close, bar.End);
                    }

                    foreach (var gate in _risk.Gates)
                    {
                        gate.Observe(bar.Symbol, bar.Close);
                    }
                }
                else
                {
                    HandleSignal(JsonRecords.Deserialize<Signal>(record.Message.Value), ct);

                    // Committing each signal bounds what a restart replays to the signal in flight, and that one is
                    // recognized as already journaled (see HandleSignal).
                    _consumer.Commit([new TopicPartitionOffset(record.TopicPartition, record.Offset + 1)]);
                }
            }, ct);
        }
        finally
        {
            _consumer.Close();
        }
    }

    private int PartitionCount(string topic)
    {
        using var admin = new DependentAdminClientBuilder(_producer.Handle).Build();
        var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.SingleOrDefault(t => t.Topic == topic);
        return metadata is { Error.IsError: false, Partitions.Count: > 0 }
            ? metadata.Partitions.Count
            : throw new InvalidOperationException($"Topic '{topic}' does not exist on {_producer.Name}'s cluster ({metadata?.Error.Reason ?? "no metadata"}); create it (bdt stack provisions it).");
    }

    private void HandleSignal(Signal signal, CancellationToken ct)
    {
        _signals++;
        var id = new ClientOrderId(signal.SignalId);

        // Idempotent across restarts: the journal (or, without one, the warehouse) knows every order already made.
        if (!_seenSignals.Add(signal.SignalId) || _orders.Contains(id) || _warehouse.GetOrderStatus(id) is not null)
        {
            _duplicates++;
            return;
        }

        var order = ToOrder(signal);
        var decision = Decide(order, signal);
        var intent = new OrderIntentRecord(order, decision.IsAccepted ? "Accepted" : "Rejected", decision.Message);

        // Durable before it leaves: a crash after this line is recovered from the journal.
        _journal.AppendIntent(intent);
        _orders.Add(order, decision.IsAccepted ? OrderState.PendingNew : OrderState.Rejected);
        _warehouse.RecordOrder(order, intent.Decision, decision.Message, decision.IsAccepted ? OrderStatus.PendingNew : OrderStatus.Rejected);
        Publish(Topics.Orders, order.Symbol, JsonRecords.Serialize(intent));
        if (!decision.IsAccepted)
        {
            _counters.OnOrderRiskRejected();
            return;
        }

        try
        {
            _venue.SendAsync(order, ct).GetAwaiter().GetResult();
        }
        catch (VenueDisconnectedException ex)
        {
            // The venue dropped between the risk check and the send. The order is journaled PendingNew: the
            // reconciliation after the reconnect finds it (resent by FIX if it made it into the session store, else
            // unknown at the venue and sent then, once).
            _log.WriteLine($"venue: {order.ClientOrderId} accepted but not sent, the venue dropped ({ex.Message}); it is reconciled after the reconnect.");
            return;
        }

        Interlocked.Increment(ref _sent);
        _counters.OnOrderSent();
    }

    /// <summary>
    /// The market price the collar compares against: the last bar close the trader has seen itself when it is at most
    /// <see cref="TraderOptions.MarkStaleness"/> older than the signal and not newer than it, else the signal's own
    /// reference price. Bars and signals arrive on different topics, so the trader's mark can lag the strategy's
    /// (comparing against a stale mark would reject sound orders after a fast move) or, when the trader catches up on
    /// a backlog, run ahead of it (a later bar is a price the strategy could not have seen).
    /// </summary>
    private Price MarketPrice(Signal signal) =>
        _marks.TryGetValue(signal.Symbol, out var mark)
            && mark.Time.UnixNanoseconds >= signal.Time.UnixNanoseconds - (long)_options.MarkStaleness.TotalNanoseconds
            && mark.Time.UnixNanoseconds <= signal.Time.UnixNanoseconds
            ? mark.Price
            : signal.ReferencePrice;

    /// <summary>Kill switch first, then the risk limits on a consistent snapshot; an accepted order counts in the rate window.</summary>
    private RiskDecision Decide(Order order, Signal signal)
    {
        lock (_gate)
        {
            RiskDecision decision;
            if (KillSwitch.State is { Engaged: true } stop)
            {
                decision = new RiskDecision(RiskRejectReason.KillSwitch, $"KillSwitch: engaged by {stop.ChangedBy}: {stop.Reason}");
            }
            else if (!_venue.IsConnected)
            {
                decision = new RiskDecision(
                    RiskRejectReason.VenueDisconnected,
                    string.Create(CultureInfo.InvariantCulture, $"VenueDisconnected: {_venue.Name} is down since {_venueDownSince?.ToString("O", CultureInfo.InvariantCulture) ?? "just now"} ({_venueDownReason ?? "not logged on"}); orders are refused until it reconnects"));
            }
            else
            {
                decision = _risk.Check(order, Snapshot(order.Symbol, MarketPrice(signal)));
            }

            if (decision.IsAccepted)
            {
                _rate.Record();
            }
            else
            {
                _riskRejected[decision.Reason] = _riskRejected.GetValueOrDefault(decision.Reason) + 1;
            }

            return decision;
        }
    }

    /// <summary>The portfolio state risk compares against (caller holds <see cref="_gate"/>).</summary>
    private RiskSnapshot Snapshot(Symbol symbol, Price market)
    {
        var positions = _positions.Snapshot();
        decimal gross = 0, total = 0;
        foreach (var p in positions)
        {
            var mark = _marks.TryGetValue(p.Symbol, out var m) ? m.Price.ToDecimal() : p.AveragePrice;
            gross += Math.Abs(p.Quantity) * mark;
            total += p.RealizedPnl + (p.Quantity * (mark - p.AveragePrice));
        }

        gross += _orders.OpenNotional(s => _marks.TryGetValue(s, out var m) ? m.Price : null);
        var today = Timestamp.Now(_clock).UtcDate;
        if (today != _pnlDay)
        {
            _pnlDay = today;
            _pnlAtDayStart = total;
        }

        return new RiskSnapshot(
            _positions.QuantityOf(symbol) + _orders.OpenQuantity(symbol),
            market,
            gross,
            _orders.OpenCount,
            _rate.Count(),
            total - _pnlAtDayStart);
    }

    private void CancelOpenOrders(KillSwitchState state)
    {
        foreach (var open in _orders.OpenOrders())
        {
            var id = open.Order.ClientOrderId;
            if (open.State != OrderState.PendingCancel)
            {
                _journal.AppendAction(new OrderAction(id, "CancelRequested", $"kill switch engaged by {state.ChangedBy}: {state.Reason}", Timestamp.Now(_clock)));
                var result = _orders.Act(id, OrderStateEvent.PendingCancel, Timestamp.Now(_clock));
                PublishStateChange(id, result, "CancelRequested");
            }

            try
            {
                _venue.CancelAsync(open.Order, CancellationToken.None).GetAwaiter().GetResult();
            }
            catch (VenueDisconnectedException ex)
            {
                // New orders are already blocked; the cancel goes out after the reconnect's reconciliation.
                _log.WriteLine($"kill switch: cancel of {id} deferred, the venue is down ({ex.Message}).");
            }
        }
    }

    private Order ToOrder(Signal signal)
    {
        var offset = signal.ReferencePrice.ToDecimal() * _options.LimitOffsetBasisPoints / 10_000m * signal.Side.Sign();
        var limit = Price.FromDecimal(signal.ReferencePrice.ToDecimal() + offset).RoundTo(Price.FromDecimal(_options.TickSize));
        return new Order(new ClientOrderId(signal.SignalId), signal.Symbol, signal.Side, signal.Quantity, OrderType.Limit, limit, TimeInForce.Day, Timestamp.Now(_clock), signal.SignalId);
    }

    private async Task ReadExecutionsAsync(CancellationToken ct)
    {
        await foreach (var execution in _venue.Executions.ReadAllAsync(ct))
        {
            await OnExecutionAsync(execution, ct);
        }
    }

    private async Task OnExecutionAsync(VenueExecution execution, CancellationToken ct)
    {
        Interlocked.Increment(ref _executionReports);
        var id = execution.Report.ClientOrderId;

        // Only the first answer to this run's own request counts for "unknown at the venue": an answer to a request of
        // an earlier run (resent after the crash) or a second answer must not send the order a second time.
        var firstAnswer = false;
        if (execution.IsStatusAnswer)
        {
            lock (_gate)
            {
                firstAnswer = _awaitingStatus.Remove(id.Value);
            }
        }

        var result = _orders.Apply(execution);
        switch (result.Outcome)
        {
            case ApplyOutcome.Duplicate:
                Interlocked.Increment(ref _duplicateReports);
                break;
            case ApplyOutcome.UnknownOrder:
                Interlocked.Increment(ref _illegal);
                _log.WriteLine($"warning: {result.Message}; ignored.");
                break;
            case ApplyOutcome.NotAtVenue when firstAnswer:
                await OnNotAtVenueAsync(id, ct);
                break;
            case ApplyOutcome.NotAtVenue:
                _log.WriteLine($"recovery: ignored a repeated or earlier run's 'unknown order' answer for {id} (ExecID {execution.Report.ExecutionId}).");
                break;
            default:
                // Journal first: the warehouse and topics are rebuilt from it after a crash.
                _journal.AppendExecution(execution);
                if (result.Outcome == ApplyOutcome.Illegal)
                {
                    Interlocked.Increment(ref _illegal);
                    _log.WriteLine($"warning: illegal transition: {result.Message}");
                }

                _counters.OnExecutionReport(result.Fill is not null);
                if (result.Fill is { } fill && _positions.Apply(fill))
                {
                    Interlocked.Increment(ref _fills);
                }

                if (result.WarehouseReport is { } report)
                {
                    _warehouse.RecordExecution(report);
                    Publish(Topics.Executions, report.Symbol, JsonRecords.Serialize(report));
                }

                PublishStateChange(id, result, execution.Report.ExecutionId);
                break;
        }

        if (firstAnswer)
        {
            lock (_gate)
            {
                if (_awaitingStatus.Count == 0 && _recovering)
                {
                    _statusAnswered.TrySetResult();
                }
            }
        }

        CheckDrained();
    }

    /// <summary>The venue never saw a journaled order (restart or reconnect): send it now (once) while it is fresh, else mark it lost.</summary>
    private async Task OnNotAtVenueAsync(ClientOrderId id, CancellationToken ct)
    {
        if (_orders.Get(id) is not { State: OrderState.PendingNew } managed)
        {
            return;
        }

        var age = _clock.GetUtcNow() - managed.Order.CreatedAt.ToDateTimeOffset();
        var now = Timestamp.Now(_clock);
        if (age <= TimeSpan.FromSeconds(_options.UnsentOrderMaxAgeSeconds) && KillSwitch.State is not { Engaged: true })
        {
            _journal.AppendAction(new OrderAction(id, "Resent", string.Create(CultureInfo.InvariantCulture, $"unknown at the venue after restart or reconnect, {age.TotalSeconds:0.#} s old"), now));
            _log.WriteLine($"recovery: {id} never reached the venue; sending it now.");
            try
            {
                await _venue.SendAsync(managed.Order, ct);
            }
            catch (VenueDisconnectedException ex)
            {
                // Dropped again before it went out: it stays PendingNew and the next reconciliation asks once more.
                _log.WriteLine($"recovery: {id} not sent, the venue dropped again ({ex.Message}); asked about after the next reconnect.");
                return;
            }

            Interlocked.Increment(ref _sent);
            Interlocked.Increment(ref _resent);
            _counters.OnOrderSent();
            return;
        }

        _journal.AppendAction(new OrderAction(id, "Lost", string.Create(CultureInfo.InvariantCulture, $"unknown at the venue after restart or reconnect, {age.TotalSeconds:0.#} s old (limit {_options.UnsentOrderMaxAgeSeconds} s) or kill switch engaged"), now));
        var result = _orders.Act(id, OrderStateEvent.Lost, now);
        Interlocked.Increment(ref _lost);
        _log.WriteLine($"recovery: {id} never reached the venue and is not sent any more: LostNeverSent.");
        if (result.WarehouseReport is { } report)
        {
            _warehouse.RecordExecution(report);
            Publish(Topics.Executions, report.Symbol, JsonRecords.Serialize(report));
        }

        PublishStateChange(id, result, "Lost");
    }

    private void CheckDrained()
    {
        lock (_gate)
        {
            if (_signalsEnded && _orders.OpenCount == 0)
            {
                _drained.TrySetResult();
            }
        }
    }

    private void PublishStateChange(ClientOrderId id, ApplyResult result, string cause)
    {
        if (result.StateChanged && _orders.Get(id) is { } order)
        {
            Publish(Topics.Orders, order.Order.Symbol, JsonRecords.Serialize(new OrderStateChange(id, result.From!.Value, result.To!.Value, cause, Timestamp.Now(_clock))));
        }
    }

    private void Publish(string topic, Symbol key, byte[] value) =>
        _producer.ProduceWithBackpressure(topic, new Message<byte[]?, byte[]> { Key = Encoding.ASCII.GetBytes(key.Value), Value = value }, OnDelivery, CancellationToken.None);

    private void OnDelivery(DeliveryReport<byte[]?, byte[]> report)
    {
        if (report.Error.IsError)
        {
            Interlocked.CompareExchange(ref _deliveryError, report.Error, null);
        }
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"trader signals={_signals} sent={_sent} fills={_fills}");
}
