namespace BigDataTrading.Fix;

/// <summary>
/// The store an acceptor hands its sessions before it knows who is logging on: until <see cref="Bind"/> (called when
/// the Logon has passed every check) it is a transient 1/1 store, so a refused Logon touches no client's sequence
/// numbers; afterwards every call goes to the client's own store. Dispose does not close the bound store: the
/// acceptor owns it and reuses it for the client's next connection.
/// </summary>
/// <remarks>
/// Thread-safe as far as the bound store is. Binding happens on the session's read loop before the Logon reply is
/// sent, so no message is numbered from the transient store once the session is logged on.
/// </remarks>
internal sealed class DeferredSequenceStore : IFixMessageStore, IDisposable
{
    private ISequenceStore _target = new InMemorySequenceStore(maxStoredMessages: 0);

    /// <summary>From now on, delegates to <paramref name="store"/>.</summary>
    public void Bind(ISequenceStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        Volatile.Write(ref _target, store);
    }

    private ISequenceStore Target => Volatile.Read(ref _target);

    /// <inheritdoc />
    public int NextSenderMsgSeqNum => Target.NextSenderMsgSeqNum;

    /// <inheritdoc />
    public int NextTargetMsgSeqNum => Target.NextTargetMsgSeqNum;

    /// <inheritdoc />
    public void SetNextSenderMsgSeqNum(int value) => Target.SetNextSenderMsgSeqNum(value);

    /// <inheritdoc />
    public void SetNextTargetMsgSeqNum(int value) => Target.SetNextTargetMsgSeqNum(value);

    /// <inheritdoc />
    public void StoreSentMessage(int msgSeqNum, ReadOnlySpan<byte> message) =>
        (Target as IFixMessageStore)?.StoreSentMessage(msgSeqNum, message);

    /// <inheritdoc />
    /// <remarks>A bound store that keeps no messages returns none: the session gap-fills instead.</remarks>
    public IReadOnlyList<StoredFixMessage> GetSentMessages(int beginSeqNo, int endSeqNo) =>
        (Target as IFixMessageStore)?.GetSentMessages(beginSeqNo, endSeqNo) ?? [];

    /// <inheritdoc />
    public void Reset()
    {
        var target = Target;
        if (target is IFixMessageStore messages)
        {
            messages.Reset();
        }
        else
        {
            target.SetNextSenderMsgSeqNum(1);
            target.SetNextTargetMsgSeqNum(1);
        }
    }

    /// <summary>Nothing to release: the acceptor owns the bound store.</summary>
    public void Dispose()
    {
    }
}
