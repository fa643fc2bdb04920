using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Orders;
using BigDataTrading.Core.Time;
using BigDataTrading.Fix;
using BigDataTrading.Trading.Orders;
using CoreExecutionReport = BigDataTrading.Core.Orders.ExecutionReport;
using FixExecutionReport = BigDataTrading.Fix.ExecutionReport;

namespace BigDataTrading.Trading.Venues;

/// <summary>Where and as whom a FIX venue session connects.</summary>
/// <param name="Host">Venue host.</param>
/// <param name="Port">Venue port.</param>
/// <param name="SenderCompId">Our CompID (FIX 49).</param>
/// <param name="TargetCompId">The venue's CompID (FIX 56).</param>
/// <param name="LogDirectory">Folder for the session's FIX message log, or null for none.</param>
/// <param name="HeartbeatSeconds">Heartbeat interval (FIX 108), whole seconds ≥ 1.</param>
/// <param name="SequenceStoreDirectory">Folder of the durable sequence-number and sent-message store
/// (<see cref="FileSequenceStore"/>): a restarted trader resumes the same FIX session (resend, gap fill). Null keeps
/// them in memory: every connection is a new session starting at 1.</param>
/// <param name="ConnectTimeoutSeconds">How long to keep retrying the connection and Logon at start-up (the venue may
/// still hold the previous connection of a killed process for a moment), whole seconds ≥ 1.</param>
/// <param name="Reconnect">Backoff of the start-up retries and of reconnects after a dropped session; null uses
/// <see cref="FixOrderVenue.DefaultReconnect"/>. Its <see cref="FixReconnectOptions.InitialConnectTimeout"/> is
/// replaced by <paramref name="ConnectTimeoutSeconds"/>.</param>
public sealed record FixVenueOptions(
    string Host,
    int Port,
    string SenderCompId,
    string TargetCompId,
    string? LogDirectory,
    int HeartbeatSeconds = 30,
    string? SequenceStoreDirectory = null,
    int ConnectTimeoutSeconds = 10,
    FixReconnectOptions? Reconnect = null);

/// <summary>
/// An <see cref="IOrderVenue"/> over a FIX 4.4 initiator session: orders go out as NewOrderSingle, cancels as
/// OrderCancelRequest, status requests as OrderStatusRequest; ExecutionReports and OrderCancelRejects come back as
/// <see cref="VenueExecution"/>s. Messages the venue sends that cannot be mapped are not dropped: they end the
/// execution stream with an exception naming the message and field.
/// </summary>
/// <remarks>
/// The session reconnects by itself (<see cref="ReconnectingFixInitiator"/>): while it is down <see cref="IsConnected"/>
/// is false and sends throw <see cref="FixNotConnectedException"/>; <see cref="ConnectionChanged"/> tells the trader
/// when to stop sending and when to reconcile. The execution stream spans reconnects and ends only when the session
/// stops for good (faulted when it gave up).
/// </remarks>
public sealed class FixOrderVenue : IOrderVenue
{
    private readonly ReconnectingFixInitiator _session;
    private readonly Channel<VenueExecution> _executions = Channel.CreateUnbounded<VenueExecution>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly ConcurrentDictionary<string, Order> _orders = new(StringComparer.Ordinal);
    private readonly SymbolCache _symbols = new();
    private readonly Task _pump;

    private readonly TimeProvider _clock;

    private FixOrderVenue(ReconnectingFixInitiator session, string name, TimeProvider clock)
    {
        _session = session;
        _clock = clock;
        Name = name;
        _session.StateChanged += OnStateChanged;
        _pump = Task.Run(PumpAsync);
    }

    /// <inheritdoc />
    public event Action<VenueConnectionChange>? ConnectionChanged;

