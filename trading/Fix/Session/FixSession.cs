using System.Globalization;
using System.Net.Sockets;
using BigDataTrading.Fix.Logging;

namespace BigDataTrading.Fix;

/// <summary>
/// One FIX 4.4 session over one TCP connection, shared by both roles (created by <see cref="FixInitiator"/> or
/// <see cref="FixAcceptor"/>). Implements Logon, Heartbeat, TestRequest, ResendRequest (answered with a
/// SequenceReset-GapFill), SequenceReset, Reject and Logout, MsgSeqNum and CompID checks.
/// </summary>
/// <remarks>
/// <para>Threading: one read loop per session processes inbound messages in order; <see cref="SendAsync(IFixApplicationMessage, CancellationToken)"/>
/// may be called from any thread, sends are serialized (one writer at a time) so MsgSeqNum order equals wire order.
/// Heartbeat checks run on a <see cref="TimeProvider"/> timer ticking every second (or HeartBtInt/2 when shorter).</para>
/// <para>Inbound MsgSeqNum rules: equal to expected → processed; lower without PossDupFlag=Y → Logout
/// "MsgSeqNum too low, expecting N but received M" and disconnect; lower with PossDupFlag=Y → ignored;
/// higher → ResendRequest(7=expected, 16=0) sent once and the message discarded (this thin engine does not queue).
/// Garbled frames (bad BodyLength/CheckSum) are discarded, logged and do not consume a sequence number.</para>
/// <para>Thin-version limits: sequence numbers start at 1 for every connection (see <see cref="ISequenceStore"/>);
/// sent messages are not stored, so a ResendRequest from the peer is always answered with a GapFill to our next
/// MsgSeqNum (resent application messages are never replayed); SendingTime accuracy is not checked.</para>
/// </remarks>
public sealed class FixSession : IAsyncDisposable
{
    private const int StateAwaitingLogon = 0;
    private const int StateLoggedOn = 1;
    private const int StateLogoutSent = 2;
    private const int StateClosing = 3;
    private const int StateClosed = 4;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly FixFrameReader _reader = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly TaskCompletionSource _loggedOn = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _logoutReceived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TimeProvider _time;
    private readonly ISequenceStore _store;
    private readonly TimeSpan _logonTimeout;
    private readonly TimeSpan _logoutTimeout;
    private readonly string? _logDirectory;
    private readonly IReadOnlySet<string>? _allowedTargetCompIds;
    private readonly Action<FixSession, FixFrameError>? _onFrameError;
    private readonly Func<FixSession, FixMessage, CancellationToken, ValueTask> _onApplicationMessage;
    private readonly Action<FixSession>? _onLogon;
    private readonly Action<FixSession>? _onClosed;

    private volatile FixMessageLog _log = FixMessageLog.Null;
    private volatile string? _targetCompId;
    private volatile string? _disconnectReason;
    private int _state = StateAwaitingLogon;
    private int _finalClosed;
    private bool _sendClosed;
    private TimeSpan _heartBtInt;
    private ITimer? _heartbeatTimer;
    private ITimer? _logonTimer;
    private ITimer? _lingerTimer;
    private Task _readLoop = Task.CompletedTask;
    private long _lastSentTicks;
    private long _lastReceivedTicks;
    private int _testRequestPending;
    private long _testRequestSentTicks;
    private int _testRequestCounter;
    private int _heartbeatInFlight;
    private bool _resendRequested;
    private int _highestSeenSeqNum;

