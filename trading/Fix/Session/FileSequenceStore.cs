using System.Globalization;
using System.Text;

namespace BigDataTrading.Fix;

/// <summary>
/// A durable <see cref="IFixMessageStore"/> in two files per session, fsync'd on every change so a restarted
/// process resumes the FIX session (same sequence numbers, resendable application messages):
/// <list type="bullet">
/// <item><c>&lt;name&gt;.seqnums</c>: <c>SSSSSSSSSS:TTTTTTTTTT</c> (next sender : next target), rewritten in place.</item>
/// <item><c>&lt;name&gt;.messages</c>: append-only records <c>&lt;seq&gt;,&lt;length&gt;</c> LF, the raw frame, LF.</item>
/// </list>
/// </summary>
/// <remarks>
/// A record torn by a crash mid-append is truncated away when the store is opened (the message was not sent, or
/// was sent and will be gap-filled). Every Set/Store call costs an fsync (milliseconds on spinning disks, tens of
/// microseconds on SSD/NVMe); that is the price of not losing sequence numbers. Thread-safe (one lock); one
/// instance per file pair — opening the same files twice concurrently is not supported. Dispose to close the files.
/// </remarks>
public sealed class FileSequenceStore : IFixMessageStore, IDisposable
{
    private const int SeqNumsLength = 22;
    private readonly Lock _gate = new();
    private readonly FileStream _seqNums;
    private readonly FileStream _messages;
    private readonly SortedDictionary<int, (long Offset, int Length)> _index = [];
    private int _nextSender = 1;
    private int _nextTarget = 1;
    private bool _disposed;

    /// <summary>Opens (or creates) the store files <c>&lt;sessionName&gt;.seqnums/.messages</c> in <paramref name="directory"/>.</summary>
    public FileSequenceStore(string directory, string sessionName)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentException.ThrowIfNullOrEmpty(sessionName);
        Directory.CreateDirectory(directory);
        SeqNumsPath = Path.Combine(directory, sessionName + ".seqnums");
        MessagesPath = Path.Combine(directory, sessionName + ".messages");
        _seqNums = new FileStream(SeqNumsPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            _messages = new FileStream(MessagesPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
            LoadSeqNums();
            LoadMessages();
        }
        catch
        {
            _seqNums.Dispose();
            _messages?.Dispose();
            throw;
        }
    }

    /// <summary>Path of the sequence-number file.</summary>
    public string SeqNumsPath { get; }

    /// <summary>Path of the message file.</summary>
    public string MessagesPath { get; }

    /// <inheritdoc />
    public int NextSenderMsgSeqNum => Volatile.Read(ref _nextSender);

    /// <inheritdoc />
    public int NextTargetMsgSeqNum => Volatile.Read(ref _nextTarget);

    /// <summary>
    /// A per-session store factory for <see cref="FixAcceptorSettings.SequenceStoreFactory"/>: each session identity
    /// gets its own file pair <c>&lt;BeginString-Sender-Target&gt;</c> (<see cref="FixSessionId.FileName"/>) in
    /// <paramref name="directory"/>, so every client resumes its own sequence numbers after a restart.
    /// </summary>
    public static Func<FixSessionId, ISequenceStore> PerSession(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        return id => new FileSequenceStore(directory, id.FileName);
    }

    /// <summary>A file-name-safe session name: <c>BeginString-Sender-Target</c>.</summary>
    public static string SessionName(string beginString, string senderCompId, string targetCompId)
    {
        var name = $"{beginString}-{senderCompId}-{targetCompId}".ToCharArray();
        for (var i = 0; i < name.Length; i++)
        {
            if (!char.IsAsciiLetterOrDigit(name[i]) && name[i] is not ('.' or '_' or '-'))
            {
                name[i] = '_';
            }
        }

        return new string(name);
    }

