using System.Data.Common;
using System.Globalization;
using Npgsql;

namespace BigDataTrading.Streaming.Cql.Ods;

/// <summary>
/// Continuous views in PostgreSQL, for deployments where several stream processes (a consumer group) write the same
/// views and many readers query them: window bounds as <c>timestamptz</c> (microseconds: nanoseconds below a
/// microsecond are truncated), prices <c>numeric(18,8)</c>. Violations are reported by constraint name. Not
/// thread-safe for writing (one writer thread per instance); every operation takes its own pooled connection.
/// </summary>
public sealed class PostgresContinuousViewStore : ContinuousViewStore
{
    private readonly NpgsqlDataSource _dataSource;

    /// <summary>Connects and creates the instruments table if missing.</summary>
    /// <param name="connectionString">An Npgsql connection string, e.g. <c>Host=db;Username=bdt;Database=ods</c>.</param>
    /// <exception cref="NpgsqlException">The server cannot be reached or refused the login.</exception>
    public PostgresContinuousViewStore(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        Location = string.Create(CultureInfo.InvariantCulture, $"postgresql://{builder.Host}:{builder.Port}/{builder.Database}");
        _dataSource = NpgsqlDataSource.Create(connectionString);
        try
        {
            CreateInstrumentsTable();
        }
        catch
        {
            _dataSource.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public override string Location { get; }

    /// <inheritdoc />
    protected override string TextType => "text";

    /// <inheritdoc />
    protected override string TimeType => "timestamptz";

    /// <inheritdoc />
    protected override string SqlType(CqlType type) => type switch
    {
        CqlType.BigInt => "bigint",
        CqlType.Double => "double precision",
        CqlType.Price => "numeric(18,8)",
        CqlType.Timestamp => "timestamptz",
        CqlType.Boolean => "boolean",
        _ => "text",
    };

    /// <inheritdoc />
    protected override string Placeholder(int index, CqlType type) => string.Create(CultureInfo.InvariantCulture, $"${index + 1}");

    /// <inheritdoc />
    protected override object? ToParameter(object? value, CqlType type) => ConvertValue(value, t => t.ToDateTimeOffset());

    /// <inheritdoc />
    /// <remarks>A transaction-scoped advisory lock on one fixed key ("BDT_ODS"): released at commit or rollback.</remarks>
    protected override string? SchemaLockSql => "SELECT pg_advisory_xact_lock(18652477629875283)";

    /// <inheritdoc />
    protected override DbConnection Acquire() => _dataSource.OpenConnection();

    /// <inheritdoc />
    protected override void Release(DbConnection connection) => connection.Dispose();

    /// <inheritdoc />
    protected override string? ViolatedConstraint(DbException error, ContinuousViewSchema view) =>
        error is PostgresException { SqlState: PostgresErrorCodes.CheckViolation or PostgresErrorCodes.ForeignKeyViolation or PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.NotNullViolation } pg
            ? pg.ConstraintName ?? $"{view.Name}_{pg.ColumnName}_not_null"
            : null;

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _dataSource.Dispose();
        }
    }
}
