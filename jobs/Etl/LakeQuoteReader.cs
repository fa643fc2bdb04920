using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;
using ParquetSharp;

namespace BigDataTrading.Jobs.Etl;

/// <summary>
/// Reads quote ticks back from the lake's <c>quotes</c> Parquet files (schema <see cref="Warehouse.LakeSchemas.QuotesColumns"/>)
/// with ParquetSharp, as raw INT64 for time and prices.
/// </summary>
/// <remarks>Any failure to read a file is an <see cref="InvalidDataException"/> whose message starts with the file's
/// path. Stateless and thread-safe.</remarks>
public static class LakeQuoteReader
{
    private static readonly string[] s_columns = ["symbol", "time", "bid_price", "bid_size", "ask_price", "ask_size", "sequence"];

    /// <summary>Appends every quote of the files to <paramref name="into"/>, file after file, in file row order.</summary>
    /// <exception cref="InvalidDataException">A file is unreadable or not of the quote schema; the message names it.</exception>
    public static void ReadFiles(IEnumerable<string> paths, List<QuoteTick> into, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(into);
        foreach (var path in paths)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                ReadFile(path, into);
            }
            catch (Exception e) when (e is ParquetException or IOException or InvalidCastException or FormatException)
            {
                throw new InvalidDataException($"'{path}': not a readable quotes file ({e.Message}). Re-write the partition or remove the file.", e);
            }
        }
    }

    private static void ReadFile(string path, List<QuoteTick> into)
    {
        using var reader = new ParquetFileReader(path);
        using var meta = reader.FileMetaData;
        var names = Enumerable.Range(0, meta.Schema.NumColumns).Select(i => meta.Schema.Column(i).Name).ToArray();
        if (!names.SequenceEqual(s_columns))
        {
            throw new InvalidDataException($"'{path}': columns ({string.Join(", ", names)}) are not the quotes schema ({string.Join(", ", s_columns)}).");
        }

        for (var g = 0; g < meta.NumRowGroups; g++)
        {
            using var rowGroup = reader.RowGroup(g);
            var n = checked((int)rowGroup.MetaData.NumRows);
            string[] symbols;
            using (var column = rowGroup.Column(0).LogicalReader<string>())
            {
                symbols = column.ReadAll(n);
            }

            var longs = new long[6][];
            for (var c = 1; c <= 6; c++)
            {
                longs[c - 1] = new long[n];
                using var column = (ColumnReader<long>)rowGroup.Column(c);
                var read = 0L;
                while (read < n && column.HasNext)
                {
                    column.ReadBatch(n - read, longs[c - 1].AsSpan((int)read), out var got);
                    read += got;
                }

                if (read != n)
                {
                    throw new InvalidDataException($"'{path}': column '{s_columns[c]}' has {read} values in a row group of {n} rows.");
                }
            }

            Symbol last = default;
            for (var i = 0; i < n; i++)
            {
                // Rows are grouped by symbol: parse a symbol once per run of equal strings.
                if (i == 0 || !string.Equals(symbols[i], symbols[i - 1], StringComparison.Ordinal))
                {
                    last = Symbol.Parse(symbols[i]);
                }

                into.Add(new QuoteTick(last, new Timestamp(longs[0][i]), new Price(longs[1][i]), longs[2][i], new Price(longs[3][i]), longs[4][i], longs[5][i]));
            }
        }
    }
}
