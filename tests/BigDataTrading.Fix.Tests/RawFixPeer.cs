using System.Net;
using System.Net.Sockets;
using BigDataTrading.Fix;

namespace BigDataTrading.Fix.Tests;

/// <summary>
/// A hand-driven FIX peer on a plain socket: the test decides every byte and MsgSeqNum, so it can misbehave
/// (wrong sequence numbers, garbled frames, silence) in ways a real engine never would.
/// </summary>
internal sealed class RawFixPeer : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly FixFrameReader _reader = new();

    private RawFixPeer(Socket socket, string senderCompId, string targetCompId)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        SenderCompId = senderCompId;
        TargetCompId = targetCompId;
    }

    public string SenderCompId { get; }

    public string TargetCompId { get; }

    public int NextSeqNum { get; set; } = 1;

    public static async Task<RawFixPeer> ConnectAsync(IPEndPoint endPoint, string senderCompId, string targetCompId)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint);
        return new RawFixPeer(socket, senderCompId, targetCompId);
    }

    public static RawFixPeer FromAccepted(Socket socket, string senderCompId, string targetCompId) => new(socket, senderCompId, targetCompId);

    public byte[] Encode(FixMessageBuilder message, int? seqNum = null, bool possDup = false, string? senderCompId = null)
    {
        var seq = seqNum ?? NextSeqNum++;
        return message.Build(new FixHeader(senderCompId ?? SenderCompId, TargetCompId, seq, DateTimeOffset.UtcNow, possDup));
    }

    public Task SendAsync(FixMessageBuilder message, int? seqNum = null, bool possDup = false, string? senderCompId = null) =>
        SendRawAsync(Encode(message, seqNum, possDup, senderCompId));

    public async Task SendRawAsync(byte[] bytes) => await _stream.WriteAsync(bytes);

    public async Task<FixMessage> LogonAsync(int heartBtInt = 30)
    {
        await SendAsync(new FixMessageBuilder(FixMsgType.Logon).Set(FixTag.EncryptMethod, 0).Set(FixTag.HeartBtInt, heartBtInt));
        var reply = await ReadAsync();
        Assert.Equal(FixMsgType.Logon, reply.MsgType);
        return reply;
    }

    /// <summary>Reads the next complete frame; fails on garbled input, end of stream or timeout.</summary>
    public async Task<FixMessage> ReadAsync()
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (true)
        {
            if (_reader.TryReadNext(out var result))
            {
                return result.Message ?? throw new InvalidOperationException("garbled frame from engine: " + result.Error);
            }

            var read = await _stream.ReadAsync(_reader.GetMemory(), cts.Token);
            if (read == 0)
            {
                throw new EndOfStreamException("engine closed the connection");
            }

            _reader.Advance(read);
        }
    }

    /// <summary>Completes when the engine has closed its side (after any frames still buffered were read).</summary>
    public async Task ExpectEndOfStreamAsync()
    {
        using var cts = new CancellationTokenSource(Timeout);
        Assert.False(_reader.TryReadNext(out var pending), $"unexpected frame before end of stream: {pending.Message}");
        var read = await _stream.ReadAsync(_reader.GetMemory(), cts.Token);
        Assert.Equal(0, read);
    }

    /// <summary>
    /// Completes when the engine has dropped the connection: either a clean end of stream or, when it closed with
    /// our bytes still unread in its receive buffer, a TCP reset (that is how an abortive drop looks on the wire).
    /// </summary>
    public async Task ExpectDroppedAsync()
    {
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            while (await _stream.ReadAsync(_reader.GetMemory(), cts.Token) is var read and > 0)
            {
                _reader.Advance(read);
            }
        }
        catch (IOException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
            // Dropped with a reset.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _socket.Dispose();
    }
}
