using System.Data.Common;
using System.Globalization;
using System.Text;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Time;

namespace BigDataTrading.Streaming.Cql.Ods;

/// <summary>One row to upsert into a view.</summary>
/// <param name="View">The view.</param>
/// <param name="Row">The query row (copied out of the engine's reused <see cref="CqlRow"/>).</param>
public readonly record struct ViewUpsert(ContinuousViewSchema View, CqlRecord Row);

/// <summary>A row a business rule of the view refused; it goes to the dead letters, never silently away.</summary>
/// <param name="View">View name.</param>
/// <param name="Row">The refused row.</param>
/// <param name="Constraint">Name of the violated constraint (e.g. <c>bars_1m_high_ge_low</c>, <c>bars_1m_instrument</c>).</param>
/// <param name="Message">The database's message.</param>
public sealed record ViewRejection(string View, CqlRecord Row, string Constraint, string Message);

/// <summary>
/// The continuous views of the ODS: one table per <c>INTO VIEW</c> query, upserted by window key (symbol, window_start),
/// with the business rules in the schema (see <see cref="ContinuousViewSchema"/>) and an <c>instruments</c> table the
/// views reference. Implementations: <see cref="DuckDbContinuousViewStore"/> (embedded default) and
/// <see cref="PostgresContinuousViewStore"/>.
/// </summary>
/// <remarks>
/// <see cref="Upsert"/> writes a batch in one transaction, so a batch becomes visible at once. When a row breaks a rule
/// the transaction is rolled back, each row is checked against the view's rules (the schema's own CHECK expressions and
/// the instrument reference, evaluated by the database) and the valid rows are written in one transaction: every valid
/// row lands, every invalid one is returned as a <see cref="ViewRejection"/> with the constraint's name. Upserts are idempotent (a replayed row
/// replaces itself), which is what makes at-least-once delivery safe. Not thread-safe: one writer thread per store.
/// </remarks>
public abstract class ContinuousViewStore : IDisposable
{
    private readonly Dictionary<string, string> _upsertSql = new(StringComparer.Ordinal);

    /// <summary>Where the views live (file path or <c>postgresql://host:port/db</c>).</summary>
    public abstract string Location { get; }

    /// <summary>Opens a store from a spec: <c>duckdb:PATH</c> (or a path ending in .duckdb) or <c>postgres:CONNECTION-STRING</c>.</summary>
    /// <exception cref="ArgumentException">The spec names no known engine.</exception>
    public static ContinuousViewStore Open(string spec)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        if (spec.StartsWith("postgres:", StringComparison.OrdinalIgnoreCase))
        {
            return new PostgresContinuousViewStore(spec["postgres:".Length..]);
        }

        if (spec.StartsWith("duckdb:", StringComparison.OrdinalIgnoreCase))
        {
            return new DuckDbContinuousViewStore(spec["duckdb:".Length..]);
        }

        if (spec.EndsWith(".duckdb", StringComparison.OrdinalIgnoreCase) || spec.EndsWith(".db", StringComparison.OrdinalIgnoreCase))
        {
            return new DuckDbContinuousViewStore(spec);
        }

