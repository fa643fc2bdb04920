using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Orders;
using Npgsql;

namespace BigDataTrading.Warehouse;

/// <summary>
/// The order data warehouse on PostgreSQL: the same tables and business rules as <see cref="DuckDbOrderWarehouse"/>
/// (CHECK constraints, primary keys, a foreign key from executions to orders), for deployments where many readers
/// (risk, reporting, reconciliation) share one server.
/// </summary>
/// <remarks>
/// Times are <c>timestamptz</c> (microsecond precision: nanoseconds below a microsecond are truncated); prices
/// <c>numeric(18,8)</c>, exact. Writes are idempotent on natural keys. Thread-safe: every call takes a pooled
/// connection of its own.
/// </remarks>
public sealed class PostgresOrderWarehouse : IOrderWarehouse
{
    private readonly NpgsqlDataSource _dataSource;

    /// <summary>Connects and creates the tables if missing.</summary>
    /// <param name="connectionString">An Npgsql connection string, e.g. <c>Host=db;Username=bdt;Database=dwh</c>.</param>
    /// <exception cref="NpgsqlException">The server cannot be reached or refused the login.</exception>
    public PostgresOrderWarehouse(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _dataSource = NpgsqlDataSource.Create(connectionString);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        Location = $"postgresql://{builder.Host}:{builder.Port}/{builder.Database}";
        try
        {
            UpgradeSchema();
        }
        catch
        {
            _dataSource.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public string Location { get; }

    /// <inheritdoc />
    public bool RecordOrder(Order order, string riskDecision, string? riskReason, OrderStatus status = OrderStatus.PendingNew)
    {
        ArgumentNullException.ThrowIfNull(order);
        ArgumentNullException.ThrowIfNull(riskDecision);
        return Guard($"order {order.ClientOrderId}", () =>
        {
            using var command = _dataSource.CreateCommand(
                """
                INSERT INTO orders (client_order_id, signal_id, symbol, side, quantity, order_type, limit_price, time_in_force,
                                    created_at, status, risk_decision, risk_reason)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                ON CONFLICT (client_order_id) DO NOTHING
                """);
            Add(command, order.ClientOrderId.Value, order.SignalId, order.Symbol.Value, order.Side.ToString(), order.Quantity, order.Type.ToString(),
                order.LimitPrice?.ToDecimal(), order.TimeInForce.ToString(), order.CreatedAt.ToDateTimeOffset(), status.ToString(), riskDecision, riskReason);
            return command.ExecuteNonQuery() == 1;
        });
    }

    /// <inheritdoc />
    public bool RecordExecution(ExecutionReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return Guard($"execution {report.ExecutionId} of order {report.ClientOrderId}", () =>
        {
            using var connection = _dataSource.OpenConnection();
            using var tx = connection.BeginTransaction();
            using var insert = new NpgsqlCommand(
                """
                INSERT INTO executions (execution_id, client_order_id, venue_order_id, kind, status, symbol, side, last_qty, last_px,
                                        cum_qty, leaves_qty, transact_time, text)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                ON CONFLICT (execution_id) DO NOTHING
                """,
                connection,
                tx);
            Add(insert, report.ExecutionId, report.ClientOrderId.Value, report.VenueOrderId, report.Kind.ToString(), report.Status.ToString(),
                report.Symbol.Value, report.Side.ToString(), report.LastQuantity, report.LastPrice.ToDecimal(), report.CumulativeQuantity,
                report.LeavesQuantity, report.TransactTime.ToDateTimeOffset(), report.Text);
            var inserted = insert.ExecuteNonQuery() == 1;
            if (inserted)
            {
                using var update = new NpgsqlCommand(
                    OrderWarehouseSchema.UpdateOrderStatus("$1", "$2"),
                    connection,
                    tx);
                Add(update, report.Status.ToString(), report.ClientOrderId.Value);
                update.ExecuteNonQuery();
            }

            tx.Commit();
            return inserted;
        });
    }

    /// <inheritdoc />
    public long CountOrders() => Scalar("SELECT count(*) FROM orders");

    /// <inheritdoc />
    public long CountFills() => Scalar("SELECT count(*) FROM executions WHERE kind = 'Trade'");

    /// <inheritdoc />
    public OrderStatus? GetOrderStatus(ClientOrderId clientOrderId)
    {
        using var command = _dataSource.CreateCommand("SELECT status FROM orders WHERE client_order_id = $1");
        Add(command, clientOrderId.Value);
        return command.ExecuteScalar() is string s ? Enum.Parse<OrderStatus>(s) : null;
    }

    /// <inheritdoc />
    public IReadOnlyList<SymbolFillQuantity> FillQuantityBySymbol()
    {
        using var command = _dataSource.CreateCommand(
            """
            SELECT symbol,
                   coalesce(sum(last_qty) FILTER (WHERE side = 'Buy'), 0)::bigint,
                   coalesce(sum(last_qty) FILTER (WHERE side = 'Sell'), 0)::bigint
            FROM executions WHERE kind = 'Trade' GROUP BY symbol ORDER BY symbol
            """);
        using var reader = command.ExecuteReader();
        var result = new List<SymbolFillQuantity>();
        while (reader.Read())
        {
            result.Add(new SymbolFillQuantity(Symbol.Parse(reader.GetString(0)), reader.GetInt64(1), reader.GetInt64(2)));
        }

        return result;
    }

    /// <inheritdoc />
    public void Dispose() => _dataSource.Dispose();

    /// <summary>
    /// Creates or upgrades the schema in one transaction under an advisory lock, so processes opening the warehouse at
    /// the same time upgrade it once; a failed upgrade rolls back and leaves the database as it was.
    /// </summary>
    private void UpgradeSchema()
    {
        using var connection = _dataSource.OpenConnection();
        using var tx = connection.BeginTransaction();
        Run(connection, tx, "SELECT pg_advisory_xact_lock(hashtext('bdt.order_warehouse_schema'))");
        OrderWarehouseSchema.Upgrade(
            Location,
            sql => Convert.ToInt64(Run(connection, tx, sql, scalar: true), System.Globalization.CultureInfo.InvariantCulture),
            sql => Run(connection, tx, sql),
            (version, description) => Run(connection, tx, $"INSERT INTO {OrderWarehouseSchema.VersionTable} (version, description) VALUES ($1, $2)", false, version, description),
            OrderWarehouseSchema.Postgres,
            version => MigrateTo(connection, tx, version));
        tx.Commit();
    }

    private static void MigrateTo(NpgsqlConnection connection, NpgsqlTransaction tx, int version)
    {
        switch (version)
        {
            case 2:
                // Replace the one-column CHECK on status of both tables, whatever it was named (PostgreSQL names an
                // inline one <table>_status_check); ADD CONSTRAINT validates the existing rows against the wider set.
                foreach (var table in new[] { "orders", "executions" })
                {
                    var names = new List<string>();
                    using (var find = new NpgsqlCommand(
                        """
                        SELECT c.conname FROM pg_constraint c
                        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                        WHERE c.conrelid = $1::regclass AND c.contype = 'c' AND cardinality(c.conkey) = 1 AND a.attname = 'status'
                        """,
                        connection,
                        tx))
                    {
                        Add(find, table);
                        using var reader = find.ExecuteReader();
                        while (reader.Read())
                        {
                            names.Add(reader.GetString(0));
                        }
                    }

                    foreach (var name in names)
                    {
                        Run(connection, tx, $"ALTER TABLE {table} DROP CONSTRAINT {QuoteIdentifier(name)}");
                    }

                    Run(connection, tx, $"ALTER TABLE {table} ADD CONSTRAINT {table}_status_check CHECK ({OrderWarehouseSchema.StatusCheck})");
                }

                break;
            default:
                throw new InvalidOperationException($"No PostgreSQL migration to order warehouse schema version {version}.");
        }
    }

    private static string QuoteIdentifier(string name) => '"' + name.Replace("\"", "\"\"", StringComparison.Ordinal) + '"';

    private static object? Run(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, bool scalar = false, params object?[] values)
    {
        using var command = new NpgsqlCommand(sql, connection, tx);
        Add(command, values);
        return scalar ? command.ExecuteScalar() : command.ExecuteNonQuery();
    }

    private static bool Guard(string what, Func<bool> write)
    {
        try
        {
            return write();
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.CheckViolation or PostgresErrorCodes.ForeignKeyViolation or PostgresErrorCodes.NotNullViolation)
        {
            throw new WarehouseConstraintException($"The warehouse refused {what}: {e.MessageText} ({e.ConstraintName})", e);
        }
    }

    private long Scalar(string sql)
    {
        using var command = _dataSource.CreateCommand(sql);
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Add(NpgsqlCommand command, params object?[] values)
    {
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }
    }
}
