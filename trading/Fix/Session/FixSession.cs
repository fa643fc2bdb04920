using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using BigDataTrading.Fix.Logging;

namespace BigDataTrading.Fix;

/// <summary>
/// One FIX session (FIX 4.2 or 4.4, chosen per session) over one TCP connection, shared by both roles (created by
/// <see cref="FixInitiator"/> or <see cref="FixAcceptor"/>). Implements Logon, Heartbeat, TestRequest, ResendRequest,
/// SequenceReset (gap fill and reset), Reject and Logout, with the session-level checks of the FIX specification
/// as QuickFIX applies them.
/// </summary>
/// <remarks>
/// <para>Threading: one read loop per session processes inbound messages in order; <see cref="SendAsync(IFixApplicationMessage, CancellationToken)"/>
/// may be called from any thread, sends are serialized (one writer at a time) so MsgSeqNum order equals wire order.
/// Heartbeat checks run on a <see cref="TimeProvider"/> timer ticking every second (or HeartBtInt/2 when shorter).</para>
/// <para>Inbound checks, in order: BeginString (wrong → Logout "Incorrect BeginString" and disconnect); MsgSeqNum(34)
/// present (missing → Logout "MsgSeqNum(34) missing" and disconnect, as the FIX session rules require); the data
/// dictionary (<see cref="FixDataDictionary.Validate"/>; failure → Reject 35=3 with 45/58/371/372/373, routing
/// fields reversed); SendingTime within <see cref="FixSessionSettings.MaxSendingTimeSkew"/> (→ Reject 10 + Logout);
/// CompIDs (→ Reject 9 + Logout); then MsgSeqNum: higher than expected → the message is queued and one
/// ResendRequest(expected..0) is sent, queued messages are processed once the gap is filled; lower without
/// PossDupFlag=Y → Logout "MsgSeqNum too low, expecting N but received M"; lower with PossDupFlag=Y → ignored, after
/// checking OrigSendingTime(122) is present (→ Reject 1) and not after SendingTime (→ Reject 10 + Logout).
/// Logout, ResendRequest and SequenceReset-Reset are not subject to the MsgSeqNum checks. Garbled frames (bad
/// BodyLength/CheckSum, non-numeric tag) are discarded, logged and do not consume a sequence number.</para>
/// <para>A peer's ResendRequest is answered from the store: application messages kept by an
/// <see cref="IFixMessageStore"/> are resent with PossDupFlag=Y and the original SendingTime as OrigSendingTime,
/// everything else (admin messages, messages the store no longer has) is covered by SequenceReset-GapFill.</para>
/// </remarks>
public sealed class FixSession : IAsyncDisposable
{
    private const int StateAwaitingLogon = 0;
    private const int StateLoggedOn = 1;
    private const int StateLogoutSent = 2;
    private const int StateClosing = 3;
    private const int StateClosed = 4;

    /// <summary>Cap on messages held while a gap is filled; beyond it they are dropped (the resend brings them again).</summary>
    private const int MaxQueuedMessages = 10_000;

    private readonly FixSessionOptions _options;
    private readonly Socket _socket;
    private readonly Stream _stream;
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
    private readonly Action<FixSession, FixFrameError>? _onFrameError;
    private readonly Func<FixSession, FixMessage, CancellationToken, ValueTask> _onApplicationMessage;
    private readonly Action<FixSession>? _onLogon;
    private readonly Action<FixSession>? _onClosed;
    private readonly SortedDictionary<int, FixMessage> _queue = [];

    private volatile FixMessageLog _log = FixMessageLog.Null;
    private volatile string? _targetCompId;
    private volatile string? _disconnectReason;
    private string _beginString;
    private FixDataDictionary _dictionary;
    private int _state = StateAwaitingLogon;
    private int _closeCause;
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
    private int _heartbeatInFlight;
    private int _resendRangeBegin;
    private int _resendRangeEnd;

