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

    /// <summary>BeginString (8) of the session: <see cref="FixVersions.Fix44"/> (default) or <see cref="FixVersions.Fix42"/>.</summary>
    public string BeginString { get; init; } = FixVersions.Fix44;

    /// <summary>Inbound validation; null uses the built-in dictionary for <see cref="BeginString"/>.</summary>
    public FixDataDictionary? DataDictionary { get; init; }

    /// <summary>
    /// Largest accepted difference between an inbound SendingTime(52) and our clock (FIX's "SendingTime accuracy");
    /// default 2 minutes; null disables the check.
    /// </summary>
    public TimeSpan? MaxSendingTimeSkew { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Connect with TLS (certificate and host-name checks in the options); null (default) is plaintext TCP.</summary>
    public FixTlsClientOptions? Tls { get; init; }
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

    /// <summary>
    /// Resolves the sequence store of a session once its Logon has passed every check (CompIDs, allow-list, not
    /// already logged on), from the session's identity (BeginString, our CompID, the client's CompID). Called at most
    /// once per identity in the acceptor's lifetime: later connections with the same identity reuse the store, so a
    /// client resumes its sequence numbers across reconnects; a durable store (<see cref="FileSequenceStore.PerSession"/>)
    /// also carries them across acceptor restarts. The acceptor disposes the stores (when <see cref="IDisposable"/>)
    /// when it stops. The factory may throw (e.g. an unreadable store file): that Logon is then dropped with the
    /// error as its disconnect reason. Null (default): every connection is a new FIX session starting at 1/1.
    /// </summary>
    public Func<FixSessionId, ISequenceStore>? SequenceStoreFactory { get; init; }

    /// <summary>Called (on the session's read loop) for every discarded garbled frame.</summary>
    public Action<FixSession, FixFrameError>? OnFrameError { get; init; }

    /// <summary>BeginStrings a Logon may carry; the session then speaks that version. Default FIX.4.4 only.</summary>
    public IReadOnlySet<string> BeginStrings { get; init; } = new HashSet<string>(StringComparer.Ordinal) { FixVersions.Fix44 };

    /// <summary>Inbound validation per BeginString; versions not listed (or null) use the built-in dictionaries.</summary>
    public IReadOnlyDictionary<string, FixDataDictionary>? DataDictionaries { get; init; }

    /// <summary>Largest accepted difference between an inbound SendingTime(52) and our clock; default 2 minutes; null disables.</summary>
    public TimeSpan? MaxSendingTimeSkew { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// What a refused Logon gets (wrong TargetCompID, CompID not allowed, already logged on, bad fields or SendingTime):
    /// true (default) sends a Logout whose Text says why before disconnecting, which helps a counterparty fix its
    /// configuration; false just disconnects, as QuickFIX does for sessions it does not know.
    /// </summary>
    public bool SendLogoutOnRejectedLogon { get; init; } = true;

    /// <summary>
    /// Require TLS on every connection (see <see cref="FixTlsServerOptions"/>); null (default) is plaintext TCP. A
    /// plaintext FIX peer gets a Logout "TLS required" in plaintext and is disconnected.
    /// </summary>
    public FixTlsServerOptions? Tls { get; init; }

    /// <summary>
    /// Called for a connection dropped before any session started: a failed TLS handshake, a refused certificate or a
    /// plaintext peer on a TLS acceptor (a <see cref="FixTlsException"/> saying which), with the peer's address.
    /// Runs on the connection's task; must not throw.
    /// </summary>
    public Action<EndPoint?, Exception>? OnConnectionRefused { get; init; }
}

/// <summary>Everything a <see cref="FixSession"/> needs, whichever role created it.</summary>
internal sealed record FixSessionOptions
{
    public required FixSessionRole Role { get; init; }

    public required string SenderCompId { get; init; }

    public string? TargetCompId { get; init; }

    public string BeginString { get; init; } = FixVersions.Fix44;

    public IReadOnlySet<string>? AcceptedBeginStrings { get; init; }

    public Func<string, FixDataDictionary> DictionaryFor { get; init; } = FixDataDictionary.ForBeginString;

    public TimeSpan HeartBtInt { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan LogonTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan LogoutTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public string? LogDirectory { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    public Func<ISequenceStore>? SequenceStoreFactory { get; init; }

    public IReadOnlySet<string>? AllowedTargetCompIds { get; init; }

    public Action<FixSession, FixFrameError>? OnFrameError { get; init; }

    public TimeSpan? MaxSendingTimeSkew { get; init; }

    public bool SendLogoutOnRejectedLogon { get; init; } = true;

    /// <summary>Acceptor: registers the session's identity; false when another connection already holds it.</summary>
    public Func<FixSession, bool>? ClaimIdentity { get; init; }

    /// <summary>Acceptor: the session stopped being logged on (closing); its identity may be claimed again.</summary>
    public Action<FixSession>? ReleaseIdentity { get; init; }
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
