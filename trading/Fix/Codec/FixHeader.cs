namespace BigDataTrading.Fix;

/// <summary>
/// The standard header fields the session layer stamps on every outbound message
/// (8 BeginString, 34 MsgSeqNum, 49 SenderCompID, 52 SendingTime, 56 TargetCompID, optionally 43 PossDupFlag /
/// 122 OrigSendingTime).
/// </summary>
/// <param name="SenderCompId">Our CompID (tag 49).</param>
/// <param name="TargetCompId">The peer's CompID (tag 56).</param>
/// <param name="MsgSeqNum">Outbound sequence number (tag 34), starting at 1.</param>
/// <param name="SendingTime">Sending time (tag 52); encoded in UTC with millisecond precision.</param>
/// <param name="PossDupFlag">When true, 43=Y and 122 OrigSendingTime are written.</param>
/// <param name="OrigSendingTime">Tag 122 when <paramref name="PossDupFlag"/> is set; defaults to <paramref name="SendingTime"/>.</param>
/// <param name="BeginString">Tag 8; null means <see cref="FixVersions.Fix44"/>.</param>
public readonly record struct FixHeader(
    string SenderCompId,
    string TargetCompId,
    int MsgSeqNum,
    DateTimeOffset SendingTime,
    bool PossDupFlag = false,
    DateTimeOffset? OrigSendingTime = null,
    string? BeginString = null);