    internal FixSession(
        Socket socket,
        FixSessionOptions options,
        Func<FixSession, FixMessage, CancellationToken, ValueTask> onApplicationMessage,
        Action<FixSession>? onLogon,
        Action<FixSession>? onClosed,
        Stream? transport = null)
    {
        _options = options;
        _socket = socket;
        _socket.NoDelay = true;
        _stream = transport ?? new NetworkStream(socket, ownsSocket: false);
        Role = options.Role;
        SenderCompId = options.SenderCompId;
        _targetCompId = options.TargetCompId;
        _beginString = options.BeginString;
        _dictionary = options.DictionaryFor(options.BeginString);
        _heartBtInt = options.HeartBtInt;
        _logonTimeout = options.LogonTimeout;
        _logoutTimeout = options.LogoutTimeout;
        _logDirectory = options.LogDirectory;
        _time = options.TimeProvider;
        _store = options.SequenceStoreFactory?.Invoke() ?? new InMemorySequenceStore();
        _onFrameError = options.OnFrameError;
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

    /// <summary>The TLS protocol of the connection (e.g. <see cref="SslProtocols.Tls13"/>), or null when it is plaintext.</summary>
    public SslProtocols? TlsProtocol => _stream is SslStream ssl ? ssl.SslProtocol : null;

    /// <summary>The session's BeginString (8); an acceptor adopts the one of the peer's Logon.</summary>
    public string BeginString => Volatile.Read(ref _beginString);

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

    /// <summary>What kind of end the session had, for a reconnecting initiator to decide whether another connection can help.</summary>
    internal FixCloseCause CloseCause => (FixCloseCause)Volatile.Read(ref _closeCause);

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

        return SendCoreAsync(message, cancellationToken);
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

    /// <summary>Initiator: sends the Logon (98=0, 108=HeartBtInt) with the store's next MsgSeqNum.</summary>
    internal Task SendLogonAsync()
    {
        var logon = new FixMessageBuilder(FixMsgType.Logon)
            .Set(FixTag.EncryptMethod, 0)
            .Set(FixTag.HeartBtInt, (long)_heartBtInt.TotalSeconds);
        return SendCoreAsync(logon, CancellationToken.None);
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
        // Before Logon there is no session to protect: a peer that does not open with a valid Logon
        // (garbage) is dropped. Afterwards FIX says: ignore the garbled message and carry on.
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
            // Draining after our final Logout: nothing more is processed; the peer's Logout ends the linger early.
            if (message.MsgType == FixMsgType.Logout)
            {
                FinalClose();
            }

            return;
        }

        if (state == StateAwaitingLogon)
        {
            if (Role == FixSessionRole.Acceptor)
            {
                await HandleLogonRequestAsync(message);
            }
            else
            {
                await HandleLogonReplyAsync(message);
            }
        }
        else
        {
            await ProcessAsync(message, ct);
        }

        await ProcessQueuedAsync(ct);
    }

    /// <summary>Processes queued (too-high) messages once the expected MsgSeqNum has caught up with them.</summary>
    private async ValueTask ProcessQueuedAsync(CancellationToken ct)
    {
        while (_queue.Count > 0 && Volatile.Read(ref _state) is StateLoggedOn or StateLogoutSent)
        {
            var expected = _store.NextTargetMsgSeqNum;
            while (_queue.Count > 0 && _queue.First().Key < expected)
            {
                _queue.Remove(_queue.First().Key);
            }

            if (!_queue.Remove(expected, out var message))
            {
                return;
            }

            if (message.MsgType is FixMsgType.Logon or FixMsgType.ResendRequest)
            {
                // Already acted on when it arrived; it only holds its sequence number.
                _store.SetNextTargetMsgSeqNum(expected + 1);
                continue;
            }

            await ProcessAsync(message, ct);
            if (_store.NextTargetMsgSeqNum == expected)
            {
                // Not consumed (e.g. rejected): stop rather than spin.
                return;
            }
        }
    }

