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
public sealed record FixVenueOptions(string Host, int Port, string SenderCompId, string TargetCompId, string? LogDirectory, int HeartbeatSeconds = 30);

/// <summary>
/// An <see cref="IOrderVenue"/> over a FIX 4.4 initiator session: orders go out as NewOrderSingle, ExecutionReports
/// come back normalized to the domain's <see cref="CoreExecutionReport"/>. Messages the venue sends that cannot be
/// mapped are not dropped: they end the execution stream with an exception naming the message and field.
/// </summary>
public sealed class FixOrderVenue : IOrderVenue
{
    private readonly FixInitiator _session;
    private readonly Channel<CoreExecutionReport> _executions = Channel.CreateUnbounded<CoreExecutionReport>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly SymbolCache _symbols = new();
    private readonly Task _pump;

    private readonly TimeProvider _clock;

    private FixOrderVenue(FixInitiator session, string name, TimeProvider clock)
    {
        _session = session;
        _clock = clock;
        Name = name;
        _pump = Task.Run(PumpAsync);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public ChannelReader<CoreExecutionReport> Executions => _executions.Reader;

    /// <summary>Connects and logs on; completes once the venue has answered the Logon.</summary>
    /// <exception cref="FixSessionException">The venue refused the session.</exception>
    /// <exception cref="TimeoutException">The venue did not answer the Logon in time.</exception>
    public static async Task<FixOrderVenue> ConnectAsync(FixVenueOptions options, TimeProvider clock, CancellationToken ct)
    {
        var settings = new FixSessionSettings
        {
            SenderCompId = options.SenderCompId,
            TargetCompId = options.TargetCompId,
            HeartBtInt = TimeSpan.FromSeconds(options.HeartbeatSeconds),
            LogDirectory = options.LogDirectory,
            TimeProvider = clock,
        };
        var session = await FixInitiator.ConnectAsync(options.Host, options.Port, settings, ct);
        return new FixOrderVenue(session, $"FIX {options.TargetCompId}@{options.Host}:{options.Port}", clock);
    }

    /// <inheritdoc />
    public Task SendAsync(Order order, CancellationToken ct) =>
        _session.SendAsync(
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

    /// <inheritdoc />
    public Task CancelAsync(Order order, CancellationToken ct) =>
        _session.SendAsync(
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

    private async Task PumpAsync()
    {
        try
        {
            await foreach (var message in _session.ApplicationMessages.ReadAllAsync())
            {
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
                if (message.TryGetString(FixTag.OrigClOrdId, out var original))
                {
                    report = report with { ClOrdId = original };
                }

                await _executions.Writer.WriteAsync(ToDomain(report));
            }

            _executions.Writer.TryComplete();
        }
        catch (Exception ex)
        {
            _executions.Writer.TryComplete(ex);
        }
    }

    private CoreExecutionReport ToDomain(FixExecutionReport r) => new(
        new ClientOrderId(r.ClOrdId),
        r.OrderId,
        r.ExecId,
        r.ExecType switch
        {
            FixExecType.New => ExecutionKind.New,
            FixExecType.Trade or FixExecType.PartialFill or FixExecType.Fill => ExecutionKind.Trade,
            FixExecType.Canceled or FixExecType.Expired => ExecutionKind.Canceled,
            FixExecType.Rejected => ExecutionKind.Rejected,
            _ => throw new FormatException($"{Name}: ExecType(150)='{(char)r.ExecType}' of ExecID {r.ExecId} is not supported."),
        },
        r.OrdStatus switch
        {
            FixOrdStatus.New => OrderStatus.New,
            FixOrdStatus.PartiallyFilled => OrderStatus.PartiallyFilled,
            FixOrdStatus.Filled => OrderStatus.Filled,
            FixOrdStatus.Canceled or FixOrdStatus.Expired => OrderStatus.Canceled,
            FixOrdStatus.Rejected => OrderStatus.Rejected,
            _ => throw new FormatException($"{Name}: OrdStatus(39)='{(char)r.OrdStatus}' of ExecID {r.ExecId} is not supported."),
        },
        _symbols.Get(System.Text.Encoding.ASCII.GetBytes(r.Symbol)),
        r.Side == FixSide.Buy ? Side.Buy : Side.Sell,
        WholeUnits(r.LastQty, "LastQty(32)", r.ExecId),
        Price.FromDecimal(r.LastPx),
        WholeUnits(r.CumQty, "CumQty(14)", r.ExecId),
        WholeUnits(r.LeavesQty, "LeavesQty(151)", r.ExecId),
        Timestamp.FromDateTimeOffset(r.TransactTime),
        r.Text);

    private long WholeUnits(decimal quantity, string field, string execId) =>
        decimal.Truncate(quantity) == quantity
            ? (long)quantity
            : throw new FormatException($"{Name}: {field}={quantity} of ExecID {execId} is not a whole number of units.");
}
