using System.Net.Sockets;
using System.Threading.Channels;

namespace BigDataTrading.Fix;

/// <summary>
/// The client side of a FIX session: connects, logs on, and exposes inbound application messages
/// (ExecutionReports etc.) on <see cref="ApplicationMessages"/>.
/// </summary>
/// <remarks>
/// Thread-safe: <see cref="SendAsync"/> may be called concurrently. <see cref="ApplicationMessages"/> yields messages
/// in MsgSeqNum order and completes when the session ends. Decode with e.g.
/// <see cref="ExecutionReport.TryParse"/> when <see cref="FixMessage.MsgType"/> is <see cref="FixMsgType.ExecutionReport"/>;
/// session-level Rejects (35=3) are delivered too.
/// </remarks>
public sealed class FixInitiator : IAsyncDisposable
{
    private readonly Channel<FixMessage> _inbound;

    private FixInitiator(FixSession session, Channel<FixMessage> inbound)
    {
        Session = session;
        _inbound = inbound;
    }

    /// <summary>The underlying session (sequence numbers, log path, disconnect reason).</summary>
    public FixSession Session { get; }

    /// <summary>Inbound application messages, in order; completes when the session closes.</summary>
    public ChannelReader<FixMessage> ApplicationMessages => _inbound.Reader;

    /// <summary>
    /// Connects to <paramref name="host"/>:<paramref name="port"/>, sends Logon and waits for the Logon reply
    /// (up to <see cref="FixSessionSettings.LogonTimeout"/>).
    /// </summary>
    /// <exception cref="FixSessionException">The acceptor refused or closed the session before logging on.</exception>
    /// <exception cref="TimeoutException">No Logon reply in time.</exception>
    /// <exception cref="FixTlsException">With <see cref="FixSessionSettings.Tls"/>: the handshake failed or the acceptor's certificate was refused.</exception>
    public static Task<FixInitiator> ConnectAsync(string host, int port, FixSessionSettings settings, CancellationToken cancellationToken = default)
    {
        ValidateSettings(host, settings);
        var inbound = Channel.CreateUnbounded<FixMessage>(new UnboundedChannelOptions { SingleWriter = true });
        return ConnectCoreAsync(host, port, settings, inbound, completeInboundOnClose: true, onSessionCreated: null, cancellationToken);
    }

    /// <summary>Throws <see cref="ArgumentException"/> for settings no connection can use.</summary>
    internal static void ValidateSettings(string host, FixSessionSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentException.ThrowIfNullOrEmpty(host);
        if (settings.HeartBtInt < TimeSpan.FromSeconds(1) || settings.HeartBtInt.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            throw new ArgumentException("HeartBtInt must be a whole number of seconds (at least 1).", nameof(settings));
        }
    }

    /// <summary>
    /// One connection: inbound application messages go to <paramref name="inbound"/>, which a
    /// <see cref="ReconnectingFixInitiator"/> keeps open across connections (<paramref name="completeInboundOnClose"/>
    /// false). <paramref name="onSessionCreated"/> sees the session before Logon, so a failed Logon can be classified.
    /// </summary>
    internal static async Task<FixInitiator> ConnectCoreAsync(
        string host,
        int port,
        FixSessionSettings settings,
        Channel<FixMessage> inbound,
        bool completeInboundOnClose,
        Action<FixSession>? onSessionCreated,
        CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(host, port, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        Stream? transport = null;
        if (settings.Tls is { } tls)
        {
            try
            {
                transport = await FixTls.AuthenticateAsClientAsync(new NetworkStream(socket, ownsSocket: false), host, port, tls, settings.TimeProvider, cancellationToken);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        var dictionary = settings.DataDictionary;
        var session = new FixSession(
            socket,
            new FixSessionOptions
            {
                Role = FixSessionRole.Initiator,
                SenderCompId = settings.SenderCompId,
                TargetCompId = settings.TargetCompId,
                BeginString = settings.BeginString,
                DictionaryFor = dictionary is null ? FixDataDictionary.ForBeginString : _ => dictionary,
                HeartBtInt = settings.HeartBtInt,
                LogonTimeout = settings.LogonTimeout,
                LogoutTimeout = settings.LogoutTimeout,
                LogDirectory = settings.LogDirectory,
                TimeProvider = settings.TimeProvider,
                SequenceStoreFactory = settings.SequenceStoreFactory,
                OnFrameError = settings.OnFrameError,
                MaxSendingTimeSkew = settings.MaxSendingTimeSkew,
            },
            (_, message, ct) => inbound.Writer.WriteAsync(message, ct),
            onLogon: null,
            onClosed: completeInboundOnClose ? _ => inbound.Writer.TryComplete() : null,
            transport);
        var initiator = new FixInitiator(session, inbound);
        onSessionCreated?.Invoke(session);
        try
        {
            session.Start();
            await session.SendLogonAsync();
            await session.LoggedOn.WaitAsync(settings.LogonTimeout, settings.TimeProvider, cancellationToken);
            return initiator;
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            // The peer reset the connection under our Logon (e.g. a TLS 1.3 acceptor refusing our certificate after
            // the handshake looked complete): the documented "closed before logging on".
            await initiator.DisposeAsync();
            throw new FixSessionException($"{host}:{port} closed the connection before Logon completed: {ex.Message}", ex);
        }
        catch
        {
            await initiator.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sends an application message (e.g. <see cref="NewOrderSingle"/>). Thread-safe.</summary>
    public Task SendAsync(IFixApplicationMessage message, CancellationToken cancellationToken = default) =>
        Session.SendAsync(message, cancellationToken);

    /// <summary>Sends Logout, waits for the acceptor's Logout, closes the connection and flushes the log.</summary>
    public Task LogoutAsync(string? text = null, CancellationToken cancellationToken = default) =>
        Session.LogoutAsync(text, cancellationToken);

    /// <summary>Closes the connection without Logout if still open (call <see cref="LogoutAsync"/> first for a clean end).</summary>
    public ValueTask DisposeAsync() => Session.DisposeAsync();
}