        throw new ArgumentException($"Unknown ODS '{spec}': write duckdb:PATH (embedded) or postgres:Host=...;Username=...;Database=...", nameof(spec));
    }

    /// <summary>Adds instruments (idempotent): a view row's symbol must be one of them.</summary>
    public void RegisterInstruments(IEnumerable<string> symbols)
    {
        ArgumentNullException.ThrowIfNull(symbols);
        using var lease = new Lease(this);
        var connection = lease.Connection;
        using var tx = connection.BeginTransaction();
        foreach (var symbol in symbols)
        {
            using var command = Command(connection, tx, "INSERT INTO instruments (symbol) VALUES (" + Placeholder(0, CqlType.String) + ") ON CONFLICT (symbol) DO NOTHING");
            AddParameter(command, Symbol.Parse(symbol).Value);
            command.ExecuteNonQuery();
        }

        tx.Commit();
    }

    /// <summary>Creates the view's table with its rules if it does not exist.</summary>
    public void CreateView(ContinuousViewSchema view)
    {
        ArgumentNullException.ThrowIfNull(view);
        ExecuteSchemaChange(view.Render(SqlType, TextType, TimeType));
    }

    /// <summary>
    /// Upserts a batch (latest value per window key; a key may appear once per batch). Returns the rows refused by a
    /// rule; every other row is written and visible when this returns.
    /// </summary>
    /// <exception cref="DbException">A fault that is not a rule violation (connection lost, disk full...).</exception>
    public IReadOnlyList<ViewRejection> Upsert(IReadOnlyList<ViewUpsert> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            return [];
        }

        using var lease = new Lease(this);
        var connection = lease.Connection;
        if (TryWriteAll(connection, rows))
        {
            return [];
        }

        // Some row breaks a rule. Find which rows and rules with reads (the rules are the schema's own expressions,
        // evaluated by the database), then write the rest in one transaction: a commit per row would cost a disk flush each.
        var rejected = new List<ViewRejection>();
        var valid = new List<ViewUpsert>(rows.Count);
        foreach (var chunk in Chunks(rows))
        {
            var broken = Diagnose(connection, chunk);
            for (var i = 0; i < chunk.Count; i++)
            {
                if (broken.TryGetValue(i, out var rule))
                {
                    var row = chunk[i].Row;
                    rejected.Add(new ViewRejection(chunk[i].View.Name, row, rule.Name, $"{row.Key} @ {row.WindowStart} breaks {rule.Name}: {rule.Check}"));
                }
                else
                {
                    valid.Add(chunk[i]);
                }
            }
        }

        if (TryWriteAll(connection, valid))
        {
            return rejected;
        }

        // A rule the diagnosis cannot see (e.g. NOT NULL): fall back to one statement per row.
        foreach (var row in valid)
        {
            try
            {
                Execute(connection, null, [row]);
            }
            catch (DbException e) when (ViolatedConstraint(e, row.View) is { } constraint)
            {
                rejected.Add(new ViewRejection(row.View.Name, row.Row, constraint, e.Message));
            }
        }

        return rejected;
    }

    private bool TryWriteAll(DbConnection connection, IReadOnlyList<ViewUpsert> rows)
    {
        if (rows.Count == 0)
        {
            return true;
        }

        try
        {
            using var tx = connection.BeginTransaction();
            foreach (var chunk in Chunks(rows))
            {
                Execute(connection, tx, chunk);
            }

            tx.Commit();
            return true;
        }
        catch (DbException e) when (ViolatedConstraint(e, rows[0].View) is not null)
        {
            return false; // rolled back by the transaction's disposal
        }
    }

    /// <summary>Rows of one view, at most <see cref="ChunkRows"/> per statement (multi-row statements; PostgreSQL allows 65,535 parameters).</summary>
    private static IEnumerable<List<ViewUpsert>> Chunks(IReadOnlyList<ViewUpsert> rows) =>
        rows.GroupBy(r => r.View.Name, StringComparer.Ordinal).SelectMany(g => g.Chunk(ChunkRows).Select(c => c.ToList()));

    private const int ChunkRows = 256;

    /// <summary>The first rule (instrument reference first) each row of a chunk breaks, by index in the chunk.</summary>
    private Dictionary<int, ViewRule> Diagnose(DbConnection connection, List<ViewUpsert> chunk)
    {
        var view = chunk[0].View;
        var columns = view.StoredColumns().ToList();
        var cases = string.Concat(view.Rules.Select(r => $" WHEN NOT ({r.Check}) THEN '{r.Name}'"));
        var sql = $"SELECT v.row_index, CASE WHEN NOT EXISTS (SELECT 1 FROM instruments i WHERE i.symbol = v.symbol) THEN '{view.InstrumentConstraint}'{cases} ELSE NULL END " +
                  $"FROM (VALUES {Values(view, chunk.Count, withIndex: true)}) AS v (row_index, {string.Join(", ", columns)})";
        using var command = Command(connection, null, sql);
        for (var i = 0; i < chunk.Count; i++)
        {
            AddParameter(command, (long)i);
            Bind(command, chunk[i]);
        }

        var broken = new Dictionary<int, ViewRule>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            if (!reader.IsDBNull(1))
            {
                var name = reader.GetString(1);
                broken.Add((int)reader.GetInt64(0), name == view.InstrumentConstraint ? new ViewRule(name, "symbol REFERENCES instruments (symbol)") : view.Rules.First(r => r.Name == name));
            }
        }

        return broken;
    }

    /// <summary><c>(p, p, ...), (p, p, ...)</c> for <paramref name="rows"/> rows of the view's stored columns, optionally led by a BIGINT row index.</summary>
    private string Values(ContinuousViewSchema view, int rows, bool withIndex)
    {
        var types = StoredTypes(view);
        if (withIndex)
        {
            types.Insert(0, CqlType.BigInt);
        }

        var sql = new StringBuilder();
        for (var r = 0; r < rows; r++)
        {
            sql.Append(r == 0 ? "(" : ", (");
            for (var c = 0; c < types.Count; c++)
            {
                sql.Append(c == 0 ? string.Empty : ", ").Append(Placeholder((r * types.Count) + c, types[c]));
            }

            sql.Append(')');
        }

        return sql.ToString();
    }

    private static List<CqlType> StoredTypes(ContinuousViewSchema view)
    {
        var types = new List<CqlType> { CqlType.String, CqlType.Timestamp, CqlType.Timestamp, CqlType.Boolean };
        types.AddRange(view.ValueOrdinals.Select(o => view.QueryColumns[o].Type));
        return types;
    }

    /// <summary>Every row of a view ordered by symbol and window start, each value formatted invariantly (for comparisons and tools).</summary>
    public IReadOnlyList<string> Dump(string view)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(view);
        using var lease = new Lease(this);
        var connection = lease.Connection;
        using var command = Command(connection, null, $"SELECT * FROM {SafeName(view)} ORDER BY symbol, window_start");
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        var line = new StringBuilder();
        while (reader.Read())
        {
            line.Clear();
            for (var i = 0; i < reader.FieldCount; i++)
            {
                line.Append(i == 0 ? string.Empty : "|").Append(reader.GetName(i)).Append('=').Append(Format(reader.GetValue(i)));
            }

            rows.Add(line.ToString());
        }

        return rows;
    }

    /// <summary>Number of rows in a view.</summary>
    public long Count(string view)
    {
        using var lease = new Lease(this);
        var connection = lease.Connection;
        using var command = Command(connection, null, $"SELECT count(*) FROM {SafeName(view)}");
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the connection(s).</summary>
    protected abstract void Dispose(bool disposing);

    /// <summary>Creates the instruments table; call from the constructor.</summary>
    protected void CreateInstrumentsTable() => ExecuteSchemaChange($"CREATE TABLE IF NOT EXISTS instruments (symbol {TextType} PRIMARY KEY)");

    /// <summary>
    /// SQL run first in the transaction of every schema change to serialize it with other processes creating the same
    /// tables, or null. Two PostgreSQL sessions running the same <c>CREATE TABLE IF NOT EXISTS</c> at once can both miss
    /// the table and one then fails on the catalog's unique index; a scale-out group starting together does exactly that.
    /// </summary>
    protected virtual string? SchemaLockSql => null;

    private void ExecuteSchemaChange(string ddl)
    {
        using var lease = new Lease(this);
        var connection = lease.Connection;
        using var tx = connection.BeginTransaction();
        if (SchemaLockSql is { } lockSql)
        {
            using var serialize = Command(connection, tx, lockSql);
            serialize.ExecuteNonQuery();
        }

        using var command = Command(connection, tx, ddl);
        command.ExecuteNonQuery();
        tx.Commit();
    }

    /// <summary>SQL type of the symbol column.</summary>
    protected abstract string TextType { get; }

    /// <summary>SQL type of window bounds.</summary>
    protected abstract string TimeType { get; }

    /// <summary>SQL type of a CQL column type.</summary>
    protected abstract string SqlType(CqlType type);

    /// <summary>The placeholder of parameter <paramref name="index"/> (0-based) of a value of <paramref name="type"/>, with any cast it needs.</summary>
    protected abstract string Placeholder(int index, CqlType type);

    /// <summary>An open connection for one operation; handed back with <see cref="Release"/>.</summary>
    protected abstract DbConnection Acquire();

    /// <summary>Hands a connection of <see cref="Acquire"/> back (a pooled store disposes it; a single-connection store keeps it).</summary>
    protected abstract void Release(DbConnection connection);


    /// <summary>A row value in the form the driver binds for <paramref name="type"/>.</summary>
    protected abstract object? ToParameter(object? value, CqlType type);

    /// <summary>The constraint a database error reports as violated, or null when the error is not a rule violation.</summary>
    protected abstract string? ViolatedConstraint(DbException error, ContinuousViewSchema view);

    private static void AddParameter(DbCommand command, object? value)
    {
        // Positional (unnamed) parameters: DuckDB binds them to '?', Npgsql to $1, $2...
        var parameter = command.CreateParameter();
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    private static DbCommand Command(DbConnection connection, DbTransaction? tx, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        return command;
    }

    private void Execute(DbConnection connection, DbTransaction? tx, List<ViewUpsert> rows)
    {
        using var command = Command(connection, tx, UpsertSql(rows[0].View, rows.Count));
        foreach (var row in rows)
        {
            Bind(command, row);
        }

        command.ExecuteNonQuery();
    }

    private void Bind(DbCommand command, ViewUpsert upsert)
    {
        var (view, row) = upsert;
        AddParameter(command, ToParameter(row.Key, CqlType.String));
        AddParameter(command, ToParameter(row.WindowStart, CqlType.Timestamp));
        AddParameter(command, ToParameter(row.WindowEnd, CqlType.Timestamp));
        AddParameter(command, row.IsFinal);
        foreach (var ordinal in view.ValueOrdinals)
        {
            AddParameter(command, ToParameter(row.Values[ordinal], view.QueryColumns[ordinal].Type));
        }
    }

    private string UpsertSql(ContinuousViewSchema view, int rows)
    {
        var key = string.Create(CultureInfo.InvariantCulture, $"{view.Name}#{rows}");
        if (_upsertSql.TryGetValue(key, out var sql))
        {
            return sql;
        }

        var columns = view.StoredColumns().ToList();
        sql = $"INSERT INTO {view.Name} ({string.Join(", ", columns)}) VALUES {Values(view, rows, withIndex: false)} " +
              $"ON CONFLICT (symbol, window_start) DO UPDATE SET {string.Join(", ", columns.Skip(2).Select(c => $"{c} = excluded.{c}"))}";
        _upsertSql.Add(key, sql);
        return sql;
    }

    private static string SafeName(string view) =>
        view.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') ? view.ToLowerInvariant() : throw new ArgumentException($"'{view}' is not a view name.", nameof(view));

    private static string Format(object value) => value switch
    {
        DBNull => "null",
        DateTime t => t.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffffff", CultureInfo.InvariantCulture),
        DateTimeOffset t => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffff", CultureInfo.InvariantCulture),
        decimal d => d.ToString("0.########", CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty,
    };

    /// <summary>Common conversions: PRICE → decimal, CHAR → text, non-finite DOUBLE → NULL, TIMESTAMP → <paramref name="time"/>.</summary>
    private protected static object? ConvertValue(object? value, Func<Timestamp, object> time) => value switch
    {
        Price p => p.ToDecimal(),
        char c => c.ToString(),
        double d when !double.IsFinite(d) => null,
        Timestamp t => time(t),
        _ => value,
    };

    private sealed class Lease(ContinuousViewStore store) : IDisposable
    {
        public DbConnection Connection { get; } = store.Acquire();

        public void Dispose() => store.Release(Connection);
    }
}