    /// <summary>Acceptor: the first message must be a valid Logon for a BeginString and CompIDs we serve.</summary>
    private async ValueTask HandleLogonRequestAsync(FixMessage message)
    {
        _logonTimer?.Dispose();
        if (message.MsgType != FixMsgType.Logon)
        {
            await CloseAsync($"first message was MsgType {message.MsgType}, not Logon", graceful: false);
            return;
        }

        var beginString = message.BeginString;
        if (_options.AcceptedBeginStrings is { } accepted && !accepted.Contains(beginString))
        {
            // Not a version we speak: there is no session to answer in.
            await CloseAsync($"Logon with unsupported BeginString {beginString}", graceful: false);
            return;
        }

        Volatile.Write(ref _beginString, beginString);
        _dictionary = _options.DictionaryFor(beginString);
        var peer = message.GetString(FixTag.SenderCompId);
        if (!string.IsNullOrEmpty(peer))
        {
            _targetCompId = peer;
        }

        string? problem = null;
        if (_dictionary.Validate(message) is { } invalid)
        {
            problem = invalid.RefTagId is { } tag
                ? string.Create(CultureInfo.InvariantCulture, $"invalid Logon: {invalid.Text} ({tag})")
                : $"invalid Logon: {invalid.Text}";
        }
        else if (!message.ValueEquals(FixTag.TargetCompId, SenderCompId))
        {
            problem = $"Logon TargetCompID {message.GetString(FixTag.TargetCompId)} is not {SenderCompId}";
        }
        else if (_options.AllowedTargetCompIds is not null && !_options.AllowedTargetCompIds.Contains(peer!))
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
        else if (!IsSendingTimeAccurate(message))
        {
            problem = "SendingTime accuracy problem";
        }
        else if (_options.ClaimIdentity is { } claim && !claim(this))
        {
            problem = $"session {beginString} {peer}->{SenderCompId} is already logged on";
        }
        else
        {
            _heartBtInt = TimeSpan.FromSeconds(heartBtInt);
        }

        if (problem is not null)
        {
            if (_options.SendLogoutOnRejectedLogon)
            {
                await SendLogoutAsync(problem);
                await CloseAsync(problem, graceful: true);
            }
            else
            {
                await CloseAsync(problem, graceful: false);
            }

            return;
        }

        var reset = message.TryGetBool(FixTag.ResetSeqNumFlag, out var resetFlag) && resetFlag;
        if (reset)
        {
            ResetStore();
        }

        if (!await CheckLogonSequenceAsync(message))
        {
            return;
        }

        Volatile.Write(ref _state, StateLoggedOn);
        await SendLogonReplyAsync(reset);
        StartHeartbeats();
        await AfterLogonSequenceAsync(message);
        _loggedOn.TrySetResult();
        _onLogon?.Invoke(this);
    }

    /// <summary>Initiator: the first message must be the acceptor's Logon reply.</summary>
    private async ValueTask HandleLogonReplyAsync(FixMessage message)
    {
        if (message.MsgType != FixMsgType.Logon)
        {
            // An acceptor refusing our Logon answers with a Logout carrying the reason: surface that text.
            var refusal = message.MsgType == FixMsgType.Logout
                ? $"logon refused: {message.GetString(FixTag.Text) ?? "no reason given"}"
                : $"first message was MsgType {message.MsgType}, not Logon";
            SetCloseCause(message.MsgType == FixMsgType.Logout ? FixCloseCause.LogonRefused : FixCloseCause.ConnectionLost);
            await CloseAsync(refusal, graceful: false);
            return;
        }

        var peer = message.GetString(FixTag.SenderCompId);
        string? problem = null;
        if (!message.BeginStringEquals(_beginString))
        {
            problem = $"Logon reply BeginString {message.BeginString} is not {_beginString}";
        }
        else if (_dictionary.Validate(message) is { } invalid)
        {
            problem = $"invalid Logon reply: {invalid.Text} ({invalid.RefTagId})";
        }
        else if (peer != _targetCompId || !message.ValueEquals(FixTag.TargetCompId, SenderCompId))
        {
            problem = $"Logon reply CompIDs 49={peer} 56={message.GetString(FixTag.TargetCompId)} do not match {_targetCompId}/{SenderCompId}";
        }
        else if (!IsSendingTimeAccurate(message))
        {
            problem = "Logon reply SendingTime accuracy problem";
        }

        if (problem is not null)
        {
            SetCloseCause(FixCloseCause.Unrecoverable);
            await SendLogoutAsync(problem);
            await CloseAsync(problem, graceful: true);
            _loggedOn.TrySetException(new FixSessionException(problem));
            return;
        }

        if (!await CheckLogonSequenceAsync(message))
        {
            return;
        }

        Volatile.Write(ref _state, StateLoggedOn);
        StartHeartbeats();
        await AfterLogonSequenceAsync(message);
        _loggedOn.TrySetResult();
        _onLogon?.Invoke(this);
    }

    /// <summary>A Logon below the expected MsgSeqNum ends the session; returns false then.</summary>
    private async ValueTask<bool> CheckLogonSequenceAsync(FixMessage message)
    {
        var seq = message.MsgSeqNum;
        var expected = _store.NextTargetMsgSeqNum;
        if (seq >= expected)
        {
            return true;
        }

        var text = TooLowText(expected, seq);
        SetCloseCause(FixCloseCause.Unrecoverable);
        await SendLogoutAsync(text);
        await CloseAsync(text, graceful: true);
        return false;
    }

