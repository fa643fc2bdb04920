using System.Globalization;
using System.Text;

namespace BigDataTrading.Fix.Logging;

/// <summary>Direction of a line in a FIX message log.</summary>
public enum FixLogDirection
{
    /// <summary>Received from the peer ("IN").</summary>
    In,

    /// <summary>Sent to the peer ("OUT").</summary>
    Out,

    /// <summary>A discarded garbled frame ("ERR"), described in text rather than raw bytes.</summary>
    Error,
}

/// <summary>
/// Appends every inbound and outbound message of one session to a file, one per line:
/// <c>&lt;UTC ISO-8601 timestamp&gt; &lt;IN|OUT&gt; &lt;raw message, SOH preserved&gt;</c>, plus
/// <c>&lt;timestamp&gt; ERR &lt;description&gt;</c> for garbled frames that were discarded.
/// </summary>
/// <remarks>
/// Thread-safe (one lock): the read loop writes IN lines while senders write OUT lines under the send lock, so OUT
/// lines appear in MsgSeqNum order. Buffered; flushed on Logout, on close and on dispose.
/// </remarks>
internal sealed class FixMessageLog : IDisposable
{
    public static readonly FixMessageLog Null = new(null, null);

    private readonly Lock _gate = new();
    private readonly FileStream? _stream;
    private bool _disposed;

    private FixMessageLog(FileStream? stream, string? path)
    {
        _stream = stream;
        Path = path;
    }

    /// <summary>The file being written, or null when logging is off.</summary>
    public string? Path { get; }

    public static FixMessageLog Create(string? directory, string senderCompId, string targetCompId, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(directory))
        {
            return Null;
        }

        Directory.CreateDirectory(directory);
        // CompIDs come from the wire on the acceptor side: keep only characters that are safe in a file name.
        // The random suffix keeps sessions opened in the same millisecond apart.
        var unique = Guid.NewGuid().ToString("N")[..8];
        var name = string.Create(
            CultureInfo.InvariantCulture,
            $"{Sanitize(senderCompId)}-{Sanitize(targetCompId)}-{now.UtcDateTime:yyyyMMdd'T'HHmmssfff}-{unique}.log");
        var path = System.IO.Path.Combine(directory, name);
        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 64 * 1024);
        return new FixMessageLog(stream, path);
    }

    public void Append(FixLogDirection direction, ReadOnlySpan<byte> raw, DateTimeOffset timestamp)
    {
        if (_stream is null)
        {
            return;
        }

        Span<byte> prefix = stackalloc byte[48];
        var length = WritePrefix(prefix, timestamp, direction == FixLogDirection.In ? "IN"u8 : "OUT"u8);
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _stream.Write(prefix[..length]);
            _stream.Write(raw);
            _stream.WriteByte((byte)'\n');
        }
    }

    public void AppendError(string description, DateTimeOffset timestamp)
    {
        if (_stream is null)
        {
            return;
        }

        Span<byte> prefix = stackalloc byte[48];
        var length = WritePrefix(prefix, timestamp, "ERR"u8);
        var text = Encoding.UTF8.GetBytes(description.Replace('\n', ' ').Replace('\r', ' '));
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _stream.Write(prefix[..length]);
            _stream.Write(text);
            _stream.WriteByte((byte)'\n');
        }
    }

    public void Flush()
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _stream?.Flush(flushToDisk: false);
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed || _stream is null)
            {
                return;
            }

            _disposed = true;
            _stream.Flush(flushToDisk: false);
            _stream.Dispose();
        }
    }

    private static int WritePrefix(Span<byte> destination, DateTimeOffset timestamp, ReadOnlySpan<byte> direction)
    {
        // Round-trip ("O") UTC form, e.g. 2025-01-02T03:04:05.0060000Z.
        timestamp.UtcDateTime.TryFormat(destination, out var written, "O", CultureInfo.InvariantCulture);
        destination[written++] = (byte)' ';
        direction.CopyTo(destination[written..]);
        written += direction.Length;
        destination[written++] = (byte)' ';
        return written;
    }

    private static string Sanitize(string value)
    {
        var chars = value.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (!char.IsAsciiLetterOrDigit(chars[i]) && chars[i] is not ('_' or '.'))
            {
                chars[i] = '_';
            }
        }

        return new string(chars);
    }
}
