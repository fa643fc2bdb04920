using System.Collections.Immutable;
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
/// the transaction is rolled back and the batch is written again row by row: every valid row lands, every invalid one
/// is returned as a <see cref="ViewRejection"/> with the constraint's name. Upserts are idempotent (a replayed row
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
        using var lease = new Lease(this);
        var connection = lease.Connection;
        using var command = Command(connection, null, view.Render(SqlType, TextType, TimeType));
        command.ExecuteNonQuery();
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
        try
        {
            using var tx = connection.BeginTransaction();
            foreach (var row in rows)
            {
                Execute(connection, tx, row);
            }

            tx.Commit();
            return [];
        }
        catch (DbException e) when (ViolatedConstraint(e, rows[0].View) is not null)
        {
            // Rolled back by the disposal above: write row by row so one bad row costs only itself.
        }

        var rejected = new List<ViewRejection>();
        foreach (var row in rows)
        {
            try
            {
                Execute(connection, null, row);
            }
            catch (DbException e) when (ViolatedConstraint(e, row.View) is { } constraint)
            {
                rejected.Add(new ViewRejection(row.View.Name, row.Row, constraint, e.Message));
            }
        }

        return rejected;
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
    protected void CreateInstrumentsTable()
    {
        using var lease = new Lease(this);
        var connection = lease.Connection;
        using var command = Command(connection, null, $"CREATE TABLE IF NOT EXISTS instruments (symbol {TextType} PRIMARY KEY)");
        command.ExecuteNonQuery();
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

    private void Execute(DbConnection connection, DbTransaction? tx, ViewUpsert upsert)
    {
        var (view, row) = upsert;
        using var command = Command(connection, tx, UpsertSql(view));
        AddParameter(command, ToParameter(row.Key, CqlType.String));
        AddParameter(command, ToParameter(row.WindowStart, CqlType.Timestamp));
        AddParameter(command, ToParameter(row.WindowEnd, CqlType.Timestamp));
        AddParameter(command, row.IsFinal);
        foreach (var ordinal in view.ValueOrdinals)
        {
            AddParameter(command, ToParameter(row.Values[ordinal], view.QueryColumns[ordinal].Type));
        }

        command.ExecuteNonQuery();
    }

    private string UpsertSql(ContinuousViewSchema view)
    {
        if (_upsertSql.TryGetValue(view.Name, out var sql))
        {
            return sql;
        }

        ImmutableArray<string> columns = [.. view.StoredColumns()];
        var types = new List<CqlType> { CqlType.String, CqlType.Timestamp, CqlType.Timestamp, CqlType.Boolean };
        types.AddRange(view.ValueOrdinals.Select(o => view.QueryColumns[o].Type));
        sql = $"INSERT INTO {view.Name} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", types.Select((t, i) => Placeholder(i, t)))}) " +
              $"ON CONFLICT (symbol, window_start) DO UPDATE SET {string.Join(", ", columns.Skip(2).Select(c => $"{c} = excluded.{c}"))}";
        _upsertSql.Add(view.Name, sql);
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