    /// <summary>Logon in sequence → consumed; ahead of us → it is processed, queued for its number, and the gap requested.</summary>
    private async ValueTask AfterLogonSequenceAsync(FixMessage message)
    {
        var seq = message.MsgSeqNum;
        var expected = _store.NextTargetMsgSeqNum;
        if (seq == expected)
        {
            _store.SetNextTargetMsgSeqNum(seq + 1);
            return;
        }

        _queue[seq] = message;
        await RequestResendAsync(expected, seq);
    }

    private void StartHeartbeats()
    {
        var tick = _heartBtInt < TimeSpan.FromSeconds(2) ? _heartBtInt / 2 : TimeSpan.FromSeconds(1);
        _heartbeatTimer?.Dispose();
        _heartbeatTimer = _time.CreateTimer(static s => ((FixSession)s!).OnHeartbeatTimer(), this, tick, tick);
    }

    private Task SendLogonReplyAsync(bool reset)
    {
        var reply = new FixMessageBuilder(FixMsgType.Logon)
            .Set(FixTag.EncryptMethod, 0)
            .Set(FixTag.HeartBtInt, (long)_heartBtInt.TotalSeconds);
        if (reset)
        {
            reply.Set(FixTag.ResetSeqNumFlag, true);
        }

        return SendCoreAsync(reply, CancellationToken.None);
    }

    private void ResetStore()
    {
        if (_store is IFixMessageStore messages)
        {
            messages.Reset();
        }
        else
        {
            _store.SetNextSenderMsgSeqNum(1);
            _store.SetNextTargetMsgSeqNum(1);
        }

        _queue.Clear();
        _resendRangeBegin = 0;
        _resendRangeEnd = 0;
    }

    /// <summary>Handles one message of a logged-on session (see the class remarks for the order of checks).</summary>
    private async ValueTask ProcessAsync(FixMessage message, CancellationToken ct)
    {
        if (!message.BeginStringEquals(_beginString))
        {
            if (message.MsgType == FixMsgType.Logout)
            {
                await OnLogoutAsync(message);
                return;
            }

            SetCloseCause(FixCloseCause.Unrecoverable);
            await LogoutAndCloseAsync("Incorrect BeginString");
            return;
        }

        if (!message.Contains(FixTag.MsgSeqNum))
        {
            // FIX session rules: a message without MsgSeqNum is a serious application error that no Reject can
            // repair (there is no number to refer to or to consume), so Logout and disconnect.
            await LogoutAndCloseAsync("MsgSeqNum(34) missing");
            return;
        }

        if (_dictionary.Validate(message) is { } invalid)
        {
            await SendRejectAsync(message, invalid.Reason, invalid.RefTagId);
            if (message.MsgType is not (FixMsgType.Logon or FixMsgType.SequenceReset))
            {
                ConsumeIfExpected(message);
            }

            return;
        }

        switch (message.MsgType)
        {
            case FixMsgType.Logon:
                await OnLogonWhileLoggedOnAsync(message);
                break;
            case FixMsgType.Heartbeat:
                if (await VerifyAsync(message, checkTooHigh: true, checkTooLow: true))
                {
                    Consume();
                }

                break;
            case FixMsgType.TestRequest:
                if (await VerifyAsync(message, checkTooHigh: true, checkTooLow: true))
                {
                    var heartbeat = new FixMessageBuilder(FixMsgType.Heartbeat);
                    if (message.TryGetValue(FixTag.TestReqId, out var testReqId) && !testReqId.IsEmpty)
                    {
                        heartbeat.Set(FixTag.TestReqId, testReqId);
                    }

                    await SendQuietlyAsync(heartbeat);
                    Consume();
                }

                break;
            case FixMsgType.ResendRequest:
                if (await VerifyAsync(message, checkTooHigh: false, checkTooLow: false))
                {
                    await AnswerResendRequestAsync(message);
                    if (message.MsgSeqNum > _store.NextTargetMsgSeqNum)
                    {
                        await HoldTooHighResendRequestAsync(message);
                    }
                    else
                    {
                        ConsumeIfExpected(message);
                    }
                }

                break;
            case FixMsgType.SequenceReset:
                await OnSequenceResetAsync(message);
                break;
            case FixMsgType.Logout:
                await OnLogoutAsync(message);
                break;
            default:
                // Application messages, and session Rejects (35=3), which the application is told about.
                if (await VerifyAsync(message, checkTooHigh: true, checkTooLow: true))
                {
                    Consume();
                    await _onApplicationMessage(this, message, ct);
                }

                break;
        }
    }

