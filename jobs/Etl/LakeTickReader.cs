using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;
using BigDataTrading.Warehouse;
using ParquetSharp;

namespace BigDataTrading.Jobs.Etl;

/// <summary>
/// Reads trade ticks back from the lake's tick-schema Parquet files (<c>ticks</c>, <c>ticks_clean</c>) with ParquetSharp,
/// column by column (raw INT64 for time and price, so nothing is converted through decimal or DateTime).
/// </summary>
/// <remarks>Files of schema version 1 (no <c>conditions</c> column) are read with <see cref="SaleConditions.None"/>.
/// Any failure to read a file — truncated, corrupt pages, a foreign schema — is an
/// <see cref="InvalidDataException"/> whose message starts with the file's path. Stateless and thread-safe.</remarks>
public static class LakeTickReader
{
    private const int BatchSize = 4096;

    /// <summary>Appends every tick of the files to <paramref name="into"/>, file after file, in file row order.</summary>
    /// <exception cref="InvalidDataException">A file is unreadable or not of the tick schema; the message names it.</exception>
    public static void ReadFiles(IEnumerable<string> paths, List<TradeTick> into, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(into);
        foreach (var path in paths)
        {
            ct.ThrowIfCancellationRequested();
            ReadFile(path, into);
        }
    }

    /// <summary>Appends the ticks of one file to <paramref name="into"/>.</summary>
    /// <exception cref="InvalidDataException">The file is unreadable or not of the tick schema; the message names it.</exception>
    public static void ReadFile(string path, List<TradeTick> into)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(into);
        var before = into.Count;
        try
        {
            using var reader = new ParquetFileReader(path);
            using var meta = reader.FileMetaData;
            var hasConditions = CheckSchema(path, meta.Schema);
            into.EnsureCapacity(before + checked((int)meta.NumRows));
            Symbol lastSymbol = default;
            byte[]? lastBytes = null;
            for (var g = 0; g < meta.NumRowGroups; g++)
            {
                using var rowGroup = reader.RowGroup(g);
                var n = checked((int)rowGroup.MetaData.NumRows);
                var times = new long[n];
                var prices = new long[n];
                var sizes = new long[n];
                var sequences = new long[n];
                var symbols = new Symbol[n];
                var exchanges = new char[n];
                var conditions = hasConditions ? new long[n] : null;
                ReadSymbols(path, rowGroup, symbols, ref lastSymbol, ref lastBytes);
                ReadInt64(path, rowGroup, 1, times);
                ReadInt64(path, rowGroup, 2, prices);
                ReadInt64(path, rowGroup, 3, sizes);
                ReadInt64(path, rowGroup, 4, sequences);
                ReadExchanges(path, rowGroup, exchanges);
                if (conditions is not null)
                {
                    ReadInt64(path, rowGroup, 6, conditions);
                }

                for (var i = 0; i < n; i++)
                {
                    var flags = conditions is null ? SaleConditions.None : LakeSchemas.TickConditions(path, conditions[i]);
                    into.Add(new TradeTick(symbols[i], new Timestamp(times[i]), new Price(prices[i]), sizes[i], sequences[i], exchanges[i], flags));
                }
            }
        }
        catch (InvalidDataException)
        {
            into.RemoveRange(before, into.Count - before); // a damaged value part way: none of the file's rows stay
            throw;
        }
        catch (Exception e) when (e is ParquetException or IOException or InvalidCastException or ArgumentException or OverflowException)
        {
            into.RemoveRange(before, into.Count - before);
            throw new InvalidDataException($"'{path}' could not be read as a tick file (truncated or corrupt?): {e.Message}", e);
        }
    }

    /// <summary>Checks the column names and the INT64 columns read raw; true when the file has <c>conditions</c>.</summary>
    private static bool CheckSchema(string path, SchemaDescriptor schema)
    {
        var names = Enumerable.Range(0, schema.NumColumns).Select(i => schema.Column(i).Name).ToArray();
        var hasConditions = LakeSchemas.HasTickConditions(path, names);
        int[] raw = hasConditions ? [1, 2, 3, 4, 6] : [1, 2, 3, 4];
        foreach (var i in raw)
        {
            if (schema.Column(i).PhysicalType != PhysicalType.Int64 || schema.Column(i).MaxDefinitionLevel != 0)
            {
                throw new InvalidDataException($"'{path}': column '{names[i]}' is not a required INT64.");
            }
        }

        return hasConditions;
    }

    /// <summary>Reads the symbol column as raw bytes: files are sorted by symbol, so a symbol is decoded and validated
    /// once per run of equal values instead of allocating a string per row (the read is ~2× faster that way).</summary>
    private static unsafe void ReadSymbols(string path, RowGroupReader rowGroup, Symbol[] symbols, ref Symbol last, ref byte[]? lastBytes)
    {
        using var column = (ColumnReader<ByteArray>)rowGroup.Column(0);
        var buffer = new ByteArray[Math.Min(BatchSize, Math.Max(symbols.Length, 1))];
        var read = 0;
        while (read < symbols.Length && column.HasNext)
        {
            column.ReadBatch(Math.Min(buffer.Length, symbols.Length - read), buffer, out var n);
            for (var i = 0; i < n; i++)
            {
                var bytes = new ReadOnlySpan<byte>((void*)buffer[i].Pointer, buffer[i].Length);
                if (lastBytes is null || !bytes.SequenceEqual(lastBytes))
                {
                    last = Symbol.Parse(System.Text.Encoding.UTF8.GetString(bytes));
                    lastBytes = bytes.ToArray();
                }

                symbols[read + i] = last;
            }

            read += (int)n;
        }

        Expect(path, read, symbols.Length, "symbol");
    }

    /// <summary>Reads the optional one-letter exchange column without allocating strings; null or empty is '\0'.</summary>
    private static unsafe void ReadExchanges(string path, RowGroupReader rowGroup, char[] exchanges)
    {
        using var column = (ColumnReader<ByteArray>)rowGroup.Column(5);
        var size = Math.Min(BatchSize, Math.Max(exchanges.Length, 1));
        var buffer = new ByteArray[size];
        var levels = new short[size];
        var read = 0;
        while (read < exchanges.Length && column.HasNext)
        {
            var rows = (int)column.ReadBatch(Math.Min(size, exchanges.Length - read), levels, default, buffer, out _);
            var value = 0;
            for (var i = 0; i < rows; i++)
            {
                if (levels[i] == 0)
                {
                    exchanges[read + i] = '\0';
                    continue;
                }

                var b = buffer[value++];
                exchanges[read + i] = b.Length == 0 ? '\0'
                    : b.Length == 1 && *(byte*)b.Pointer < 128 ? (char)*(byte*)b.Pointer
                    : System.Text.Encoding.UTF8.GetString(new ReadOnlySpan<byte>((void*)b.Pointer, b.Length))[0];
            }

            read += rows;
        }

        Expect(path, read, exchanges.Length, "exchange");
    }

    private static void ReadInt64(string path, RowGroupReader rowGroup, int index, long[] values)
    {
        using var column = (ColumnReader<long>)rowGroup.Column(index);
        var read = 0L;
        while (read < values.Length && column.HasNext)
        {
            column.ReadBatch(values.Length - read, values.AsSpan((int)read), out var n);
            read += n;
        }

        Expect(path, read, values.Length, rowGroup.MetaData.Schema.Column(index).Name);
    }

    private static void Expect(string path, long read, long expected, string column)
    {
        if (read != expected)
        {
            throw new InvalidDataException($"'{path}': column '{column}' has {read} values in a row group of {expected} rows.");
        }
    }
}
