using BigDataTrading.Exchange;

namespace BigDataTrading.Fix.Tests;

/// <summary>
/// An acceptor keeps one sequence store per session identity (BeginString, its CompID, the client's CompID): several
/// clients each resume their own FIX session after the acceptor restarts.
/// </summary>
public sealed class AcceptorSessionStoreTests : IDisposable
{
    private readonly TestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private string AcceptorStore => Path.Combine(_directory.Path, "acceptor");

    private FixAcceptor StartAcceptor(CapturingApplication application, IReadOnlySet<string>? allowed = null)
    {
        var acceptor = new FixAcceptor(
            new FixAcceptorSettings
            {
                SenderCompId = "VENUE",
                SequenceStoreFactory = FileSequenceStore.PerSession(AcceptorStore),
                AllowedTargetCompIds = allowed,
            },
            application);
        acceptor.Start();
        return acceptor;
    }

    /// <summary>A client whose own side of the session is durable too, as a restarted trader's would be.</summary>
    private Task<FixInitiator> ConnectAsync(int port, string compId, string target = "VENUE") =>
        FixInitiator.ConnectAsync("127.0.0.1", port, new FixSessionSettings
        {
            SenderCompId = compId,
            TargetCompId = target,
            SequenceStoreFactory = () => new FileSequenceStore(Path.Combine(_directory.Path, "client"), FileSequenceStore.SessionName(FixVersions.Fix44, compId, target)),
        });

    private static FixSession SessionOf(FixAcceptor acceptor, string client) =>
        acceptor.Sessions.Single(s => s.TargetCompId == client && s.IsLoggedOn);

    [Fact]
    public async Task Two_clients_each_resume_their_own_sequence_numbers_after_the_acceptor_restarts()
    {
        var application = new CapturingApplication();
        (int Sender, int Target) alphaBefore, betaBefore;
        await using (var acceptor = StartAcceptor(application))
        {
            await using var alpha = await ConnectAsync(acceptor.Port, "ALPHA");
            await using var beta = await ConnectAsync(acceptor.Port, "BETA");
            // Different traffic per client, so a store shared between them (or keyed wrongly) shows up as wrong numbers.
            await alpha.SendAsync(TestOrders.Limit("A1"));
            for (var i = 1; i <= 4; i++)
            {
                await beta.SendAsync(TestOrders.Limit($"B{i}"));
            }

            for (var i = 0; i < 5; i++)
            {
                await application.NextAsync();
            }

            alphaBefore = (SessionOf(acceptor, "ALPHA").NextSenderMsgSeqNum, SessionOf(acceptor, "ALPHA").NextTargetMsgSeqNum);
            betaBefore = (SessionOf(acceptor, "BETA").NextSenderMsgSeqNum, SessionOf(acceptor, "BETA").NextTargetMsgSeqNum);
            await alpha.LogoutAsync();
            await beta.LogoutAsync();
        }

        Assert.Equal(
            [$"{FixVersions.Fix44}-VENUE-ALPHA.seqnums", $"{FixVersions.Fix44}-VENUE-BETA.seqnums"],
            Directory.GetFiles(AcceptorStore, "*.seqnums").Select(Path.GetFileName).Order(StringComparer.Ordinal));

        await using (var restarted = StartAcceptor(application))
        {
            // Each Logon carries the client's next number (above 1); a restarted acceptor that had lost it would ask
            // for a resend or answer with MsgSeqNum 1, which the client refuses as too low.
            await using var beta = await ConnectAsync(restarted.Port, "BETA");
            await using var alpha = await ConnectAsync(restarted.Port, "ALPHA");
            var alphaSession = SessionOf(restarted, "ALPHA");
            var betaSession = SessionOf(restarted, "BETA");
            // Logout and Logon each took one number on both sides.
            Assert.Equal((alphaBefore.Sender + 2, alphaBefore.Target + 2), (alphaSession.NextSenderMsgSeqNum, alphaSession.NextTargetMsgSeqNum));
            Assert.Equal((betaBefore.Sender + 2, betaBefore.Target + 2), (betaSession.NextSenderMsgSeqNum, betaSession.NextTargetMsgSeqNum));
            Assert.Equal((alpha.Session.NextSenderMsgSeqNum, alpha.Session.NextTargetMsgSeqNum), (alphaSession.NextTargetMsgSeqNum, alphaSession.NextSenderMsgSeqNum));
            Assert.Equal((beta.Session.NextSenderMsgSeqNum, beta.Session.NextTargetMsgSeqNum), (betaSession.NextTargetMsgSeqNum, betaSession.NextSenderMsgSeqNum));

            await alpha.SendAsync(TestOrders.Limit("A2"));
            var received = await application.NextAsync();
            Assert.Equal(("A2", alphaBefore.Target + 2), (received.GetString(FixTag.ClOrdId), received.MsgSeqNum));
            await alpha.LogoutAsync();
            await beta.LogoutAsync();
        }
    }

