using System.Buffers.Binary;
using BigDataTrading.Core.Wire;
using BigDataTrading.Trading.Orders;

namespace BigDataTrading.Trading.Journal;

/// <summary>
/// The trader's durable order-intent journal: an append-only file that every order intent is written and fsync'd to
/// before the order leaves, followed by every venue event and trader decision about it. Replaying it rebuilds the
/// order manager and positions after a crash.
/// </summary>
/// <remarks>
/// <para><b>Format, version 1</b> (all integers little-endian):</para>
/// <list type="bullet">
/// <item>File header, 16 bytes: ASCII <c>BDTJRNL</c> + NUL (8 bytes), u16 format version (1), u16 reserved (0),
/// u32 CRC-32C of the first 12 bytes.</item>
/// <item>Then records, each: u32 payload length L (1 ≤ L ≤ 16 MiB), u32 CRC-32C of the 4 length bytes followed by the
/// payload, then the L payload bytes. Payload = 1 kind byte (<see cref="JournalRecordKind"/>) + the record as UTF-8
/// JSON (<see cref="JsonRecords"/> conventions: enum names, decimal prices, nanosecond timestamps).</item>
/// </list>
/// <para>Crash semantics: a record is appended with one write and, when durable, fsync'd before <see cref="Append"/>
/// returns. A process killed mid-append leaves a torn last record (short header, short payload or a checksum that does
/// not match and nothing after it): <see cref="Open"/> truncates it away and reports the bytes removed. A bad record
/// with intact data after it cannot come from a torn append: that is corruption, and <see cref="Open"/> throws
/// <see cref="JournalCorruptException"/> naming the offset rather than silently dropping orders. So is an out-of-range
/// length (appends write the length first, so a torn one is short, never wrong) and an unknown kind byte (a writer
/// adding kinds must bump the version).</para>
/// <para>Thread-safe: appends are serialized under a lock. One process per file (an exclusive file share).</para>
/// </remarks>
public sealed class OrderJournal : IDisposable
{
    /// <summary>Format version written to and accepted in the header.</summary>
    public const ushort FormatVersion = 1;

    /// <summary>Largest payload accepted, in bytes.</summary>
    public const int MaxPayloadLength = 16 * 1024 * 1024;

    private const int HeaderLength = 16;
    private const int RecordHeaderLength = 8;
    private static readonly byte[] Magic = "BDTJRNL\0"u8.ToArray();
    private readonly Lock _gate = new();
    private readonly FileStream? _file;
    private long _records;

    private OrderJournal(FileStream? file, string? path)
    {
        _file = file;
        Path = path;
    }

    /// <summary>The journal file, or null for an in-memory journal.</summary>
    public string? Path { get; }

    /// <summary>Records appended through this instance.</summary>
    public long RecordsAppended => Interlocked.Read(ref _records);

    /// <summary>A journal that keeps nothing: for backtests and demos where a restart starts from scratch.</summary>
    public static OrderJournal InMemory() => new(null, null);

    /// <summary>Opens (creating if missing) the journal at <paramref name="path"/> and reads it back.</summary>
    /// <param name="path">Journal file; its folder is created if needed.</param>
    /// <param name="replay">Every intact record, in append order, and how many torn bytes were truncated.</param>
    /// <exception cref="JournalCorruptException">The header is wrong or a record in the middle is damaged.</exception>
    /// <exception cref="IOException">The file is locked by another process or cannot be read.</exception>
    public static OrderJournal Open(string path, out JournalReplay replay)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = System.IO.Path.GetFullPath(path);
        if (System.IO.Path.GetDirectoryName(full) is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
        }

