using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Time;

namespace BigDataTrading.Streaming.Cql;

/// <summary>One row of a reference table: non-string values in <see cref="Longs"/> (DOUBLE as IEEE bits), text in <see cref="Strings"/>. Immutable after load.</summary>
internal sealed class CqlTableRow(long[] longs, string?[] strings)
{
    public long[] Longs { get; } = longs;

    public string?[] Strings { get; } = strings;
}

/// <summary>
/// A reference-data table (<c>CREATE TABLE</c>), loaded once at compile time from a CSV file or inline VALUES and keyed
/// by a STRING column (the symbol). Lookups go through an identity-hashed <see cref="KeyTable"/> so a join costs a few
/// instructions per event once a symbol has been seen. Not thread-safe (one per query).
/// </summary>
internal sealed class CqlTable
{
    private readonly Dictionary<string, CqlTableRow> _rows;
    private readonly KeyTable _keys;
    private CqlTableRow?[] _byIndex = new CqlTableRow?[64];
    private bool[] _resolved = new bool[64];

    private CqlTable(CreateTableStatement statement, int keyOrdinal, Dictionary<string, CqlTableRow> rows, KeyTable? keys)
    {
        _keys = keys ?? new KeyTable();
        Statement = statement;
        KeyOrdinal = keyOrdinal;
        _rows = rows;
    }

    public CreateTableStatement Statement { get; }

    /// <summary>Ordinal of the key column.</summary>
    public int KeyOrdinal { get; }

    public int Count => _rows.Count;

    /// <summary>The row of a key, or null.</summary>
    public CqlTableRow? Find(string? key)
    {
        if (key is null)
        {
            return null;
        }

        var index = _keys.GetOrAdd(key);
        if (index >= _byIndex.Length)
        {
            Array.Resize(ref _byIndex, Math.Max(index + 1, _byIndex.Length * 2));
            Array.Resize(ref _resolved, _byIndex.Length);
        }

        if (!_resolved[index])
        {
            _byIndex[index] = _rows.GetValueOrDefault(key);
            _resolved[index] = true;
        }

        return _byIndex[index];
    }

    /// <summary>Loads a table from its inline VALUES or its CSV file (relative paths resolve against <paramref name="baseDirectory"/>).</summary>
    /// <exception cref="CqlException">Bad declaration, unreadable file, or a bad value (file:line and column in the problem).</exception>
    public static CqlTable Load(CreateTableStatement table, string? baseDirectory, KeyTable? keys = null)
    {
        var keyName = table.Property("key") ?? "symbol";
        var keyOrdinal = table.Columns.IndexOf(table.Columns.FirstOrDefault(c => string.Equals(c.Name, keyName, StringComparison.OrdinalIgnoreCase))!);
        if (keyOrdinal < 0)
        {
            throw new CqlException(table.Position, $"table '{table.Name}' has no key column '{keyName}'", "declare the key column, or name it with WITH (key='column')");
        }

        if (table.Columns[keyOrdinal].Type != CqlType.String)
        {
            throw new CqlException(table.Columns[keyOrdinal].Position, $"key column '{keyName}' must be STRING (it is joined to the stream's symbol)", $"declare {keyName} STRING");
        }

        foreach (var property in table.Properties.Where(p => p.Name != "key"))
        {
            throw new CqlException(property.Position, $"unknown table property '{property.Name}'", "tables accept key='column'");
        }

        var rows = new Dictionary<string, CqlTableRow>(StringComparer.Ordinal);
        void Add(CqlTableRow row, CqlPosition at, string where)
        {
            var key = row.Strings[keyOrdinal] ?? string.Empty;
            if (!rows.TryAdd(key, row))
            {
                throw new CqlException(at, $"{where}: key '{key}' appears twice in table '{table.Name}'", "give every key one row");
            }
        }

        if (table.File is { } file)
        {
            var path = Path.IsPathRooted(file) ? file : Path.GetFullPath(Path.Combine(baseDirectory ?? Directory.GetCurrentDirectory(), file));
            if (!File.Exists(path))
            {
                throw new CqlException(table.FilePosition, $"table file '{path}' does not exist", "paths are relative to the script's folder (CqlOptions.BaseDirectory); or give the rows inline with VALUES (...)");
            }

            var lines = File.ReadAllLines(path);
            if (lines.Length == 0)
            {
                throw new CqlException(table.FilePosition, $"table file '{path}' is empty", "the first line names the columns");
            }

            var header = SplitCsv(lines[0]);
            var ordinals = new int[table.Columns.Length];
            for (var c = 0; c < table.Columns.Length; c++)
            {
                ordinals[c] = header.FindIndex(h => string.Equals(h.Trim(), table.Columns[c].Name, StringComparison.OrdinalIgnoreCase));
                if (ordinals[c] < 0)
                {
                    throw new CqlException(table.Columns[c].Position, $"{Path.GetFileName(path)}:1: no column '{table.Columns[c].Name}' in the header ({lines[0]})", "name every declared column in the CSV's first line");
                }
            }

            for (var i = 1; i < lines.Length; i++)
            {
                if (lines[i].Length == 0)
                {
                    continue;
                }

                var fields = SplitCsv(lines[i]);
                var row = NewRow(table);
                for (var c = 0; c < table.Columns.Length; c++)
                {
                    var where = $"{Path.GetFileName(path)}:{i + 1}";
                    if (ordinals[c] >= fields.Count)
                    {
                        throw new CqlException(table.FilePosition, $"{where}: column '{table.Columns[c].Name}' is missing (the line has {fields.Count} fields)", "give every line as many fields as the header");
                    }

                    Set(row, c, table.Columns[c], fields[ordinals[c]].Trim(), table.FilePosition, where);
                }

                Add(row, table.FilePosition, $"{Path.GetFileName(path)}:{i + 1}");
            }
        }
        else
        {
            foreach (var values in table.Rows)
            {
                if (values.Length != table.Columns.Length)
                {
                    throw new CqlException(values.Length > 0 ? values[0].Position : table.Position, $"a row has {values.Length} values but table '{table.Name}' has {table.Columns.Length} columns", "give one value per declared column, in order");
                }

                var row = NewRow(table);
                for (var c = 0; c < values.Length; c++)
                {
                    var text = values[c].Value switch
                    {
                        decimal d => d.ToString(CultureInfo.InvariantCulture),
                        long l => l.ToString(CultureInfo.InvariantCulture),
                        bool b => b ? "true" : "false",
                        var v => (string)v,
                    };
                    Set(row, c, table.Columns[c], text, values[c].Position, "value");
                }

                Add(row, values[0].Position, "VALUES");
            }
        }

        return new CqlTable(table, keyOrdinal, rows, keys);
    }