    /// <summary>
    /// Reconnect policy when <see cref="FixVenueOptions.Reconnect"/> is null: 20 ms doubling to 5 s with 20 % jitter,
    /// unlimited attempts (a trader outlives venue outages), and 10 refused Logons in a row before giving up — enough to
    /// outlast a venue still holding our dead connection, few enough to surface a wrong CompID within seconds.
    /// </summary>
    public static FixReconnectOptions DefaultReconnect { get; } = new()
    {
        InitialDelay = TimeSpan.FromMilliseconds(20),
        MaxDelay = TimeSpan.FromSeconds(5),
        MaxLogonRefusals = 10,
    };

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The FIX session's connection manager (state, sequence store, current session and its log).</summary>
    public ReconnectingFixInitiator Session => _session;

    /// <inheritdoc />
    public bool IsConnected => _session.IsConnected;

    /// <inheritdoc />
    public ChannelReader<VenueExecution> Executions => _executions.Reader;

    /// <summary>
    /// Connects and logs on, retrying refused or failed attempts until <see cref="FixVenueOptions.ConnectTimeoutSeconds"/>
    /// has passed; completes once the venue has answered the Logon. From then on the session reconnects by itself.
    /// </summary>
    /// <exception cref="FixSessionException">The venue kept refusing the session; the last refusal is the message.</exception>
    /// <exception cref="TimeoutException">The venue did not answer the Logon in time.</exception>
    public static async Task<FixOrderVenue> ConnectAsync(FixVenueOptions options, TimeProvider clock, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.ConnectTimeoutSeconds);
        var settings = new FixSessionSettings
        {
            SenderCompId = options.SenderCompId,
            TargetCompId = options.TargetCompId,
            HeartBtInt = TimeSpan.FromSeconds(options.HeartbeatSeconds),
            LogDirectory = options.LogDirectory,
            TimeProvider = clock,
            // Created once by the initiator and shared by every connection, so a reconnect resumes the session.
            SequenceStoreFactory = options.SequenceStoreDirectory is { } folder
                ? () => new FileSequenceStore(folder, FileSequenceStore.SessionName(FixVersions.Fix44, options.SenderCompId, options.TargetCompId))
                : null,
        };
        var reconnect = (options.Reconnect ?? DefaultReconnect) with { InitialConnectTimeout = TimeSpan.FromSeconds(options.ConnectTimeoutSeconds) };
        var session = new ReconnectingFixInitiator(options.Host, options.Port, settings, reconnect);
        try
        {
            // The venue may still hold our previous connection (a killed process) for a moment: start-up retries.
            await session.StartAsync(ct);
        }
        catch
        {
            await session.DisposeAsync();
            throw;
        }

