using System.Globalization;
using System.Text;

namespace BigDataTrading.Fix.Logging;

/// <summary>One line of a FIX message log, with the result of re-verifying its framing.</summary>
public sealed class FixLogEntry
{
    internal FixLogEntry(DateTimeOffset timestamp, FixLogDirection direction, ReadOnlyMemory<byte> raw, bool bodyLengthValid, bool checksumValid, FixMessage? message, string? text)
    {
        Timestamp = timestamp;
        Direction = direction;
        Raw = raw;
        BodyLengthValid = bodyLengthValid;
        ChecksumValid = checksumValid;
        Message = message;
        Text = text;
    }

    /// <summary>When the line was written (UTC).</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>IN, OUT or ERR.</summary>
    public FixLogDirection Direction { get; }

    /// <summary>The raw message bytes (empty for ERR lines).</summary>
    public ReadOnlyMemory<byte> Raw { get; }

    /// <summary>BodyLength (9) equals the number of bytes between tag 9 and tag 10.</summary>
    public bool BodyLengthValid { get; }

    /// <summary>CheckSum (10) equals the byte sum modulo 256 of everything before it.</summary>
    public bool ChecksumValid { get; }

    /// <summary>True when both BodyLength and CheckSum verify (always false for ERR lines).</summary>
    public bool IsValid => BodyLengthValid && ChecksumValid;

    /// <summary>The parsed message when the raw bytes form one valid message; otherwise null.</summary>
    public FixMessage? Message { get; }

    /// <summary>The description on ERR lines.</summary>
    public string? Text { get; }

    /// <summary>Timestamp, direction, verification result and the message with SOH shown as '|' (for assertion messages).</summary>
    public override string ToString()
    {
        var body = Direction == FixLogDirection.Error ? Text : Encoding.UTF8.GetString(Raw.Span).Replace('\u0001', '|');
        return string.Create(CultureInfo.InvariantCulture, $"{Timestamp:O} {Direction} bodyLength={(BodyLengthValid ? "ok" : "BAD")} checksum={(ChecksumValid ? "ok" : "BAD")} {body}");
    }
}

/// <summary>Reads the files written by the session message log (see <see cref="FixSession.LogFilePath"/>).</summary>
public static class FixLogReader
{
    /// <summary>Reads every line of a log file; each IN/OUT message is re-verified (BodyLength and CheckSum).</summary>
    /// <exception cref="FormatException">A line does not start with a timestamp and a direction.</exception>
    public static IReadOnlyList<FixLogEntry> Read(string path) => Parse(File.ReadAllBytes(path));

    /// <summary>Parses log content (see <see cref="Read"/>).</summary>
    public static IReadOnlyList<FixLogEntry> Parse(ReadOnlyMemory<byte> content)
    {
        var entries = new List<FixLogEntry>();
        var span = content.Span;
        var pos = 0;
        var line = 0;
        while (pos < span.Length)
        {
            line++;
            var timestampEnd = span[pos..].IndexOf((byte)' ');
            var directionEnd = timestampEnd < 0 ? -1 : span[(pos + timestampEnd + 1)..].IndexOf((byte)' ');
            if (timestampEnd < 0 || directionEnd < 0)
            {
                throw new FormatException($"Line {line}: expected '<timestamp> <IN|OUT|ERR> <message>'.");
            }

            var timestampText = Encoding.ASCII.GetString(span.Slice(pos, timestampEnd));
            if (!DateTimeOffset.TryParse(timestampText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var timestamp))
            {
                throw new FormatException($"Line {line}: '{timestampText}' is not an ISO-8601 timestamp.");
            }

            var directionSpan = span.Slice(pos + timestampEnd + 1, directionEnd);
            var direction = directionSpan.SequenceEqual("IN"u8) ? FixLogDirection.In
                : directionSpan.SequenceEqual("OUT"u8) ? FixLogDirection.Out
                : directionSpan.SequenceEqual("ERR"u8) ? FixLogDirection.Error
                : throw new FormatException($"Line {line}: unknown direction '{Encoding.ASCII.GetString(directionSpan)}'.");
            var start = pos + timestampEnd + 1 + directionEnd + 1;
            var end = FindMessageEnd(span, start);
            var raw = content[start..end];
            pos = end + 1;
            if (direction == FixLogDirection.Error)
            {
                entries.Add(new FixLogEntry(timestamp, direction, ReadOnlyMemory<byte>.Empty, false, false, null, Encoding.UTF8.GetString(raw.Span)));
                continue;
            }

            var (bodyLengthValid, checksumValid) = FixFraming.Verify(raw.Span);
            FixMessage? message = null;
            if (bodyLengthValid && checksumValid && FixMessage.TryParse(raw.Span, out var parsed, out _))
            {
                message = parsed;
            }

            entries.Add(new FixLogEntry(timestamp, direction, raw, bodyLengthValid, checksumValid, message, null));
        }

        return entries;
    }

    private static int FindMessageEnd(ReadOnlySpan<byte> span, int start)
    {
        // Prefer the frame's own BodyLength so a value containing '\n' cannot split a message; fall back to the
        // newline when the frame is damaged.
        var rest = span[start..];
        if (FixFraming.TryReadHeader(rest, out var bodyLength, out var bodyStart) == HeaderStatus.Ok)
        {
            var end = start + bodyStart + bodyLength + FixFraming.TrailerLength;
            if (end <= span.Length && (end == span.Length || span[end] == (byte)'\n')
                && FixFraming.TryReadTrailer(span[(end - FixFraming.TrailerLength)..end], out _))
            {
                return end;
            }
        }

        var newline = rest.IndexOf((byte)'\n');
        return newline < 0 ? span.Length : start + newline;
    }
}
