using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using BigDataTrading.Fix;

namespace BigDataTrading.Exchange;

/// <summary>
/// A FIX 4.4 exchange for tests and local runs: accepts sessions on 127.0.0.1, validates each NewOrderSingle,
/// acknowledges it (ExecType=0) and executes it through an <see cref="IOrderMatcher"/> (default: fill in full at
/// the limit price, or at the reference price for market orders). Invalid orders get ExecType=8 with the reason in
/// Text. OrderCancelRequests are answered with OrderCancelReject (orders never rest with the default matcher);
/// other application messages with BusinessMessageReject.
/// </summary>
/// <remarks>
/// Thread-safe: sessions run concurrently; ID counters and statistics use interlocked operations.
/// Quantities and prices are <see cref="decimal"/> (instrument units; quote currency per unit).
/// </remarks>
public sealed class ExchangeSimulator : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, string> _orderIdsByClOrdId = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _logFiles = new(StringComparer.Ordinal);
    private FixAcceptor? _acceptor;
    private IOrderMatcher _matcher = new FillInFullMatcher(null);
    private TimeProvider _time = TimeProvider.System;
    private long _nextOrderId;
    private long _nextExecId;
    private long _ordersReceived;
    private long _ordersFilled;
    private long _ordersRejected;
    private long _cancelsRejected;

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
        Interlocked.Read(ref _cancelsRejected));

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
            // Without the required fields there is no well-formed ExecutionReport to send: refuse at session level.
            Interlocked.Increment(ref _ordersRejected);
            var reject = new FixMessageBuilder(FixMsgType.Reject)
                .Set(FixTag.RefSeqNum, message.MsgSeqNum)
                .Set(FixTag.RefMsgType, message.MsgType)
                .Set(FixTag.SessionRejectReason, decodeError.Contains("missing", StringComparison.Ordinal) ? 1 : 6)
                .Set(FixTag.Text, decodeError);
            await session.SendAsync(reject, ct);
            return;
        }

        var reason = Validate(order);
        var match = reason is null ? _matcher.Match(order) : null;
        reason ??= match!.RejectReason;
        var now = _time.GetUtcNow();
        if (reason is not null)
        {
            Interlocked.Increment(ref _ordersRejected);
            await session.SendAsync(Report(order, "NONE", FixExecType.Rejected, FixOrdStatus.Rejected, now) with { LeavesQty = 0, Text = reason }, ct);
            return;
        }

        var orderId = RunId + "-O" + Interlocked.Increment(ref _nextOrderId).ToString(CultureInfo.InvariantCulture);
        _orderIdsByClOrdId[order.ClOrdId] = orderId;
        await session.SendAsync(Report(order, orderId, FixExecType.New, FixOrdStatus.New, now), ct);

        decimal cum = 0, notional = 0;
        foreach (var fill in match!.Fills)
        {
            cum += fill.Quantity;
            notional += fill.Quantity * fill.Price;
            var leaves = order.OrderQty - cum;
            await session.SendAsync(
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
            await session.SendAsync(
                Report(order, orderId, FixExecType.Canceled, FixOrdStatus.Canceled, _time.GetUtcNow()) with
                {
                    CumQty = cum,
                    LeavesQty = 0,
                    AvgPx = cum == 0 ? 0 : notional / cum,
                },
                ct);
        }
    }

    private async ValueTask OnCancelRequestAsync(FixSession session, FixMessage message, CancellationToken ct)
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
            .Set(FixTag.CxlRejResponseTo, '1')
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
            FixMsgType.NewOrderSingle => owner.OnNewOrderAsync(session, message, cancellationToken),
            FixMsgType.OrderCancelRequest => owner.OnCancelRequestAsync(session, message, cancellationToken),
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
        }
    }
}
