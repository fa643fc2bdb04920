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
/// <param name="OrdersSent">Orders that passed risk and were sent.</param>
/// <param name="RiskRejected">Orders refused by risk, by reason.</param>
/// <param name="ExecutionReports">Execution reports received.</param>
/// <param name="Fills">Fills applied to positions.</param>
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
    IReadOnlyDictionary<Symbol, Price> Marks);

/// <summary>
/// The trader service: turns signals from Kafka into risk-checked limit orders, routes them to a venue, tracks
/// positions from execution reports, and records every order and execution in the warehouse and on the
/// <c>orders</c>/<c>executions</c> topics (the backup record).
/// </summary>
/// <remarks>
/// Two threads touch state: the Kafka consume loop (signals, bars) and the venue's execution reader; the order table
/// is guarded by a lock and positions by <see cref="PositionBook"/>'s own. Client order ids derive from signal ids, so
/// a replayed signal can never become a second order. Wall time (order creation) comes from the injected clock.
/// </remarks>
public sealed class TraderService
{
    private readonly TraderOptions _options;
    private readonly IConsumer<byte[]?, byte[]> _consumer;
    private readonly IProducer<byte[]?, byte[]> _producer;
    private readonly IOrderVenue _venue;
    private readonly IOrderWarehouse _warehouse;
    private readonly PreTradeRisk _risk;
    private readonly PositionBook _positions = new();
    private readonly PipelineCounters _counters;
    private readonly TimeProvider _clock;
    private readonly SymbolCache _symbols = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Order> _open = new(StringComparer.Ordinal);
    private readonly HashSet<string> _seenSignals = new(StringComparer.Ordinal);
    private readonly Dictionary<Symbol, (Price Price, Timestamp Time)> _marks = [];
    private readonly Dictionary<RiskRejectReason, long> _riskRejected = [];
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _signalsEnded;
    private Error? _deliveryError;
    private long _signals;
    private long _duplicates;
    private long _sent;
    private long _executionReports;
    private long _fills;

    /// <summary>Creates the service; it starts consuming when <see cref="RunAsync"/> is called.</summary>
    public TraderService(
        TraderOptions options,
        IConsumer<byte[]?, byte[]> consumer,
        IProducer<byte[]?, byte[]> producer,
        IOrderVenue venue,
        IOrderWarehouse warehouse,
        PipelineCounters counters,
        TimeProvider clock,
        KillSwitch? killSwitch = null)
    {
        options.Validate();
        KillSwitch = killSwitch ?? new KillSwitch(clock);
        KillSwitch.Engaged += CancelOpenOrders;
        _options = options;
        _consumer = consumer;
        _producer = producer;
        _venue = venue;
        _warehouse = warehouse;
        _risk = new PreTradeRisk(options.Risk);
        _counters = counters;
        _clock = clock;
    }

    /// <summary>Current positions (thread-safe).</summary>
    public PositionBook Positions => _positions;

    /// <summary>The emergency stop: engaging it cancels every open order and refuses new ones.</summary>
    public KillSwitch KillSwitch { get; }

    /// <summary>A consistent snapshot for the control endpoint's <c>GET /status</c>.</summary>
    public object Status()
    {
        lock (_gate)
        {
            return new
            {
                killSwitch = KillSwitch.State,
                openOrders = _open.Keys.Order(StringComparer.Ordinal).ToList(),
                positions = _positions.Snapshot(),
                signals = _signals,
                ordersSent = _sent,
            };
        }
    }

    /// <summary>
    /// Consumes signals and bars until an end-of-stream marker has been seen on every one of the
    /// <paramref name="signalPartitions"/> signal partitions, then waits for open orders to finish and closes the venue.
    /// </summary>
    /// <exception cref="TimeoutException">Open orders did not reach a final state within the drain timeout.</exception>
    public Task<TraderResult> RunAsync(int signalPartitions, CancellationToken ct) => RunCoreAsync(signalPartitions, ct, ct);

    /// <summary>
    /// Live mode: consumes signals and bars until <paramref name="stop"/> is signalled (Ctrl+C, service shutdown), then
    /// stops taking signals, waits up to the drain timeout for open orders to finish, logs out of the venue and returns.
    /// End-of-stream markers are ignored: a live trader outlives any one replay.
    /// </summary>
    /// <exception cref="TimeoutException">Open orders did not reach a final state within the drain timeout.</exception>
    public Task<TraderResult> RunUntilStoppedAsync(CancellationToken stop) => RunCoreAsync(int.MaxValue, stop, CancellationToken.None);

    private async Task<TraderResult> RunCoreAsync(int signalPartitions, CancellationToken consumeToken, CancellationToken ct)
    {
        var executions = Task.Run(() => ReadExecutionsAsync(ct), ct);
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
            if (_open.Count == 0)
            {
                _drained.TrySetResult();
            }
        }

        try
        {
            await _drained.Task.WaitAsync(_options.DrainTimeout, _clock, ct);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{_open.Count} orders were still open {_options.DrainTimeout.TotalSeconds:0} s after the last signal; check the venue session and its FIX log.");
        }

        await _venue.CloseAsync(ct);
        await executions;
        _producer.Flush(ct);
        if (_deliveryError is { } error)
        {
            throw new KafkaException(error);
        }