    [Fact]
    public async Task A_client_outside_the_allow_list_is_refused_before_any_session_store_is_opened_for_it()
    {
        var application = new CapturingApplication();
        await using var acceptor = StartAcceptor(application, new HashSet<string>(StringComparer.Ordinal) { "ALPHA" });

        var refused = await Assert.ThrowsAsync<FixSessionException>(() => ConnectAsync(acceptor.Port, "MALLORY"));

        Assert.Contains("SenderCompID MALLORY is not allowed", refused.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(AcceptorStore) && Directory.EnumerateFiles(AcceptorStore, "*MALLORY*").Any());
        await using var alpha = await ConnectAsync(acceptor.Port, "ALPHA");
        Assert.True(File.Exists(Path.Combine(AcceptorStore, $"{FixVersions.Fix44}-VENUE-ALPHA.seqnums")));
        await alpha.LogoutAsync();
    }

    [Fact]
    public async Task An_unreadable_session_store_drops_that_clients_logon_with_the_file_in_the_reason_and_others_still_log_on()
    {
        Directory.CreateDirectory(AcceptorStore);
        var broken = Path.Combine(AcceptorStore, $"{FixVersions.Fix44}-VENUE-ALPHA.seqnums");
        await File.WriteAllTextAsync(broken, "not sequence numbers\n");
        var closed = new TaskCompletionSource<FixSession>(TaskCreationOptions.RunContinuationsAsynchronously);
        var application = new ClosingApplication(closed);
        await using var acceptor = new FixAcceptor(
            new FixAcceptorSettings { SenderCompId = "VENUE", SequenceStoreFactory = FileSequenceStore.PerSession(AcceptorStore) },
            application);
        acceptor.Start();

        await Assert.ThrowsAsync<FixSessionException>(() => ConnectAsync(acceptor.Port, "ALPHA"));

        var session = await closed.Task.WaitAsync(RawFixPeer.Timeout);
        Assert.Contains(broken, session.DisconnectReason, StringComparison.Ordinal);
        Assert.Equal("not sequence numbers\n", await File.ReadAllTextAsync(broken));
        await using var beta = await ConnectAsync(acceptor.Port, "BETA");
        await beta.LogoutAsync();
    }

    [Fact]
    public async Task A_client_refused_as_already_logged_on_leaves_the_logged_on_sessions_numbers_alone()
    {
        var application = new CapturingApplication();
        await using var acceptor = StartAcceptor(application);
        await using var alpha = await ConnectAsync(acceptor.Port, "ALPHA");
        var session = SessionOf(acceptor, "ALPHA");
        var before = (session.NextSenderMsgSeqNum, session.NextTargetMsgSeqNum);

        // A second connection with the same identity (its own, non-durable store) is refused with a Logout.
        var duplicate = await Assert.ThrowsAsync<FixSessionException>(() => FixInitiator.ConnectAsync(
            "127.0.0.1", acceptor.Port, new FixSessionSettings { SenderCompId = "ALPHA", TargetCompId = "VENUE" }));

        Assert.Contains("already logged on", duplicate.Message, StringComparison.Ordinal);
        Assert.Equal(before, (session.NextSenderMsgSeqNum, session.NextTargetMsgSeqNum));
        await alpha.SendAsync(TestOrders.Limit("A1"));
        Assert.Equal("A1", (await application.NextAsync()).GetString(FixTag.ClOrdId));
        await alpha.LogoutAsync();
    }

    [Fact]
    public async Task Traders_resume_their_own_sessions_with_a_restarted_exchange_simulator_and_keep_trading()
    {
        var options = new ExchangeSimulatorOptions { SequenceStoreFactory = FileSequenceStore.PerSession(AcceptorStore) };
        var numbers = new Dictionary<string, int>(StringComparer.Ordinal);
        await using (var exchange = await ExchangeSimulator.StartAsync(options with { RunId = "R1" }, TimeProvider.System))
        {
            foreach (var (trader, orders) in new[] { ("T1", 1), ("T2", 3) })
            {
                await using var client = await ConnectAsync(exchange.Port, trader, exchange.CompId);
                for (var i = 0; i < orders; i++)
                {
                    await client.SendAsync(TestOrders.Limit($"{trader}-{i}"));
                    Assert.Equal(FixMsgType.ExecutionReport, (await NextAsync(client)).MsgType);
                }

                await client.LogoutAsync();
                numbers[trader] = client.Session.NextSenderMsgSeqNum;
            }
        }

        await using var restarted = await ExchangeSimulator.StartAsync(options with { RunId = "R2" }, TimeProvider.System);
        foreach (var trader in new[] { "T2", "T1" })
        {
            await using var client = await ConnectAsync(restarted.Port, trader, restarted.CompId);
            Assert.Equal(numbers[trader] + 1, client.Session.NextSenderMsgSeqNum);
            await client.SendAsync(TestOrders.Limit($"{trader}-after"));
            var report = await NextAsync(client);
            Assert.Equal((FixMsgType.ExecutionReport, $"{trader}-after"), (report.MsgType, report.GetString(FixTag.ClOrdId)));
            await client.LogoutAsync();
        }
    }

    /// <summary>Reports the first session that closes.</summary>
    private sealed class ClosingApplication(TaskCompletionSource<FixSession> closed) : IFixApplication
    {
        public ValueTask OnMessageAsync(FixSession session, FixMessage message, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public void OnSessionClosed(FixSession session) => closed.TrySetResult(session);
    }

    private static async Task<FixMessage> NextAsync(FixInitiator initiator)
    {
        using var cts = new CancellationTokenSource(RawFixPeer.Timeout);
        return await initiator.ApplicationMessages.ReadAsync(cts.Token);
    }
}
