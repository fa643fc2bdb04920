using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace BigDataTrading.Fix;

/// <summary>
/// Listens for FIX initiators and runs one <see cref="FixSession"/> per connection. A connection must open with a
/// valid Logon in one of <see cref="FixAcceptorSettings.BeginStrings"/> whose TargetCompID is
/// <see cref="FixAcceptorSettings.SenderCompId"/>, EncryptMethod 0, a positive HeartBtInt, an accurate SendingTime,
/// and whose identity (BeginString, SenderCompID) is not logged on already; otherwise it gets a Logout with the
/// reason (see <see cref="FixAcceptorSettings.SendLogoutOnRejectedLogon"/>) or, for an unsupported BeginString or
/// garbage, is just dropped. Application messages go to the <see cref="IFixApplication"/>. With
/// <see cref="FixAcceptorSettings.Tls"/> every connection must first complete a TLS handshake (run per connection, not
/// on the accept loop); failures are reported to <see cref="FixAcceptorSettings.OnConnectionRefused"/>. With
/// <see cref="FixAcceptorSettings.SequenceStoreFactory"/> each session identity (BeginString, our CompID, the client's
/// CompID) gets its own sequence store, resolved when its Logon is accepted and kept until the acceptor stops.
/// </summary>
/// <remarks>Thread-safe. Sessions are independent; each runs its own read loop.</remarks>
public sealed class FixAcceptor : IAsyncDisposable
{
    private readonly FixAcceptorSettings _settings;
    private readonly IFixApplication _application;
    private readonly ConcurrentDictionary<FixSession, byte> _sessions = new();
    private readonly ConcurrentDictionary<FixSessionId, FixSession> _identities = new();
    private readonly ConcurrentDictionary<Task, byte> _handshakes = new();
    private readonly ConcurrentDictionary<FixSession, DeferredSequenceStore> _pendingStores = new();
    private readonly Dictionary<FixSessionId, ISequenceStore> _stores = [];
    private readonly Lock _storesGate = new();
    private readonly CancellationTokenSource _stopping = new();
    private TcpListener? _listener;
    private Task _acceptLoop = Task.CompletedTask;
    private int _stopped;

