namespace BigDataTrading.Fix;

/// <summary>
/// Receives application-level messages from the sessions of a <see cref="FixAcceptor"/>.
/// </summary>
/// <remarks>
/// Calls for one session come from that session's read loop, one at a time and in MsgSeqNum order (the next
/// inbound message is not read until the returned task completes); different sessions call concurrently.
/// Responses are sent with <see cref="FixSession.SendAsync(IFixApplicationMessage, CancellationToken)"/>.
/// An exception thrown by the handler closes that session (fail fast; see <see cref="FixSession.DisconnectReason"/>).
/// </remarks>
public interface IFixApplication
{
    /// <summary>
    /// An application message (any MsgType other than 0, 1, 2, 4, 5, A). Session-level Reject (3) is also delivered
    /// here so the application learns which of its messages the peer refused.
    /// </summary>
    ValueTask OnMessageAsync(FixSession session, FixMessage message, CancellationToken cancellationToken);

    /// <summary>The session completed its Logon exchange.</summary>
    void OnLogon(FixSession session)
    {
    }

    /// <summary>The session's connection is gone (after Logout or any failure).</summary>
    void OnSessionClosed(FixSession session)
    {
    }
}