    /// <summary>
    /// A ResendRequest ahead of the expected MsgSeqNum (typical right after a reconnect, when both sides ask at once) is
    /// answered at once, but its number must still be accounted for: it is queued to hold that number (processing it
    /// later only consumes it) and the gap before it is requested unless a request already covers it. Otherwise the
    /// peer's gap fill for the range, which may arrive after a queued Logon has advanced past its MsgSeqNum, is a
    /// possible duplicate and ignored, and the session would wait for that number until the next heartbeat.
    /// </summary>
    private async ValueTask HoldTooHighResendRequestAsync(FixMessage message)
    {
        var seq = message.MsgSeqNum;
        if (_queue.Count < MaxQueuedMessages)
        {
            _queue.TryAdd(seq, message);
        }

        if (_resendRangeEnd == 0 || seq < _resendRangeBegin)
        {
            await RequestResendAsync(_store.NextTargetMsgSeqNum, seq);
        }
    }

    /// <summary>
    /// The checks QuickFIX calls <c>verify</c>: SendingTime, CompIDs and (when asked) MsgSeqNum. Returns true when the
    /// message should be processed; otherwise it has been answered (Reject/Logout/ResendRequest) or ignored.
    /// </summary>
    private async ValueTask<bool> VerifyAsync(FixMessage message, bool checkTooHigh, bool checkTooLow)
    {
        if (!IsSendingTimeAccurate(message))
        {
            await SendRejectAsync(message, FixSessionRejectReason.SendingTimeAccuracyProblem, null);
            await LogoutAndCloseAsync(null, "SendingTime accuracy problem");
            return false;
        }

        if (!message.ValueEquals(FixTag.SenderCompId, _targetCompId!) || !message.ValueEquals(FixTag.TargetCompId, SenderCompId))
        {
            var problem = $"CompID problem: expected 49={_targetCompId} 56={SenderCompId}, received 49={message.GetString(FixTag.SenderCompId)} 56={message.GetString(FixTag.TargetCompId)}";
            SetCloseCause(FixCloseCause.Unrecoverable);
            await SendRejectAsync(message, FixSessionRejectReason.CompIdProblem, null);
            await LogoutAndCloseAsync(problem);
            return false;
        }

        var seq = message.MsgSeqNum;
        var expected = _store.NextTargetMsgSeqNum;
        if (checkTooHigh && seq > expected)
        {
            if (_queue.Count < MaxQueuedMessages)
            {
                _queue.TryAdd(seq, message);
            }

            if (_resendRangeEnd == 0 || seq < _resendRangeBegin)
            {
                await RequestResendAsync(expected, seq);
            }

            return false;
        }

        if (checkTooLow && seq < expected)
        {
            if (!message.IsPossDup)
            {
                SetCloseCause(FixCloseCause.Unrecoverable);
                await LogoutAndCloseAsync(TooLowText(expected, seq));
                return false;
            }

            // A possible duplicate of something already processed: ignore it, but only once it proves to be one.
            if (message.MsgType != FixMsgType.SequenceReset)
            {
                if (!message.Contains(FixTag.OrigSendingTime))
                {
                    await SendRejectAsync(message, FixSessionRejectReason.RequiredTagMissing, FixTag.OrigSendingTime);
                }
                else if (message.TryGetTimestamp(FixTag.OrigSendingTime, out var orig) && message.TryGetTimestamp(FixTag.SendingTime, out var sending)
                    && orig > sending)
                {
                    await SendRejectAsync(message, FixSessionRejectReason.SendingTimeAccuracyProblem, null);
                    await LogoutAndCloseAsync(null, "OrigSendingTime after SendingTime");
                }
            }

            return false;
        }

        if ((checkTooHigh || checkTooLow) && _resendRangeEnd != 0 && seq >= _resendRangeEnd)
        {
            // The gap we asked for has been filled.
            _resendRangeBegin = 0;
            _resendRangeEnd = 0;
        }

        return true;
    }

