using System.Net.Sockets;
using System.Threading.Channels;

namespace BigDataTrading.Fix;

/// <summary>
/// A FIX initiator that keeps its session up: after a connection is lost (or the venue logs out of a running session)
/// it reconnects with exponential backoff and jitter (<see cref="FixReconnectOptions"/>) and logs on again with the
/// same sequence store, so the session layer's ResendRequest/gap fill covers what the outage cut off in either
/// direction. Only a deliberate <see cref="LogoutAsync"/>/<see cref="DisposeAsync"/>, or a cause no new connection can
/// fix, stops it: our own checks failing (CompIDs, BeginString, MsgSeqNum too low), or the venue refusing our Logon
/// <see cref="FixReconnectOptions.MaxLogonRefusals"/> times in a row.
/// </summary>
/// <remarks>
/// <para>One sequence store serves every connection: it is created once (from
/// <see cref="FixSessionSettings.SequenceStoreFactory"/>, else in memory) and disposed with this object. Without a
/// durable store a restarted process still starts over at 1; a reconnect within the process never does.</para>
/// <para><see cref="ApplicationMessages"/> spans connections: messages arrive in MsgSeqNum order and the reader only
/// completes when the initiator stops (with the error when it gave up). <see cref="StateChanged"/> is raised on the
/// supervising task, in order; handlers must be quick (queue work elsewhere) and must not throw — a throwing handler
/// stops the initiator with that exception. Thread-safe: <see cref="SendAsync"/> may be called concurrently from any
/// thread.</para>
/// </remarks>
public sealed class ReconnectingFixInitiator : IAsyncDisposable
{
    private readonly string _host;
    private readonly int _port;
    private readonly FixSessionSettings _settings;
    private readonly FixReconnectOptions _reconnect;
    private readonly ISequenceStore _store;
    private readonly TimeProvider _time;
    private readonly Channel<FixMessage> _inbound = Channel.CreateUnbounded<FixMessage>();
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile FixInitiator? _current;
    private FixConnectionStateChange _state;
    private Task _supervisor = Task.CompletedTask;
    private int _started;
    private int _reconnects;
    private int _finished;

    /// <summary>Prepares the initiator; nothing connects until <see cref="StartAsync"/> (subscribe to <see cref="StateChanged"/> first).</summary>
    /// <exception cref="ArgumentException">A setting no connection can use.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A reconnect option out of range.</exception>
    public ReconnectingFixInitiator(string host, int port, FixSessionSettings settings, FixReconnectOptions? reconnect = null)
    {
        FixInitiator.ValidateSettings(host, settings);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(port);
        _reconnect = reconnect ?? FixReconnectOptions.Default;
        _reconnect.Validate();
        _host = host;
        _port = port;
        _time = settings.TimeProvider;
        _store = settings.SequenceStoreFactory?.Invoke() ?? new InMemorySequenceStore();
        // Each connection's session disposes its store when it closes; hand it a view that leaves ours open.
        ISequenceStore borrowed = _store is IFixMessageStore messages ? new BorrowedMessageStore(messages) : new BorrowedSequenceStore(_store);
        _settings = settings with { SequenceStoreFactory = () => borrowed };
        _state = new FixConnectionStateChange(FixConnectionState.Connecting, "not started", 0, null, _time.GetUtcNow());
    }

    /// <summary>Raised for every state change, in order, on the supervising task (see remarks).</summary>
    public event Action<FixConnectionStateChange>? StateChanged;

    /// <summary>The latest state change.</summary>
    public FixConnectionStateChange State => Volatile.Read(ref _state);

    /// <summary>True while a connection is logged on (a send may still lose the race with a disconnect).</summary>
    public bool IsConnected => _current?.Session.IsLoggedOn == true;

    /// <summary>The current (or, while disconnected, the last) connection's session; null before the first Logon.</summary>
    public FixSession? Session => _current?.Session;

    /// <summary>The sequence store every connection shares.</summary>
    public ISequenceStore SequenceStore => _store;

    /// <summary>Successful reconnects (Logons after the first).</summary>
    public int Reconnects => Volatile.Read(ref _reconnects);

    /// <summary>Inbound application messages of every connection, in order; completes when the initiator stops.</summary>
    public ChannelReader<FixMessage> ApplicationMessages => _inbound.Reader;

    /// <summary>Completes when the initiator stops: successfully after Logout/dispose, faulted when it gave up.</summary>
    public Task Completion => _completion.Task;

