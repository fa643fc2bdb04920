using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Orders;
using BigDataTrading.Core.Time;
using BigDataTrading.Infra.Embedded;
using BigDataTrading.Warehouse;

namespace BigDataTrading.Tests.Warehouse;

/// <summary>One throwaway PostgreSQL server for every test of the class (starting one takes a few seconds).</summary>
public sealed class PostgresFixture : IDisposable
{
    private int _databases;

    public PostgresFixture() => Server = ThrowawayPostgres.FindBinDirectory() is null ? null : ThrowawayPostgres.Start();

    public ThrowawayPostgres? Server { get; }

    /// <summary>A fresh database per test, so tests never see each other's rows.</summary>
    public string CreateDatabase()
    {
        var name = $"t{Interlocked.Increment(ref _databases)}";
        using var connection = new Npgsql.NpgsqlConnection(Server!.ConnectionString);
        connection.Open();
        using var command = new Npgsql.NpgsqlCommand($"CREATE DATABASE {name}", connection);
        command.ExecuteNonQuery();
        return new Npgsql.NpgsqlConnectionStringBuilder(Server.ConnectionString) { Database = name }.ConnectionString;
    }

    public void Dispose() => Server?.Dispose();
}

/// <summary>A fact that is skipped, with the reason, when PostgreSQL's server binaries are not installed.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (ThrowawayPostgres.FindBinDirectory() is null)
        {
            Skip = "needs PostgreSQL server binaries (apt-get install -y postgresql); .ci/run installs them";
        }
    }
}

