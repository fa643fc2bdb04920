namespace BigDataTrading.Fix;

/// <summary>Why bytes were discarded by <see cref="FixFrameReader"/>.</summary>
public enum FixFrameErrorKind
{
    /// <summary>Bytes that do not start with <c>8=FIX…|9=</c> (skipped up to the next such prefix).</summary>
    Garbage,

    /// <summary>Tag 9 is missing, not a number, or unreasonably large.</summary>
    InvalidBodyLength,

    /// <summary>The bytes at the position BodyLength points to are not a <c>10=ddd|</c> trailer.</summary>
    BodyLengthMismatch,

    /// <summary>The declared CheckSum differs from the computed one.</summary>
    ChecksumMismatch,

    /// <summary>Framing was fine but a field is malformed, or MsgType(35) is not the third field.</summary>
    MalformedField,

    /// <summary>Only used by <see cref="FixMessage.TryParse"/>: the bytes end before the frame does.</summary>
    Incomplete,
}

/// <summary>A garbled frame or run of garbage that was discarded.</summary>
/// <param name="Kind">What was wrong.</param>
/// <param name="Description">Human-readable detail for logs.</param>
/// <param name="DiscardedBytes">How many bytes were dropped from the stream.</param>
public sealed record FixFrameError(FixFrameErrorKind Kind, string Description, int DiscardedBytes);

/// <summary>The outcome of one <see cref="FixFrameReader.TryReadNext"/> call: exactly one of the two is set.</summary>
/// <param name="Message">A complete, verified message.</param>
/// <param name="Error">Bytes that were discarded, and why.</param>
public readonly record struct FixFrameResult(FixMessage? Message, FixFrameError? Error);

/// <summary>
/// Cuts a TCP byte stream into FIX messages (any <c>FIX.x.y</c>/<c>FIXT.x.y</c> BeginString; the session checks
/// the version). Handles partial reads (bytes are kept until the frame is complete) and several messages per read.
/// </summary>
/// <remarks>
/// <para>Validation of each frame: it must start with <c>8=FIX…</c> SOH <c>9=</c>; the byte BodyLength points at
/// must begin a <c>10=ddd</c> SOH trailer; the checksum must match; fields must be well formed with 35 third.</para>
/// <para>Resynchronisation rule (documented so peers and tests can rely on it): bytes before the next
/// <c>8=FIX…</c> SOH <c>9=</c> are discarded and reported once as <see cref="FixFrameErrorKind.Garbage"/>.
/// A frame whose BodyLength does not land on a trailer runs, as in QuickFIX, from its start through the first
/// <c>SOH 10=…SOH</c> CheckSum field at or after the position BodyLength points to, and is discarded whole: a
/// BodyLength that is too short loses only its own message; one that is too long also swallows the message it
/// reaches into (the peer's next message then shows a sequence gap, and the resend recovers both). This is what the
/// FIX session test case 2m (QuickFIX acceptance script <c>2m_BodyLengthValueNotCorrect</c>) expects; the FIX spec
/// only requires the garbled message to be ignored. A frame with a bad checksum or malformed field is discarded
/// whole. Per FIX, discarded frames are not messages: the session must not advance its inbound MsgSeqNum for them.</para>
/// <para>Not thread-safe: one reader per connection, used by the connection's read loop.</para>
/// </remarks>
public sealed class FixFrameReader
{
    private byte[] _buffer;
    private int _start;
    private int _end;

    /// <summary>Creates a reader with an initial buffer of <paramref name="initialCapacity"/> bytes (grows as needed).</summary>
    public FixFrameReader(int initialCapacity = 8192) => _buffer = new byte[Math.Max(initialCapacity, 64)];

    /// <summary>Bytes received but not yet consumed as a message or error.</summary>
    public int BufferedBytes => _end - _start;

