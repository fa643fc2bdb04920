namespace BigDataTrading.Fix;

/// <summary>
/// Where a session keeps its next outbound (sender) and next expected inbound (target) MsgSeqNum.
/// </summary>
/// <remarks>
/// This is the persistence seam. <see cref="InMemorySequenceStore"/> makes every new connection a new FIX session
/// starting at 1/1; <see cref="FileSequenceStore"/> survives restarts. Implementations must persist each Set call
/// before returning. Calls come from two threads: sender methods under the session's send lock, target methods
/// from the read loop. A store that also implements <see cref="IFixMessageStore"/> lets the session answer a
/// peer's ResendRequest with the original application messages; otherwise it gap-fills.
/// </remarks>
public interface ISequenceStore
{
    /// <summary>MsgSeqNum (34) to put on the next outbound message.</summary>
    int NextSenderMsgSeqNum { get; }

    /// <summary>MsgSeqNum (34) expected on the next inbound message.</summary>
    int NextTargetMsgSeqNum { get; }

    /// <summary>Records that the next outbound message gets <paramref name="value"/>.</summary>
    void SetNextSenderMsgSeqNum(int value);

    /// <summary>Records that the next inbound message should carry <paramref name="value"/>.</summary>
    void SetNextTargetMsgSeqNum(int value);
}

/// <summary>One stored outbound message: its MsgSeqNum and the complete frame as originally sent.</summary>
/// <param name="MsgSeqNum">MsgSeqNum (34) of the message.</param>
/// <param name="Message">The raw frame, <c>8=</c> through the checksum's SOH.</param>
public readonly record struct StoredFixMessage(int MsgSeqNum, ReadOnlyMemory<byte> Message);

/// <summary>
/// A sequence store that also keeps the application messages a session sent, so a ResendRequest can be answered
/// with them (PossDupFlag=Y, OrigSendingTime = the original SendingTime); admin messages are never stored and are
/// gap-filled. Same threading contract as <see cref="ISequenceStore"/>; <see cref="GetSentMessages"/> is called
/// from the read loop while a sender may be storing.
/// </summary>
public interface IFixMessageStore : ISequenceStore
{
    /// <summary>Stores an application message sent with <paramref name="msgSeqNum"/> (durably, before returning).</summary>
    void StoreSentMessage(int msgSeqNum, ReadOnlySpan<byte> message);

    /// <summary>Stored messages with <paramref name="beginSeqNo"/> ≤ MsgSeqNum ≤ <paramref name="endSeqNo"/>, ascending.</summary>
    IReadOnlyList<StoredFixMessage> GetSentMessages(int beginSeqNo, int endSeqNo);

    /// <summary>Starts a new FIX session: both sequence numbers back to 1 and the stored messages dropped (ResetSeqNumFlag).</summary>
    void Reset();
}

/// <summary>
/// Non-durable <see cref="IFixMessageStore"/> starting at 1/1. Keeps at most <see cref="MaxStoredMessages"/> sent
/// application messages (older ones are gap-filled on resend, so a long-running session's memory stays bounded).
/// Thread-safe.
/// </summary>
public sealed class InMemorySequenceStore : IFixMessageStore
{
    private readonly Lock _gate = new();
    private readonly SortedList<int, byte[]> _messages = [];
    private int _nextSender = 1;
    private int _nextTarget = 1;

    /// <summary>Creates a store keeping up to <paramref name="maxStoredMessages"/> messages for resend.</summary>
    public InMemorySequenceStore(int maxStoredMessages = 100_000)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxStoredMessages);
        MaxStoredMessages = maxStoredMessages;
    }

    /// <summary>How many sent application messages are kept for resend.</summary>
    public int MaxStoredMessages { get; }

    /// <inheritdoc />
    public int NextSenderMsgSeqNum => Volatile.Read(ref _nextSender);

    /// <inheritdoc />
    public int NextTargetMsgSeqNum => Volatile.Read(ref _nextTarget);

    /// <inheritdoc />
    public void SetNextSenderMsgSeqNum(int value)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
        Volatile.Write(ref _nextSender, value);
    }

    /// <inheritdoc />
    public void SetNextTargetMsgSeqNum(int value)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
        Volatile.Write(ref _nextTarget, value);
    }

    /// <inheritdoc />
    public void StoreSentMessage(int msgSeqNum, ReadOnlySpan<byte> message)
    {
        if (MaxStoredMessages == 0)
        {
            return;
        }

        lock (_gate)
        {
            _messages[msgSeqNum] = message.ToArray();
            while (_messages.Count > MaxStoredMessages)
            {
                _messages.RemoveAt(0);
            }
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<StoredFixMessage> GetSentMessages(int beginSeqNo, int endSeqNo)
    {
        lock (_gate)
        {
            return [.. _messages.Where(m => m.Key >= beginSeqNo && m.Key <= endSeqNo).Select(m => new StoredFixMessage(m.Key, m.Value))];
        }
    }

    /// <inheritdoc />
    public void Reset()
    {
        lock (_gate)
        {
            _messages.Clear();
            Volatile.Write(ref _nextSender, 1);
            Volatile.Write(ref _nextTarget, 1);
        }
    }
}
