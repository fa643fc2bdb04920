using BigDataTrading.Exchange;
using BigDataTrading.Fix;

namespace BigDataTrading.Fix.Tests;

/// <summary>Session-layer rules of the acceptor, driven byte by byte from a plain socket.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed by xunit through IAsyncLifetime.DisposeAsync.")]
public sealed class SessionProtocolTests : IAsyncLifetime
{
    private readonly ExchangeSimulator _exchange = new();

    public Task InitializeAsync() => _exchange.StartAsync(new ExchangeSimulatorOptions { RunId = "P" });

    public async Task DisposeAsync() => await _exchange.DisposeAsync();

    private Task<RawFixPeer> ConnectAsync() => RawFixPeer.ConnectAsync(_exchange.EndPoint, "CLIENT", "BDTX");

    private static FixMessageBuilder Order(string clOrdId) => TestOrders.Limit(clOrdId).ToBuilder();

    [Fact]
    public async Task Sequence_number_too_low_gets_a_logout_with_the_expected_text_and_a_disconnect()
    {
        await using var peer = await ConnectAsync();
        await peer.LogonAsync();

        await peer.SendAsync(new FixMessageBuilder(FixMsgType.Heartbeat), seqNum: 1);

        var logout = await peer.ReadAsync();
        Assert.Equal(FixMsgType.Logout, logout.MsgType);
        Assert.Equal("MsgSeqNum too low, expecting 2 but received 1", logout.GetString(FixTag.Text));
        await peer.ExpectEndOfStreamAsync();
    }

    [Fact]
    public async Task Possible_duplicate_with_a_low_sequence_number_is_ignored()
    {
        await using var peer = await ConnectAsync();
        await peer.LogonAsync();

        await peer.SendAsync(Order("DUP"), seqNum: 1, possDup: true);
        await peer.SendAsync(Order("REAL"));

        var report = await peer.ReadAsync();
        Assert.Equal("REAL", report.GetString(FixTag.ClOrdId));
    }

    [Fact]
    public async Task Sequence_gap_triggers_a_resend_request_and_a_gap_fill_resumes_the_session()
    {
        await using var peer = await ConnectAsync();
        await peer.LogonAsync();

        await peer.SendAsync(Order("AHEAD"), seqNum: 5);
        var resend = await peer.ReadAsync();
        Assert.Equal(FixMsgType.ResendRequest, resend.MsgType);
        Assert.True(resend.TryGetInt(FixTag.BeginSeqNo, out var begin) && begin == 2);
        Assert.True(resend.TryGetInt(FixTag.EndSeqNo, out var end) && end == 0);

        // This peer keeps no message store either: it fills the gap up to its next number.
        await peer.SendAsync(new FixMessageBuilder(FixMsgType.SequenceReset).Set(FixTag.GapFillFlag, true).Set(FixTag.NewSeqNo, 6), seqNum: 2, possDup: true);
        await peer.SendAsync(Order("AFTER-GAP"), seqNum: 6);

        var ack = await peer.ReadAsync();
        Assert.Equal(FixMsgType.ExecutionReport, ack.MsgType);
        Assert.Equal("AFTER-GAP", ack.GetString(FixTag.ClOrdId));
    }

    [Fact]
    public async Task Resend_request_from_the_peer_gets_the_stored_reports_as_possible_duplicates_and_admin_messages_gap_filled()
    {
        await using var peer = await ConnectAsync();
        await peer.LogonAsync();
        await peer.SendAsync(Order("O1"));
        var ack = await peer.ReadAsync();
        var fill = await peer.ReadAsync();

        await peer.SendAsync(new FixMessageBuilder(FixMsgType.ResendRequest).Set(FixTag.BeginSeqNo, 1).Set(FixTag.EndSeqNo, 0));

        // Logon(1) is an admin message: gap-filled to 2. New(2) and Fill(3) are resent with their original body.
        var gapFill = await peer.ReadAsync();
        Assert.Equal((FixMsgType.SequenceReset, 1, true), (gapFill.MsgType, gapFill.MsgSeqNum, gapFill.IsPossDup));
        Assert.True(gapFill.TryGetBool(FixTag.GapFillFlag, out var isGapFill) && isGapFill);
        Assert.True(gapFill.TryGetInt(FixTag.NewSeqNo, out var newSeqNo) && newSeqNo == 2);
        foreach (var original in new[] { ack, fill })
        {
            var resent = await peer.ReadAsync();
            Assert.Equal((FixMsgType.ExecutionReport, original.MsgSeqNum, true), (resent.MsgType, resent.MsgSeqNum, resent.IsPossDup));
            Assert.Equal(original.GetString(FixTag.SendingTime), resent.GetString(FixTag.OrigSendingTime));
            Assert.Equal(original.GetString(FixTag.ExecId), resent.GetString(FixTag.ExecId));
        }

        // Resends do not consume numbers: the next real message is 4.
        await peer.SendAsync(new FixMessageBuilder(FixMsgType.TestRequest).Set(FixTag.TestReqId, "after"));
        Assert.Equal(4, (await peer.ReadAsync()).MsgSeqNum);
    }

