using System.Threading.Channels;

namespace BigDataTrading.Fix.Tests;

/// <summary>An acceptor application that hands every application message it receives to the test, in order.</summary>
internal sealed class CapturingApplication : IFixApplication
{
    private readonly Channel<FixMessage> _received = Channel.CreateUnbounded<FixMessage>();

    public ValueTask OnMessageAsync(FixSession session, FixMessage message, CancellationToken cancellationToken) =>
        _received.Writer.WriteAsync(message, cancellationToken);

    /// <summary>The next message the session delivered; fails after <see cref="RawFixPeer.Timeout"/>.</summary>
    public async Task<FixMessage> NextAsync()
    {
        using var cts = new CancellationTokenSource(RawFixPeer.Timeout);
        return await _received.Reader.ReadAsync(cts.Token);
    }

    /// <summary>True when nothing was delivered that the test has not read.</summary>
    public bool IsEmpty => !_received.Reader.TryPeek(out _);
}