    private static CqlTableRow NewRow(CreateTableStatement table) => new(new long[table.Columns.Length], new string?[table.Columns.Length]);

    private static void Set(CqlTableRow row, int c, CqlColumnDefinition column, string text, CqlPosition at, string where)
    {
        bool ok;
        switch (column.Type)
        {
            case CqlType.String:
                row.Strings[c] = string.Intern(text);
                return;
            case CqlType.BigInt:
                ok = long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out row.Longs[c]);
                break;
            case CqlType.Double:
                ok = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d);
                row.Longs[c] = BitConverter.DoubleToInt64Bits(d);
                break;
            case CqlType.Price:
                ok = decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var p);
                row.Longs[c] = ok ? Price.FromDecimal(p).Raw : 0;
                break;
            case CqlType.Char:
                ok = text.Length == 1;
                row.Longs[c] = ok ? text[0] : 0;
                break;
            case CqlType.Boolean:
                ok = bool.TryParse(text, out var b);
                row.Longs[c] = b ? 1 : 0;
                break;
            default:
                ok = DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t);
                row.Longs[c] = ok ? Timestamp.FromDateTimeOffset(t).UnixNanoseconds : 0;
                break;
        }

        if (!ok)
        {
            throw new CqlException(at, $"{where}: column '{column.Name}': '{text}' is not a {CqlCompiler.Name(column.Type)}", $"fix the value or declare {column.Name} with another type");
        }
    }

    /// <summary>Splits one CSV line; fields may be "double-quoted" with "" for a quote.</summary>
    private static List<string> SplitCsv(string line)
    {
        var fields = new List<string>();
        var sb = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var ch = line[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    sb.Append('"');
                    i++;
                }
                else if (ch == '"')
                {
                    quoted = false;
                }
                else
                {
                    sb.Append(ch);
                }
            }
            else if (ch == '"')
            {
                quoted = true;
            }
            else if (ch == ',')
            {
                fields.Add(sb.ToString());
                sb.Clear();
            }
            else if (ch != '\r')
            {
                sb.Append(ch);
            }
        }

        fields.Add(sb.ToString());
        return fields;
    }
}

/// <summary>The latest quote per symbol, for as-of joins. Keeps the newest by event time; older arrivals do not replace it. Not thread-safe.</summary>
internal sealed class AsOfQuoteStore(KeyTable keys)
{
    private readonly KeyTable _keys = keys;
    private Core.MarketData.QuoteTick[] _quotes = new Core.MarketData.QuoteTick[64];
    private bool[] _has = new bool[64];