    /// <summary>Copies received bytes into the reader.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        data.CopyTo(GetMemory(data.Length).Span);
        Advance(data.Length);
    }

    /// <summary>Returns free space of at least <paramref name="sizeHint"/> bytes to receive into (then call <see cref="Advance"/>).</summary>
    public Memory<byte> GetMemory(int sizeHint = 4096)
    {
        sizeHint = Math.Max(sizeHint, 1);
        if (_buffer.Length - _end < sizeHint)
        {
            // Compact first; grow only if the unconsumed bytes plus the hint still do not fit.
            var pending = _end - _start;
            if (_buffer.Length - pending < sizeHint)
            {
                var bigger = new byte[Math.Max(_buffer.Length * 2, pending + sizeHint)];
                _buffer.AsSpan(_start, pending).CopyTo(bigger);
                _buffer = bigger;
            }
            else
            {
                _buffer.AsSpan(_start, pending).CopyTo(_buffer);
            }

            _start = 0;
            _end = pending;
        }

        return _buffer.AsMemory(_end);
    }

    /// <summary>Marks <paramref name="count"/> bytes written into the memory from <see cref="GetMemory"/> as received.</summary>
    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _buffer.Length - _end);
        _end += count;
    }

    /// <summary>
    /// Extracts the next message or error. Returns false when more bytes are needed; call repeatedly after each
    /// read until it returns false.
    /// </summary>
    public bool TryReadNext(out FixFrameResult result)
    {
        result = default;
        var data = _buffer.AsSpan(_start, _end - _start);
        if (data.IsEmpty)
        {
            return false;
        }

        var at = FixFraming.FindFrameStart(data, 0);
        if (at != 0)
        {
            // Keep a tail that could be the beginning of a prefix split across reads.
            var discard = at > 0 ? at : data.Length - FixFraming.PartialPrefixSuffixLength(data);
            if (discard == 0)
            {
                return false;
            }

            return Discard(discard, FixFrameErrorKind.Garbage, $"{discard} bytes before a FIX BeginString", out result);
        }

        switch (FixFraming.TryReadHeader(data, out var bodyLength, out var bodyStart))
        {
            case HeaderStatus.NeedMore:
                return false;
            case HeaderStatus.Ok:
                break;
            default:
                return Resync(data, FixFrameErrorKind.InvalidBodyLength, "BodyLength(9) is not a valid number", out result);
        }

        var trailerStart = bodyStart + bodyLength;
        var total = trailerStart + FixFraming.TrailerLength;
        if (total > FixFraming.MaxFrameLength)
        {
            return Resync(data, FixFrameErrorKind.InvalidBodyLength, $"BodyLength {bodyLength} exceeds the maximum frame size", out result);
        }

        if (data.Length < total)
        {
            // A BodyLength that is too large is only detected once enough bytes arrive; if a later prefix shows up
            // before the trailer would end and the bytes at that point are not a trailer, it is detected below.
            return false;
        }

        if (data[trailerStart - 1] != FixFraming.Soh || !FixFraming.TryReadTrailer(data.Slice(trailerStart, FixFraming.TrailerLength), out var declared))
        {
            var end = FixFraming.EndOfNextTrailer(data, trailerStart - 1);
            if (end < 0)
            {
                // The CheckSum field that ends this frame has not arrived yet.
                return data.Length >= FixFraming.MaxFrameLength
                    && Resync(data, FixFrameErrorKind.BodyLengthMismatch, $"BodyLength {bodyLength} does not end at a CheckSum(10) field and none follows", out result);
            }

            return Discard(end, FixFrameErrorKind.BodyLengthMismatch, $"BodyLength {bodyLength} does not end at a CheckSum(10) field; discarded through the next one", out result);
        }

        var computed = FixFraming.Checksum(data[..trailerStart]);
        if (computed != declared)
        {
            return Discard(total, FixFrameErrorKind.ChecksumMismatch, $"CheckSum {declared:000} declared but {computed:000} computed", out result);
        }

        var raw = data[..total].ToArray();
        var message = FixMessage.Create(raw, out var fieldError);
        if (message is null)
        {
            return Discard(total, FixFrameErrorKind.MalformedField, fieldError!, out result);
        }

        _start += total;
        ResetIfEmpty();
        result = new FixFrameResult(message, null);
        return true;
    }

    private bool Resync(ReadOnlySpan<byte> data, FixFrameErrorKind kind, string description, out FixFrameResult result)
    {
        // Skip this frame's prefix and drop everything up to the next candidate frame start.
        var next = FixFraming.FindFrameStart(data, 1);
        var discard = next >= 0 ? next : data.Length - FixFraming.PartialPrefixSuffixLength(data[1..]);
        return Discard(discard, kind, description, out result);
    }

    private bool Discard(int count, FixFrameErrorKind kind, string description, out FixFrameResult result)
    {
        _start += count;
        ResetIfEmpty();
        result = new FixFrameResult(null, new FixFrameError(kind, description, count));
        return true;
    }

    private void ResetIfEmpty()
    {
        if (_start == _end)
        {
            _start = 0;
            _end = 0;
        }
    }
}