        lock (_gate)
        {
            return new TraderResult(_signals, _duplicates, _sent, new Dictionary<RiskRejectReason, long>(_riskRejected), _executionReports, _fills, _open.Count, _positions.Snapshot(), _marks.ToDictionary(kv => kv.Key, kv => kv.Value.Price));
        }
    }

    private void ConsumeSignals(int signalPartitions, CancellationToken ct)
    {
        _consumer.Subscribe([Topics.Signals, Topics.Bars]);
        try
        {
            _consumer.ConsumeUntilEndOfStream(Topics.Signals, signalPartitions, record =>
            {
                if (record.Topic == Topics.Bars)
                {
                    var bar = MarketDataCodec.DecodeBar(record.Message.Value, _symbols);
                    lock (_gate)
                    {
                        _marks[bar.Symbol] = (bar.Close, bar.End);
                    }
                }
                else
                {
                    HandleSignal(JsonRecords.Deserialize<Signal>(record.Message.Value), ct);

                    // Signals are few: committing each one bounds what a restart replays to the signal in flight,
                    // and that one is recognized as already handled (see HandleSignal).
                    _consumer.Commit(record);
                }
            }, ct);

            _consumer.Commit();
        }
        finally
        {
            _consumer.Close();
        }
    }

    private void HandleSignal(Signal signal, CancellationToken ct)
    {
        _signals++;
        // Idempotent across restarts too: a signal whose order the warehouse already holds was handled by an
        // earlier run of the trader and must not reach the venue a second time.
        if (!_seenSignals.Add(signal.SignalId) || _warehouse.GetOrderStatus(new ClientOrderId(signal.SignalId)) is not null)
        {
            _duplicates++;
            return;
        }

        var order = ToOrder(signal);
        var decision = Decide(order, signal);

        // Journal the intent before it leaves: the warehouse row exists before the venue can answer.
        _warehouse.RecordOrder(order, decision.IsAccepted ? "Accepted" : "Rejected", decision.Message, decision.IsAccepted ? OrderStatus.PendingNew : OrderStatus.Rejected);
        Publish(Topics.Orders, order.Symbol, JsonRecords.Serialize(new OrderIntentRecord(order, decision.IsAccepted ? "Accepted" : "Rejected", decision.Message)));
        if (!decision.IsAccepted)
        {
            _counters.OnOrderRiskRejected();
            return;
        }

        _venue.SendAsync(order, ct).GetAwaiter().GetResult();
        _sent++;
        _counters.OnOrderSent();
    }

    /// <summary>
    /// The market price the collar compares against: the last bar close the trader has seen itself when it is at most
    /// <see cref="TraderOptions.MarkStaleness"/> older than the signal, else the signal's own reference price. Bars
    /// and signals arrive on different topics, so the trader's mark can lag the strategy's; comparing against a stale
    /// mark would reject sound orders after a fast move.
    /// </summary>
    private Price MarketPrice(Signal signal) =>
        _marks.TryGetValue(signal.Symbol, out var mark) && mark.Time.UnixNanoseconds >= signal.Time.UnixNanoseconds - (long)_options.MarkStaleness.TotalNanoseconds
            ? mark.Price
            : signal.ReferencePrice;

    /// <summary>Kill switch first, then the risk limits; an accepted order joins the open orders in the same lock.</summary>
    private RiskDecision Decide(Order order, Signal signal)
    {
        lock (_gate)
        {
            var decision = KillSwitch.State is { Engaged: true } stop
                ? new RiskDecision(RiskRejectReason.KillSwitch, $"KillSwitch: engaged by {stop.ChangedBy}: {stop.Reason}")
                : _risk.Check(order, Exposure(order.Symbol), MarketPrice(signal));
            if (decision.IsAccepted)
            {
                _open.Add(order.ClientOrderId.Value, order);
            }
            else
            {
                _riskRejected[decision.Reason] = _riskRejected.GetValueOrDefault(decision.Reason) + 1;
            }

            return decision;
        }
    }

    /// <summary>Filled position plus what every open order of the symbol would add if it filled.</summary>
    private long Exposure(Symbol symbol) =>
        _positions.QuantityOf(symbol) + _open.Values.Where(o => o.Symbol == symbol).Sum(o => o.Side.Sign() * o.Quantity);

    private void CancelOpenOrders(KillSwitchState state)
    {
        List<Order> open;
        lock (_gate)
        {
            open = [.. _open.Values];
        }

        foreach (var order in open)
        {
            _venue.CancelAsync(order, CancellationToken.None).GetAwaiter().GetResult();
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
        await foreach (var report in _venue.Executions.ReadAllAsync(ct))
        {
            OnExecution(report);
        }
    }

    private void OnExecution(ExecutionReport report)
    {
        Interlocked.Increment(ref _executionReports);
        var isFill = report.Kind == ExecutionKind.Trade && report.LastQuantity > 0;
        _counters.OnExecutionReport(isFill);
        _warehouse.RecordExecution(report);
        Publish(Topics.Executions, report.Symbol, JsonRecords.Serialize(report));
        if (isFill && _positions.Apply(new Fill(report.ClientOrderId, report.ExecutionId, report.Symbol, report.Side, report.LastQuantity, report.LastPrice, report.TransactTime)))
        {
            Interlocked.Increment(ref _fills);
        }

        if (report.Status.IsFinal())
        {
            lock (_gate)
            {
                if (_open.Remove(report.ClientOrderId.Value) && _open.Count == 0 && _signalsEnded)
                {
                    _drained.TrySetResult();
                }
            }
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
