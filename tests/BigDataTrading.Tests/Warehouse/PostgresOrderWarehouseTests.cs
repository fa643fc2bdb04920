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
}