        return new FixOrderVenue(session, $"FIX {options.TargetCompId}@{options.Host}:{options.Port}", clock);
    }

    /// <inheritdoc />
    public Task SendAsync(Order order, CancellationToken ct)
    {
        _orders[order.ClientOrderId.Value] = order;
        return Send(
            new NewOrderSingle
            {
                ClOrdId = order.ClientOrderId.Value,
                Symbol = order.Symbol.Value,
                Side = order.Side == Side.Buy ? FixSide.Buy : FixSide.Sell,
                TransactTime = order.CreatedAt.ToDateTimeOffset(),
                OrderQty = order.Quantity,
                OrdType = order.Type == OrderType.Limit ? FixOrdType.Limit : FixOrdType.Market,
                Price = order.LimitPrice?.ToDecimal(),
                TimeInForce = (FixTimeInForce)(char)('0' + (int)order.TimeInForce),
            },
            ct);
    }

    /// <inheritdoc />
    public Task CancelAsync(Order order, CancellationToken ct)
    {
        _orders[order.ClientOrderId.Value] = order;
        return Send(
            new OrderCancelRequest
            {
                OrigClOrdId = order.ClientOrderId.Value,
                ClOrdId = CancelRequestId(order.ClientOrderId),
                Symbol = order.Symbol.Value,
                Side = order.Side == Side.Buy ? FixSide.Buy : FixSide.Sell,
                TransactTime = _clock.GetUtcNow(),
                OrderQty = order.Quantity,
            },
            ct);
    }

    /// <inheritdoc />
    public Task RequestStatusAsync(Order order, CancellationToken ct)
    {
        _orders[order.ClientOrderId.Value] = order;
        return Send(
            new OrderStatusRequest
            {
                ClOrdId = order.ClientOrderId.Value,
                Symbol = order.Symbol.Value,
                Side = order.Side == Side.Buy ? FixSide.Buy : FixSide.Sell,
                OrderId = "NONE",
                OrdStatusReqId = order.ClientOrderId.Value,
            },
            ct);
    }

    /// <summary>Sends on the current connection; a dropped one surfaces as the venue-neutral <see cref="VenueDisconnectedException"/>.</summary>
    private async Task Send(IFixApplicationMessage message, CancellationToken ct)
    {
        try
        {
            await _session.SendAsync(message, ct);
        }
        catch (FixNotConnectedException ex)
        {
            throw new VenueDisconnectedException($"{Name}: {ex.Message}", ex);
        }
    }

    /// <summary>The ClOrdID of the request cancelling an order: the order's id with a <c>~C</c> suffix.</summary>
    public static string CancelRequestId(ClientOrderId order) => order.Value + "~C";

    /// <inheritdoc />
    public async Task CloseAsync(CancellationToken ct)
    {
        await _session.LogoutAsync("trader done", ct);
        await _pump;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _session.DisposeAsync();
        await _pump;
    }

    private void OnStateChanged(FixConnectionStateChange change)
    {
        VenueConnectionState? state = change.State switch
        {
            // The venue subscribes after the first Logon, so every Connected it hears of is a reconnect.
            FixConnectionState.Connected => VenueConnectionState.Reconnected,
            FixConnectionState.Disconnected => VenueConnectionState.Disconnected,
            FixConnectionState.Reconnecting => VenueConnectionState.Reconnecting,
            // A Stopped without an error is our own Logout/dispose, not an outage.
            FixConnectionState.Stopped when change.Error is not null => VenueConnectionState.Stopped,
            _ => null,
        };
        if (state is { } s)
        {
            ConnectionChanged?.Invoke(new VenueConnectionChange(s, change.Error?.Message ?? change.Reason, change.At, change.Attempt, change.RetryIn));
        }
    }

    private async Task PumpAsync()
    {
        try
        {
            await foreach (var message in _session.ApplicationMessages.ReadAllAsync())
            {
                if (message.MsgType == FixMsgType.OrderCancelReject)
                {
                    if (CancelRejected(message) is { } rejected)
                    {
                        await _executions.Writer.WriteAsync(rejected);
                    }

                    continue;
                }

                if (message.MsgType != FixMsgType.ExecutionReport)
                {
                    continue;
                }

                if (!FixExecutionReport.TryParse(message, out var report, out var error))
                {
                    throw new FormatException($"{Name}: unreadable ExecutionReport: {error}");
                }

                // A report answering a cancel request names the request in ClOrdID(11) and the order in
                // OrigClOrdID(41): the trader tracks orders, so report it under the order's id.
                if (message.TryGetString(FixTag.OrigClOrdId, out var original) && report.ExecType != FixExecType.Replaced)
                {
                    report = report with { ClOrdId = original };
                }

                var unknown = message.TryGetInt(FixTag.OrdRejReason, out var rejReason) && rejReason == FixOrdRejReason.UnknownOrder;
                await _executions.Writer.WriteAsync(ToDomain(report, unknown));
            }

            _executions.Writer.TryComplete();
        }
        catch (Exception ex)
        {
            _executions.Writer.TryComplete(ex);
        }
    }

    /// <summary>An OrderCancelReject for an order we know, as a CancelRejected event (deduplicated on ClOrdID + MsgSeqNum, which a resend keeps).</summary>
    private VenueExecution? CancelRejected(FixMessage message)
    {
        var orig = message.GetString(FixTag.OrigClOrdId);
        if (orig is null || !_orders.TryGetValue(orig, out var order))
        {
            return null;
        }

        var state = message.TryGetChar(FixTag.OrdStatus, out var status) ? ToState((FixOrdStatus)status, message.GetString(FixTag.ExecId) ?? "cancel reject") : OrderState.New;
        var text = message.GetString(FixTag.Text);
        var report = new CoreExecutionReport(
            order.ClientOrderId,
            message.GetString(FixTag.OrderId) ?? "NONE",
            string.Create(CultureInfo.InvariantCulture, $"{orig}:cxlrej:{message.MsgSeqNum}"),
            ExecutionKind.New,
            state.ToOrderStatus(),
            order.Symbol,
            order.Side,
            0,
            Price.FromDecimal(0m),
            0,
            0,
            Timestamp.Now(_clock),
            text);
        return new VenueExecution(OrderStateEvent.CancelRejected, report, state, 0m);
    }

    private VenueExecution ToDomain(FixExecutionReport r, bool unknownOrder)
    {
        var isStatus = r.ExecType == FixExecType.OrderStatus;
        var e = r.ExecType switch
        {
            FixExecType.New or FixExecType.PendingNew or FixExecType.OrderStatus => OrderStateEvent.New,
            FixExecType.Trade or FixExecType.PartialFill or FixExecType.Fill => OrderStateEvent.Trade,
            FixExecType.Canceled => OrderStateEvent.Canceled,
            FixExecType.Expired => OrderStateEvent.Expired,
            FixExecType.Replaced => OrderStateEvent.Replaced,
            FixExecType.Rejected => OrderStateEvent.Rejected,
            FixExecType.PendingCancel => OrderStateEvent.PendingCancel,
            FixExecType.PendingReplace => OrderStateEvent.PendingReplace,
            _ => throw new FormatException($"{Name}: ExecType(150)='{(char)r.ExecType}' of ExecID {r.ExecId} is not supported."),
        };
        var state = ToState(r.OrdStatus, r.ExecId);
        var cum = WholeUnits(r.CumQty, "CumQty(14)", r.ExecId);
        var report = new CoreExecutionReport(
            new ClientOrderId(r.ClOrdId),
            r.OrderId,
            r.ExecId,
            e switch
            {
                OrderStateEvent.Trade => ExecutionKind.Trade,
                OrderStateEvent.Canceled or OrderStateEvent.Expired or OrderStateEvent.Replaced => ExecutionKind.Canceled,
                OrderStateEvent.Rejected => ExecutionKind.Rejected,
                _ => ExecutionKind.New,
            },
            state.ToOrderStatus(),
            _symbols.Get(System.Text.Encoding.ASCII.GetBytes(r.Symbol)),
            r.Side == FixSide.Buy ? Side.Buy : Side.Sell,
            WholeUnits(r.LastQty, "LastQty(32)", r.ExecId),
            Price.FromDecimal(r.LastPx),
            cum,
            WholeUnits(r.LeavesQty, "LeavesQty(151)", r.ExecId),
            Timestamp.FromDateTimeOffset(r.TransactTime),
            r.Text);
        return new VenueExecution(e, report, state, r.AvgPx, isStatus, isStatus && unknownOrder);
    }

    private OrderState ToState(FixOrdStatus status, string execId) => status switch
    {
        FixOrdStatus.New => OrderState.New,
        FixOrdStatus.PartiallyFilled => OrderState.PartiallyFilled,
        FixOrdStatus.Filled => OrderState.Filled,
        FixOrdStatus.Canceled => OrderState.Canceled,
        FixOrdStatus.Rejected => OrderState.Rejected,
        FixOrdStatus.Expired => OrderState.Expired,
        FixOrdStatus.PendingCancel => OrderState.PendingCancel,
        FixOrdStatus.PendingReplace => OrderState.PendingReplace,
        FixOrdStatus.PendingNew => OrderState.PendingNew,
        FixOrdStatus.Replaced => OrderState.Replaced,
        _ => throw new FormatException($"{Name}: OrdStatus(39)='{(char)status}' of ExecID {execId} is not supported."),
    };

    private long WholeUnits(decimal quantity, string field, string execId) =>
        decimal.Truncate(quantity) == quantity
            ? (long)quantity
            : throw new FormatException($"{Name}: {field}={quantity} of ExecID {execId} is not a whole number of units.");
}
