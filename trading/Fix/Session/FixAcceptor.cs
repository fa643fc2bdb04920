using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace BigDataTrading.Fix;

/// <summary>
/// Listens for FIX 4.4 initiators and runs one <see cref="FixSession"/> per connection. A connection must open with
/// a valid FIX.4.4 Logon whose TargetCompID is <see cref="FixAcceptorSettings.SenderCompId"/>, EncryptMethod 0 and a
/// positive HeartBtInt; otherwise it gets a Logout with the reason (or, for a wrong BeginString or garbage, is just
/// dropped). Application messages go to the <see cref="IFixApplication"/>.
/// </summary>
/// <remarks>Thread-safe. Sessions are independent; each runs its own read loop.</remarks>
public sealed class FixAcceptor : IAsyncDisposable
{
    private readonly FixAcceptorSettings _settings;
    private readonly IFixApplication _application;
    private readonly ConcurrentDictionary<FixSession, byte> _sessions = new();
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

        var sessions = _sessions.Keys.ToArray();
        await Task.WhenAll(sessions.Select(async s =>
        {
            if (s.IsLoggedOn)
            {
                await s.LogoutAsync("acceptor shutting down", cancellationToken);
            }

            await s.DisposeAsync();
        }));
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

            var session = new FixSession(
                socket,
                FixSessionRole.Acceptor,
                _settings.SenderCompId,
                targetCompId: null,
                heartBtInt: TimeSpan.FromSeconds(30),
                _settings.LogonTimeout,
                _settings.LogoutTimeout,
                _settings.LogDirectory,
                _settings.TimeProvider,
                _settings.SequenceStoreFactory,
                _settings.AllowedTargetCompIds,
                _settings.OnFrameError,
                _application.OnMessageAsync,
                _application.OnLogon,
                OnSessionClosed);
            _sessions.TryAdd(session, 0);
            session.Start();
        }
    }

    private void OnSessionClosed(FixSession session)
    {
        _sessions.TryRemove(session, out _);
        _application.OnSessionClosed(session);
    }
}
