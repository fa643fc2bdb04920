using System.Net;

namespace BigDataTrading.Fix;

/// <summary>Settings for an initiator session (see <see cref="FixInitiator.ConnectAsync"/>). Immutable.</summary>
public sealed record FixSessionSettings
{
    /// <summary>Our CompID (49 on outbound messages).</summary>
    public required string SenderCompId { get; init; }

    /// <summary>The acceptor's CompID (56 on outbound messages); inbound 49 must equal it.</summary>
    public required string TargetCompId { get; init; }

    /// <summary>HeartBtInt (108) proposed in our Logon; FIX requires whole seconds. Default 30 s.</summary>
    public TimeSpan HeartBtInt { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long to wait for the Logon reply. Default 10 s.</summary>
    public TimeSpan LogonTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long to wait for the peer's Logout reply / connection close. Default 5 s.</summary>
    public TimeSpan LogoutTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Directory for the per-session message log; null disables logging.</summary>
    public string? LogDirectory { get; init; }

    /// <summary>Clock and timer source (heartbeats, timeouts, SendingTime). Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Creates the sequence store for a new session; default <see cref="InMemorySequenceStore"/>.</summary>
    public Func<ISequenceStore>? SequenceStoreFactory { get; init; }

    /// <summary>Called (on the read loop) for every discarded garbled frame; it is also written to the message log.</summary>
    public Action<FixSession, FixFrameError>? OnFrameError { get; init; }
}

/// <summary>Settings for a <see cref="FixAcceptor"/>. Immutable.</summary>
public sealed record FixAcceptorSettings
{
    /// <summary>Our CompID: inbound Logons must carry it as TargetCompID (56).</summary>
    public required string SenderCompId { get; init; }

    /// <summary>Where to listen. Default 127.0.0.1 port 0 (ephemeral; read <see cref="FixAcceptor.Port"/>).</summary>
    public IPEndPoint EndPoint { get; init; } = new(IPAddress.Loopback, 0);

    /// <summary>When set, only these SenderCompIDs may log on; null accepts any.</summary>
    public IReadOnlySet<string>? AllowedTargetCompIds { get; init; }

    /// <summary>How long a new connection may take to send its Logon. Default 10 s.</summary>
    public TimeSpan LogonTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long to wait for the peer's Logout reply / connection close. Default 5 s.</summary>
    public TimeSpan LogoutTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Directory for the per-session message logs; null disables logging.</summary>
    public string? LogDirectory { get; init; }

    /// <summary>Clock and timer source. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Creates the sequence store for each new session; default <see cref="InMemorySequenceStore"/>.</summary>
    public Func<ISequenceStore>? SequenceStoreFactory { get; init; }

    /// <summary>Called (on the session's read loop) for every discarded garbled frame.</summary>
    public Action<FixSession, FixFrameError>? OnFrameError { get; init; }
}

/// <summary>Which side of the TCP connection a session is.</summary>
public enum FixSessionRole
{
    /// <summary>Connected out and sent the first Logon.</summary>
    Initiator,

    /// <summary>Accepted the connection and answered the Logon.</summary>
    Acceptor,
}

/// <summary>The session could not log on or was closed while an operation was waiting on it.</summary>
public sealed class FixSessionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FixSessionException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public FixSessionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public FixSessionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
