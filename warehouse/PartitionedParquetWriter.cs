using System.Runtime.InteropServices;
using BigDataTrading.Core.Time;
using ParquetSharp;
using ParquetSharp.Schema;

namespace BigDataTrading.Warehouse;

/// <summary>How one dataset's rows become Parquet: schema, order within a file and column writing.</summary>
internal interface IParquetRowFormat<TRow>
{
    string Dataset { get; }

    int Compare(in TRow a, in TRow b);

    GroupNode CreateSchema();

    /// <summary>Writes one row group's columns in schema order.</summary>
    void WriteColumns(RowGroupWriter rowGroup, ReadOnlySpan<TRow> rows);
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
    private readonly SortedDictionary<int, List<TRow>> _byDay = [];
    private int _lastDay = int.MinValue;
    private List<TRow>? _lastRows;

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
                _lastRows = [];
                _byDay.Add(day, _lastRows);
            }

            _lastDay = day;
        }

        _lastRows.Add(row);
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
            var path = WritePartition(date, CollectionsMarshal.AsSpan(rows));
            files.Add(new LakePartFile(_format.Dataset, date, path, rows.Count));
            _byDay.Remove(day);
            BufferedRows -= rows.Count;
            _lastRows = null;
        }

        return new LakeCommit(files);
    }

    private string WritePartition(DateOnly date, Span<TRow> rows)
    {
        var format = _format;
        rows.Sort((a, b) => format.Compare(a, b));

        var folder = _lake.PartitionPath(_format.Dataset, date);
        Directory.CreateDirectory(folder);
        var sequence = LakeLayout.NextSequence(folder, _writerId);
        var finalPath = _lake.PartFilePath(_format.Dataset, date, _writerId, sequence);
        var tempPath = Path.Combine(folder, "." + Path.GetFileName(finalPath) + LakeLayout.TempExtension);
        try
        {
            using (var stream = new FileStream(tempPath, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                WriteFile(stream, rows);
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

    private void WriteFile(Stream stream, ReadOnlySpan<TRow> rows)
    {
        using var schema = _format.CreateSchema();
        using var properties = new WriterPropertiesBuilder()
            .Compression(Compression.Snappy)
            .MaxRowGroupLength(_options.RowGroupRows)
            .Build();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["bdt.dataset"] = _format.Dataset,
            ["bdt.schema_version"] = LakeSchemas.Version,
            ["bdt.time_zone"] = "UTC",
        };
        using var writer = new ParquetFileWriter(stream, schema, properties, metadata, leaveOpen: true);
        for (var offset = 0; offset < rows.Length; offset += _options.RowGroupRows)
        {
            var chunk = rows.Slice(offset, Math.Min(_options.RowGroupRows, rows.Length - offset));
            using var rowGroup = writer.AppendRowGroup();
            _format.WriteColumns(rowGroup, chunk);
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

/// <summary>Low-level column writing helpers shared by the row formats.</summary>
internal static class ParquetColumns
{
    // Exchange codes are single ASCII characters: one cached string each keeps the string column allocation-free.
    private static readonly string[] s_asciiStrings = [.. Enumerable.Range(0, 128).Select(c => ((char)c).ToString())];

    public static PrimitiveNode String(string name, bool optional = false) =>
        new(name, optional ? Repetition.Optional : Repetition.Required, LogicalType.String(), PhysicalType.ByteArray);

    public static PrimitiveNode Int64(string name) => new(name, Repetition.Required, LogicalType.None(), PhysicalType.Int64);

    public static PrimitiveNode Int32(string name) => new(name, Repetition.Required, LogicalType.None(), PhysicalType.Int32);

    public static PrimitiveNode TimestampNanos(string name) =>
        new(name, Repetition.Required, LogicalType.Timestamp(isAdjustedToUtc: false, TimeUnit.Nanos), PhysicalType.Int64);

    public static PrimitiveNode Decimal18x8(string name) =>
        new(name, Repetition.Required, LogicalType.Decimal(precision: 18, scale: 8), PhysicalType.Int64);

    public static string? CharToString(char c) => c == '\0' ? null : c < 128 ? s_asciiStrings[c] : c.ToString();

    public static void WriteStrings(RowGroupWriter rowGroup, ReadOnlySpan<string?> values)
    {
        using var column = rowGroup.NextColumn().LogicalWriter<string?>();
        column.WriteBatch(values);
    }

    public static void WriteRequiredStrings(RowGroupWriter rowGroup, ReadOnlySpan<string> values)
    {
        using var column = rowGroup.NextColumn().LogicalWriter<string>();
        column.WriteBatch(values);
    }

    public static void WriteInt64(RowGroupWriter rowGroup, ReadOnlySpan<long> values)
    {
        using var column = (ColumnWriter<long>)rowGroup.NextColumn();
        column.WriteBatch(values);
    }

    public static void WriteInt32(RowGroupWriter rowGroup, ReadOnlySpan<int> values)
    {
        using var column = (ColumnWriter<int>)rowGroup.NextColumn();
        column.WriteBatch(values);
    }
}
