using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace BigDataTrading.Fix.Tests;

/// <summary>
/// <see cref="ReconnectingFixInitiator"/> over real TCP against our acceptor: a dropped session comes back with its
/// sequence numbers (resend one way, gap fill the other), backoff grows and is capped on the injected clock, and a
/// refused Logon ends in a clear error instead of a reconnect loop.
/// </summary>
public sealed class ReconnectTests(ITestOutputHelper output)
{
    private static FixSessionSettings Settings(TimeProvider? time = null) => new()
    {
        SenderCompId = "BDT",
        TargetCompId = "VENUE",
        TimeProvider = time ?? TimeProvider.System,
        LogonTimeout = RawFixPeer.Timeout,
    };

    private static ExecutionReport Report(string clOrdId) => new()
    {
        OrderId = "O-" + clOrdId,
        ClOrdId = clOrdId,
        ExecId = "E-" + clOrdId,
        ExecType = FixExecType.New,
        OrdStatus = FixOrdStatus.New,
        Symbol = "AAPL",
        Side = FixSide.Buy,
        OrderQty = 10m,
        Price = 1.5m,
        LastQty = 0m,
        LastPx = 0m,
        LeavesQty = 10m,
        CumQty = 0m,
        AvgPx = 0m,
        TransactTime = DateTimeOffset.UtcNow,
    };

    /// <summary>Collects an initiator's state changes so a test can await them in order.</summary>
    /// <summary>A venue (our acceptor, in-memory store) and a reconnecting initiator logged on to it, its states observed.</summary>
    private static async Task<ConnectedPair> ConnectedPairAsync()
    {
        var venueStore = new InMemorySequenceStore();
        var acceptor = new FixAcceptor(new FixAcceptorSettings { SenderCompId = "VENUE", SequenceStoreFactory = _ => venueStore }, new CapturingApplication());
        acceptor.Start();
        var initiator = new ReconnectingFixInitiator("127.0.0.1", acceptor.Port, Settings(), new FixReconnectOptions { InitialDelay = TimeSpan.FromMilliseconds(10) });
        var states = Observe(initiator);
        await initiator.StartAsync();
        Assert.Equal(FixConnectionState.Connected, (await NextAsync(states)).State);
        return new ConnectedPair(venueStore, acceptor, initiator, states);
    }

