using System.Net;
using BigDataTrading.Fix;

namespace BigDataTrading.Exchange;

/// <summary>Configuration of an <see cref="ExchangeSimulator"/>. Immutable.</summary>
public sealed record ExchangeSimulatorOptions
{
    /// <summary>Address to listen on. Default 127.0.0.1.</summary>
    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <summary>TCP port; 0 (default) picks an ephemeral port, see <see cref="ExchangeSimulator.Port"/>.</summary>
    public int Port { get; init; }

    /// <summary>The exchange's CompID; clients must send it as TargetCompID (56). Default "BDTX".</summary>
    public string SenderCompId { get; init; } = "BDTX";

    /// <summary>When set, only these client SenderCompIDs may log on; null accepts any.</summary>
    public IReadOnlySet<string>? AllowedClientCompIds { get; init; }

    /// <summary>Directory for the per-session FIX message logs; null disables logging.</summary>
    public string? LogDirectory { get; init; }

    /// <summary>Clock for timestamps, heartbeats and timeouts. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Price at which market orders fill, per symbol (null = unknown → the order is rejected).
    /// Used by the default <see cref="FillInFullMatcher"/>; must be thread-safe.</summary>
    public Func<string, decimal?>? ReferencePrice { get; init; }

    /// <summary>Replaces the default fill-in-full behaviour with another stateless matcher. Must be thread-safe.</summary>
    public IOrderMatcher? Matcher { get; init; }

    /// <summary>
    /// A stateful matcher (<see cref="OrderBookMatcher"/>, <see cref="PaperMatcher"/>): orders rest, cancel and
    /// cancel/replace work, fills reach every party involved. Takes precedence over <see cref="Matcher"/>.
    /// Null (default) keeps the fill-in-full behaviour.
    /// </summary>
    public IExchangeMatcher? ExchangeMatcher { get; init; }

    /// <summary>Prefix of OrderIDs/ExecIDs; default derived from the start time plus a random suffix.</summary>
    public string? RunId { get; init; }

    /// <summary>
    /// Creates the sequence store of each client's FIX session from its identity (see
    /// <see cref="FixAcceptorSettings.SequenceStoreFactory"/>): called once per identity, and the store is kept for
    /// the client's later connections, so a trader restarted after a crash resumes with resend/gap fill instead of
    /// starting over. <see cref="FileSequenceStore.PerSession"/> keeps every client's session across exchange
    /// restarts too. Null (default) starts every connection at 1/1.
    /// </summary>
    public Func<FixSessionId, ISequenceStore>? SequenceStoreFactory { get; init; }
}

/// <summary>Counters of an <see cref="ExchangeSimulator"/> run (a consistent-enough snapshot; each value is exact).</summary>
/// <param name="OrdersReceived">NewOrderSingle messages received.</param>
/// <param name="OrdersFilled">Orders filled completely.</param>
/// <param name="OrdersRejected">Orders refused (ExecType=8 or session Reject for undecodable orders).</param>
/// <param name="CancelsRejected">OrderCancelRequests answered with OrderCancelReject.</param>
public sealed record ExchangeStatistics(long OrdersReceived, long OrdersFilled, long OrdersRejected, long CancelsRejected)
{
    /// <summary>Fills reported (one per party per match), with a stateful matcher.</summary>
    public long Executions { get; init; }

    /// <summary>Orders canceled on request or because their unfilled rest could not rest (IOC, market).</summary>
    public long OrdersCanceled { get; init; }

    /// <summary>Successful cancel/replace requests.</summary>
    public long OrdersReplaced { get; init; }

    /// <summary>Reports that could not be sent because their party had no session logged on (they are dropped).</summary>
    public long ReportsUndelivered { get; init; }

    /// <summary>NewOrderSingles refused because their ClOrdID was already used (not counting ignored PossDup resends).</summary>
    public long DuplicateOrders { get; init; }

    /// <summary>OrderStatusRequests answered.</summary>
    public long StatusRequests { get; init; }
}