    public void Update(in Core.MarketData.QuoteTick quote)
    {
        var index = _keys.GetOrAdd(quote.Symbol.Value ?? string.Empty);
        if (index >= _quotes.Length)
        {
            Array.Resize(ref _quotes, Math.Max(index + 1, _quotes.Length * 2));
            Array.Resize(ref _has, _quotes.Length);
        }

        if (!_has[index] || quote.Time >= _quotes[index].Time)
        {
            _quotes[index] = quote;
            _has[index] = true;
        }
    }

    /// <summary>Writes every symbol's latest quote (checkpoint time only).</summary>
    public void WriteSnapshot(BinaryWriter writer)
    {
        var count = 0;
        for (var i = 0; i < _has.Length; i++)
        {
            count += _has[i] ? 1 : 0;
        }

        // In symbol order, so equal states write equal bytes whatever order the symbols were first seen in.
        writer.Write(count);
        foreach (var i in Enumerable.Range(0, _has.Length).Where(i => _has[i]).OrderBy(i => _quotes[i].Symbol.Value, StringComparer.Ordinal))
        {
            CqlSnapshotEvents.WriteQuote(writer, _quotes[i]);
        }
    }

    /// <summary>Restores quotes written by <see cref="WriteSnapshot"/> into this (empty) store.</summary>
    public void RestoreSnapshot(BinaryReader reader)
    {
        var count = reader.ReadInt32();
        for (var i = 0; i < count; i++)
        {
            Update(CqlSnapshotEvents.ReadQuote(reader));
        }
    }

    /// <summary>The latest quote of <paramref name="symbol"/> at or before <paramref name="time"/> and at most <paramref name="maxStalenessNanos"/> older.</summary>
    public bool TryGet(string? symbol, long time, long maxStalenessNanos, out Core.MarketData.QuoteTick quote)
    {
        var index = _keys.GetOrAdd(symbol ?? string.Empty);
        if (index < _has.Length && _has[index])
        {
            quote = _quotes[index];
            var age = time - quote.Time.UnixNanoseconds;
            if (age >= 0 && age <= maxStalenessNanos)
            {
                return true;
            }
        }

        quote = default;
        return false;
    }
}

/// <summary>The joins of one query: the as-of quote store and the reference table, and whether a miss drops the event (inner) or not (left).</summary>
internal sealed class JoinPlan
{
    public AsOfQuoteStore? Quotes { get; init; }

    public long MaxStalenessNanos { get; init; } = long.MaxValue;

    public bool QuotesLeft { get; init; }

    public CqlTable? Table { get; init; }

    public bool TableLeft { get; init; }

    /// <summary>Enriches <paramref name="left"/>; false when an inner join found no match.</summary>
    public bool TryJoin<TLeft>(in TLeft left, string? symbol, long time, out Joined<TLeft> joined)
        where TLeft : struct
    {
        joined = default;
        joined.Left = left;
        if (Quotes is not null)
        {
            joined.HasQuote = Quotes.TryGet(symbol, time, MaxStalenessNanos, out joined.Quote);
            if (!joined.HasQuote && !QuotesLeft)
            {
                return false;
            }
        }

        if (Table is not null)
        {
            joined.Row = Table.Find(symbol);
            if (joined.Row is null && !TableLeft)
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary><c>CREATE TABLE name (col type, ...) [WITH (key='col')] (FROM 'file.csv' | VALUES (...), ...)</c>: reference data for stream-table joins.</summary>
/// <param name="Position">Where the statement starts.</param>
/// <param name="Name">Table name.</param>
/// <param name="Columns">Declared columns.</param>
/// <param name="Properties">WITH properties (key).</param>
/// <param name="File">CSV file (header line names the columns), or null for inline rows.</param>
/// <param name="FilePosition">Where the file name is written.</param>
/// <param name="Rows">Inline rows of literals.</param>
public sealed record CreateTableStatement(CqlPosition Position, string Name, ImmutableArray<CqlColumnDefinition> Columns, ImmutableArray<CqlProperty> Properties, string? File, CqlPosition FilePosition, ImmutableArray<ImmutableArray<CqlLiteral>> Rows)
    : CqlStatement(Position, Name)
{
    /// <inheritdoc />
    public override string Kind => "CREATE TABLE";

    /// <summary>The value of a WITH property, or null.</summary>
    public string? Property(string name) =>
        Properties.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))?.Value;
}
