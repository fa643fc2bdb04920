using System.Globalization;
using System.Text;

namespace BigDataTrading.Fix.Tests;

/// <summary>
/// What an acceptor does with malformed input after Logon, as the FIX session rules require (FIX 4.4 Vol 2,
/// "Message validation" and the session test cases 2d/2m/3b/14a-14i): a garbled frame — bad CheckSum, wrong
/// BodyLength, garbage bytes — is ignored without consuming a MsgSeqNum and the session carries on; a well-framed
/// message that breaks the data dictionary gets a session-level Reject naming the tag and reason, consumes its
/// MsgSeqNum, and the session carries on. Each test proves survival by the next message being processed.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed by xunit through IAsyncLifetime.DisposeAsync.")]
public sealed class MalformedFixTests : IAsyncLifetime
{
    private readonly CapturingApplication _application = new();
    private FixAcceptor? _acceptor;

    public Task InitializeAsync()
    {
        _acceptor = new FixAcceptor(
            new FixAcceptorSettings
            {
                SenderCompId = "BDTX",
                DataDictionaries = new Dictionary<string, FixDataDictionary>(StringComparer.Ordinal) { [FixVersions.Fix44] = RepeatingGroupTests.Dictionary },
            },
            _application);
        _acceptor.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _acceptor!.DisposeAsync();

    private async Task<RawFixPeer> LoggedOnPeerAsync()
    {
        var peer = await RawFixPeer.ConnectAsync(_acceptor!.EndPoint, "CLIENT", "BDTX");
        await peer.LogonAsync();
        return peer;
    }

    /// <summary>A framed message with correct BodyLength and CheckSum around a hand-written body (pipes for SOH).</summary>
    private static byte[] Raw(string msgType, int seqNum, string fields, bool possDup = false)
    {
        var now = DateTime.UtcNow.ToString("yyyyMMdd-HH:mm:ss.fff", CultureInfo.InvariantCulture);
        var header = possDup ? $"35={msgType}|34={seqNum}|43=Y|49=CLIENT|52={now}|56=BDTX|122={now}|" : $"35={msgType}|34={seqNum}|49=CLIENT|52={now}|56=BDTX|";
        return RepeatingGroupTests.Frame(header + fields).Raw.ToArray();
    }

    private static byte[] Order(int seqNum, string clOrdId, bool possDup = false) =>
        Raw(FixMsgType.NewOrderSingle, seqNum, $"11={clOrdId}|55=AAPL|54=1|60=20250102-03:04:05.678|38=100|40=2|44=1.5|", possDup);

    private static byte[] WithBodyLength(byte[] frame, int delta)
    {
        var text = Encoding.ASCII.GetString(frame);
        var declared = int.Parse(text.Split('\u0001')[1][2..], CultureInfo.InvariantCulture);
        return Encoding.ASCII.GetBytes(text.Replace($"\u00019={declared}\u0001", $"\u00019={declared + delta}\u0001", StringComparison.Ordinal));
    }

    /// <summary>Sends a TestRequest and expects its Heartbeat as the very next message: proves nothing else (no Reject, no ResendRequest) was sent.</summary>
    private static async Task ExpectNothingSentThenHeartbeatAsync(RawFixPeer peer, int seqNum)
    {
        await peer.SendRawAsync(Raw(FixMsgType.TestRequest, seqNum, "112=PROBE|"));
        var reply = await peer.ReadAsync();
        Assert.Equal((FixMsgType.Heartbeat, "PROBE"), (reply.MsgType, reply.GetString(FixTag.TestReqId)));
    }

    [Fact]
    public async Task Bad_checksum_is_ignored_without_consuming_a_sequence_number()
    {
        await using var peer = await LoggedOnPeerAsync();
        var bad = Order(2, "BAD");
        bad[^2] = bad[^2] == (byte)'9' ? (byte)'0' : (byte)(bad[^2] + 1);

        await peer.SendRawAsync([.. bad, .. Order(2, "GOOD")]);

        Assert.Equal(("GOOD", 2), await ClOrdIdAndSeqAsync());
        await ExpectNothingSentThenHeartbeatAsync(peer, 3);
    }

    [Fact]
    public async Task Body_length_too_short_is_ignored_without_consuming_a_sequence_number()
    {
        await using var peer = await LoggedOnPeerAsync();

        await peer.SendRawAsync([.. WithBodyLength(Order(2, "SHORT"), -10), .. Order(2, "GOOD")]);

        Assert.Equal(("GOOD", 2), await ClOrdIdAndSeqAsync());
        await ExpectNothingSentThenHeartbeatAsync(peer, 3);
    }

    [Fact]
    public async Task Body_length_too_long_swallows_the_next_message_and_the_resend_recovers_both()
    {
        await using var peer = await LoggedOnPeerAsync();

        await peer.SendRawAsync([.. WithBodyLength(Order(2, "LONG"), +10), .. Order(3, "SWALLOWED"), .. Order(4, "AFTER")]);
        var resend = await peer.ReadAsync();
        Assert.Equal((FixMsgType.ResendRequest, 2, 0), (resend.MsgType, resend.TryGetInt(FixTag.BeginSeqNo, out var b) ? b : -1, resend.TryGetInt(FixTag.EndSeqNo, out var e) ? e : -1));
        await peer.SendRawAsync([.. Order(2, "LONG", possDup: true), .. Order(3, "SWALLOWED", possDup: true)]);

        Assert.Equal(("LONG", 2), await ClOrdIdAndSeqAsync());
        Assert.Equal(("SWALLOWED", 3), await ClOrdIdAndSeqAsync());
        Assert.Equal(("AFTER", 4), await ClOrdIdAndSeqAsync());
        await ExpectNothingSentThenHeartbeatAsync(peer, 5);
    }

    [Fact]
    public async Task Garbage_bytes_between_messages_are_ignored_and_the_session_goes_on()
    {
        await using var peer = await LoggedOnPeerAsync();

        await peer.SendRawAsync([.. "\r\nnot fix at all\u0001\u00018=FIX"u8, .. Order(2, "GOOD"), .. "8=FIX.4.4\u00019=x\u0001"u8, .. Order(3, "NEXT")]);

        Assert.Equal(("GOOD", 2), await ClOrdIdAndSeqAsync());
        Assert.Equal(("NEXT", 3), await ClOrdIdAndSeqAsync());
        await ExpectNothingSentThenHeartbeatAsync(peer, 4);
    }

    public static TheoryData<string, string, int, int> InvalidMessages() => new()
    {
        // MsgType, fields, SessionRejectReason, RefTagID
        { FixMsgType.TestRequest, "", 1, FixTag.TestReqId },                                                  // required admin field missing
        { FixMsgType.NewOrderSingle, "11=X|54=1|60=20250102-03:04:05.678|40=2|", 1, FixTag.Symbol },         // required application field missing
        { FixMsgType.NewOrderSingle, "11=X|55=AAPL|54=1|60=20250102-03:04:05.678|40=2|44=|", 4, FixTag.Price }, // tag without a value
        { FixMsgType.NewOrderSingle, "11=X|55=AAPL|54=1|60=20250102-03:04:05.678|40=2|44=1.2.3|", 6, FixTag.Price }, // incorrect data format
        { FixMsgType.NewOrderSingle, "11=X|55=AAPL|54=9|60=20250102-03:04:05.678|40=2|", 5, FixTag.Side },    // value not in the enumeration
        { FixMsgType.NewOrderSingle, "11=X|55=AAPL|54=1|60=20250102-03:04:05.678|40=2|9999=Z|", 0, 9999 },    // tag not in the dictionary
        { FixMsgType.NewOrderSingle, "11=X|55=AAPL|54=1|60=20250102-03:04:05.678|40=2|453=2|448=P|", 16, 453 }, // NumInGroup mismatch
    };

    [Theory]
    [MemberData(nameof(InvalidMessages))]
    public async Task Message_breaking_the_dictionary_gets_a_reject_naming_tag_and_reason_and_consumes_its_sequence_number(string msgType, string fields, int reason, int refTagId)
    {
        await using var peer = await LoggedOnPeerAsync();

        await peer.SendRawAsync(Raw(msgType, 2, fields));
        var reject = await peer.ReadAsync();
        await peer.SendRawAsync(Order(3, "NEXT"));

        Assert.Equal(FixMsgType.Reject, reject.MsgType);
        Assert.Equal((2, refTagId, msgType, reason), (Int(reject, FixTag.RefSeqNum), Int(reject, FixTag.RefTagId), reject.GetString(FixTag.RefMsgType), Int(reject, FixTag.SessionRejectReason)));
        Assert.Equal(FixValidationError.TextFor((FixSessionRejectReason)reason), reject.GetString(FixTag.Text));
        Assert.Equal(("NEXT", 3), await ClOrdIdAndSeqAsync());
        await ExpectNothingSentThenHeartbeatAsync(peer, 4);
    }

    [Fact]
    public async Task Message_without_MsgSeqNum_gets_a_logout_and_a_disconnect()
    {
        await using var peer = await LoggedOnPeerAsync();
        var now = DateTime.UtcNow.ToString("yyyyMMdd-HH:mm:ss.fff", CultureInfo.InvariantCulture);

        await peer.SendRawAsync(RepeatingGroupTests.Frame($"35=D|49=CLIENT|52={now}|56=BDTX|11=NOSEQ|55=AAPL|54=1|60={now}|40=1|").Raw.ToArray());
        var logout = await peer.ReadAsync();

        Assert.Equal((FixMsgType.Logout, "MsgSeqNum(34) missing"), (logout.MsgType, logout.GetString(FixTag.Text)));
        await peer.ExpectEndOfStreamAsync();
        Assert.True(_application.IsEmpty);
    }

    private static int Int(FixMessage message, int tag) => message.TryGetInt(tag, out var value) ? value : -1;

    private async Task<(string?, int)> ClOrdIdAndSeqAsync()
    {
        var message = await _application.NextAsync();
        return (message.GetString(FixTag.ClOrdId), message.MsgSeqNum);
    }
}
