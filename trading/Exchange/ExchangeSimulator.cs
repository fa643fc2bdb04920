using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using BigDataTrading.Fix;

namespace BigDataTrading.Exchange;

/// <summary>
/// A FIX 4.4 / 4.2 exchange for tests and local runs: accepts sessions on 127.0.0.1, validates each
/// NewOrderSingle, acknowledges it (ExecType=0) and executes it.
/// </summary>
/// <remarks>
/// <para>Two kinds of matching. Default: a stateless <see cref="IOrderMatcher"/> (fill in full at the limit price, or
/// at the reference price for market orders); orders never rest, so OrderCancelRequest and
/// OrderCancelReplaceRequest get OrderCancelReject. With <see cref="ExchangeSimulatorOptions.ExchangeMatcher"/>
/// (an order book or paper mode): orders rest, cancel (35=F) and cancel/replace (35=G) work, and a fill is reported
/// to both parties, each on its own session (a party is a client CompID; reports for a party with no session
/// logged on are dropped and counted in <see cref="ExchangeStatistics.ReportsUndelivered"/>).</para>
/// <para>Invalid orders get ExecType=8 with the reason in Text (and OrdRejReason 103 with a stateful matcher);
/// other application messages get BusinessMessageReject. FIX 4.2 sessions get 4.2 reports (ExecTransType 20=0,
/// ExecType 1/2 for partial/full fills instead of 4.4's F).</para>
/// <para>Thread-safe: sessions run concurrently; ID counters and statistics use interlocked operations. With a
/// stateful matcher every request and its reports are processed one at a time (a gate), so each party receives its
/// reports in the order the book produced them.</para>
/// <para>Quantities and prices are <see cref="decimal"/> (instrument units; quote currency per unit).</para>
/// </remarks>
public sealed class ExchangeSimulator : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, string> _orderIdsByClOrdId = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _logFiles = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, FixSession> _sessionsByParty = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<OrderEvent> _events = [];
    private IExchangeMatcher? _exchangeMatcher;
    private FixAcceptor? _acceptor;
    private IOrderMatcher _matcher = new FillInFullMatcher(null);
    private TimeProvider _time = TimeProvider.System;
    private long _nextOrderId;
    private long _nextExecId;
    private long _ordersReceived;
    private long _ordersFilled;
    private long _ordersRejected;
    private long _cancelsRejected;
    private long _executions;
    private long _ordersCanceled;
    private long _ordersReplaced;
    private long _reportsUndelivered;
    private long _duplicateOrders;
    private long _statusRequests;
    private readonly ExchangeOrderLedger _ledger = new();

    /// <summary>Prefix of every OrderID and ExecID issued by this run.</summary>
    public string RunId { get; private set; } = string.Empty;

    /// <summary>The bound endpoint (valid after <c>StartAsync</c>).</summary>
    public IPEndPoint EndPoint => (_acceptor ?? throw new InvalidOperationException("Not started.")).EndPoint;

    /// <summary>The bound TCP port (valid after <c>StartAsync</c>).</summary>
    public int Port => EndPoint.Port;

    /// <summary>The exchange's CompID.</summary>
    public string SenderCompId { get; private set; } = "BDTX";

    /// <summary>Paths of the message logs of sessions that have logged on (when logging is enabled).</summary>
    public IReadOnlyCollection<string> LogFiles => [.. _logFiles.Keys];

    /// <summary>Sessions whose connection is still open (each exposes <see cref="FixSession.Completion"/>).</summary>
    public IReadOnlyCollection<FixSession> Sessions => _acceptor?.Sessions ?? [];

    /// <summary>Current counters.</summary>
    public ExchangeStatistics Statistics => new(
        Interlocked.Read(ref _ordersReceived),
        Interlocked.Read(ref _ordersFilled),
        Interlocked.Read(ref _ordersRejected),
        Interlocked.Read(ref _cancelsRejected))
    {
        Executions = Interlocked.Read(ref _executions),
        OrdersCanceled = Interlocked.Read(ref _ordersCanceled),
        OrdersReplaced = Interlocked.Read(ref _ordersReplaced),
        ReportsUndelivered = Interlocked.Read(ref _reportsUndelivered),
        DuplicateOrders = Interlocked.Read(ref _duplicateOrders),
        StatusRequests = Interlocked.Read(ref _statusRequests),
    };

    /// <summary>Every order accepted so far, with its current state (whether or not its reports could be delivered).</summary>
    public IReadOnlyList<ExchangeOrderSnapshot> Orders => _ledger.Snapshot();

    /// <summary>The stateful matcher in use, or null with the default fill-in-full behaviour.</summary>
    public IExchangeMatcher? ExchangeMatcher => _exchangeMatcher;

    /// <summary>The exchange's CompID (same as <see cref="SenderCompId"/>): what clients put in TargetCompID (56).</summary>
    public string CompId => SenderCompId;

    /// <summary>
    /// Creates and starts a simulator whose timestamps, heartbeats and timeouts use <paramref name="clock"/>
    /// (overriding <see cref="ExchangeSimulatorOptions.TimeProvider"/>).
    /// </summary>
    public static async Task<ExchangeSimulator> StartAsync(ExchangeSimulatorOptions options, TimeProvider clock, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clock);
        var simulator = new ExchangeSimulator();
        await simulator.StartAsync(options with { TimeProvider = clock }, cancellationToken);
        return simulator;
    }

    /// <summary>Starts listening. Completes once the port is bound.</summary>
    public Task StartAsync(ExchangeSimulatorOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        cancellationToken.ThrowIfCancellationRequested();
        if (_acceptor is not null)
        {
            throw new InvalidOperationException("Already started.");
        }

        _time = options.TimeProvider;
        _matcher = options.Matcher ?? new FillInFullMatcher(options.ReferencePrice);
        _exchangeMatcher = options.ExchangeMatcher;
        SenderCompId = options.SenderCompId;
        RunId = options.RunId ?? string.Create(
            CultureInfo.InvariantCulture,
            $"X{_time.GetUtcNow().UtcDateTime:yyyyMMddHHmmss}{Random.Shared.Next(0x1000, 0x10000):x4}");
        var acceptor = new FixAcceptor(
            new FixAcceptorSettings
            {
                SenderCompId = options.SenderCompId,
                EndPoint = new IPEndPoint(options.Address, options.Port),
                AllowedTargetCompIds = options.AllowedClientCompIds,
                LogDirectory = options.LogDirectory,
                TimeProvider = options.TimeProvider,
                SequenceStoreFactory = options.SequenceStoreFactory,
                BeginStrings = new HashSet<string>(StringComparer.Ordinal) { FixVersions.Fix44, FixVersions.Fix42 },
            },
            new Application(this));
        acceptor.Start();
        _acceptor = acceptor;
        return Task.CompletedTask;
    }

    /// <summary>Logs out every session and stops listening.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) =>
        _acceptor?.StopAsync(cancellationToken) ?? Task.CompletedTask;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_acceptor is not null)
        {
            await _acceptor.DisposeAsync();
        }

        _gate.Dispose();
    }

    /// <summary>
    /// Paper mode: feeds replayed trades to the <see cref="IMarketDataMatcher"/> one by one and sends the fills they
    /// cause; returns the number of trades consumed when the stream ends.
    /// </summary>
    /// <exception cref="InvalidOperationException">The simulator does not run a market-data matcher.</exception>
    public async Task<long> ReplayMarketDataAsync(IAsyncEnumerable<MarketTrade> trades, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trades);
        if (_exchangeMatcher is not IMarketDataMatcher paper)
        {
            throw new InvalidOperationException("The simulator runs no market-data matcher (use PaperMatcher).");
        }

        long count = 0;
        await foreach (var trade in trades.WithCancellation(cancellationToken))
        {
            await _gate.WaitAsync(cancellationToken);
            try
            {
                _events.Clear();
                paper.OnTrade(trade, _events);
                await DeliverAsync(false, cancellationToken);
            }
            finally
            {
                _gate.Release();
            }

            count++;
        }

        return count;
    }

    /// <summary>Stateful path: one request at a time through the matcher, then its reports to every party.</summary>
    private async ValueTask OnMatcherRequestAsync(FixSession session, FixMessage message, IExchangeMatcher matcher, CancellationToken ct)
    {
        var owner = session.TargetCompId ?? string.Empty;
        NewOrderSingle? order = null;
        OrderCancelRequest? cancel = null;
        OrderCancelReplaceRequest? replace = null;
        var error = message.MsgType switch
        {
            FixMsgType.NewOrderSingle => NewOrderSingle.TryParse(message, out order, out var e) ? null : e,
            FixMsgType.OrderCancelRequest => OrderCancelRequest.TryParse(message, out cancel, out var e) ? null : e,
            _ => OrderCancelReplaceRequest.TryParse(message, out replace, out var e) ? null : e,
        };
        if (order is not null || message.MsgType == FixMsgType.NewOrderSingle)
        {
            Interlocked.Increment(ref _ordersReceived);
        }

        if (error is not null)
        {
            if (message.MsgType == FixMsgType.NewOrderSingle)
            {
                Interlocked.Increment(ref _ordersRejected);
            }

            await SendSessionRejectAsync(session, message, error, ct);
            return;
        }

        await _gate.WaitAsync(ct);
        try
        {
            _events.Clear();
            if (order is not null)
            {
                matcher.Submit(owner, order, _events);
            }
            else if (cancel is not null)
            {
                matcher.Cancel(owner, cancel, _events);
            }
            else
            {
                matcher.Replace(owner, replace!, _events);
            }

            // A client resending after a reconnect (PossDupFlag=Y) must not trade twice; it does not need the
            // duplicate-ClOrdID reject either.
            await DeliverAsync(message.IsPossDup, ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Sends <see cref="_events"/> to their parties (caller holds the gate).</summary>
    private async ValueTask DeliverAsync(bool possDup, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        foreach (var e in _events)
        {
            if (possDup && e.Reason == OrderRejectReason.DuplicateClOrdId)
            {
                continue;
            }

            Count(e);
            _ledger.Track(e, OrderIdText(e.OrderId));
            if (!_sessionsByParty.TryGetValue(e.Owner, out var target) || !target.IsLoggedOn)
            {
                Interlocked.Increment(ref _reportsUndelivered);
                continue;
            }

            try
            {
                await target.SendAsync(ToFix(e, target.BeginString, now), ct);
            }
            catch (Exception ex) when (ex is FixSessionException or ObjectDisposedException or IOException or InvalidOperationException)
            {
                // The other party's connection died under us: its report is lost, the requester's are not.
                Interlocked.Increment(ref _reportsUndelivered);
            }
        }
    }

    private void Count(in OrderEvent e)
    {
        switch (e.Kind)
        {
            case OrderEventKind.Rejected:
                Interlocked.Increment(ref _ordersRejected);
                if (e.Reason == OrderRejectReason.DuplicateClOrdId)
                {
                    Interlocked.Increment(ref _duplicateOrders);
                }

                break;
            case OrderEventKind.Trade:
                Interlocked.Increment(ref _executions);
                if (e.OrdStatus == FixOrdStatus.Filled)
                {
                    Interlocked.Increment(ref _ordersFilled);
                }

                break;
            case OrderEventKind.Canceled:
                Interlocked.Increment(ref _ordersCanceled);
                break;
            case OrderEventKind.Replaced:
                Interlocked.Increment(ref _ordersReplaced);
                break;
            case OrderEventKind.CancelRejected:
                Interlocked.Increment(ref _cancelsRejected);
                break;
        }
    }

    private FixMessageBuilder ToFix(in OrderEvent e, string beginString, DateTimeOffset now)
    {
        var orderId = OrderIdText(e.OrderId);
        if (e.Kind == OrderEventKind.CancelRejected)
        {
            var reject = new FixMessageBuilder(FixMsgType.OrderCancelReject)
                .Set(FixTag.OrderId, orderId)
                .Set(FixTag.ClOrdId, e.ClOrdId)
                .Set(FixTag.OrigClOrdId, e.OrigClOrdId ?? "NONE")
                .Set(FixTag.OrdStatus, (char)e.OrdStatus)
                .Set(FixTag.CxlRejResponseTo, e.IsReplaceResponse ? '2' : '1')
                .Set(FixTag.CxlRejReason, e.Reason.ToCxlRejReason());
            return e.Text is { Length: > 0 } text ? reject.Set(FixTag.Text, text) : reject;
        }

        var fix42 = beginString == FixVersions.Fix42;
        var execType = e.Kind switch
        {
            OrderEventKind.New => FixExecType.New,
            OrderEventKind.Trade when fix42 => e.OrdStatus == FixOrdStatus.Filled ? FixExecType.Fill : FixExecType.PartialFill,
            OrderEventKind.Trade => FixExecType.Trade,
            OrderEventKind.Canceled => FixExecType.Canceled,
            OrderEventKind.Replaced => FixExecType.Replaced,
            _ => FixExecType.Rejected,
        };
        var builder = new ExecutionReport
        {
            OrderId = orderId,
            ClOrdId = e.ClOrdId,
            ExecId = NextExecId(),
            ExecType = execType,
            OrdStatus = e.OrdStatus,
            Symbol = e.Symbol,
            Side = e.Side,
            OrderQty = e.OrderQty,
            Price = e.Price,
            LastQty = e.LastQty,
            LastPx = e.LastPx,
            LeavesQty = e.LeavesQty,
            CumQty = e.CumQty,
            AvgPx = e.AvgPx,
            TransactTime = now,
            Text = e.Text,
        }.ToBuilder();
        builder.Set(FixTag.OrdType, (char)e.OrdType);
        if (e.OrigClOrdId is { } orig)
        {
            builder.Set(FixTag.OrigClOrdId, orig);
        }

        if (e.Kind == OrderEventKind.Rejected)
        {
            builder.Set(FixTag.OrdRejReason, e.Reason.ToOrdRejReason());
        }

        if (fix42)
        {
            builder.Set(FixTag.ExecTransType, '0');
        }

        return builder;
    }

    private string OrderIdText(long orderId) => orderId == 0 ? "NONE" : RunId + "-O" + orderId.ToString(CultureInfo.InvariantCulture);

    private string NextExecId() => RunId + "-E" + Interlocked.Increment(ref _nextExecId).ToString(CultureInfo.InvariantCulture);

    /// <summary>Sends an ExecutionReport in the session's FIX version (4.2 wants ExecTransType and ExecType 1/2 for fills).</summary>
    private static Task SendReportAsync(FixSession session, ExecutionReport report, CancellationToken ct)
    {
        if (session.BeginString != FixVersions.Fix42)
        {
            return session.SendAsync(report, ct);
        }

        var fix42 = report.ExecType == FixExecType.Trade
            ? report with { ExecType = report.OrdStatus == FixOrdStatus.Filled ? FixExecType.Fill : FixExecType.PartialFill }
            : report;
        return session.SendAsync(fix42.ToBuilder().Set(FixTag.ExecTransType, '0'), ct);
    }

    /// <summary>Records the order's new state in the ledger, then sends the report (the ledger is right even if the send fails).</summary>
    private Task SendTrackedAsync(FixSession session, string owner, ExecutionReport report, CancellationToken ct)
    {
        _ledger.Track(owner, report);
        return SendReportAsync(session, report, ct);
    }

    /// <summary>
    /// OrderStatusRequest (35=H): answers with an ExecutionReport ExecType=I carrying the order's current state, or
    /// OrdStatus=Rejected with OrdRejReason 5 when this party never sent an order with that ClOrdID.
    /// </summary>
    private async ValueTask OnStatusRequestAsync(FixSession session, FixMessage message, CancellationToken ct)
    {
        if (!OrderStatusRequest.TryParse(message, out var request, out var error))
        {
            await SendSessionRejectAsync(session, message, error, ct);
            return;
        }

        Interlocked.Increment(ref _statusRequests);
        var stateful = _exchangeMatcher is not null;
        if (stateful)
        {
            // Serialized with matching, so the answer reflects every report sent before it.
            await _gate.WaitAsync(ct);
        }

        try
        {
            var owner = session.TargetCompId ?? string.Empty;
            var now = _time.GetUtcNow();
            ExecutionReport answer;
            if (_ledger.TryGet(owner, request.ClOrdId, out var order))
            {
                answer = new ExecutionReport
                {
                    OrderId = order!.OrderId,
                    ClOrdId = order.ClOrdId,
                    ExecId = NextExecId(),
                    ExecType = FixExecType.OrderStatus,
                    OrdStatus = order.OrdStatus,
                    Symbol = order.Symbol,
                    Side = order.Side,
                    OrderQty = order.OrderQty,
                    Price = order.Price,
                    LeavesQty = order.LeavesQty,
                    CumQty = order.CumQty,
                    AvgPx = order.AvgPx,
                    TransactTime = now,
                };
            }
            else
            {
                answer = new ExecutionReport
                {
                    OrderId = "NONE",
                    ClOrdId = request.ClOrdId,
                    ExecId = NextExecId(),
                    ExecType = FixExecType.OrderStatus,
                    OrdStatus = FixOrdStatus.Rejected,
                    Symbol = request.Symbol,
                    Side = request.Side,
                    OrderQty = 0,
                    LeavesQty = 0,
                    CumQty = 0,
                    TransactTime = now,
                    Text = "unknown order",
                };
            }

            var builder = answer.ToBuilder();
            if (answer.OrderId == "NONE")
            {
                builder.Set(FixTag.OrdRejReason, FixOrdRejReason.UnknownOrder);
            }

            if (request.OrdStatusReqId is { } reqId)
            {
                builder.Set(FixTag.OrdStatusReqId, reqId);
            }

            if (session.BeginString == FixVersions.Fix42)
            {
                builder.Set(FixTag.ExecTransType, '3');
            }

            await session.SendAsync(builder, ct);
        }
        finally
        {
            if (stateful)
            {
                _gate.Release();
            }
        }
    }

    private static Task SendSessionRejectAsync(FixSession session, FixMessage message, string decodeError, CancellationToken ct)
    {
        // Without the required fields there is no well-formed ExecutionReport to send: refuse at session level.
        var reject = new FixMessageBuilder(FixMsgType.Reject)
            .Set(FixTag.RefSeqNum, message.MsgSeqNum)
            .Set(FixTag.RefMsgType, message.MsgType)
            .Set(FixTag.SessionRejectReason, decodeError.Contains("missing", StringComparison.Ordinal) ? 1 : 6)
            .Set(FixTag.Text, decodeError);
        return session.SendAsync(reject, ct);
    }

    private async ValueTask OnNewOrderAsync(FixSession session, FixMessage message, CancellationToken ct)
    {
        // A client resending after a reconnect (PossDupFlag=Y) must not trade the same order twice.
        if (message.IsPossDup && message.TryGetString(FixTag.ClOrdId, out var resentClOrdId) && _orderIdsByClOrdId.ContainsKey(resentClOrdId))
        {
            return;
        }

        Interlocked.Increment(ref _ordersReceived);
        if (!NewOrderSingle.TryParse(message, out var order, out var decodeError))
        {
            Interlocked.Increment(ref _ordersRejected);
            await SendSessionRejectAsync(session, message, decodeError, ct);
            return;
        }

        var owner = session.TargetCompId ?? string.Empty;
        if (_orderIdsByClOrdId.ContainsKey(order.ClOrdId))
        {
            // A ClOrdID is used once: a second order under it is refused, never traded again.
            Interlocked.Increment(ref _ordersRejected);
            Interlocked.Increment(ref _duplicateOrders);
            var duplicate = Report(order, "NONE", FixExecType.Rejected, FixOrdStatus.Rejected, _time.GetUtcNow()) with { LeavesQty = 0, Text = "duplicate ClOrdID" };
            await session.SendAsync(duplicate.ToBuilder().Set(FixTag.OrdRejReason, OrderRejectReason.DuplicateClOrdId.ToOrdRejReason()), ct);
            return;
        }

        var reason = Validate(order);
        var match = reason is null ? _matcher.Match(order) : null;
        reason ??= match!.RejectReason;
        var now = _time.GetUtcNow();
        if (reason is not null)
        {
            Interlocked.Increment(ref _ordersRejected);
            await SendReportAsync(session, Report(order, "NONE", FixExecType.Rejected, FixOrdStatus.Rejected, now) with { LeavesQty = 0, Text = reason }, ct);
            return;
        }

        var orderId = RunId + "-O" + Interlocked.Increment(ref _nextOrderId).ToString(CultureInfo.InvariantCulture);
        _orderIdsByClOrdId[order.ClOrdId] = orderId;
        await SendTrackedAsync(session, owner, Report(order, orderId, FixExecType.New, FixOrdStatus.New, now), ct);

        decimal cum = 0, notional = 0;
        foreach (var fill in match!.Fills)
        {
            cum += fill.Quantity;
            notional += fill.Quantity * fill.Price;
            var leaves = order.OrderQty - cum;
            await SendTrackedAsync(
                session,
                owner,
                Report(order, orderId, FixExecType.Trade, leaves == 0 ? FixOrdStatus.Filled : FixOrdStatus.PartiallyFilled, _time.GetUtcNow()) with
                {
                    LastQty = fill.Quantity,
                    LastPx = fill.Price,
                    CumQty = cum,
                    LeavesQty = leaves,
                    AvgPx = notional / cum,
                },
                ct);
        }

        if (cum == order.OrderQty)
        {
            Interlocked.Increment(ref _ordersFilled);
        }
        else if (order.TimeInForce is FixTimeInForce.ImmediateOrCancel or FixTimeInForce.FillOrKill)
        {
            // Whatever did not execute immediately is canceled for IOC/FOK.
            await SendTrackedAsync(
                session,
                owner,
                Report(order, orderId, FixExecType.Canceled, FixOrdStatus.Canceled, _time.GetUtcNow()) with
                {
                    CumQty = cum,
                    LeavesQty = 0,
                    AvgPx = cum == 0 ? 0 : notional / cum,
                },
                ct);
        }
    }

    private async ValueTask OnCancelRequestAsync(FixSession session, FixMessage message, bool replace, CancellationToken ct)
    {
        Interlocked.Increment(ref _cancelsRejected);
        var origClOrdId = message.GetString(FixTag.OrigClOrdId) ?? "NONE";
        var known = _orderIdsByClOrdId.TryGetValue(origClOrdId, out var orderId);
        // Orders never rest with the fill-in-full matcher, so a cancel is always too late (or for an unknown order).
        var reject = new FixMessageBuilder(FixMsgType.OrderCancelReject)
            .Set(FixTag.OrderId, orderId ?? "NONE")
            .Set(FixTag.ClOrdId, message.GetString(FixTag.ClOrdId) ?? "NONE")
            .Set(FixTag.OrigClOrdId, origClOrdId)
            .Set(FixTag.OrdStatus, known ? (char)FixOrdStatus.Filled : (char)FixOrdStatus.Rejected)
            .Set(FixTag.CxlRejResponseTo, replace ? '2' : '1')
            .Set(FixTag.CxlRejReason, known ? 0 : 1)
            .Set(FixTag.Text, known ? "order already filled" : "unknown order");
        await session.SendAsync(reject, ct);
    }

    private static string? Validate(NewOrderSingle order)
    {
        if (order.OrderQty <= 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"OrderQty must be positive (was {order.OrderQty})");
        }

        if (!Enum.IsDefined(order.Side))
        {
            return $"unsupported Side '{(char)order.Side}'";
        }

        if (!Enum.IsDefined(order.OrdType))
        {
            return $"unsupported OrdType '{(char)order.OrdType}'";
        }

        if (!Enum.IsDefined(order.TimeInForce))
        {
            return $"unsupported TimeInForce '{(char)order.TimeInForce}'";
        }

        if (order.OrdType == FixOrdType.Limit && order.Price is not > 0m)
        {
            return "limit order requires a positive Price";
        }

        return null;
    }

    private ExecutionReport Report(NewOrderSingle order, string orderId, FixExecType execType, FixOrdStatus status, DateTimeOffset now) => new()
    {
        OrderId = orderId,
        ClOrdId = order.ClOrdId,
        ExecId = RunId + "-E" + Interlocked.Increment(ref _nextExecId).ToString(CultureInfo.InvariantCulture),
        ExecType = execType,
        OrdStatus = status,
        Symbol = order.Symbol,
        Side = order.Side,
        OrderQty = order.OrderQty,
        Price = order.OrdType == FixOrdType.Limit ? order.Price : null,
        LeavesQty = order.OrderQty,
        CumQty = 0,
        TransactTime = now,
    };

    /// <summary>Adapter so the acceptor's callbacks stay off the simulator's public surface.</summary>
    private sealed class Application(ExchangeSimulator owner) : IFixApplication
    {
        public ValueTask OnMessageAsync(FixSession session, FixMessage message, CancellationToken cancellationToken) => message.MsgType switch
        {
            FixMsgType.NewOrderSingle or FixMsgType.OrderCancelRequest or FixMsgType.OrderCancelReplaceRequest when owner._exchangeMatcher is { } matcher
                => owner.OnMatcherRequestAsync(session, message, matcher, cancellationToken),
            FixMsgType.NewOrderSingle => owner.OnNewOrderAsync(session, message, cancellationToken),
            FixMsgType.OrderStatusRequest => owner.OnStatusRequestAsync(session, message, cancellationToken),
            FixMsgType.OrderCancelRequest => owner.OnCancelRequestAsync(session, message, replace: false, cancellationToken),
            FixMsgType.OrderCancelReplaceRequest => owner.OnCancelRequestAsync(session, message, replace: true, cancellationToken),
            // A client refusing one of our messages needs no answer.
            FixMsgType.Reject or FixMsgType.BusinessMessageReject => ValueTask.CompletedTask,
            _ => new ValueTask(session.SendAsync(
                new FixMessageBuilder(FixMsgType.BusinessMessageReject)
                    .Set(FixTag.RefSeqNum, message.MsgSeqNum)
                    .Set(FixTag.RefMsgType, message.MsgType)
                    .Set(FixTag.BusinessRejectReason, 3)
                    .Set(FixTag.Text, $"unsupported MsgType {message.MsgType}"),
                cancellationToken)),
        };

        public void OnLogon(FixSession session)
        {
            if (session.LogFilePath is { } path)
            {
                owner._logFiles.TryAdd(path, 0);
            }

            // The party is the client's CompID: fills of its resting orders go to its latest session.
            if (session.TargetCompId is { } party)
            {
                owner._sessionsByParty[party] = session;
            }
        }

        public void OnSessionClosed(FixSession session)
        {
            if (session.TargetCompId is { } party)
            {
                owner._sessionsByParty.TryRemove(new KeyValuePair<string, FixSession>(party, session));
            }
        }
    }
}