    internal FixSession(
        Socket socket,
        FixSessionRole role,
        string senderCompId,
        string? targetCompId,
        TimeSpan heartBtInt,
        TimeSpan logonTimeout,
        TimeSpan logoutTimeout,
        string? logDirectory,
        TimeProvider timeProvider,
        Func<ISequenceStore>? sequenceStoreFactory,
        IReadOnlySet<string>? allowedTargetCompIds,
        Action<FixSession, FixFrameError>? onFrameError,
        Func<FixSession, FixMessage, CancellationToken, ValueTask> onApplicationMessage,
        Action<FixSession>? onLogon,
        Action<FixSession>? onClosed)
    {
        _socket = socket;
        _socket.NoDelay = true;
        _stream = new NetworkStream(socket, ownsSocket: false);
        Role = role;
        SenderCompId = senderCompId;
        _targetCompId = targetCompId;
        _heartBtInt = heartBtInt;
        _logonTimeout = logonTimeout;
        _logoutTimeout = logoutTimeout;
        _logDirectory = logDirectory;
        _time = timeProvider;
        _store = sequenceStoreFactory?.Invoke() ?? new InMemorySequenceStore();
        _allowedTargetCompIds = allowedTargetCompIds;
        _onFrameError = onFrameError;
        _onApplicationMessage = onApplicationMessage;
        _onLogon = onLogon;
        _onClosed = onClosed;
    }

    /// <summary>Initiator or acceptor.</summary>
    public FixSessionRole Role { get; }

    /// <summary>Our CompID (49 on outbound messages).</summary>
    public string SenderCompId { get; }

    /// <summary>The peer's CompID; for an acceptor, null until the peer's Logon arrives.</summary>
    public string? TargetCompId => _targetCompId;

    /// <summary>The negotiated HeartBtInt (an acceptor adopts the initiator's value).</summary>
    public TimeSpan HeartBtInt => _heartBtInt;

    /// <summary>True between a completed Logon exchange and the start of Logout/disconnect.</summary>
    public bool IsLoggedOn => Volatile.Read(ref _state) == StateLoggedOn;

    /// <summary>Path of this session's message log, or null when logging is off (or, on an acceptor, before Logon).</summary>
    public string? LogFilePath => _log.Path;

    /// <summary>MsgSeqNum the next outbound message will carry.</summary>
    public int NextSenderMsgSeqNum => _store.NextSenderMsgSeqNum;

    /// <summary>MsgSeqNum expected on the next inbound message.</summary>
    public int NextTargetMsgSeqNum => _store.NextTargetMsgSeqNum;

    /// <summary>Completes once the connection is closed and the log flushed.</summary>
    public Task Completion => _closed.Task;

    /// <summary>Why the session ended (null while it is running).</summary>
    public string? DisconnectReason => _disconnectReason;

    /// <summary>Completes when the Logon exchange finishes; faults if the session closes first.</summary>
    internal Task LoggedOn => _loggedOn.Task;

    /// <summary>
    /// Sends an application message. Thread-safe; throws <see cref="InvalidOperationException"/> unless logged on.
    /// </summary>
    public Task SendAsync(IFixApplicationMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return SendAsync(message.ToBuilder(), cancellationToken);
    }

    /// <summary>
    /// Sends any message built by the caller (e.g. a BusinessMessageReject); the session adds the header.
    /// Thread-safe; throws <see cref="InvalidOperationException"/> unless logged on.
    /// </summary>
    public Task SendAsync(FixMessageBuilder message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (Volatile.Read(ref _state) != StateLoggedOn)
        {
            throw new InvalidOperationException($"FIX session {SenderCompId}->{TargetCompId} is not logged on ({_disconnectReason ?? "state " + _state.ToString(CultureInfo.InvariantCulture)}).");
        }

        return SendCoreAsync(message, gapFillBeginSeqNo: null, cancellationToken);
    }