    [Fact]
    public async Task Acceptor_adopts_the_heartbeat_interval_proposed_in_the_logon()
    {
        await using var peer = await ConnectAsync();

        var reply = await peer.LogonAsync(heartBtInt: 7);

        Assert.True(reply.TryGetInt(FixTag.HeartBtInt, out var heartBtInt));
        Assert.Equal(7, heartBtInt);
        Assert.True(reply.TryGetInt(FixTag.EncryptMethod, out var encryptMethod) && encryptMethod == 0);
        Assert.Equal(("BDTX", "CLIENT"), (reply.GetString(FixTag.SenderCompId), reply.GetString(FixTag.TargetCompId)));
    }

    [Fact]
    public async Task Test_request_is_answered_with_a_heartbeat_carrying_its_id()
    {
        await using var peer = await ConnectAsync();
        await peer.LogonAsync();

        await peer.SendAsync(new FixMessageBuilder(FixMsgType.TestRequest).Set(FixTag.TestReqId, "PING-1"));

        var heartbeat = await peer.ReadAsync();
        Assert.Equal(FixMsgType.Heartbeat, heartbeat.MsgType);
        Assert.Equal("PING-1", heartbeat.GetString(FixTag.TestReqId));
    }

    [Fact]
    public async Task Wrong_comp_id_after_logon_gets_a_reject_then_a_logout()
    {
        await using var peer = await ConnectAsync();
        await peer.LogonAsync();

        await peer.SendAsync(Order("X"), senderCompId: "IMPOSTOR");

        var reject = await peer.ReadAsync();
        Assert.Equal(FixMsgType.Reject, reject.MsgType);
        Assert.True(reject.TryGetInt(FixTag.SessionRejectReason, out var reason) && reason == 9);
        Assert.True(reject.TryGetInt(FixTag.RefSeqNum, out var refSeq) && refSeq == 2);
        Assert.Equal(FixMsgType.Logout, (await peer.ReadAsync()).MsgType);
        await peer.ExpectEndOfStreamAsync();
    }

    [Fact]
    public async Task Garbled_frame_after_logon_is_discarded_without_consuming_a_sequence_number()
    {
        await using var peer = await ConnectAsync();
        await peer.LogonAsync();
        var garbled = peer.Encode(Order("GARBLED"), seqNum: 2);
        garbled[^3] = garbled[^3] == (byte)'9' ? (byte)'0' : (byte)(garbled[^3] + 1);

        await peer.SendRawAsync(garbled);
        await peer.SendAsync(Order("GOOD"), seqNum: 2);

        var ack = await peer.ReadAsync();
        Assert.Equal("GOOD", ack.GetString(FixTag.ClOrdId));
        Assert.Equal(1, _exchange.Statistics.OrdersReceived);
    }

    [Fact]
    public async Task Peer_logout_is_answered_with_logout_then_disconnect()
    {
        await using var peer = await ConnectAsync();
        await peer.LogonAsync();

        await peer.SendAsync(new FixMessageBuilder(FixMsgType.Logout));

        Assert.Equal(FixMsgType.Logout, (await peer.ReadAsync()).MsgType);
        await peer.ExpectEndOfStreamAsync();
    }

    [Fact]
    public async Task Connection_that_does_not_start_with_a_fix44_logon_is_dropped()
    {
        await using var peer = await ConnectAsync();

        await peer.SendRawAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray());
        await peer.SendAsync(Order("BEFORE-LOGON"));

        await peer.ExpectDroppedAsync();
        Assert.Equal(0, _exchange.Statistics.OrdersReceived);
    }

    [Fact]
    public async Task Undecodable_order_gets_a_session_reject_naming_the_missing_field()
    {
        await using var peer = await ConnectAsync();
        await peer.LogonAsync();

        await peer.SendAsync(new FixMessageBuilder(FixMsgType.NewOrderSingle).Set(FixTag.ClOrdId, "NOSYM"));

        var reject = await peer.ReadAsync();
        Assert.Equal(FixMsgType.Reject, reject.MsgType);
        Assert.Equal("Symbol(55) is missing", reject.GetString(FixTag.Text));
    }
}
