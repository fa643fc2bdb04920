using System.Net;

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

    /// <summary>Replaces the default fill-in-full behaviour (e.g. with an order book). Must be thread-safe.</summary>
    public IOrderMatcher? Matcher { get; init; }

    /// <summary>Prefix of OrderIDs/ExecIDs; default derived from the start time plus a random suffix.</summary>
    public string? RunId { get; init; }
}

/// <summary>Counters of an <see cref="ExchangeSimulator"/> run (a consistent-enough snapshot; each value is exact).</summary>
/// <param name="OrdersReceived">NewOrderSingle messages received.</param>
/// <param name="OrdersFilled">Orders filled completely.</param>
/// <param name="OrdersRejected">Orders refused (ExecType=8 or session Reject for undecodable orders).</param>
/// <param name="CancelsRejected">OrderCancelRequests answered with OrderCancelReject.</param>
public sealed record ExchangeStatistics(long OrdersReceived, long OrdersFilled, long OrdersRejected, long CancelsRejected);