    /// <summary>
    /// Sends Logout, waits (up to the logout timeout) for the peer's Logout and for the connection to close,
    /// then releases the connection. Calling it on a session that is not logged on just closes it.
    /// </summary>
    public async Task LogoutAsync(string? text = null, CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, StateLogoutSent, StateLoggedOn) != StateLoggedOn)
        {
            await CloseAsync("closed before logon completed", graceful: false);
            return;
        }

        try
        {
            await SendLogoutAsync(text);
            await _logoutReceived.Task.WaitAsync(_logoutTimeout, _time, cancellationToken);
            await CloseAsync("logout completed", graceful: true);
            await _closed.Task.WaitAsync(_logoutTimeout, _time, cancellationToken);
        }
        catch (TimeoutException)
        {
            await CloseAsync("logout timed out", graceful: false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or SocketException)
        {
            await CloseAsync($"logout failed: {ex.Message}", graceful: false);
        }
    }

    /// <summary>Closes the connection immediately (no Logout) unless it is already closed; flushes the log.</summary>
    public async ValueTask DisposeAsync()
    {
        await CloseAsync("disposed", graceful: false);
        try
        {
            await _readLoop;
        }
        catch (Exception)
        {
            // The read loop reports its failures through DisconnectReason; disposal must not throw.
        }

        // _sendLock and _lifetime are deliberately not disposed: a fire-and-forget heartbeat may still be
        // unwinding, and neither holds an OS handle unless its wait handle is requested (it never is).
    }

    /// <summary>Starts reading; an acceptor also starts its logon timer.</summary>
    internal void Start()
    {
        var now = _time.GetUtcNow();
        _lastReceivedTicks = now.UtcTicks;
        _lastSentTicks = now.UtcTicks;
        if (Role == FixSessionRole.Initiator)
        {
            _log = FixMessageLog.Create(_logDirectory, SenderCompId, _targetCompId!, now);
        }
        else
        {
            _logonTimer = _time.CreateTimer(
                static s => _ = ((FixSession)s!).CloseAsync("no Logon received in time", graceful: false),
                this,
                _logonTimeout,
                Timeout.InfiniteTimeSpan);
        }

        _readLoop = Task.Run(ReadLoopAsync);
    }

    /// <summary>Initiator: sends the Logon (98=0, 108=HeartBtInt).</summary>
    internal Task SendLogonAsync()
    {
        var logon = new FixMessageBuilder(FixMsgType.Logon)
            .Set(FixTag.EncryptMethod, 0)
            .Set(FixTag.HeartBtInt, (long)_heartBtInt.TotalSeconds);
        return SendCoreAsync(logon, gapFillBeginSeqNo: null, CancellationToken.None);
    }

    private async Task ReadLoopAsync()
    {
        var ct = _lifetime.Token;
        var reason = "peer closed the connection";
        try
        {
            while (true)
            {
                var read = await _stream.ReadAsync(_reader.GetMemory(4096), ct);
                if (read == 0)
                {
                    break;
                }

                _reader.Advance(read);
                while (_reader.TryReadNext(out var result))
                {
                    if (result.Message is { } message)
                    {
                        await HandleMessageAsync(message, ct);
                    }
                    else if (!HandleFrameError(result.Error!))
                    {
                        reason = $"garbled data before Logon: {result.Error!.Description}";
                        await CloseAsync(reason, graceful: false);
                        return;
                    }

                    if (Volatile.Read(ref _finalClosed) == 1)
                    {
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            reason = $"connection lost: {ex.Message}";
        }
        catch (Exception ex)
        {
            // An application handler failed: fail fast so the problem is visible instead of silently dropping orders.
            reason = $"message handling failed: {ex.GetType().Name}: {ex.Message}";
        }

        await CloseAsync(reason, graceful: false);
    }

    /// <summary>Logs and reports a discarded frame. Returns false when the session must close (nothing valid seen yet).</summary>
    private bool HandleFrameError(FixFrameError error)
    {
        _log.AppendError($"{error.Kind}: {error.Description} ({error.DiscardedBytes} bytes discarded)", _time.GetUtcNow());
        _onFrameError?.Invoke(this, error);
        // Before Logon there is no session to protect: a peer that does not open with a valid FIX.4.4 Logon
        // (wrong BeginString, garbage) is dropped. Afterwards FIX says: ignore the garbled message and carry on.
        return Volatile.Read(ref _state) != StateAwaitingLogon;
    }

    private async ValueTask HandleMessageAsync(FixMessage message, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        Volatile.Write(ref _lastReceivedTicks, now.UtcTicks);
        // Any inbound traffic proves the peer is alive, which is all a TestRequest asks.
        Volatile.Write(ref _testRequestPending, 0);
        if (_log == FixMessageLog.Null && _logDirectory is not null)
        {
            _log = FixMessageLog.Create(_logDirectory, SenderCompId, message.GetString(FixTag.SenderCompId) ?? "UNKNOWN", now);
        }

        _log.Append(FixLogDirection.In, message.Raw.Span, now);

        var state = Volatile.Read(ref _state);
        if (state >= StateClosing)
        {
            // Draining after our final Logout: nothing more is processed.
            return;
        }

        if (state == StateAwaitingLogon)
        {
            await HandleLogonAsync(message);
            return;
        }

        if (!message.ValueEquals(FixTag.SenderCompId, _targetCompId!) || !message.ValueEquals(FixTag.TargetCompId, SenderCompId))
        {
            var problem = $"CompID problem: expected 49={_targetCompId} 56={SenderCompId}, received 49={message.GetString(FixTag.SenderCompId)} 56={message.GetString(FixTag.TargetCompId)}";
            await SendRejectAsync(message, sessionRejectReason: 9, problem);
            await SendLogoutAsync(problem);
            await CloseAsync(problem, graceful: true);
            return;
        }

        if (!await CheckSequenceAsync(message))
        {
            return;
        }

        await DispatchAsync(message, ct);
    }

    private async ValueTask HandleLogonAsync(FixMessage message)
    {
        if (message.MsgType != FixMsgType.Logon)
        {
            // An acceptor refusing our Logon answers with a Logout carrying the reason: surface that text.
            var refusal = message.MsgType == FixMsgType.Logout
                ? $"logon refused: {message.GetString(FixTag.Text) ?? "no reason given"}"
                : $"first message was MsgType {message.MsgType}, not Logon";
            await CloseAsync(refusal, graceful: false);
            return;
        }

        var peer = message.GetString(FixTag.SenderCompId);
        string? problem = null;
        if (Role == FixSessionRole.Acceptor)
        {
            _logonTimer?.Dispose();
            if (peer is null)
            {
                await CloseAsync("Logon without SenderCompID(49)", graceful: false);
                return;
            }

            _targetCompId = peer;
            if (!message.ValueEquals(FixTag.TargetCompId, SenderCompId))
            {
                problem = $"Logon TargetCompID {message.GetString(FixTag.TargetCompId)} is not {SenderCompId}";
            }
            else if (_allowedTargetCompIds is not null && !_allowedTargetCompIds.Contains(peer))
            {
                problem = $"SenderCompID {peer} is not allowed";
            }
            else if (!message.TryGetInt(FixTag.EncryptMethod, out var encrypt) || encrypt != 0)
            {
                problem = "EncryptMethod(98) must be 0";
            }
            else if (!message.TryGetInt(FixTag.HeartBtInt, out var heartBtInt) || heartBtInt <= 0)
            {
                problem = "HeartBtInt(108) must be a positive number of seconds";
            }
            else
            {
                _heartBtInt = TimeSpan.FromSeconds(heartBtInt);
            }
        }
        else if (peer != _targetCompId || !message.ValueEquals(FixTag.TargetCompId, SenderCompId))
        {
            problem = $"Logon reply CompIDs 49={peer} 56={message.GetString(FixTag.TargetCompId)} do not match {_targetCompId}/{SenderCompId}";
        }

        if (problem is null && !message.TryGetInt(FixTag.MsgSeqNum, out _))
        {
            problem = "MsgSeqNum(34) missing";
        }

        if (problem is not null)
        {
            await SendLogoutAsync(problem);
            await CloseAsync(problem, graceful: true);
            _loggedOn.TrySetException(new FixSessionException(problem));
            return;
        }

        var seq = message.MsgSeqNum;
        var expected = _store.NextTargetMsgSeqNum;
        if (seq < expected)
        {
            var text = TooLowText(expected, seq);
            await SendLogoutAsync(text);
            await CloseAsync(text, graceful: true);
            return;
        }

        if (seq == expected)
        {
            _store.SetNextTargetMsgSeqNum(seq + 1);
        }

        Volatile.Write(ref _state, StateLoggedOn);
        if (Role == FixSessionRole.Acceptor)
        {
            var reply = new FixMessageBuilder(FixMsgType.Logon)
                .Set(FixTag.EncryptMethod, 0)
                .Set(FixTag.HeartBtInt, (long)_heartBtInt.TotalSeconds);
            await SendCoreAsync(reply, gapFillBeginSeqNo: null, CancellationToken.None);
        }

        var tick = _heartBtInt < TimeSpan.FromSeconds(2) ? _heartBtInt / 2 : TimeSpan.FromSeconds(1);
        _heartbeatTimer = _time.CreateTimer(static s => ((FixSession)s!).OnHeartbeatTimer(), this, tick, tick);
        if (seq > expected)
        {
            // Logon is processed even when ahead of us; then the gap is requested (FIX 4.4 session rules).
            await RequestResendAsync(expected, seq);
        }

        _loggedOn.TrySetResult();
        _onLogon?.Invoke(this);
    }

    /// <summary>Applies the MsgSeqNum rules; returns true when the message should be dispatched.</summary>
    private async ValueTask<bool> CheckSequenceAsync(FixMessage message)
    {
        if (!message.TryGetInt(FixTag.MsgSeqNum, out var seq))
        {
            const string text = "MsgSeqNum(34) missing";
            await SendLogoutAsync(text);
            await CloseAsync(text, graceful: true);
            return false;
        }

        var expected = _store.NextTargetMsgSeqNum;
        if (message.MsgType == FixMsgType.SequenceReset && !(message.TryGetBool(FixTag.GapFillFlag, out var gapFill) && gapFill))
        {
            // Reset mode ignores MsgSeqNum: it just moves the expected number forward.
            if (message.TryGetInt(FixTag.NewSeqNo, out var newSeqNo) && newSeqNo > expected)
            {
                _store.SetNextTargetMsgSeqNum(newSeqNo);
            }

            return false;
        }

        if (seq > expected)
        {
            _highestSeenSeqNum = Math.Max(_highestSeenSeqNum, seq);
            if (message.MsgType == FixMsgType.Logout)
            {
                // A peer that is leaving will not answer a ResendRequest; honour the Logout.
                return true;
            }

            await RequestResendAsync(expected, seq);
            return false;
        }

        if (seq < expected)
        {
            if (message.IsPossDup)
            {
                return false;
            }

            var text = TooLowText(expected, seq);
            await SendLogoutAsync(text);
            await CloseAsync(text, graceful: true);
            return false;
        }

        _store.SetNextTargetMsgSeqNum(expected + 1);
        if (_resendRequested && expected + 1 > _highestSeenSeqNum)
        {
            _resendRequested = false;
        }

        return true;
    }

    private async ValueTask DispatchAsync(FixMessage message, CancellationToken ct)
    {
        switch (message.MsgType)
        {
            case FixMsgType.Heartbeat:
                break;
            case FixMsgType.TestRequest:
                var heartbeat = new FixMessageBuilder(FixMsgType.Heartbeat);
                if (message.TryGetString(FixTag.TestReqId, out var testReqId))
                {
                    heartbeat.Set(FixTag.TestReqId, testReqId);
                }

                await SendCoreAsync(heartbeat, gapFillBeginSeqNo: null, CancellationToken.None);
                break;
            case FixMsgType.ResendRequest:
                if (message.TryGetInt(FixTag.BeginSeqNo, out var begin) && begin >= 1 && begin < _store.NextSenderMsgSeqNum)
                {
                    await SendCoreAsync(new FixMessageBuilder(FixMsgType.SequenceReset), begin, CancellationToken.None);
                }

                break;
            case FixMsgType.SequenceReset:
                // Gap-fill mode arriving in sequence (reset mode was handled by CheckSequenceAsync).
                if (message.TryGetInt(FixTag.NewSeqNo, out var newSeqNo) && newSeqNo > _store.NextTargetMsgSeqNum)
                {
                    _store.SetNextTargetMsgSeqNum(newSeqNo);
                    if (newSeqNo > _highestSeenSeqNum)
                    {
                        _resendRequested = false;
                    }
                }

                break;
            case FixMsgType.Logout:
                _log.Flush();
                if (Volatile.Read(ref _state) == StateLogoutSent)
                {
                    _logoutReceived.TrySetResult();
                    await CloseAsync("logout completed", graceful: true);
                }
                else
                {
                    var text = message.GetString(FixTag.Text);
                    await SendLogoutAsync(null);
                    _logoutReceived.TrySetResult();
                    await CloseAsync(text is null ? "logout by peer" : $"logout by peer: {text}", graceful: true);
                }

                break;
            case FixMsgType.Logon:
                // Already logged on: a second Logon is a protocol error, but harmless; ignore it.
                break;
            default:
                await _onApplicationMessage(this, message, ct);
                break;
        }
    }

    private async ValueTask RequestResendAsync(int expected, int received)
    {
        _highestSeenSeqNum = Math.Max(_highestSeenSeqNum, received);
        if (_resendRequested)
        {
            return;
        }

        _resendRequested = true;
        var request = new FixMessageBuilder(FixMsgType.ResendRequest)
            .Set(FixTag.BeginSeqNo, expected)
            .Set(FixTag.EndSeqNo, 0);
        await SendCoreAsync(request, gapFillBeginSeqNo: null, CancellationToken.None);
    }

    private Task SendRejectAsync(FixMessage refMessage, int sessionRejectReason, string text)
    {
        var reject = new FixMessageBuilder(FixMsgType.Reject)
            .Set(FixTag.RefSeqNum, refMessage.MsgSeqNum)
            .Set(FixTag.RefMsgType, refMessage.MsgType)
            .Set(FixTag.SessionRejectReason, sessionRejectReason)
            .Set(FixTag.Text, text);
        return SendQuietlyAsync(reject);
    }

    private async Task SendLogoutAsync(string? text)
    {
        var logout = new FixMessageBuilder(FixMsgType.Logout);
        if (!string.IsNullOrEmpty(text))
        {
            logout.Set(FixTag.Text, text);
        }

        await SendQuietlyAsync(logout);
        _log.Flush();
    }

    /// <summary>Sends a session message whose failure only means the connection is already gone.</summary>
    private async Task SendQuietlyAsync(FixMessageBuilder message)
    {
        try
        {
            await SendCoreAsync(message, gapFillBeginSeqNo: null, CancellationToken.None);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            // The peer went away; the read loop or the caller's close records the reason.
        }
    }

    /// <summary>
    /// Stamps the header and writes one message. With <paramref name="gapFillBeginSeqNo"/> the message is a
    /// SequenceReset-GapFill carrying that MsgSeqNum (PossDupFlag=Y) and NewSeqNo = our next MsgSeqNum, which does
    /// not consume a sequence number.
    /// </summary>
    private async Task SendCoreAsync(FixMessageBuilder message, int? gapFillBeginSeqNo, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            if (_sendClosed)
            {
                throw new InvalidOperationException($"FIX session is closed ({_disconnectReason}).");
            }

            var now = _time.GetUtcNow();
            var next = _store.NextSenderMsgSeqNum;
            var seq = next;
            if (gapFillBeginSeqNo is { } begin)
            {
                message.Set(FixTag.GapFillFlag, true).Set(FixTag.NewSeqNo, next);
                seq = begin;
            }

            var bytes = message.Build(new FixHeader(SenderCompId, _targetCompId ?? "UNKNOWN", seq, now, PossDupFlag: gapFillBeginSeqNo is not null));
            await _stream.WriteAsync(bytes, _lifetime.Token);
            if (gapFillBeginSeqNo is null)
            {
                _store.SetNextSenderMsgSeqNum(next + 1);
            }

            _log.Append(FixLogDirection.Out, bytes, now);
            Volatile.Write(ref _lastSentTicks, now.UtcTicks);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private void OnHeartbeatTimer()
    {
        var state = Volatile.Read(ref _state);
        if (state is not (StateLoggedOn or StateLogoutSent))
        {
            return;
        }

        var now = _time.GetUtcNow().UtcTicks;
        var interval = _heartBtInt.Ticks;
        if (Volatile.Read(ref _testRequestPending) == 1)
        {
            if (now - Volatile.Read(ref _testRequestSentTicks) >= interval)
            {
                _ = CloseAsync("no response to TestRequest within HeartBtInt", graceful: false);
                return;
            }
        }
        else if (now - Volatile.Read(ref _lastReceivedTicks) >= interval * 6 / 5)
        {
            // Silent for HeartBtInt + 20%: ask the peer to prove it is alive.
            Volatile.Write(ref _testRequestSentTicks, now);
            Volatile.Write(ref _testRequestPending, 1);
            var id = "TEST-" + Interlocked.Increment(ref _testRequestCounter).ToString(CultureInfo.InvariantCulture);
            _ = SendQuietlyAsync(new FixMessageBuilder(FixMsgType.TestRequest).Set(FixTag.TestReqId, id));
            return;
        }

        if (now - Volatile.Read(ref _lastSentTicks) >= interval && Interlocked.CompareExchange(ref _heartbeatInFlight, 1, 0) == 0)
        {
            _ = SendHeartbeatAsync();
        }
    }

    private async Task SendHeartbeatAsync()
    {
        try
        {
            await SendQuietlyAsync(new FixMessageBuilder(FixMsgType.Heartbeat));
        }
        finally
        {
            Volatile.Write(ref _heartbeatInFlight, 0);
        }
    }

    /// <summary>
    /// Ends the session. Graceful: stop sending (TCP FIN) and keep reading until the peer closes too or the logout
    /// timeout passes, so our last Logout is not lost to a reset. Otherwise the socket is closed at once.
    /// </summary>
    private async Task CloseAsync(string reason, bool graceful)
    {
        Interlocked.CompareExchange(ref _disconnectReason, reason, null);
        var previous = Interlocked.Exchange(ref _state, StateClosing);
        if (previous >= StateClosing && graceful)
        {
            return;
        }

        _heartbeatTimer?.Dispose();
        _logonTimer?.Dispose();
        _loggedOn.TrySetException(new FixSessionException(_disconnectReason ?? reason));
        if (!graceful)
        {
            FinalClose();
            return;
        }

        try
        {
            await _sendLock.WaitAsync();
            try
            {
                _sendClosed = true;
                _socket.Shutdown(SocketShutdown.Send);
            }
            finally
            {
                _sendLock.Release();
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            FinalClose();
            return;
        }

        _lingerTimer = _time.CreateTimer(static s => ((FixSession)s!).FinalClose(), this, _logoutTimeout, Timeout.InfiniteTimeSpan);
        if (Volatile.Read(ref _finalClosed) == 1)
        {
            _lingerTimer.Dispose();
        }
    }

    private void FinalClose()
    {
        if (Interlocked.Exchange(ref _finalClosed, 1) == 1)
        {
            return;
        }

        Volatile.Write(ref _state, StateClosed);
        _heartbeatTimer?.Dispose();
        _logonTimer?.Dispose();
        _lingerTimer?.Dispose();
        _lifetime.Cancel();
        _stream.Dispose();
        _socket.Dispose();
        _log.Dispose();
        _loggedOn.TrySetException(new FixSessionException(_disconnectReason ?? "closed"));
        _logoutReceived.TrySetResult();
        // Observe the exception so an unawaited logon task does not surface as unobserved.
        _ = _loggedOn.Task.Exception;
        try
        {
            _onClosed?.Invoke(this);
        }
        finally
        {
            _closed.TrySetResult();
        }
    }

    private static string TooLowText(int expected, int received) =>
        string.Create(CultureInfo.InvariantCulture, $"MsgSeqNum too low, expecting {expected} but received {received}");
}
