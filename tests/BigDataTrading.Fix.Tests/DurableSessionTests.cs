using System.Net;
using System.Net.Sockets;
using System.Text;

namespace BigDataTrading.Fix.Tests;

/// <summary>File-backed sequence store: restarts resume the FIX session and a ResendRequest gets the stored orders back.</summary>
public sealed class DurableSessionTests : IDisposable
{
    private readonly TestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private FixSessionSettings Settings() => new()
    {
        SenderCompId = "BDT",
        TargetCompId = "VENUE",
        SequenceStoreFactory = () => new FileSequenceStore(_directory.Path, FileSequenceStore.SessionName(FixVersions.Fix44, "BDT", "VENUE")),
        LogoutTimeout = TimeSpan.FromSeconds(5),
    };

    /// <summary>Connects an initiator to a raw peer acting as the venue and completes the Logon exchange.</summary>
    private async Task<(FixInitiator Initiator, RawFixPeer Venue, FixMessage Logon)> ConnectAsync(TcpListener listener, int venueNextSeqNum)
    {
        var connecting = FixInitiator.ConnectAsync("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port, Settings());
        var venue = RawFixPeer.FromAccepted(await listener.AcceptSocketAsync(), "VENUE", "BDT");
        venue.NextSeqNum = venueNextSeqNum;
        var logon = await venue.ReadAsync();
        await venue.SendAsync(new FixMessageBuilder(FixMsgType.Logon).Set(FixTag.EncryptMethod, 0).Set(FixTag.HeartBtInt, 30));
        return (await connecting.WaitAsync(RawFixPeer.Timeout), venue, logon);
    }

    private static async Task LogoutAsync(FixInitiator initiator, RawFixPeer venue)
    {
        var loggingOut = initiator.LogoutAsync();
        Assert.Equal(FixMsgType.Logout, (await venue.ReadAsync()).MsgType);
        await venue.SendAsync(new FixMessageBuilder(FixMsgType.Logout));
        // A venue closes after its Logout reply; the initiator waits for that close.
        await venue.DisposeAsync();
        await loggingOut.WaitAsync(RawFixPeer.Timeout);
        Assert.Equal("logout completed", initiator.Session.DisconnectReason);
    }

    [Fact]
    public async Task Restarted_initiator_continues_its_sequence_numbers_and_resends_stored_orders_on_request()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();

        // First run: Logon(1), two orders (2, 3), Logout(4); the venue sent Logon(1) and Logout(2).
        var (first, venue, logon) = await ConnectAsync(listener, venueNextSeqNum: 1);
        Assert.Equal(1, logon.MsgSeqNum);
        await first.SendAsync(TestOrders.Limit("O1"));
        await first.SendAsync(TestOrders.Limit("O2"));
        var sent = new[] { await venue.ReadAsync(), await venue.ReadAsync() };
        await LogoutAsync(first, venue);
        await first.DisposeAsync();

        // Second run against the same files: the Logon carries 5 and the venue's 3 is what the initiator expects.
        var (second, venue2, logon2) = await ConnectAsync(listener, venueNextSeqNum: 3);
        await using var initiator = second;
        await using var peer = venue2;
        Assert.Equal(5, logon2.MsgSeqNum);
        Assert.Equal(4, initiator.Session.NextTargetMsgSeqNum);

        await peer.SendAsync(new FixMessageBuilder(FixMsgType.ResendRequest).Set(FixTag.BeginSeqNo, 1).Set(FixTag.EndSeqNo, 0));

        var gapToOrders = await peer.ReadAsync();
        Assert.Equal((FixMsgType.SequenceReset, 1, true), (gapToOrders.MsgType, gapToOrders.MsgSeqNum, gapToOrders.IsPossDup));
        Assert.True(gapToOrders.TryGetInt(FixTag.NewSeqNo, out var newSeqNo) && newSeqNo == 2);
        foreach (var original in sent)
        {
            var resent = await peer.ReadAsync();
            Assert.Equal((FixMsgType.NewOrderSingle, original.MsgSeqNum, true), (resent.MsgType, resent.MsgSeqNum, resent.IsPossDup));
            Assert.Equal(original.GetString(FixTag.ClOrdId), resent.GetString(FixTag.ClOrdId));
            Assert.Equal(original.GetString(FixTag.SendingTime), resent.GetString(FixTag.OrigSendingTime));
            Assert.True(resent.Contains(FixTag.Price));
        }

        // Logout(4) and Logon(5) are admin messages: one gap fill to the next real number.
        var gapToEnd = await peer.ReadAsync();
        Assert.Equal((FixMsgType.SequenceReset, 4), (gapToEnd.MsgType, gapToEnd.MsgSeqNum));
        Assert.True(gapToEnd.TryGetInt(FixTag.NewSeqNo, out var end) && end == 6);
        Assert.Equal(6, initiator.Session.NextSenderMsgSeqNum);
        await LogoutAsync(initiator, peer);
    }

    [Fact]
    public void Store_survives_reopening_drops_a_torn_last_record_and_resets_on_request()
    {
        var name = FileSequenceStore.SessionName(FixVersions.Fix44, "A", "B/C");
        Assert.Equal("FIX.4.4-A-B_C", name);
        using (var store = new FileSequenceStore(_directory.Path, name))
        {
            store.SetNextSenderMsgSeqNum(3);
            store.SetNextTargetMsgSeqNum(7);
            store.StoreSentMessage(1, "first"u8);
            store.StoreSentMessage(2, "second"u8);
        }

        // A crash in the middle of appending message 3.
        File.AppendAllText(Path.Combine(_directory.Path, name + ".messages"), "3,100\npartial", Encoding.ASCII);

        using (var store = new FileSequenceStore(_directory.Path, name))
        {
            Assert.Equal((3, 7), (store.NextSenderMsgSeqNum, store.NextTargetMsgSeqNum));
            Assert.Equal(["first", "second"], store.GetSentMessages(1, 10).Select(m => Encoding.ASCII.GetString(m.Message.Span)));
            Assert.Equal([2], store.GetSentMessages(2, 2).Select(m => m.MsgSeqNum));
            store.StoreSentMessage(3, "third"u8);
            Assert.Equal("third", Encoding.ASCII.GetString(store.GetSentMessages(3, 3).Single().Message.Span));

            store.Reset();
            Assert.Equal((1, 1), (store.NextSenderMsgSeqNum, store.NextTargetMsgSeqNum));
            Assert.Empty(store.GetSentMessages(1, int.MaxValue));
        }

        Assert.Equal("0000000001:0000000001\n", File.ReadAllText(Path.Combine(_directory.Path, name + ".seqnums")));
    }
}