    private bool IsSendingTimeAccurate(FixMessage message)
    {
        if (_options.MaxSendingTimeSkew is not { } skew)
        {
            return true;
        }

        return message.TryGetTimestamp(FixTag.SendingTime, out var sendingTime) && (_time.GetUtcNow() - sendingTime).Duration() <= skew;
    }

    private void Consume() => _store.SetNextTargetMsgSeqNum(_store.NextTargetMsgSeqNum + 1);

    private void ConsumeIfExpected(FixMessage message)
    {
        if (message.Contains(FixTag.MsgSeqNum) && message.MsgSeqNum == _store.NextTargetMsgSeqNum)
        {
            Consume();
        }
    }

    private async ValueTask OnSequenceResetAsync(FixMessage message)
    {
        var gapFill = message.TryGetBool(FixTag.GapFillFlag, out var flag) && flag;
        // Reset mode ignores MsgSeqNum; gap fill is sequenced like any message.
        if (!await VerifyAsync(message, checkTooHigh: gapFill, checkTooLow: gapFill))
        {
            return;
        }

        message.TryGetInt(FixTag.NewSeqNo, out var newSeqNo);
        var expected = _store.NextTargetMsgSeqNum;
        if (newSeqNo > expected)
        {
            _store.SetNextTargetMsgSeqNum(newSeqNo);
        }
        else if (newSeqNo < expected)
        {
            await SendRejectAsync(message, FixSessionRejectReason.ValueIsIncorrect, null);
        }
    }

    private async ValueTask OnLogonWhileLoggedOnAsync(FixMessage message)
    {
        if (!(message.TryGetBool(FixTag.ResetSeqNumFlag, out var reset) && reset))
        {
            await CloseAsync("second Logon on a logged-on session", graceful: false);
            return;
        }

        // ResetSeqNumFlag=Y: both sides start a new FIX session at 1 on this connection.
        ResetStore();
        if (!await VerifyAsync(message, checkTooHigh: false, checkTooLow: true))
        {
            return;
        }

        if (Role == FixSessionRole.Acceptor)
        {
            await SendLogonReplyAsync(reset: true);
        }

        await AfterLogonSequenceAsync(message);
    }

    private async ValueTask OnLogoutAsync(FixMessage message)
    {
        if (!await VerifyAsync(message, checkTooHigh: false, checkTooLow: false))
        {
            return;
        }

        ConsumeIfExpected(message);
        _log.Flush();
        if (Volatile.Read(ref _state) == StateLogoutSent)
        {
            _logoutReceived.TrySetResult();
            await CloseAsync("logout completed", graceful: true);
            return;
        }

        var text = message.GetString(FixTag.Text);
        SetCloseCause(FixCloseCause.PeerLogout);
        Volatile.Write(ref _state, StateLogoutSent);
        await SendLogoutAsync(null);
        _logoutReceived.TrySetResult();
        await CloseAsync(text is null ? "logout by peer" : $"logout by peer: {text}", graceful: true);
    }

    /// <summary>
    /// Answers a peer's ResendRequest: stored application messages are resent (PossDupFlag=Y, OrigSendingTime),
    /// every other number in the range is covered by SequenceReset-GapFill.
    /// </summary>
    private async ValueTask AnswerResendRequestAsync(FixMessage request)
    {
        request.TryGetInt(FixTag.BeginSeqNo, out var begin);
        request.TryGetInt(FixTag.EndSeqNo, out var end);
        var lastSent = _store.NextSenderMsgSeqNum - 1;
        if (end == 0 || end > lastSent)
        {
            end = lastSent;
        }

        begin = Math.Max(begin, 1);
        if (begin > end)
        {
            return;
        }

        var stored = (_store as IFixMessageStore)?.GetSentMessages(begin, end) ?? [];
        var cursor = begin;
        foreach (var entry in stored)
        {
            if (!FixMessage.TryParse(entry.Message.Span, out var original, out _))
            {
                continue;
            }

            if (entry.MsgSeqNum > cursor)
            {
                await SendGapFillAsync(cursor, entry.MsgSeqNum);
            }

            await ResendAsync(entry.MsgSeqNum, original);
            cursor = entry.MsgSeqNum + 1;
        }

        if (cursor <= end)
        {
            await SendGapFillAsync(cursor, end + 1);
        }
    }

    private Task SendGapFillAsync(int seqNum, int newSeqNo)
    {
        var gapFill = new FixMessageBuilder(FixMsgType.SequenceReset)
            .Set(FixTag.NewSeqNo, newSeqNo)
            .Set(FixTag.GapFillFlag, true);
        return SendQuietlyAsync(gapFill, seqNum);
    }