    /// <summary>Creates an acceptor; call <see cref="Start"/> to listen.</summary>
    public FixAcceptor(FixAcceptorSettings settings, IFixApplication application)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(application);
        _settings = settings;
        _application = application;
    }

    /// <summary>The bound endpoint (the real port when configured with port 0). Valid after <see cref="Start"/>.</summary>
    public IPEndPoint EndPoint => (IPEndPoint)(_listener ?? throw new InvalidOperationException("Not started.")).LocalEndpoint;

    /// <summary>The bound TCP port.</summary>
    public int Port => EndPoint.Port;

    /// <summary>Sessions whose connection is still open.</summary>
    public IReadOnlyCollection<FixSession> Sessions => [.. _sessions.Keys];

    /// <summary>Binds the listening socket and starts accepting connections.</summary>
    public void Start()
    {
        if (_listener is not null)
        {
            throw new InvalidOperationException("Already started.");
        }

        _listener = new TcpListener(_settings.EndPoint);
        _listener.Start();
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>
    /// Stops accepting, logs out every logged-on session (waiting for their Logout replies up to the logout
    /// timeout) and closes the rest.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync();
        _listener?.Stop();
        try
        {
            await _acceptLoop;
        }
        catch (OperationCanceledException)
        {
            // Expected: the accept loop ends by cancellation.
        }

        // Handshakes in progress end on the stopping token; wait so no session starts after this point.
        await Task.WhenAll(_handshakes.Keys);
        var sessions = _sessions.Keys.ToArray();
        await Task.WhenAll(sessions.Select(async s =>
        {
            if (s.IsLoggedOn)
            {
                await s.LogoutAsync("acceptor shutting down", cancellationToken);
            }

            await s.DisposeAsync();
        }));

        lock (_storesGate)
        {
            foreach (var store in _stores.Values)
            {
                (store as IDisposable)?.Dispose();
            }

            _stores.Clear();
        }
    }

    /// <summary>Same as <see cref="StopAsync"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        var ct = _stopping.Token;
        while (!ct.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener!.AcceptSocketAsync(ct);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException && ct.IsCancellationRequested)
            {
                return;
            }

            if (_settings.Tls is { } tls)
            {
                // The handshake runs per connection so a slow or hostile peer cannot hold up the accept loop.
                var handshake = AcceptTlsAsync(socket, tls, ct);
                _handshakes.TryAdd(handshake, 0);
                _ = handshake.ContinueWith(t => _handshakes.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                continue;
            }

            StartSession(socket, transport: null);
        }
    }

    private void StartSession(Socket socket, Stream? transport)
    {
        // The client is unknown until its Logon: the session starts on a placeholder bound to the client's own store
        // when the Logon is accepted (ClaimIdentity).
        var store = _settings.SequenceStoreFactory is null ? null : new DeferredSequenceStore();
        var session = new FixSession(
            socket,
            new FixSessionOptions
            {
                Role = FixSessionRole.Acceptor,
                SenderCompId = _settings.SenderCompId,
                AcceptedBeginStrings = _settings.BeginStrings,
                DictionaryFor = DictionaryFor,
                LogonTimeout = _settings.LogonTimeout,
                LogoutTimeout = _settings.LogoutTimeout,
                LogDirectory = _settings.LogDirectory,
                TimeProvider = _settings.TimeProvider,
                SequenceStoreFactory = store is null ? null : () => store,
                AllowedTargetCompIds = _settings.AllowedTargetCompIds,
                OnFrameError = _settings.OnFrameError,
                MaxSendingTimeSkew = _settings.MaxSendingTimeSkew,
                SendLogoutOnRejectedLogon = _settings.SendLogoutOnRejectedLogon,
                ClaimIdentity = ClaimIdentity,
                ReleaseIdentity = ReleaseIdentity,
            },
            _application.OnMessageAsync,
            _application.OnLogon,
            OnSessionClosed,
            transport);
        _sessions.TryAdd(session, 0);
        if (store is not null)
        {
            _pendingStores.TryAdd(session, store);
        }

        session.Start();
    }

    /// <summary>
    /// TLS acceptor: peeks at the first byte; a TLS handshake record gets the handshake and then a session, anything
    /// else is a plaintext peer and is refused (with a plaintext Logout when it sent a FIX message).
    /// </summary>
    private async Task AcceptTlsAsync(Socket socket, FixTlsServerOptions tls, CancellationToken stopping)
    {
        var remote = socket.RemoteEndPoint;
        using var timeout = new CancellationTokenSource(tls.HandshakeTimeout, _settings.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, timeout.Token);
        var network = new NetworkStream(socket, ownsSocket: false);
        try
        {
            var first = new byte[1];
            if (await socket.ReceiveAsync(first, SocketFlags.Peek, linked.Token) == 0)
            {
                throw new FixTlsException($"Connection from {remote} closed before a TLS handshake.");
            }

            if (first[0] != FixTls.HandshakeRecord)
            {
                await RefusePlaintextAsync(network, linked.Token);
                throw new FixTlsException($"Plaintext connection from {remote} refused: this acceptor requires TLS (the peer's first byte was 0x{first[0]:X2}, not a TLS handshake record). Configure the initiator with TLS (FixSessionSettings.Tls).");
            }

            var ssl = await FixTls.AuthenticateAsServerAsync(network, remote, tls, linked.Token);
            StartSession(socket, ssl);
        }
        catch (Exception ex) when (ex is FixTlsException or IOException or SocketException or OperationCanceledException)
        {
            var error = ex as FixTlsException ?? new FixTlsException(
                timeout.IsCancellationRequested
                    ? $"TLS handshake with {remote} did not complete within {tls.HandshakeTimeout.TotalSeconds:0.#} s."
                    : $"TLS connection from {remote} failed: {ex.Message}",
                ex);
            await network.DisposeAsync();
            socket.Dispose();
            if (!stopping.IsCancellationRequested)
            {
                _settings.OnConnectionRefused?.Invoke(remote, error);
            }
        }
    }

    /// <summary>
    /// Reads the plaintext peer's first FIX message (its Logon) and answers with a Logout whose Text says TLS is
    /// required, so a misconfigured initiator reports the cause instead of a bare disconnect.
    /// </summary>
    private async Task RefusePlaintextAsync(NetworkStream network, CancellationToken cancellationToken)
    {
        var reader = new FixFrameReader(1024);
        FixMessage? logon = null;
        while (logon is null && reader.BufferedBytes < 8192)
        {
            var read = await network.ReadAsync(reader.GetMemory(1024), cancellationToken);
            if (read == 0)
            {
                return;
            }

            reader.Advance(read);
            while (logon is null && reader.TryReadNext(out var result))
            {
                logon = result.Message;
            }
        }

        if (logon?.GetString(FixTag.SenderCompId) is not { } peer)
        {
            return;
        }

        var logout = new FixMessageBuilder(FixMsgType.Logout)
            .Set(FixTag.Text, "This acceptor requires TLS: connect with TLS")
            .Build(new FixHeader(_settings.SenderCompId, peer, 1, _settings.TimeProvider.GetUtcNow(), BeginString: logon.BeginString));
        await network.WriteAsync(logout, cancellationToken);
    }

    private FixDataDictionary DictionaryFor(string beginString) =>
        _settings.DataDictionaries is { } dictionaries && dictionaries.TryGetValue(beginString, out var dictionary)
            ? dictionary
            : FixDataDictionary.ForBeginString(beginString);

    /// <summary>
    /// One logged-on connection per (BeginString, peer, us): a second Logon with the same identity is refused. The
    /// winner's placeholder store is bound to the identity's store, resolved once and kept for later connections.
    /// </summary>
    private bool ClaimIdentity(FixSession session)
    {
        var id = IdentityOf(session);
        if (!_identities.TryAdd(id, session))
        {
            return false;
        }

        if (_pendingStores.TryRemove(session, out var pending))
        {
            pending.Bind(StoreFor(id));
        }

        return true;
    }

    private ISequenceStore StoreFor(FixSessionId id)
    {
        lock (_storesGate)
        {
            if (!_stores.TryGetValue(id, out var store))
            {
                store = _settings.SequenceStoreFactory!(id);
                _stores.Add(id, store);
            }

            return store;
        }
    }

    private static FixSessionId IdentityOf(FixSession session) => new(session.BeginString, session.SenderCompId, session.TargetCompId!);

    private void ReleaseIdentity(FixSession session)
    {
        // A connection refused before its Logon named a peer has no identity to release.
        if (session.TargetCompId is not null)
        {
            _identities.TryRemove(new KeyValuePair<FixSessionId, FixSession>(IdentityOf(session), session));
        }
    }

    private void OnSessionClosed(FixSession session)
    {
        _sessions.TryRemove(session, out _);
        _pendingStores.TryRemove(session, out _);
        ReleaseIdentity(session);
        _application.OnSessionClosed(session);
    }
}
