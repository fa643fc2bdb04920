using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;
using ParquetSharp;

namespace BigDataTrading.Warehouse;

/// <summary>
/// Reads trade ticks back from one tick-schema Parquet file of the lake (<c>ticks</c>, <c>ticks_clean</c>), as written
/// by <see cref="ParquetTickWriter"/>: raw INT64 time and price, so nothing goes through decimal or DateTime.
/// </summary>
/// <remarks>Files of schema version 1 (written before the <c>conditions</c> column) are read with
/// <see cref="SaleConditions.None"/>; see <see cref="LakeSchemas.HasTickConditions"/>. Any failure — truncated file, corrupt pages, a foreign schema — is an <see cref="InvalidDataException"/>
/// whose message starts with the file's path; nothing of such a file is returned. Stateless and thread-safe.</remarks>
public static class LakeTickFileReader
{
    /// <summary>Reads every tick of the file, in file order.</summary>
    /// <exception cref="InvalidDataException">The file is unreadable or not of the tick schema; the message names it.</exception>
    public static List<TradeTick> ReadFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            using var reader = new ParquetFileReader(path);
            using var meta = reader.FileMetaData;
            var names = Enumerable.Range(0, meta.Schema.NumColumns).Select(i => meta.Schema.Column(i).Name).ToArray();
            var hasConditions = LakeSchemas.HasTickConditions(path, names);

            var result = new List<TradeTick>(checked((int)meta.NumRows));
            var symbols = new Dictionary<string, Symbol>(StringComparer.Ordinal);
            for (var g = 0; g < meta.NumRowGroups; g++)
            {
                using var rowGroup = reader.RowGroup(g);
                var n = checked((int)rowGroup.MetaData.NumRows);
                var symbolText = ReadColumn<string>(rowGroup, 0, n);
                var times = ReadRaw(rowGroup, 1, n);
                var prices = ReadRaw(rowGroup, 2, n);
                var sizes = ReadRaw(rowGroup, 3, n);
                var sequences = ReadRaw(rowGroup, 4, n);
                var exchanges = ReadColumn<string?>(rowGroup, 5, n);
                var conditions = hasConditions ? ReadRaw(rowGroup, 6, n) : null;
                for (var i = 0; i < n; i++)
                {
                    if (!symbols.TryGetValue(symbolText[i], out var symbol))
                    {
                        symbol = Symbol.Parse(symbolText[i]);
                        symbols.Add(symbolText[i], symbol);
                    }

                    var exchange = exchanges[i] is { Length: > 0 } e ? e[0] : '\0';
                    var flags = conditions is null ? SaleConditions.None : LakeSchemas.TickConditions(path, conditions[i]);
                    result.Add(new TradeTick(symbol, new Timestamp(times[i]), new Price(prices[i]), sizes[i], sequences[i], exchange, flags));
                }
            }

            return result;
        }
        catch (Exception e) when (e is ParquetException or IOException or InvalidCastException or ArgumentException or OverflowException or FormatException)
        {
            throw new InvalidDataException($"'{path}' could not be read as a tick file (truncated or corrupt?): {e.Message}", e);
        }
    }

    private static T[] ReadColumn<T>(RowGroupReader rowGroup, int index, int rows)
    {
        using var column = rowGroup.Column(index).LogicalReader<T>();
        var values = column.ReadAll(rows);
        return values.Length == rows ? values : throw new InvalidDataException($"column {index} has {values.Length} values in a row group of {rows} rows.");
    }

    private static long[] ReadRaw(RowGroupReader rowGroup, int index, int rows)
    {
        using var column = (ColumnReader<long>)rowGroup.Column(index);
        var values = new long[rows];
        var read = 0L;
        while (read < rows && column.HasNext)
        {
            column.ReadBatch(rows - read, values.AsSpan((int)read), out var n);
            read += n;
        }

        return read == rows ? values : throw new InvalidDataException($"column {index} has {read} values in a row group of {rows} rows.");
    }
}