    private sealed record ConnectedPair(InMemorySequenceStore VenueStore, FixAcceptor Acceptor, ReconnectingFixInitiator Initiator, Channel<FixConnectionStateChange> States) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Initiator.DisposeAsync();
            await Acceptor.DisposeAsync();
        }
    }

    private static Channel<FixConnectionStateChange> Observe(ReconnectingFixInitiator initiator)
    {
        var states = Channel.CreateUnbounded<FixConnectionStateChange>();
        initiator.StateChanged += change => states.Writer.TryWrite(change);
        return states;
    }

    private static async Task<FixConnectionStateChange> NextAsync(Channel<FixConnectionStateChange> states)
    {
        using var cts = new CancellationTokenSource(RawFixPeer.Timeout);
        return await states.Reader.ReadAsync(cts.Token);
    }

    [Fact]
    public async Task A_session_the_acceptor_drops_reconnects_and_resumes_its_sequence_numbers_with_resend_and_gap_fill()
    {
        // The venue keeps one store for our CompID across connections, as a real venue keeps the FIX session.
        using var logs = new TestDirectory();
        using var dump = new FixLogDump(output, logs.Path);
        var venueStore = new InMemorySequenceStore();
        var venue = new CapturingApplication();
        await using var acceptor = new FixAcceptor(new FixAcceptorSettings { SenderCompId = "VENUE", SequenceStoreFactory = _ => venueStore, LogDirectory = Path.Combine(logs.Path, "venue") }, venue);
        acceptor.Start();
        await using var initiator = new ReconnectingFixInitiator(
            "127.0.0.1",
            acceptor.Port,
            Settings() with { LogDirectory = Path.Combine(logs.Path, "bdt") },
            new FixReconnectOptions { InitialDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(50) });
        var states = Observe(initiator);
        await initiator.StartAsync();
        Assert.Equal(FixConnectionState.Connected, (await NextAsync(states)).State);

        await initiator.SendAsync(TestOrders.Limit("O1"));
        var first = await venue.NextAsync();
        Assert.Equal(("O1", 2), (first.GetString(FixTag.ClOrdId), first.MsgSeqNum));

        // The connection dies with traffic in flight: the venue never processed O1, and two reports it sent
        // (unstored, so it can only gap-fill them) never reached us.
        var sentByVenue = venueStore.NextSenderMsgSeqNum;
        venueStore.SetNextTargetMsgSeqNum(venueStore.NextTargetMsgSeqNum - 1);
        venueStore.SetNextSenderMsgSeqNum(sentByVenue + 2);
        await acceptor.Sessions.Single().DisposeAsync();

        var disconnected = await NextAsync(states);
        Assert.Equal(FixConnectionState.Disconnected, disconnected.State);
        Assert.False(string.IsNullOrEmpty(disconnected.Reason));
        var reconnecting = await NextAsync(states);
        Assert.Equal((FixConnectionState.Reconnecting, 1), (reconnecting.State, reconnecting.Attempt));
        Assert.InRange(reconnecting.RetryIn!.Value, TimeSpan.FromMilliseconds(8), TimeSpan.FromMilliseconds(10));
        Assert.Equal(FixConnectionState.Connected, (await NextAsync(states)).State);
        Assert.True(initiator.IsConnected);
        Assert.Equal(1, initiator.Reconnects);

        // Our side: the venue's ResendRequest got O1 again, marked as a possible duplicate, ahead of the new O2.
        await initiator.SendAsync(TestOrders.Limit("O2"));
        var resent = await venue.NextAsync();
        Assert.Equal(("O1", 2, true), (resent.GetString(FixTag.ClOrdId), resent.MsgSeqNum, resent.IsPossDup));
        Assert.True(resent.Contains(FixTag.OrigSendingTime));
        var second = await venue.NextAsync();
        Assert.Equal("O2", second.GetString(FixTag.ClOrdId));
        Assert.False(second.IsPossDup);

        // The venue's side: its two lost numbers were gap-filled, so its next report is delivered, on the same reader.
        await acceptor.Sessions.Single(s => s.IsLoggedOn).SendAsync(Report("O2"));
        using var read = new CancellationTokenSource(RawFixPeer.Timeout);
        var report = await initiator.ApplicationMessages.ReadAsync(read.Token);
        Assert.Equal(("O2", FixMsgType.ExecutionReport), (report.GetString(FixTag.ClOrdId), report.MsgType));
        Assert.True(report.MsgSeqNum > sentByVenue + 2, $"report {report.MsgSeqNum} must come after the gap {sentByVenue}..{sentByVenue + 1} and the Logon");
        Assert.Equal(venueStore.NextSenderMsgSeqNum, initiator.SequenceStore.NextTargetMsgSeqNum);
        Assert.Equal(initiator.SequenceStore.NextSenderMsgSeqNum, venueStore.NextTargetMsgSeqNum);

        // A deliberate Logout is final: no reconnect follows.
        await initiator.LogoutAsync("done");
        var stopped = await NextAsync(states);
        Assert.Equal((FixConnectionState.Stopped, null), (stopped.State, stopped.Error));
        await initiator.Completion.WaitAsync(RawFixPeer.Timeout);
        Assert.False(states.Reader.TryRead(out var extra), $"unexpected state after Logout: {extra}");
        Assert.False(await initiator.ApplicationMessages.WaitToReadAsync());
        await Assert.ThrowsAsync<FixNotConnectedException>(() => initiator.SendAsync(TestOrders.Limit("O3")));
    }

    [Fact]
    public async Task Backoff_delays_double_up_to_the_cap_on_the_injected_clock_and_give_up_after_max_attempts()
    {
        // A port nobody listens on: every attempt is refused by the kernel at once, over real TCP.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = new FixReconnectOptions
        {
            InitialDelay = TimeSpan.FromMilliseconds(100),
            MaxDelay = TimeSpan.FromSeconds(1),
            JitterFraction = 0,
            MaxAttempts = 6,
        };
        await using var initiator = new ReconnectingFixInitiator("127.0.0.1", port, Settings(time), options);
        var states = Observe(initiator);
        var start = initiator.StartAsync();

        var delays = new List<TimeSpan>();
        for (var attempt = 1; attempt <= 6; attempt++)
        {
            var change = await NextAsync(states);
            Assert.Equal((FixConnectionState.Reconnecting, attempt), (change.State, change.Attempt));
            Assert.False(string.IsNullOrEmpty(change.Reason));
            delays.Add(change.RetryIn!.Value);

            // Nothing is retried until the clock has moved by the whole delay.
            time.Advance(change.RetryIn.Value);
        }

        Assert.Equal([100, 200, 400, 800, 1000, 1000], delays.Select(d => (int)d.TotalMilliseconds));
        var error = await Assert.ThrowsAsync<FixSessionException>(() => start.WaitAsync(RawFixPeer.Timeout));
        Assert.Contains("gave up after 6 reconnect attempts", error.Message, StringComparison.Ordinal);
        Assert.IsType<SocketException>(error.InnerException);
        var stopped = await NextAsync(states);
        Assert.Equal(FixConnectionState.Stopped, stopped.State);
        Assert.Same(error, stopped.Error);
    }

    [Fact]
    public void Jitter_only_shortens_a_delay_and_never_beyond_its_fraction()
    {
        var options = new FixReconnectOptions { InitialDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromSeconds(1), JitterFraction = 0.5 };

        Assert.Equal(TimeSpan.FromMilliseconds(400), options.DelayFor(3, 0.0));
        Assert.Equal(TimeSpan.FromMilliseconds(200), options.DelayFor(3, 1.0));
        Assert.Equal(TimeSpan.FromMilliseconds(750), options.DelayFor(40, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(1), options.DelayFor(int.MaxValue, 0.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => (options with { JitterFraction = 1.0 }).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => (options with { MaxDelay = TimeSpan.FromMilliseconds(50) }).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => (options with { MaxAttempts = 0 }).Validate());
    }

    [Fact]
    public async Task A_refused_logon_stops_reconnecting_with_the_venues_reason()
    {
        // The venue only knows another CompID: it answers our Logon with a Logout saying why.
        await using var acceptor = new FixAcceptor(
            new FixAcceptorSettings { SenderCompId = "VENUE", AllowedTargetCompIds = new HashSet<string>(StringComparer.Ordinal) { "SOMEONE-ELSE" } },
            new CapturingApplication());
        acceptor.Start();
        await using var initiator = new ReconnectingFixInitiator(
            "127.0.0.1",
            acceptor.Port,
            Settings(),
            new FixReconnectOptions { InitialDelay = TimeSpan.FromMilliseconds(10), MaxLogonRefusals = 2 });
        var states = Observe(initiator);

        var error = await Assert.ThrowsAsync<FixSessionException>(() => initiator.StartAsync().WaitAsync(RawFixPeer.Timeout));

        Assert.Contains("Logon refused 2 time(s) in a row", error.Message, StringComparison.Ordinal);
        Assert.Contains("SenderCompID BDT is not allowed", error.Message, StringComparison.Ordinal);
        var changes = new List<FixConnectionStateChange>();
        while (states.Reader.TryRead(out var change))
        {
            changes.Add(change);
        }

        Assert.Equal([FixConnectionState.Reconnecting, FixConnectionState.Stopped], changes.Select(c => c.State));
        Assert.Same(error, changes[^1].Error);
        await Assert.ThrowsAsync<FixSessionException>(() => initiator.Completion);
    }

    [Fact]
    public async Task A_logout_by_the_venue_mid_session_is_followed_by_a_reconnect()
    {
        await using var pair = await ConnectedPairAsync();
        var (venueStore, acceptor, initiator, states) = (pair.VenueStore, pair.Acceptor, pair.Initiator, pair.States);

        // Maintenance: the venue logs us out cleanly. That is not our Logout, so the session comes back.
        await acceptor.Sessions.Single().LogoutAsync("maintenance");

        var disconnected = await NextAsync(states);
        Assert.Equal((FixConnectionState.Disconnected, "logout by peer: maintenance"), (disconnected.State, disconnected.Reason));
        Assert.Equal(FixConnectionState.Reconnecting, (await NextAsync(states)).State);
        Assert.Equal(FixConnectionState.Connected, (await NextAsync(states)).State);
        Assert.Equal(venueStore.NextSenderMsgSeqNum, initiator.SequenceStore.NextTargetMsgSeqNum);
    }

    [Fact]
    public async Task A_venue_whose_sequence_numbers_went_backwards_stops_the_initiator_instead_of_reconnecting()
    {
        await using var pair = await ConnectedPairAsync();
        var (venueStore, acceptor, initiator, states) = (pair.VenueStore, pair.Acceptor, pair.Initiator, pair.States);

        // The venue lost its state (reset to 1) while we expect 2: every new connection would fail the same way.
        venueStore.Reset();
        await acceptor.Sessions.Single().DisposeAsync();

        Assert.Equal(FixConnectionState.Disconnected, (await NextAsync(states)).State);
        Assert.Equal(FixConnectionState.Reconnecting, (await NextAsync(states)).State);
        var stopped = await NextAsync(states);
        Assert.Equal(FixConnectionState.Stopped, stopped.State);
        var error = Assert.IsType<FixSessionException>(stopped.Error);
        Assert.Contains("MsgSeqNum too low, expecting 2 but received 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("not reconnecting", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<FixSessionException>(() => initiator.Completion.WaitAsync(RawFixPeer.Timeout));
        Assert.False(initiator.IsConnected);
    }

    [Fact]
    public async Task Resuming_with_both_sides_asking_for_resends_at_once_delivers_every_message_even_when_a_new_one_overtakes_the_resend()
    {
        // The venue processed our 1 and sent 1..3; our 2 (O1) died with the old connection.
        var venueStore = new InMemorySequenceStore();
        venueStore.SetNextTargetMsgSeqNum(2);
        venueStore.SetNextSenderMsgSeqNum(4);
        var venue = new CapturingApplication();
        await using var acceptor = new FixAcceptor(new FixAcceptorSettings { SenderCompId = "VENUE", SequenceStoreFactory = _ => venueStore }, venue);
        acceptor.Start();
        await using var us = await RawFixPeer.ConnectAsync(acceptor.EndPoint, "BDT", "VENUE");
        us.NextSeqNum = 3;

        // Logon(3) is ahead of the venue: it answers and asks for 2 onwards.
        Assert.Equal(4, (await us.LogonAsync()).MsgSeqNum);
        var request = await us.ReadAsync();
        Assert.Equal((FixMsgType.ResendRequest, 2), (request.MsgType, request.TryGetInt(FixTag.BeginSeqNo, out var begin) ? begin : 0));

        // Crossing traffic, in the order that used to stall the venue: our own ResendRequest(4), a new order (5) that
        // overtakes the resend, then the resend of O1 (2) and the gap fill over the Logon and the ResendRequest (3, 4).
        await us.SendAsync(new FixMessageBuilder(FixMsgType.ResendRequest).Set(FixTag.BeginSeqNo, 1).Set(FixTag.EndSeqNo, 0));
        await us.SendAsync(TestOrders.Limit("O2").ToBuilder());
        await us.SendAsync(TestOrders.Limit("O1").ToBuilder(), seqNum: 2, possDup: true);
        await us.SendAsync(new FixMessageBuilder(FixMsgType.SequenceReset).Set(FixTag.GapFillFlag, true).Set(FixTag.NewSeqNo, 5), seqNum: 3, possDup: true);

        Assert.Equal("O1", (await venue.NextAsync()).GetString(FixTag.ClOrdId));
        Assert.Equal("O2", (await venue.NextAsync()).GetString(FixTag.ClOrdId));
        Assert.Equal(6, venueStore.NextTargetMsgSeqNum);
    }

    /// <summary>Writes every FIX message log under a folder to the test output when the test ends (read on failure).</summary>
    private sealed class FixLogDump(ITestOutputHelper output, string folder) : IDisposable
    {
        public void Dispose()
        {
            foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                output.WriteLine($"== {file}");
                output.WriteLine(File.ReadAllText(file).Replace('\u0001', '|'));
            }
        }
    }
}
