using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Orders;
using DuckDB.NET.Data;
using DuckDB.NET.Native;

namespace BigDataTrading.Warehouse;

/// <summary>Filled quantity of one symbol, in whole units.</summary>
/// <param name="Symbol">Instrument.</param>
/// <param name="Bought">Units bought (sum of buy fills).</param>
/// <param name="Sold">Units sold (sum of sell fills).</param>
public sealed record SymbolFillQuantity(Symbol Symbol, long Bought, long Sold)
{
    /// <summary>Net position change: bought minus sold.</summary>
    public long Net => Bought - Sold;
}

/// <summary>A write refused by a business rule of the warehouse schema (CHECK, primary or foreign key).</summary>
public sealed class WarehouseConstraintException : Exception
{
    /// <summary>Creates the exception.</summary>
    public WarehouseConstraintException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public WarehouseConstraintException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the database error.</summary>
    public WarehouseConstraintException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The order data warehouse: every order intent with its risk decision, and every execution report, in one DuckDB file
/// whose schema carries the business rules (the embedded default of the DWH role; PostgreSQL in a cluster).
/// </summary>
/// <remarks>
/// <para>Tables: <c>orders</c> (PK client_order_id; side in Buy/Sell; quantity &gt; 0; a limit price exactly for limit
/// orders, positive) and <c>executions</c> (PK execution_id; client_order_id REFERENCES orders; quantities ≥ 0, a Trade
/// has last_qty &gt; 0 and last_px &gt; 0). Times are TIMESTAMP_NS in UTC; prices DECIMAL(18,8), exact.</para>
/// <para>Writes are idempotent on their natural keys, so replaying the order or execution topics after a restart is
/// safe: a second <see cref="RecordOrder"/> with the same client order id, or <see cref="RecordExecution"/> with the
/// same execution id, changes nothing and returns false. A rule violation throws
/// <see cref="WarehouseConstraintException"/> and writes nothing.</para>
/// <para>One process at a time may open the file (DuckDB takes a file lock). Thread-safe: calls are serialized on one
/// connection under a lock.</para>
/// </remarks>
public sealed class DuckDbOrderWarehouse : IOrderWarehouse
{
    private readonly DuckDBConnection _connection;
    private readonly Lock _gate = new();

    /// <summary>Opens (creating if missing) the warehouse file and its tables.</summary>
    /// <param name="databasePath">DuckDB file; its folder is created if needed.</param>
    public DuckDbOrderWarehouse(string databasePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        DatabasePath = Path.GetFullPath(databasePath);
        var folder = Path.GetDirectoryName(DatabasePath);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        _connection = new DuckDBConnection($"DataSource={DatabasePath}");
        try
        {
            _connection.Open();
            UpgradeSchema();
        }
        catch
        {
            _connection.Dispose();
            throw;
        }
    }

    /// <summary>Absolute path of the database file.</summary>
    public string DatabasePath { get; }

    /// <inheritdoc />
    public string Location => DatabasePath;

    /// <summary>Records an order intent with its risk decision; idempotent on the client order id.</summary>
    /// <param name="order">The order.</param>
    /// <param name="riskDecision">The risk check's verdict (non-empty, e.g. <c>Accepted</c> or <c>Rejected</c>).</param>
    /// <param name="riskReason">Why, for rejections (a reason code); null when accepted.</param>
    /// <param name="status">Initial status: <see cref="OrderStatus.PendingNew"/> for an order about to be routed,
    /// <see cref="OrderStatus.Rejected"/> for one risk refused.</param>
    /// <returns>True when inserted, false when an order with this id was already recorded (nothing changes).</returns>
    /// <exception cref="WarehouseConstraintException">A business rule refused the order (e.g. quantity ≤ 0).</exception>
    public bool RecordOrder(Order order, string riskDecision, string? riskReason, OrderStatus status = OrderStatus.PendingNew)
    {
        ArgumentNullException.ThrowIfNull(order);
        ArgumentNullException.ThrowIfNull(riskDecision);
        lock (_gate)
        {
            return Guard($"order {order.ClientOrderId}", () => Execute(
                """
                INSERT INTO orders (client_order_id, signal_id, symbol, side, quantity, order_type, limit_price, time_in_force,
                                    created_at, status, risk_decision, risk_reason)
                VALUES (?, ?, ?, ?, ?, ?, CAST(? AS DECIMAL(18,8)), ?, make_timestamp_ns(?), ?, ?, ?)
                ON CONFLICT (client_order_id) DO NOTHING
                """,
                order.ClientOrderId.Value,
                order.SignalId,
                order.Symbol.Value,
                order.Side.ToString(),
                order.Quantity,
                order.Type.ToString(),
                order.LimitPrice?.ToDecimal(),
                order.TimeInForce.ToString(),
                order.CreatedAt.UnixNanoseconds,
                status.ToString(),
                riskDecision,
                riskReason) == 1);
        }
    }

