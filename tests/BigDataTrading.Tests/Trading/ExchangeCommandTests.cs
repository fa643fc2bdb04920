using System.CommandLine;
using System.Text.RegularExpressions;
using BigDataTrading.Cli.Commands;
using BigDataTrading.Fix;

namespace BigDataTrading.Tests.Trading;

/// <summary><c>bdt exchange --session-store</c>: several clients resume their own FIX sessions across exchange restarts.</summary>
public sealed partial class ExchangeCommandTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly string _directory = Directory.CreateTempSubdirectory("bdt-exchange-cmd-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Two_clients_resume_their_own_sessions_after_bdt_exchange_restarts_with_the_same_session_store()
    {
        var sent = new Dictionary<string, int>(StringComparer.Ordinal);
        await using (var exchange = await RunningExchange.StartAsync(_directory))
        {
            Assert.Contains($"client FIX sessions kept in {Path.Combine(_directory, "sessions")}", exchange.Output, StringComparison.Ordinal);
            foreach (var (client, orders) in new[] { ("ALPHA", 1), ("BETA", 3) })
            {
                var initiator = await ConnectAsync(exchange.Port, client);
                await using (initiator)
                {
                    for (var i = 0; i < orders; i++)
                    {
                        await TradeAsync(initiator, $"{client}-{i}");
                    }

                    await initiator.LogoutAsync();
                    sent[client] = initiator.Session.NextSenderMsgSeqNum;
                }
            }

            var stranger = await Assert.ThrowsAsync<FixSessionException>(() => ConnectAsync(exchange.Port, "MALLORY"));
            Assert.Contains("SenderCompID MALLORY is not allowed", stranger.Message, StringComparison.Ordinal);
        }

        await using (var restarted = await RunningExchange.StartAsync(_directory))
        {
            foreach (var client in new[] { "BETA", "ALPHA" })
            {
                // The Logon carries the client's next number; a restarted exchange that had lost it would answer with
                // MsgSeqNum 1, which the client refuses as too low.
                var initiator = await ConnectAsync(restarted.Port, client);
                await using (initiator)
                {
                    Assert.Equal(sent[client] + 1, initiator.Session.NextSenderMsgSeqNum);
                    await TradeAsync(initiator, $"{client}-after-restart");
                    await initiator.LogoutAsync();
                }
            }
        }

        Assert.Equal(
            ["FIX.4.4-BDTX-ALPHA.seqnums", "FIX.4.4-BDTX-BETA.seqnums"],
            Directory.GetFiles(Path.Combine(_directory, "sessions"), "*.seqnums").Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    private Task<FixInitiator> ConnectAsync(int port, string client) =>
        FixInitiator.ConnectAsync("127.0.0.1", port, new FixSessionSettings
        {
            SenderCompId = client,
            TargetCompId = "BDTX",
            SequenceStoreFactory = () => new FileSequenceStore(Path.Combine(_directory, "clients"), FileSequenceStore.SessionName(FixVersions.Fix44, client, "BDTX")),
        });

    /// <summary>Sends an order and waits for its fill (the fill mode acknowledges, then fills in full).</summary>
    private static async Task TradeAsync(FixInitiator initiator, string clOrdId)
    {
        await initiator.SendAsync(new NewOrderSingle
        {
            ClOrdId = clOrdId,
            Symbol = "SPY",
            Side = FixSide.Buy,
            TransactTime = DateTimeOffset.UtcNow,
            OrderQty = 10m,
            OrdType = FixOrdType.Limit,
            Price = 500m,
        });
        using var cts = new CancellationTokenSource(Deadline);
        while (true)
        {
            var message = await initiator.ApplicationMessages.ReadAsync(cts.Token);
            Assert.True(ExecutionReport.TryParse(message, out var report, out var error), error);
            if (report.ClOrdId == clOrdId && report.OrdStatus == FixOrdStatus.Filled)
            {
                return;
            }
        }
    }

    [GeneratedRegex(@"listening on 127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningOn();

    /// <summary><c>bdt exchange --port 0 --mode fill --resume-client ALPHA,BETA --session-store DIR/sessions</c>, in process, until disposed (Ctrl+C).</summary>
    private sealed class RunningExchange : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly LineSignallingWriter _text = new();
        private readonly TextWriter _output;
        private Task<int> _run = Task.FromResult(0);

        private RunningExchange() => _output = TextWriter.Synchronized(_text);

        public int Port { get; private set; }

        public string Output
        {
            get
            {
                // The synchronized writer locks itself for every write.
                lock (_output)
                {
                    return _text.ToString();
                }
            }
        }

        public static async Task<RunningExchange> StartAsync(string directory)
        {
            var exchange = new RunningExchange();
            var root = new RootCommand { ExchangeCommand.Create() };
            string[] args = ["exchange", "--port", "0", "--mode", "fill", "--resume-client", "ALPHA,BETA", "--session-store", Path.Combine(directory, "sessions")];
            exchange._run = root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = exchange._output, Error = exchange._output }, exchange._stop.Token);
            // The command prints its endpoint once it listens: await that line (or the command ending first).
            var first = await Task.WhenAny(exchange._text.Listening, exchange._run).WaitAsync(Deadline);
            var listening = ListeningOn().Match(exchange.Output);
            Assert.True(first != exchange._run && listening.Success, $"bdt exchange ended before listening: {exchange.Output}");

            exchange.Port = int.Parse(listening.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            return exchange;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            Assert.Equal(0, await _run.WaitAsync(Deadline));
            Assert.Contains("stopped.", Output, StringComparison.Ordinal);
            _stop.Dispose();
        }
    }

    /// <summary>Collects the command's output and completes <see cref="Listening"/> once a write says "listening on".</summary>
    private sealed class LineSignallingWriter : StringWriter
    {
        private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Listening => _listening.Task;

        public override void Write(char value)
        {
            base.Write(value);
            Check();
        }

        public override void Write(string? value)
        {
            base.Write(value);
            Check();
        }

        public override void Write(char[] buffer, int index, int count)
        {
            base.Write(buffer, index, count);
            Check();
        }

        private void Check()
        {
            if (!_listening.Task.IsCompleted && ToString().Contains(" listening on ", StringComparison.Ordinal))
            {
                _listening.TrySetResult();
            }
        }
    }
}
