using System.Collections.Concurrent;

namespace BigDataTrading.Fix.Tests.Conformance;

/// <summary>
/// The application the acceptance scripts assume (described in the suite's FORMAT.md): NewOrderSingle (D),
/// SecurityDefinition (d) and Email (C) are echoed back as new messages with the same body fields (in ascending tag
/// order, as QuickFIX's field maps write them); a PossResend=Y order whose ClOrdID this session already saw is
/// dropped; Rejects are noted; anything else gets BusinessMessageReject "Unsupported Message Type" (380=3).
/// </summary>
internal sealed class EchoApplication : IFixApplication
{
    private readonly ConcurrentDictionary<FixSession, HashSet<string>> _seenClOrdIds = new();

    public async ValueTask OnMessageAsync(FixSession session, FixMessage message, CancellationToken cancellationToken)
    {
        switch (message.MsgType)
        {
            case FixMsgType.NewOrderSingle:
                var seen = _seenClOrdIds.GetOrAdd(session, _ => new HashSet<string>(StringComparer.Ordinal));
                var clOrdId = message.GetString(FixTag.ClOrdId) ?? string.Empty;
                if (message.TryGetBool(FixTag.PossResend, out var possResend) && possResend && seen.Contains(clOrdId))
                {
                    return;
                }

                seen.Add(clOrdId);
                await session.SendAsync(Echo(message), cancellationToken);
                break;
            case "d" or "C":
                await session.SendAsync(Echo(message), cancellationToken);
                break;
            case FixMsgType.Reject or FixMsgType.BusinessMessageReject:
                break;
            default:
                await session.SendAsync(
                    new FixMessageBuilder(FixMsgType.BusinessMessageReject)
                        .Set(FixTag.RefSeqNum, message.MsgSeqNum)
                        .Set(FixTag.Text, "Unsupported Message Type")
                        .Set(FixTag.RefMsgType, message.MsgType)
                        .Set(FixTag.BusinessRejectReason, 3),
                    cancellationToken);
                break;
        }
    }

    private static FixMessageBuilder Echo(FixMessage message)
    {
        var dictionary = FixDataDictionary.ForBeginString(message.BeginString);
        var body = new List<int>();
        for (var i = 3; i < message.FieldCount - 1; i++)
        {
            var tag = message.GetTagAt(i);
            if (!dictionary.IsHeaderField(tag) && !dictionary.IsTrailerField(tag))
            {
                body.Add(i);
            }
        }

        var echo = new FixMessageBuilder(message.MsgType);
        foreach (var index in body.OrderBy(message.GetTagAt))
        {
            echo.Set(message.GetTagAt(index), message.GetValueAt(index));
        }

        return echo;
    }
}