    /// <summary>
    /// Connects and logs on, retrying per the options (see <see cref="FixReconnectOptions.InitialConnectTimeout"/>);
    /// once logged on, a supervisor keeps the session up until <see cref="LogoutAsync"/> or <see cref="DisposeAsync"/>.
    /// </summary>
    /// <exception cref="FixSessionException">The venue refused the Logon (its reason is in the message), our checks
    /// of its Logon reply failed, or the retries ran out.</exception>
    /// <exception cref="TimeoutException">No Logon reply in time and the start-up timeout has passed.</exception>
    /// <exception cref="SocketException">The venue could not be reached before the start-up timeout.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) == 1)
        {
            throw new InvalidOperationException("Already started.");
        }

        DateTimeOffset? deadline = _reconnect.InitialConnectTimeout is { } timeout ? _time.GetUtcNow() + timeout : null;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        try
        {
            await ConnectWithRetriesAsync(afterDisconnect: null, deadline, linked.Token);
        }
        catch (Exception ex)
        {
            Finish(ex is OperationCanceledException ? null : ex, ex.Message);
            throw;
        }

        _supervisor = Task.Run(SuperviseAsync, CancellationToken.None);
    }

    /// <summary>
    /// Sends an application message on the current connection. Thread-safe. A message that went out just before a
    /// disconnect is in the sequence store and reaches the venue through its ResendRequest after the reconnect.
    /// </summary>
    /// <exception cref="FixNotConnectedException">No connection is logged on (reconnecting or stopped).</exception>
    public async Task SendAsync(IFixApplicationMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var current = _current;
        if (current is null || !current.Session.IsLoggedOn)
        {
            throw NotConnected(current?.Session.DisconnectReason);
        }

        try
        {
            await current.SendAsync(message, cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested
            && ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            // The connection died under the send: the same answer as a send while disconnected.
            throw NotConnected(current.Session.DisconnectReason ?? ex.Message, ex);
        }
    }

    /// <summary>Stops reconnecting, logs out of the current connection (if any) and waits for the supervisor to end.</summary>
    public async Task LogoutAsync(string? text = null, CancellationToken cancellationToken = default)
    {
        await _stop.CancelAsync();
        if (_current is { } current)
        {
            await current.LogoutAsync(text, cancellationToken);
        }

        await _supervisor;
        Finish(null, "logged out");
    }

    /// <summary>Stops reconnecting, closes the connection without Logout (call <see cref="LogoutAsync"/> first for a clean end) and releases the store.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_current is { } current)
        {
            await current.DisposeAsync();
        }

        try
        {
            await _supervisor;
        }
        catch (Exception)
        {
            // The supervisor reports through Completion; disposal must not throw.
        }

        Finish(null, "disposed");
        (_store as IDisposable)?.Dispose();
    }

    private async Task SuperviseAsync()
    {
        Exception? error = null;
        try
        {
            while (_current is { } current)
            {
                await current.Session.Completion;
                if (_stop.IsCancellationRequested)
                {
                    break;
                }

                var reason = current.Session.DisconnectReason ?? "connection closed";
                Publish(FixConnectionState.Disconnected, reason);
                if (current.Session.CloseCause == FixCloseCause.Unrecoverable)
                {
                    throw new FixSessionException($"FIX session {Describe()} ended and will not be reconnected: {reason}. A new connection would fail the same way; fix the configuration or reset the sequence numbers with the venue.");
                }

                await ConnectWithRetriesAsync(reason, deadline: null, _stop.Token);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Logout or dispose during a backoff or a connection attempt.
        }
        catch (Exception ex)
        {
            error = ex;
        }

        Finish(error, error?.Message ?? "logged out");
    }

    /// <summary>
    /// Attempts connections until one logs on. <paramref name="afterDisconnect"/> null is start-up (first attempt at
    /// once); otherwise the first attempt waits the first backoff delay, so a venue that just dropped us is not hammered.
    /// </summary>
    private async Task ConnectWithRetriesAsync(string? afterDisconnect, DateTimeOffset? deadline, CancellationToken ct)
    {
        var refusals = 0;
        var lastReason = afterDisconnect;
        Exception? last = null;
        for (var attempt = afterDisconnect is null ? 0 : 1; ; attempt++)
        {
            if (attempt > 0)
            {
                if (_reconnect.MaxAttempts is { } max && attempt > max)
                {
                    throw new FixSessionException($"FIX session {Describe()}: gave up after {max} reconnect attempts; last failure: {lastReason}", last!);
                }

                var delay = _reconnect.DelayFor(attempt, Random.Shared.NextDouble());
                if (deadline is { } end && _time.GetUtcNow() + delay > end)
                {
                    // Start-up with a deadline: the caller gets the failure itself, as a plain connect would throw it.
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(last!);
                }

                // The timer starts before anyone hears of it, so a handler that moves a test clock cannot outrun it.
                var wait = Task.Delay(delay, _time, ct);
                Publish(FixConnectionState.Reconnecting, lastReason ?? "connecting", attempt, delay);
                await wait;
            }

            FixSession? attempted = null;
            try
            {
                var connection = await FixInitiator.ConnectCoreAsync(_host, _port, _settings, _inbound, completeInboundOnClose: false, s => attempted = s, ct);
                _current = connection;
                if (ct.IsCancellationRequested)
                {
                    // Stopped while this Logon was in flight: do not leave a connection nobody supervises.
                    await connection.LogoutAsync(cancellationToken: CancellationToken.None);
                    ct.ThrowIfCancellationRequested();
                }

                if (afterDisconnect is not null)
                {
                    // Counted before the event, so a handler already sees it.
                    Interlocked.Increment(ref _reconnects);
                }

                Publish(FixConnectionState.Connected, attempt == 0 ? "logged on" : $"logged on again after {attempt} attempts");
                return;
            }
            catch (Exception ex) when (ex is FixSessionException or FixTlsException or SocketException or IOException or TimeoutException && !ct.IsCancellationRequested)
            {
                last = ex;
                lastReason = ex.Message;
                var cause = attempted?.CloseCause ?? FixCloseCause.ConnectionLost;
                if (cause == FixCloseCause.Unrecoverable)
                {
                    throw new FixSessionException($"FIX session {Describe()}: the venue's Logon reply failed our checks ({ex.Message}); not reconnecting, fix the configuration.", ex);
                }

                refusals = cause == FixCloseCause.LogonRefused || ex is FixTlsException ? refusals + 1 : 0;
                if (refusals >= _reconnect.MaxLogonRefusals)
                {
                    throw new FixSessionException($"FIX session {Describe()}: Logon refused {refusals} time(s) in a row, not reconnecting: {ex.Message}. Check SenderCompID/TargetCompID, credentials and sequence numbers with the venue.", ex);
                }
            }
        }
    }

    private string Describe() => $"{_settings.SenderCompId}->{_settings.TargetCompId}@{_host}:{_port}";

    private FixNotConnectedException NotConnected(string? reason, Exception? inner = null) =>
        new($"FIX session {Describe()} is not logged on ({State.State}: {reason ?? State.Reason}).", inner);

    private void Publish(FixConnectionState state, string reason, int attempt = 0, TimeSpan? retryIn = null, Exception? error = null)
    {
        var change = new FixConnectionStateChange(state, reason, attempt, retryIn, _time.GetUtcNow(), error);
        Volatile.Write(ref _state, change);
        StateChanged?.Invoke(change);
    }

    /// <summary>Publishes the final state once, completes the message stream and <see cref="Completion"/>.</summary>
    private void Finish(Exception? error, string reason)
    {
        if (Interlocked.Exchange(ref _finished, 1) == 1)
        {
            return;
        }

        try
        {
            Publish(FixConnectionState.Stopped, reason, error: error);
        }
        finally
        {
            _inbound.Writer.TryComplete(error);
            if (error is null)
            {
                _completion.TrySetResult();
            }
            else
            {
                _completion.TrySetException(error);
            }
        }
    }

    /// <summary>The shared store as one connection sees it: everything but disposal.</summary>
    private class BorrowedSequenceStore(ISequenceStore inner) : ISequenceStore
    {
        public int NextSenderMsgSeqNum => inner.NextSenderMsgSeqNum;

        public int NextTargetMsgSeqNum => inner.NextTargetMsgSeqNum;

        public void SetNextSenderMsgSeqNum(int value) => inner.SetNextSenderMsgSeqNum(value);

        public void SetNextTargetMsgSeqNum(int value) => inner.SetNextTargetMsgSeqNum(value);
    }

    /// <summary>As <see cref="BorrowedSequenceStore"/>, keeping the sent messages for resend.</summary>
    private sealed class BorrowedMessageStore(IFixMessageStore inner) : BorrowedSequenceStore(inner), IFixMessageStore
    {
        public void StoreSentMessage(int msgSeqNum, ReadOnlySpan<byte> message) => inner.StoreSentMessage(msgSeqNum, message);

        public IReadOnlyList<StoredFixMessage> GetSentMessages(int beginSeqNo, int endSeqNo) => inner.GetSentMessages(beginSeqNo, endSeqNo);

        public void Reset() => inner.Reset();
    }
}

/// <summary>A send was attempted while a <see cref="ReconnectingFixInitiator"/> had no logged-on connection.</summary>
public sealed class FixNotConnectedException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public FixNotConnectedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public FixNotConnectedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public FixNotConnectedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
