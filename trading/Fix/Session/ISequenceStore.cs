namespace BigDataTrading.Fix;

/// <summary>
/// Where a session keeps its next outbound (sender) and next expected inbound (target) MsgSeqNum.
/// </summary>
/// <remarks>
/// This is the persistence seam: the thin engine uses <see cref="InMemorySequenceStore"/>, so every new
/// connection starts a new FIX session at 1/1 (both sides reset). A durable store (file or database, keyed by
/// SenderCompID/TargetCompID and trading day) is a later issue; it must persist each Set call before returning.
/// Calls come from two threads: sender methods under the session's send lock, target methods from the read loop.
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

/// <summary>Non-durable <see cref="ISequenceStore"/> starting at 1/1. Thread-safe (volatile reads/writes).</summary>
public sealed class InMemorySequenceStore : ISequenceStore
{
    private int _nextSender = 1;
    private int _nextTarget = 1;

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
}
