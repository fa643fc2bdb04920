using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BigDataTrading.Core.Time;
using ParquetSharp;
using ParquetSharp.Schema;

namespace BigDataTrading.Warehouse;

/// <summary>How one dataset's rows become Parquet: schema, order within a file and column writing.</summary>
internal interface IParquetRowFormat<TRow>
{
    string Dataset { get; }

    /// <summary>The first sort key (rows are grouped by it in ordinal order); never null.</summary>
    string SymbolOf(in TRow row);

    /// <summary>Order of two rows of the same symbol (the rest of the sort key).</summary>
    int CompareWithinSymbol(in TRow a, in TRow b);

    GroupNode CreateSchema();

    /// <summary>Per-column encoding settings (e.g. no dictionary for columns of distinct values).</summary>
    void Configure(WriterPropertiesBuilder properties);

    /// <summary>Writes one row group's columns in schema order: the rows <c>rows[order[0]]</c>, <c>rows[order[1]]</c>, ….</summary>
    void WriteColumns(RowGroupWriter rowGroup, TRow[] rows, ArraySegment<int> order);
}

/// <summary>
/// The shared engine of the lake writers: buffers rows per UTC date, and on commit writes each partition sorted into a
/// staged <c>.tmp</c> file that is renamed into place only when complete. Not thread-safe: one owner appends and commits.
/// </summary>
internal sealed class PartitionedParquetWriter<TRow, TFormat>
    where TRow : struct
    where TFormat : IParquetRowFormat<TRow>
{
    private static readonly int s_epochDayNumber = DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;

    private readonly LakeLayout _lake;
    private readonly string _writerId;
    private readonly TFormat _format;
    private readonly LakeWriterOptions _options;
    private readonly SortedDictionary<int, RowBuffer<TRow>> _byDay = [];
    private int _lastDay = int.MinValue;
    private RowBuffer<TRow>? _lastRows;

    public PartitionedParquetWriter(LakeLayout lake, string writerId, TFormat format, LakeWriterOptions? options)
    {
        ArgumentNullException.ThrowIfNull(lake);
        _ = LakeLayout.PartFileName(writerId, 0); // validates the id now rather than at the first commit
        _lake = lake;
        _writerId = writerId;
        _format = format;
        _options = options ?? LakeWriterOptions.Default;
        _options.Validate();
    }

    public long BufferedRows { get; private set; }

    public void Add(in TRow row, long unixNanos)
    {
        // Floor division: instants before 1970 belong to the earlier day.
        var day = (int)(Math.DivRem(unixNanos, Timestamp.NanosPerDay, out var rem) - (rem < 0 ? 1 : 0)) + s_epochDayNumber;
        if (day != _lastDay || _lastRows is null)
        {
            if (!_byDay.TryGetValue(day, out _lastRows))
            {
                _lastRows = new RowBuffer<TRow>();
                _byDay.Add(day, _lastRows);
            }

            _lastDay = day;
        }

        _lastRows.Add(row, _format.SymbolOf(row));
        BufferedRows++;
    }

    /// <summary>Publishes every buffered partition. A partition's file is atomic; if the commit fails part way, the
    /// partitions already published stay published and are no longer buffered, the rest stay buffered for a retry.</summary>
    public LakeCommit Commit(CancellationToken ct)
    {
        if (_byDay.Count == 0)
        {
            return LakeCommit.Empty;
        }

        var files = new List<LakePartFile>(_byDay.Count);
        foreach (var day in _byDay.Keys.ToArray())
        {
            ct.ThrowIfCancellationRequested();
            var rows = _byDay[day];
            var date = DateOnly.FromDayNumber(day);
            var path = WritePartition(date, rows);
            files.Add(new LakePartFile(_format.Dataset, date, path, rows.Count));
            _byDay.Remove(day);
            BufferedRows -= rows.Count;
            rows.Release();
            _lastRows = null;
        }

        return new LakeCommit(files);
    }

    private string WritePartition(DateOnly date, RowBuffer<TRow> rows)
    {
        var order = SortRows(rows);

        var folder = _lake.PartitionPath(_format.Dataset, date);
        Directory.CreateDirectory(folder);
        var sequence = LakeLayout.NextSequence(folder, _writerId);
        var finalPath = _lake.PartFilePath(_format.Dataset, date, _writerId, sequence);
        var tempPath = Path.Combine(folder, "." + Path.GetFileName(finalPath) + LakeLayout.TempExtension);
        try
        {
            using (var stream = new FileStream(tempPath, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                WriteFile(stream, rows.Items, order);
                if (_options.Durable)
                {
                    stream.Flush(flushToDisk: true);
                }
            }

            // Same-folder rename: readers see either no file or the complete one. overwrite: false so two writers
            // mistakenly sharing an id fail loudly instead of replacing each other's data.
            File.Move(tempPath, finalPath, overwrite: false);
        }
        catch
        {
            TryDelete(tempPath);
            throw;
        }

        return finalPath;
    }

    /// <summary>
    /// The order of the rows sorted by (symbol, then <see cref="IParquetRowFormat{TRow}.CompareWithinSymbol"/>), as
    /// indexes: a stable counting sort by symbol (few distinct symbols, found by reference first), then each symbol's
    /// run is checked and only sorted when it is not in order already — ticks arrive in time order per symbol, so that
    /// is usually one linear pass. The rows themselves are not moved.
    /// </summary>
    private int[] SortRows(RowBuffer<TRow> buffer)
    {
        var rows = buffer.Items;
        var n = buffer.Count;
        var symbolOf = buffer.SymbolIds;
        var symbols = buffer.Symbols;

        // Ordinal order of the distinct symbols gives each its run's start.
        var distinct = symbols.Count;
        var ids = new int[distinct];
        for (var i = 0; i < distinct; i++)
        {
            ids[i] = i;
        }

        Array.Sort(ids, (a, b) => string.CompareOrdinal(symbols.Name(a), symbols.Name(b)));
        var next = new int[distinct];
        var ends = new int[distinct];
        var offset = 0;
        foreach (var id in ids)
        {
            next[id] = offset;
            offset += symbols.RowsOf(id);
            ends[id] = offset;
        }

        var order = new int[n];
        for (var i = 0; i < n; i++)
        {
            order[next[symbolOf[i]]++] = i;
        }

        var comparer = new WithinSymbol<TRow, TFormat>(_format, rows);
        var from = 0;
        foreach (var id in ids)
        {
            var run = order.AsSpan(from, ends[id] - from);
            for (var i = 1; i < run.Length; i++)
            {
                if (comparer.Compare(run[i - 1], run[i]) > 0)
                {
                    run.Sort(comparer);
                    break;
                }
            }

            from = ends[id];
        }

        return order;
    }

    private void WriteFile(Stream stream, TRow[] rows, int[] order)
    {
        using var schema = _format.CreateSchema();
        var builder = new WriterPropertiesBuilder()
            .Compression(Compression.Snappy)
            .MaxRowGroupLength(_options.RowGroupRows);
        _format.Configure(builder);
        using var properties = builder.Build();
        builder.Dispose();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["bdt.dataset"] = _format.Dataset,
            ["bdt.schema_version"] = LakeSchemas.Version,
            ["bdt.time_zone"] = "UTC",
        };
        using var writer = new ParquetFileWriter(stream, schema, properties, metadata, leaveOpen: true);
        for (var offset = 0; offset < order.Length; offset += _options.RowGroupRows)
        {
            var chunk = new ArraySegment<int>(order, offset, Math.Min(_options.RowGroupRows, order.Length - offset));
            // Buffered: all column chunks of the row group are encoded in memory and may be written in any order and
            // concurrently (one thread per column, as Arrow's own writer does with use_threads); Close writes them out.
            using var rowGroup = writer.AppendBufferedRowGroup();
            _format.WriteColumns(rowGroup, rows, chunk);
            rowGroup.Close();
        }

        writer.Close();
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: a leftover .tmp is invisible to readers and listed by LakeLayout.ListTempFiles.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>Orders row indexes by the rows' within-symbol key, ties by index (so the order is deterministic). A struct,
/// so the sort is specialized and inlined.</summary>
internal readonly struct WithinSymbol<TRow, TFormat>(TFormat format, TRow[] rows) : IComparer<int>
    where TFormat : IParquetRowFormat<TRow>
{
    public int Compare(int x, int y)
    {
        var c = format.CompareWithinSymbol(rows[x], rows[y]);
        return c != 0 ? c : x.CompareTo(y);
    }
}

/// <summary>
/// The buffered rows of one partition and each row's symbol id (taken while the row is at hand, for the sort). Arrays
/// come from the shared pool and go back to it on <see cref="Release"/>, so a writer that commits again and again (or
/// the next writer) does not allocate and fault in fresh memory for every commit.
/// </summary>
internal sealed class RowBuffer<TRow>
{
    // A commit usually holds many thousands of rows: starting at 16k skips the first doublings (pooled, so cheap to keep).
    public TRow[] Items { get; private set; } = ArrayPool<TRow>.Shared.Rent(1 << 14);

    public int[] SymbolIds { get; private set; } = ArrayPool<int>.Shared.Rent(1 << 14);

    public SymbolIndex Symbols { get; } = new();

    public int Count { get; private set; }

    public void Add(in TRow row, string symbol)
    {
        if (Count == Items.Length)
        {
            var items = ArrayPool<TRow>.Shared.Rent(Count * 2);
            Items.AsSpan(0, Count).CopyTo(items);
            ReturnRows(Items);
            Items = items;
            var ids = ArrayPool<int>.Shared.Rent(Count * 2);
            SymbolIds.AsSpan(0, Count).CopyTo(ids);
            ArrayPool<int>.Shared.Return(SymbolIds);
            SymbolIds = ids;
        }

        SymbolIds[Count] = Symbols.IndexOf(symbol);
        Items[Count++] = row;
    }

    // Not cleared: the only references rows hold are interned symbols (alive for the process anyway), and clearing
    // tens of megabytes at every growth step and commit cost more than a third of the time spent buffering.
    private static void ReturnRows(TRow[] rows) => ArrayPool<TRow>.Shared.Return(rows, clearArray: false);

    /// <summary>Gives the arrays back (the buffer is not used afterwards).</summary>
    public void Release()
    {
        ReturnRows(Items);
        ArrayPool<int>.Shared.Return(SymbolIds);
        Items = [];
        SymbolIds = [];
        Count = 0;
    }
}

/// <summary>Distinct symbols of a partition with their row counts; a lookup is a reference check in the common case.</summary>
internal sealed class SymbolIndex
{
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly List<string> _names = [];
    private int[] _counts = new int[8];
    private string? _last;
    private int _lastId;

    public int Count => _names.Count;

    public string Name(int id) => _names[id];

    public int RowsOf(int id) => _counts[id];

    public int IndexOf(string symbol)
    {
        if (!ReferenceEquals(symbol, _last))
        {
            _lastId = Find(symbol);
            _last = symbol;
        }

        _counts[_lastId]++;
        return _lastId;
    }

    private int Find(string symbol)
    {
        ArgumentNullException.ThrowIfNull(symbol);
        for (var i = 0; i < _names.Count && i < 8; i++)
        {
            if (ReferenceEquals(_names[i], symbol))
            {
                return i;
            }
        }

        if (_ids.TryGetValue(symbol, out var id))
        {
            return id;
        }

        id = _names.Count;
        _ids.Add(symbol, id);
        _names.Add(symbol);
        if (id == _counts.Length)
        {
            Array.Resize(ref _counts, id * 2);
        }

        _counts[id] = 0;
        return id;
    }
}

/// <summary>
/// UTF-8 bytes of strings in pinned arrays (the pinned object heap), for ParquetSharp's low-level BYTE_ARRAY writer:
/// a column of few distinct strings (symbols, exchange codes) is written as pointers without encoding a string per row.
/// </summary>
internal sealed class Utf8Strings
{
    private readonly Dictionary<string, ByteArray> _values = new(StringComparer.Ordinal);
    private readonly List<byte[]> _pinned = [];
    private string? _last;
    private ByteArray _lastValue;

    /// <summary>Forgets the strings when there are many (call between files only: the pointers die with them).</summary>
    public void Trim()
    {
        if (_values.Count > 100_000)
        {
            _values.Clear();
            _pinned.Clear();
            _last = null;
        }
    }

    public ByteArray Get(string value)
    {
        if (ReferenceEquals(value, _last))
        {
            return _lastValue;
        }

        if (!_values.TryGetValue(value, out var bytes))
        {
            var length = System.Text.Encoding.UTF8.GetByteCount(value);
            var array = GC.AllocateUninitializedArray<byte>(Math.Max(length, 1), pinned: true);
            System.Text.Encoding.UTF8.GetBytes(value, array);
            _pinned.Add(array);
            bytes = new ByteArray(Marshal.UnsafeAddrOfPinnedArrayElement(array, 0), length);
            _values.Add(value, bytes);
        }

        _last = value;
        _lastValue = bytes;
        return bytes;
    }
}

/// <summary>Low-level column writing helpers shared by the row formats.</summary>
internal static class ParquetColumns
{
    /// <summary>The file's root group of <paramref name="fields"/>; the field nodes are disposed (the group holds copies).</summary>
    public static GroupNode Schema(Node[] fields)
    {
        try
        {
            return new GroupNode("schema", Repetition.Required, fields);
        }
        finally
        {
            foreach (var f in fields)
            {
                f.Dispose();
            }
        }
    }

    public static PrimitiveNode String(string name, bool optional = false) =>
        new(name, optional ? Repetition.Optional : Repetition.Required, LogicalType.String(), PhysicalType.ByteArray);

    public static PrimitiveNode Int64(string name) => new(name, Repetition.Required, LogicalType.None(), PhysicalType.Int64);

    public static PrimitiveNode Int32(string name) => new(name, Repetition.Required, LogicalType.None(), PhysicalType.Int32);

    public static PrimitiveNode TimestampNanos(string name) =>
        new(name, Repetition.Required, LogicalType.Timestamp(isAdjustedToUtc: false, TimeUnit.Nanos), PhysicalType.Int64);

    public static PrimitiveNode Decimal18x8(string name) =>
        new(name, Repetition.Required, LogicalType.Decimal(precision: 18, scale: 8), PhysicalType.Int64);

    // The 128 ASCII characters, each one byte of a pinned array: the UTF-8 value of a one-character string column.
    private static readonly byte[] s_ascii = CreateAscii();

    /// <summary>The one-byte UTF-8 value of an ASCII character (c &lt; 128) for the BYTE_ARRAY writer.</summary>
    public static ByteArray AsciiByteArray(char c) => new(Marshal.UnsafeAddrOfPinnedArrayElement(s_ascii, c), 1);

    private static byte[] CreateAscii()
    {
        var bytes = GC.AllocateArray<byte>(128, pinned: true);
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)i;
        }

        return bytes;
    }

    /// <summary>DELTA_BINARY_PACKED (no dictionary) for INT32/INT64 columns of distinct, mostly ascending values (times,
    /// sequence numbers): a fraction of PLAIN's size and cheaper to write than PLAIN followed by the codec.</summary>
    public static void DeltaEncode(WriterPropertiesBuilder properties, params ReadOnlySpan<string> columns)
    {
        foreach (var column in columns)
        {
            properties.DisableDictionary(column).Encoding(column, Encoding.DeltaBinaryPacked);
        }
    }

    public static void WriteRequiredStrings(RowGroupWriter rowGroup, int index, ReadOnlySpan<string> values)
    {
        using var column = rowGroup.Column(index).LogicalWriter<string>();
        column.WriteBatch(values);
    }

    /// <summary>A required string column from UTF-8 values (see <see cref="Utf8Strings"/>).</summary>
    public static void WriteByteArrays(ColumnWriter column, ReadOnlySpan<ByteArray> values) =>
        ((ColumnWriter<ByteArray>)column).WriteBatch(values);

    /// <summary>An optional string column: definition levels (1 = present) per row, values of the present rows only.</summary>
    public static void WriteOptionalByteArrays(ColumnWriter column, ReadOnlySpan<short> definitionLevels, ReadOnlySpan<ByteArray> presentValues) =>
        ((ColumnWriter<ByteArray>)column).WriteBatch(definitionLevels.Length, definitionLevels, default, presentValues);

    public static void WriteInt64(ColumnWriter column, ReadOnlySpan<long> values) => ((ColumnWriter<long>)column).WriteBatch(values);

    public static void WriteInt64(RowGroupWriter rowGroup, int index, ReadOnlySpan<long> values)
    {
        using var column = rowGroup.Column(index);
        WriteInt64(column, values);
    }

    public static void WriteInt32(RowGroupWriter rowGroup, int index, ReadOnlySpan<int> values)
    {
        using var column = (ColumnWriter<int>)rowGroup.Column(index);
        column.WriteBatch(values);
    }
}