        var file = new FileStream(full, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            replay = Load(file, full);
            return new OrderJournal(file, full);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Appends an order intent and fsyncs it: call before the order is sent.</summary>
    public void AppendIntent(OrderIntentRecord intent) => Append(JournalRecordKind.Intent, JsonRecords.Serialize(intent), durable: true);

    /// <summary>Appends a venue event applied to an order.</summary>
    /// <param name="execution">The event.</param>
    /// <param name="durable">True to fsync before returning; false leaves it in the OS cache (survives a process kill, not a power cut; recovery's status requests repair the difference).</param>
    public void AppendExecution(VenueExecution execution, bool durable = true) => Append(JournalRecordKind.Execution, JsonRecords.Serialize(execution), durable);

    /// <summary>Appends a trader decision about an order and fsyncs it.</summary>
    public void AppendAction(OrderAction action) => Append(JournalRecordKind.Action, JsonRecords.Serialize(action), durable: true);

    /// <summary>Encodes one record (header and payload) exactly as it is written to the file; for tests of the frozen format.</summary>
    public static byte[] EncodeRecord(JournalRecordKind kind, ReadOnlySpan<byte> json)
    {
        var length = json.Length + 1;
        if (length > MaxPayloadLength)
        {
            throw new ArgumentException($"Journal record of {length} bytes exceeds the {MaxPayloadLength}-byte limit.", nameof(json));
        }

        var buffer = new byte[RecordHeaderLength + length];
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, (uint)length);
        buffer[RecordHeaderLength] = (byte)kind;
        json.CopyTo(buffer.AsSpan(RecordHeaderLength + 1));
        var crc = Crc32C.Compute(buffer.AsSpan(RecordHeaderLength), Crc32C.Compute(buffer.AsSpan(0, 4)));
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(4), crc);
        return buffer;
    }

    /// <inheritdoc />
    public void Dispose() => _file?.Dispose();

    private void Append(JournalRecordKind kind, byte[] json, bool durable)
    {
        var record = EncodeRecord(kind, json);
        lock (_gate)
        {
            if (_file is not null)
            {
                _file.Write(record);
                _file.Flush(flushToDisk: durable);
            }

            _records++;
        }
    }

    private static JournalReplay Load(FileStream file, string path)
    {
        if (file.Length == 0)
        {
            var header = new byte[HeaderLength];
            Magic.CopyTo(header, 0);
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), FormatVersion);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(12), Crc32C.Compute(header.AsSpan(0, 12)));
            file.Write(header);
            file.Flush(flushToDisk: true);
            return new JournalReplay([], 0);
        }

        var bytes = new byte[file.Length];
        file.Position = 0;
        file.ReadExactly(bytes);
        if (bytes.Length < HeaderLength)
        {
            // A crash while creating the file: nothing was journaled yet.
            file.SetLength(0);
            return Load(file, path);
        }

        if (!bytes.AsSpan(0, 8).SequenceEqual(Magic) || BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12)) != Crc32C.Compute(bytes.AsSpan(0, 12)))
        {
            throw new JournalCorruptException($"{path}: not an order journal (bad magic or header checksum); move it aside if it is not yours.");
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        if (version != FormatVersion)
        {
            throw new JournalCorruptException($"{path}: journal format version {version}, this trader reads version {FormatVersion}; run the trader version that wrote it to finish its orders.");
        }

        var records = new List<object>();
        var offset = HeaderLength;
        while (offset < bytes.Length)
        {
            var problem = TryReadRecord(bytes, offset, out var record, out var next);
            if (problem is null)
            {
                records.Add(record!);
                offset = next;
                continue;
            }

            // Torn tail: the damaged record reaches the end of the file. Anything else is corruption.
            if (next >= bytes.Length)
            {
                file.SetLength(offset);
                file.Flush(flushToDisk: true);
                file.Position = offset;
                return new JournalReplay(records, bytes.Length - offset);
            }

            throw new JournalCorruptException($"{path}: record at byte {offset} is damaged ({problem}) and {bytes.Length - Math.Max(next, offset)} bytes follow its start; this is not a torn write. Restore the journal from a backup or reconcile by hand.");
        }

        file.Position = bytes.Length;
        return new JournalReplay(records, 0);
    }

    /// <summary>Reads the record at <paramref name="offset"/>; returns null on success, else what is wrong (and <paramref name="next"/> = where the damaged record claims to end).</summary>
    private static string? TryReadRecord(byte[] bytes, int offset, out object? record, out int next)
    {
        record = null;
        if (bytes.Length - offset < RecordHeaderLength)
        {
            next = bytes.Length;
            return "short record header";
        }

        var length = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset));
        if (length is 0 or > MaxPayloadLength)
        {
            // Never torn (see remarks): report it as damage with data after it.
            next = -1;
            return $"payload length {length} out of range";
        }

        var end = (long)offset + RecordHeaderLength + length;
        if (end > bytes.Length)
        {
            next = bytes.Length;
            return "short payload";
        }

        next = (int)end;
        var payload = bytes.AsSpan(offset + RecordHeaderLength, (int)length);
        var crc = Crc32C.Compute(payload, Crc32C.Compute(bytes.AsSpan(offset, 4)));
        if (crc != BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 4)))
        {
            return "checksum mismatch";
        }

        var json = payload[1..];
        try
        {
            record = (JournalRecordKind)payload[0] switch
            {
                JournalRecordKind.Intent => JsonRecords.Deserialize<OrderIntentRecord>(json),
                JournalRecordKind.Execution => JsonRecords.Deserialize<VenueExecution>(json),
                JournalRecordKind.Action => JsonRecords.Deserialize<OrderAction>(json),
                _ => null,
            };
        }
        catch (FormatException ex)
        {
            // The checksum matched, so these are the bytes a writer meant: never torn, always reported.
            next = -1;
            return $"undecodable {(JournalRecordKind)payload[0]} record: {ex.Message}";
        }

        if (record is null)
        {
            next = -1;
            return $"unknown record kind {payload[0]}";
        }

        return null;
    }
}
