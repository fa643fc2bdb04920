using System.Net;
using System.Net.Sockets;
using BigDataTrading.Fix;
using Microsoft.Extensions.Time.Testing;

namespace BigDataTrading.Fix.Tests;

/// <summary>Heartbeat and TestRequest timing, driven by a fake clock: the test moves time, never sleeps.</summary>
public sealed class HeartbeatTests
{
    [Fact]
    public async Task Silent_initiator_sends_heartbeat_then_test_request_then_disconnects_when_peer_stays_silent()
    {
        // The raw peer stamps real SendingTimes, which must be within the engine's 2-minute accuracy window.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var settings = new FixSessionSettings
        {
            SenderCompId = "BDT",
            TargetCompId = "BDTX",
            HeartBtInt = TimeSpan.FromSeconds(30),
            TimeProvider = time,
        };

        var connecting = FixInitiator.ConnectAsync("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port, settings);
        await using var peer = RawFixPeer.FromAccepted(await listener.AcceptSocketAsync(), "BDTX", "BDT");
        var logon = await peer.ReadAsync();
        Assert.Equal(FixMsgType.Logon, logon.MsgType);
        Assert.True(logon.TryGetInt(FixTag.HeartBtInt, out var heartBtInt) && heartBtInt == 30);
        await peer.SendAsync(new FixMessageBuilder(FixMsgType.Logon).Set(FixTag.EncryptMethod, 0).Set(FixTag.HeartBtInt, 30));
        await using var initiator = await connecting.WaitAsync(RawFixPeer.Timeout);

        // Nothing sent for HeartBtInt → Heartbeat (and it is the first thing sent after the Logon).
        time.Advance(TimeSpan.FromSeconds(30));
        var heartbeat = await peer.ReadAsync();
        Assert.Equal(FixMsgType.Heartbeat, heartbeat.MsgType);
        Assert.Equal(2, heartbeat.MsgSeqNum);
        Assert.False(heartbeat.Contains(FixTag.TestReqId));

        // Nothing received for HeartBtInt * 1.2 → TestRequest.
        time.Advance(TimeSpan.FromSeconds(6));
        var testRequest = await peer.ReadAsync();
        Assert.Equal(FixMsgType.TestRequest, testRequest.MsgType);
        Assert.Equal("TEST", testRequest.GetString(FixTag.TestReqId));

        // Still silent a further HeartBtInt → the connection is considered lost.
        time.Advance(TimeSpan.FromSeconds(30));
        await initiator.Session.Completion.WaitAsync(RawFixPeer.Timeout);
        Assert.Equal("no response to TestRequest within HeartBtInt", initiator.Session.DisconnectReason);
        await peer.ExpectEndOfStreamAsync();
    }

    [Fact]
    public async Task Answered_test_request_keeps_the_session_alive()
    {
        // The raw peer stamps real SendingTimes, which must be within the engine's 2-minute accuracy window.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var connecting = FixInitiator.ConnectAsync("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port, new FixSessionSettings
        {
            SenderCompId = "BDT",
            TargetCompId = "BDTX",
            HeartBtInt = TimeSpan.FromSeconds(10),
            TimeProvider = time,
        });
        await using var peer = RawFixPeer.FromAccepted(await listener.AcceptSocketAsync(), "BDTX", "BDT");
        await peer.ReadAsync();
        await peer.SendAsync(new FixMessageBuilder(FixMsgType.Logon).Set(FixTag.EncryptMethod, 0).Set(FixTag.HeartBtInt, 10));
        await using var initiator = await connecting.WaitAsync(RawFixPeer.Timeout);

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(FixMsgType.Heartbeat, (await peer.ReadAsync()).MsgType);
        time.Advance(TimeSpan.FromSeconds(2));
        var testRequest = await peer.ReadAsync();
        Assert.Equal(FixMsgType.TestRequest, testRequest.MsgType);

        // The answer is an ordinary inbound message; once the initiator has processed it (observable through the
        // expected inbound MsgSeqNum, awaited via a TestRequest round trip of our own) the session stays up.
        await peer.SendAsync(new FixMessageBuilder(FixMsgType.Heartbeat).Set(FixTag.TestReqId, testRequest.GetString(FixTag.TestReqId)!));
        await peer.SendAsync(new FixMessageBuilder(FixMsgType.TestRequest).Set(FixTag.TestReqId, "sync"));
        Assert.Equal("sync", (await peer.ReadAsync()).GetString(FixTag.TestReqId));

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(FixMsgType.Heartbeat, (await peer.ReadAsync()).MsgType);
        Assert.True(initiator.Session.IsLoggedOn);
        Assert.False(initiator.Session.Completion.IsCompleted);
    }
}