    /// <summary>Records an execution report and moves the order's status to the report's; idempotent on the execution id.</summary>
    /// <remarks>The status update never leaves a final status (Filled, Canceled, Rejected, Replaced, Expired,
    /// LostNeverSent): a late or replayed report
    /// cannot reopen a finished order. Insert and update are one transaction.</remarks>
    /// <returns>True when inserted, false when this execution id was already recorded (nothing changes).</returns>
    /// <exception cref="WarehouseConstraintException">A business rule refused it, e.g. the order is unknown (foreign key).</exception>
    public bool RecordExecution(ExecutionReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        lock (_gate)
        {
            return Guard($"execution {report.ExecutionId} of order {report.ClientOrderId}", () =>
            {
                using var tx = _connection.BeginTransaction();
                var inserted = Execute(
                    """
                    INSERT INTO executions (execution_id, client_order_id, venue_order_id, kind, status, symbol, side, last_qty, last_px,
                                            cum_qty, leaves_qty, transact_time, text)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS DECIMAL(18,8)), ?, ?, make_timestamp_ns(?), ?)
                    ON CONFLICT (execution_id) DO NOTHING
                    """,
                    report.ExecutionId,
                    report.ClientOrderId.Value,
                    report.VenueOrderId,
                    report.Kind.ToString(),
                    report.Status.ToString(),
                    report.Symbol.Value,
                    report.Side.ToString(),
                    report.LastQuantity,
                    report.LastPrice.ToDecimal(),
                    report.CumulativeQuantity,
                    report.LeavesQuantity,
                    report.TransactTime.UnixNanoseconds,
                    report.Text) == 1;
                if (inserted)
                {
                    Execute(
                        OrderWarehouseSchema.UpdateOrderStatus("?", "?"),
                        report.Status.ToString(),
                        report.ClientOrderId.Value);
                }

                tx.Commit();
                return inserted;
            });
        }
    }

    /// <summary>Number of orders recorded.</summary>
    public long CountOrders()
    {
        lock (_gate)
        {
            return Scalar<long>("SELECT count(*) FROM orders");
        }
    }

    /// <summary>Number of fills (executions of kind Trade) recorded.</summary>
    public long CountFills()
    {
        lock (_gate)
        {
            return Scalar<long>("SELECT count(*) FROM executions WHERE kind = 'Trade'");
        }
    }

    /// <summary>Current status of an order, or null when it is unknown.</summary>
    public OrderStatus? GetOrderStatus(ClientOrderId clientOrderId)
    {
        lock (_gate)
        {
            using var command = Command("SELECT status FROM orders WHERE client_order_id = ?", clientOrderId.Value);
            return command.ExecuteScalar() is string s ? Enum.Parse<OrderStatus>(s) : null;
        }
    }

    /// <summary>Filled units per symbol, bought and sold, ordered by symbol.</summary>
    public IReadOnlyList<SymbolFillQuantity> FillQuantityBySymbol()
    {
        lock (_gate)
        {
            using var command = Command(
                """
                SELECT symbol,
                       CAST(coalesce(sum(last_qty) FILTER (WHERE side = 'Buy'), 0) AS BIGINT),
                       CAST(coalesce(sum(last_qty) FILTER (WHERE side = 'Sell'), 0) AS BIGINT)
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
    }

    /// <inheritdoc />
    public void Dispose() => _connection.Dispose();

    /// <summary>Creates or upgrades the schema in one transaction (DuckDB DDL is transactional: a failed upgrade leaves the file as it was).</summary>
    private void UpgradeSchema()
    {
        using var tx = _connection.BeginTransaction();
        OrderWarehouseSchema.Upgrade(
            DatabasePath,
            sql => Scalar<long>(sql),
            sql => Execute(sql),
            (version, description) => Execute($"INSERT INTO {OrderWarehouseSchema.VersionTable} (version, description) VALUES (?, ?)", version, description),
            OrderWarehouseSchema.DuckDb,
            MigrateTo);
        tx.Commit();
    }

    private void MigrateTo(int version)
    {
        switch (version)
        {
            case 2:
                // DuckDB cannot alter a CHECK constraint: rebuild both tables (executions references orders) with the
                // current DDL and copy the rows back; same columns in the same order, so every row keeps its values.
                Execute(
                    """
                    CREATE TEMP TABLE orders_v1 AS SELECT * FROM orders;
                    CREATE TEMP TABLE executions_v1 AS SELECT * FROM executions;
                    DROP TABLE executions;
                    DROP TABLE orders;
                    """);
                Execute(OrderWarehouseSchema.DuckDb);
                Execute(
                    """
                    INSERT INTO orders SELECT * FROM orders_v1;
                    INSERT INTO executions SELECT * FROM executions_v1;
                    DROP TABLE executions_v1;
                    DROP TABLE orders_v1;
                    """);
                break;
            default:
                throw new InvalidOperationException($"No DuckDB migration to order warehouse schema version {version}.");
        }
    }

    private static bool Guard(string what, Func<bool> write)
    {
        try
        {
            return write();
        }
        catch (DuckDBException e) when (e.ErrorType == DuckDBErrorType.Constraint)
        {
            throw new WarehouseConstraintException($"The warehouse refused {what}: {e.Message}", e);
        }
    }

    private int Execute(string sql, params object?[] parameters)
    {
        using var command = Command(sql, parameters);
        return command.ExecuteNonQuery();
    }

    private T Scalar<T>(string sql)
    {
        using var command = Command(sql);
        return (T)Convert.ChangeType(command.ExecuteScalar()!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    private DuckDBCommand Command(string sql, params object?[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var p in parameters)
        {
            command.Parameters.Add(new DuckDBParameter(p ?? DBNull.Value));
        }

        return command;
    }
}