    /// <inheritdoc />
    public void SetNextSenderMsgSeqNum(int value)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
        lock (_gate)
        {
            _nextSender = value;
            WriteSeqNums();
        }
    }

    /// <inheritdoc />
    public void SetNextTargetMsgSeqNum(int value)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
        lock (_gate)
        {
            _nextTarget = value;
            WriteSeqNums();
        }
    }

    /// <inheritdoc />
    public void StoreSentMessage(int msgSeqNum, ReadOnlySpan<byte> message)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var head = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{msgSeqNum},{message.Length}\n"));
            var offset = _messages.Length;
            _messages.Position = offset;
            _messages.Write(head);
            _messages.Write(message);
            _messages.WriteByte((byte)'\n');
            _messages.Flush(flushToDisk: true);
            _index[msgSeqNum] = (offset + head.Length, message.Length);
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<StoredFixMessage> GetSentMessages(int beginSeqNo, int endSeqNo)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var result = new List<StoredFixMessage>();
            foreach (var (seq, (offset, length)) in _index)
            {
                if (seq < beginSeqNo || seq > endSeqNo)
                {
                    continue;
                }

                var bytes = new byte[length];
                _messages.Position = offset;
                _messages.ReadExactly(bytes);
                result.Add(new StoredFixMessage(seq, bytes));
            }

            _messages.Position = _messages.Length;
            return result;
        }
    }

    /// <inheritdoc />
    public void Reset()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _messages.SetLength(0);
            _messages.Flush(flushToDisk: true);
            _index.Clear();
            _nextSender = 1;
            _nextTarget = 1;
            WriteSeqNums();
        }
    }

    /// <summary>Closes the files.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _seqNums.Dispose();
            _messages.Dispose();
        }
    }

    private void WriteSeqNums()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Span<byte> buffer = stackalloc byte[SeqNumsLength];
        var text = string.Create(CultureInfo.InvariantCulture, $"{_nextSender:D10}:{_nextTarget:D10}\n");
        Encoding.ASCII.GetBytes(text, buffer);
        _seqNums.Position = 0;
        _seqNums.Write(buffer);
        _seqNums.Flush(flushToDisk: true);
    }

    private void LoadSeqNums()
    {
        if (_seqNums.Length == 0)
        {
            WriteSeqNums();
            return;
        }

        Span<byte> buffer = stackalloc byte[SeqNumsLength];
        _seqNums.Position = 0;
        var read = _seqNums.ReadAtLeast(buffer, SeqNumsLength, throwOnEndOfStream: false);
        var text = Encoding.ASCII.GetString(buffer[..read]).TrimEnd('\n');
        var parts = text.Split(':');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var sender)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var target) || sender < 1 || target < 1)
        {
            throw new InvalidDataException($"'{SeqNumsPath}' is not a sequence-number file (expected 'SSSSSSSSSS:TTTTTTTTTT').");
        }

        _nextSender = sender;
        _nextTarget = target;
    }

    private void LoadMessages()
    {
        var content = new byte[_messages.Length];
        _messages.Position = 0;
        _messages.ReadExactly(content);
        var pos = 0;
        var good = 0;
        while (pos < content.Length)
        {
            var newline = Array.IndexOf(content, (byte)'\n', pos);
            if (newline < 0)
            {
                break;
            }

            var head = Encoding.ASCII.GetString(content, pos, newline - pos).Split(',');
            if (head.Length != 2 || !int.TryParse(head[0], NumberStyles.None, CultureInfo.InvariantCulture, out var seq)
                || !int.TryParse(head[1], NumberStyles.None, CultureInfo.InvariantCulture, out var length)
                || newline + 1 + length + 1 > content.Length || content[newline + 1 + length] != (byte)'\n')
            {
                break;
            }

            _index[seq] = (newline + 1, length);
            pos = newline + 1 + length + 1;
            good = pos;
        }

        if (good != content.Length)
        {
            // A torn last record (crash mid-append): drop it so appends continue from a clean boundary.
            _messages.SetLength(good);
            _messages.Flush(flushToDisk: true);
        }

        _messages.Position = _messages.Length;
    }
}