/// <summary>The PostgreSQL order warehouse against a real, throwaway server: same rules as the DuckDB one.</summary>
public sealed class PostgresOrderWarehouseTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private static readonly Symbol Spy = Symbol.Parse("SPY");

    private static Order NewOrder(string id, long quantity = 100) =>
        new(new ClientOrderId(id), Spy, Side.Buy, quantity, OrderType.Limit, Price.FromDecimal(100.25m), TimeInForce.Day, new Timestamp(1_700_000_000_000_000_000), "sig-" + id);

    private static ExecutionReport Fill(string orderId, string execId, long qty) =>
        new(new ClientOrderId(orderId), "V1", execId, ExecutionKind.Trade, OrderStatus.Filled, Spy, Side.Buy, qty, Price.FromDecimal(100.25m), qty, 0, new Timestamp(1_700_000_000_000_001_000), null);

    [PostgresFact]
    public void Orders_and_executions_are_recorded_once_and_a_fill_moves_the_order_to_filled()
    {
        using var warehouse = new PostgresOrderWarehouse(postgres.CreateDatabase());
        Assert.True(warehouse.RecordOrder(NewOrder("A"), "Accepted", null));
        Assert.False(warehouse.RecordOrder(NewOrder("A"), "Accepted", null));
        Assert.True(warehouse.RecordExecution(Fill("A", "E1", 100)));
        Assert.False(warehouse.RecordExecution(Fill("A", "E1", 100)));

        Assert.Equal(1, warehouse.CountOrders());
        Assert.Equal(1, warehouse.CountFills());
        Assert.Equal(OrderStatus.Filled, warehouse.GetOrderStatus(new ClientOrderId("A")));
        var bySymbol = Assert.Single(warehouse.FillQuantityBySymbol());
        Assert.Equal((100L, 0L), (bySymbol.Bought, bySymbol.Sold));
        Assert.StartsWith("postgresql://127.0.0.1:", warehouse.Location, StringComparison.Ordinal);
    }

    [PostgresFact]
    public void The_schema_refuses_a_zero_quantity_and_an_execution_of_an_unknown_order()
    {
        using var warehouse = new PostgresOrderWarehouse(postgres.CreateDatabase());
        var zero = Assert.Throws<WarehouseConstraintException>(() => warehouse.RecordOrder(NewOrder("Z", quantity: 0), "Accepted", null));
        Assert.Contains("orders_quantity_check", zero.Message, StringComparison.Ordinal);
        var orphan = Assert.Throws<WarehouseConstraintException>(() => warehouse.RecordExecution(Fill("nobody", "E9", 1)));
        Assert.Contains("executions_client_order_id_fkey", orphan.Message, StringComparison.Ordinal);
        Assert.Equal(0, warehouse.CountOrders());
    }

    [PostgresFact]
    public void Every_order_status_is_stored_and_read_back_exactly()
    {
        var database = postgres.CreateDatabase();
        using var warehouse = new PostgresOrderWarehouse(database);
        foreach (var status in Enum.GetValues<OrderStatus>())
        {
            Assert.True(warehouse.RecordOrder(NewOrder($"initial-{status}"), "Accepted", null, status));
            Assert.True(warehouse.RecordOrder(NewOrder($"reported-{status}"), "Accepted", null));
            Assert.True(warehouse.RecordExecution(Report($"reported-{status}", $"x-{status}", status)));

            Assert.Equal(status, warehouse.GetOrderStatus(new ClientOrderId($"initial-{status}")));
            Assert.Equal(status, warehouse.GetOrderStatus(new ClientOrderId($"reported-{status}")));
        }

        Assert.Equal(Enum.GetNames<OrderStatus>().Order(StringComparer.Ordinal), Column(database, "SELECT status FROM executions ORDER BY status COLLATE \"C\""));
        // A late report does not reopen an order in one of the new final statuses.
        Assert.True(warehouse.RecordExecution(Report($"reported-{OrderStatus.Expired}", "x-late", OrderStatus.New)));
        Assert.Equal(OrderStatus.Expired, warehouse.GetOrderStatus(new ClientOrderId($"reported-{OrderStatus.Expired}")));
    }

    [PostgresFact]
    public void A_database_created_with_the_old_status_check_is_upgraded_once_and_keeps_its_rows()
    {
        var database = postgres.CreateDatabase();
        Execute(database, OrderWarehouseV1.Postgres);
        Execute(database, OrderWarehouseV1.SampleRows);

        using (var warehouse = new PostgresOrderWarehouse(database))
        {
            Assert.Equal((2L, 1L), (warehouse.CountOrders(), warehouse.CountFills()));
            Assert.Equal(OrderStatus.PartiallyFilled, warehouse.GetOrderStatus(new ClientOrderId("old-1")));
            Assert.True(warehouse.RecordExecution(Report("old-1", "x-old-2", OrderStatus.PendingReplace)));
            Assert.Equal(OrderStatus.PendingReplace, warehouse.GetOrderStatus(new ClientOrderId("old-1")));
            var bad = Assert.Throws<WarehouseConstraintException>(() => warehouse.RecordOrder(NewOrder("bad"), "Accepted", null, (OrderStatus)99));
            Assert.Contains("orders_status_check", bad.Message, StringComparison.Ordinal);
        }

        using (new PostgresOrderWarehouse(database))
        {
            // Opening again applies nothing twice.
        }

        Assert.Equal(["1", "2"], Column(database, "SELECT version::text FROM order_warehouse_schema ORDER BY version"));
        // One status CHECK per table, the widened one.
        Assert.Equal(["executions_status_check", "orders_status_check"], Column(database,
            "SELECT conname FROM pg_constraint WHERE contype = 'c' AND conname LIKE '%status%' AND conrelid IN ('orders'::regclass, 'executions'::regclass) ORDER BY conname"));
        Assert.Equal(
            ["old-1 sig-old-1 Buy 100 Limit 516.01000000 Accepted -", "old-2 sig-old-2 Sell 50 Market - Rejected MaxNotional"],
            Column(database, "SELECT concat_ws(' ', client_order_id, signal_id, side, quantity, order_type, coalesce(limit_price::text, '-'), risk_decision, coalesce(risk_reason, '-')) FROM orders ORDER BY client_order_id"));
        Assert.Equal(
            ["x-old-1 old-1 Trade PartiallyFilled 60 516.01000000 60 40", "x-old-2 old-1 New PendingReplace 0 0.00000000 0 100"],
            Column(database, "SELECT concat_ws(' ', execution_id, client_order_id, kind, status, last_qty, last_px, cum_qty, leaves_qty) FROM executions ORDER BY execution_id"));
    }

    private static ExecutionReport Report(string orderId, string execId, OrderStatus status) =>
        new(new ClientOrderId(orderId), "V1", execId, ExecutionKind.New, status, Spy, Side.Buy, 0, Price.Zero, 0, 100, new Timestamp(1_700_000_000_000_001_000), null);

    private static void Execute(string connectionString, string sql)
    {
        using var connection = new Npgsql.NpgsqlConnection(connectionString);
        connection.Open();
        using var command = new Npgsql.NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    private static string[] Column(string connectionString, string sql)
    {
        using var connection = new Npgsql.NpgsqlConnection(connectionString);
        connection.Open();
        using var command = new Npgsql.NpgsqlCommand(sql, connection);
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
        {
            values.Add(reader.GetString(0));
        }

        return [.. values];
    }
}