    private Task ResendAsync(int seqNum, FixMessage original)
    {
        var bodyStart = 3;
        while (bodyStart < original.FieldCount - 1 && _dictionary.IsHeaderField(original.GetTagAt(bodyStart)))
        {
            bodyStart++;
        }

        var builder = new FixMessageBuilder(original.MsgType).AppendRaw(original.GetRawFieldsFrom(bodyStart));
        DateTimeOffset? orig = original.TryGetTimestamp(FixTag.SendingTime, out var sendingTime) ? sendingTime : null;
        return SendQuietlyAsync(builder, seqNum, orig);
    }

    private async ValueTask RequestResendAsync(int expected, int received)
    {
        _resendRangeBegin = expected;
        _resendRangeEnd = received - 1;
        var request = new FixMessageBuilder(FixMsgType.ResendRequest)
            .Set(FixTag.BeginSeqNo, expected)
            .Set(FixTag.EndSeqNo, 0);
        await SendQuietlyAsync(request);
    }

    /// <summary>Session Reject (35=3) for <paramref name="refMessage"/>, laid out as QuickFIX does (routing reversed, 45/58/371/372/373).</summary>
    private Task SendRejectAsync(FixMessage refMessage, FixSessionRejectReason reason, int? refTagId, string? text = null)
    {
        var reject = new FixMessageBuilder(FixMsgType.Reject);
        ReverseRoute(refMessage, reject);
        if (refMessage.TryGetValue(FixTag.MsgSeqNum, out var refSeq) && !refSeq.IsEmpty)
        {
            reject.Set(FixTag.RefSeqNum, refSeq);
        }

        reject.Set(FixTag.Text, text ?? FixValidationError.TextFor(reason));
        if (refTagId is { } tag)
        {
            reject.Set(FixTag.RefTagId, tag);
        }

        reject.Set(FixTag.RefMsgType, refMessage.MsgType);
        // FIX 4.2 defines reason codes 0-11 only.
        if (_beginString != FixVersions.Fix42 || (int)reason <= (int)FixSessionRejectReason.InvalidMsgType)
        {
            reject.Set(FixTag.SessionRejectReason, (int)reason);
        }

        return SendQuietlyAsync(reject);
    }

    private static void ReverseRoute(FixMessage from, FixMessageBuilder to)
    {
        Span<(int From, int To)> pairs =
        [
            (FixTag.OnBehalfOfCompId, FixTag.DeliverToCompId), (FixTag.OnBehalfOfSubId, FixTag.DeliverToSubId), (FixTag.OnBehalfOfLocationId, FixTag.DeliverToLocationId),
            (FixTag.DeliverToCompId, FixTag.OnBehalfOfCompId), (FixTag.DeliverToSubId, FixTag.OnBehalfOfSubId), (FixTag.DeliverToLocationId, FixTag.OnBehalfOfLocationId),
        ];
        foreach (var (source, target) in pairs)
        {
            if (from.TryGetValue(source, out var value) && !value.IsEmpty)
            {
                to.SetHeaderField(target, System.Text.Encoding.UTF8.GetString(value));
            }
        }
    }

    private async Task LogoutAndCloseAsync(string? text, string? reason = null)
    {
        Volatile.Write(ref _state, StateLogoutSent);
        await SendLogoutAsync(text);
        await CloseAsync(reason ?? text ?? "logout sent", graceful: true);
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
    private async Task SendQuietlyAsync(FixMessageBuilder message, int? resendSeqNum = null, DateTimeOffset? origSendingTime = null)
    {
        try
        {
            await SendCoreAsync(message, CancellationToken.None, resendSeqNum, origSendingTime);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            // The peer went away; the read loop or the caller's close records the reason.
        }
    }

    /// <summary>
    /// Stamps the header and writes one message. A new message takes the store's next MsgSeqNum (application messages
    /// are stored for resend first); with <paramref name="resendSeqNum"/> it is a resend or gap fill carrying that
    /// number with PossDupFlag=Y, which consumes no number.
    /// </summary>
    private async Task SendCoreAsync(FixMessageBuilder message, CancellationToken cancellationToken, int? resendSeqNum = null, DateTimeOffset? origSendingTime = null)
    {
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            if (_sendClosed)
            {
                throw new InvalidOperationException($"FIX session is closed ({_disconnectReason}).");
            }

            var now = _time.GetUtcNow();
            var seq = resendSeqNum ?? _store.NextSenderMsgSeqNum;
            var header = new FixHeader(SenderCompId, _targetCompId ?? "UNKNOWN", seq, now, resendSeqNum is not null, origSendingTime, _beginString);
            var bytes = message.Build(header);
            if (resendSeqNum is null)
            {
                // Persist before the bytes leave: a message on the wire must be resendable after a crash.
                if (!FixMsgType.IsAdmin(message.MsgType) && _store is IFixMessageStore messages)
                {
                    messages.StoreSentMessage(seq, bytes);
                }

                _store.SetNextSenderMsgSeqNum(seq + 1);
            }

            await _stream.WriteAsync(bytes, _lifetime.Token);
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
        // The timer ticks at a fixed phase, so a deadline usually falls just after a tick; allowing half a tick of
        // earliness keeps heartbeats on time instead of one tick late.
        var slack = Math.Min(interval, TimeSpan.TicksPerSecond) / 2;
        var testRequestPending = Volatile.Read(ref _testRequestPending) == 1;
        if (testRequestPending && now - Volatile.Read(ref _testRequestSentTicks) >= interval - slack)
        {
            _ = CloseAsync("no response to TestRequest within HeartBtInt", graceful: false);
            return;
        }

        var heartbeat = now - Volatile.Read(ref _lastSentTicks) >= interval - slack;
        // Silent for HeartBtInt + 20%: ask the peer to prove it is alive.
        var testRequest = !testRequestPending && now - Volatile.Read(ref _lastReceivedTicks) >= interval * 6 / 5;
        if (testRequest)
        {
            Volatile.Write(ref _testRequestSentTicks, now);
            Volatile.Write(ref _testRequestPending, 1);
        }

        if ((heartbeat || testRequest) && Interlocked.CompareExchange(ref _heartbeatInFlight, 1, 0) == 0)
        {
            _ = SendTimerMessagesAsync(heartbeat, testRequest);
        }
    }

    /// <summary>Heartbeat first, then TestRequest, when both fall due on the same tick (the order QuickFIX peers expect).</summary>
    private async Task SendTimerMessagesAsync(bool heartbeat, bool testRequest)
    {
        try
        {
            if (heartbeat)
            {
                await SendQuietlyAsync(new FixMessageBuilder(FixMsgType.Heartbeat));
            }

            if (testRequest)
            {
                // "TEST" as QuickFIX sends it: any traffic in reply satisfies it, so the id need not be unique.
                await SendQuietlyAsync(new FixMessageBuilder(FixMsgType.TestRequest).Set(FixTag.TestReqId, "TEST"));
            }
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
        if (previous < StateClosing)
        {
            // Once our last Logout is out (or the connection is going) the identity is free for a new Logon,
            // even while this connection lingers for the peer's close.
            _options.ReleaseIdentity?.Invoke(this);
        }

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
                if (_stream is SslStream ssl)
                {
                    // TLS close_notify first, so the peer can tell our end from a truncation attack.
                    await ssl.ShutdownAsync();
                }

                _socket.Shutdown(SocketShutdown.Send);
            }
            finally
            {
                _sendLock.Release();
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
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
        (_store as IDisposable)?.Dispose();
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

    /// <summary>Records why the session is ending; the first cause recorded wins (like the reason text).</summary>
    private void SetCloseCause(FixCloseCause cause) => Interlocked.CompareExchange(ref _closeCause, (int)cause, (int)FixCloseCause.ConnectionLost);

    private static string TooLowText(int expected, int received) =>
        string.Create(CultureInfo.InvariantCulture, $"MsgSeqNum too low, expecting {expected} but received {received}");
}

/// <summary>How a session ended, as far as reconnecting is concerned.</summary>
internal enum FixCloseCause
{
    /// <summary>The connection went away or failed (or it was closed locally): another connection may well work.</summary>
    ConnectionLost = 0,

    /// <summary>The peer logged out of a running session (maintenance, end of day): reconnecting is normal.</summary>
    PeerLogout,

    /// <summary>The peer answered our Logon with a Logout: the text says why (CompID, credentials, already logged on).</summary>
    LogonRefused,

    /// <summary>Our own checks ended it (CompIDs, BeginString, MsgSeqNum too low): a new connection repeats the problem.</summary>
    Unrecoverable,
}
