using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Orders;
using BigDataTrading.Core.Time;
using BigDataTrading.Warehouse;
using DuckDB.NET.Data;
using Xunit;

namespace BigDataTrading.Data.Tests;

/// <summary>The DuckDB order warehouse stores every order status exactly and upgrades a database of an older schema.</summary>
public sealed class DuckDbOrderWarehouseSchemaTests : IDisposable
{
    private static readonly Timestamp s_now = Timestamp.FromUtc(new DateOnly(2024, 3, 12), new TimeSpan(0, 14, 0, 0, 123));
    private readonly TempDirectory _temp = new();
    private readonly string _path;

    public DuckDbOrderWarehouseSchemaTests() => _path = Path.Combine(_temp.Path, "orders.duckdb");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Every_order_status_is_stored_and_read_back_exactly_from_orders_and_executions()
    {
        using var dwh = new DuckDbOrderWarehouse(_path);
        foreach (var status in Enum.GetValues<OrderStatus>())
        {
            // As the initial status of an order, and as the status an execution moves a working order to.
            Assert.True(dwh.RecordOrder(Order($"initial-{status}"), "Accepted", null, status));
            Assert.True(dwh.RecordOrder(Order($"reported-{status}"), "Accepted", null));
            Assert.True(dwh.RecordExecution(Report($"reported-{status}", $"x-{status}", status)));

            Assert.Equal(status, dwh.GetOrderStatus(new ClientOrderId($"initial-{status}")));
            Assert.Equal(status, dwh.GetOrderStatus(new ClientOrderId($"reported-{status}")));
        }

        Assert.Equal(Enum.GetValues<OrderStatus>().Select(s => s.ToString()).Order(StringComparer.Ordinal), Column(_path, "SELECT status FROM executions ORDER BY status"));
    }

    [Theory]
    [InlineData(OrderStatus.Replaced)]
    [InlineData(OrderStatus.Expired)]
    [InlineData(OrderStatus.LostNeverSent)]
    public void A_late_report_does_not_reopen_an_order_in_a_new_final_status(OrderStatus final)
    {
        using var dwh = new DuckDbOrderWarehouse(_path);
        dwh.RecordOrder(Order("o-1"), "Accepted", null);
        dwh.RecordExecution(Report("o-1", "x-1", final));

        Assert.True(dwh.RecordExecution(Report("o-1", "x-late", OrderStatus.New)));

        Assert.Equal(final, dwh.GetOrderStatus(new ClientOrderId("o-1")));
    }

    [Fact]
    public void A_warehouse_created_with_the_old_status_check_is_upgraded_once_and_keeps_its_rows()
    {
        using (var old = Open(_path))
        {
            Run(old, OrderWarehouseV1.DuckDb);
            Run(old, OrderWarehouseV1.SampleRows);
        }

        using (var dwh = new DuckDbOrderWarehouse(_path))
        {
            Assert.Equal((2L, 1L), (dwh.CountOrders(), dwh.CountFills()));
            Assert.Equal(OrderStatus.PartiallyFilled, dwh.GetOrderStatus(new ClientOrderId("old-1")));
            Assert.Equal(OrderStatus.Rejected, dwh.GetOrderStatus(new ClientOrderId("old-2")));
            Assert.Equal((60L, 0L), (dwh.FillQuantityBySymbol().Single().Bought, dwh.FillQuantityBySymbol().Single().Sold));
            // The widened CHECK takes the new states; the other rules still hold after the rebuild.
            Assert.True(dwh.RecordExecution(Report("old-1", "x-old-2", OrderStatus.PendingCancel)));
            Assert.Equal(OrderStatus.PendingCancel, dwh.GetOrderStatus(new ClientOrderId("old-1")));
            Assert.Throws<WarehouseConstraintException>(() => dwh.RecordExecution(Report("nobody", "x-9", OrderStatus.New)));
            Assert.Throws<WarehouseConstraintException>(() => dwh.RecordOrder(Order("bad", quantity: 0), "Accepted", null));
        }

        using (new DuckDbOrderWarehouse(_path))
        {
            // Opening again applies nothing twice.
        }

        Assert.Equal(["1", "2"], Column(_path, "SELECT CAST(version AS VARCHAR) FROM order_warehouse_schema ORDER BY version"));
        Assert.Equal(
            ["old-1 sig-old-1 Buy 100 Limit 516.01000000 2024-03-12 14:00:00.123 Accepted -", "old-2 sig-old-2 Sell 50 Market - 2024-03-12 14:00:01 Rejected MaxNotional"],
            Column(_path, "SELECT concat_ws(' ', client_order_id, signal_id, side, quantity, order_type, coalesce(CAST(limit_price AS VARCHAR), '-'), CAST(created_at AS VARCHAR), risk_decision, coalesce(risk_reason, '-')) FROM orders ORDER BY client_order_id"));
        Assert.Equal(
            ["x-old-1 old-1 Trade PartiallyFilled 60 516.01000000 60 40", "x-old-2 old-1 New PendingCancel 0 0.00000000 0 100"],
            Column(_path, "SELECT concat_ws(' ', execution_id, client_order_id, kind, status, last_qty, last_px, cum_qty, leaves_qty) FROM executions ORDER BY execution_id"));
    }

    [Fact]
    public void A_warehouse_of_a_newer_schema_version_is_refused_with_the_versions_in_the_message()
    {
        using (new DuckDbOrderWarehouse(_path))
        {
        }

        using (var db = Open(_path))
        {
            Run(db, "INSERT INTO order_warehouse_schema (version, description) VALUES (99, 'from the future')");
        }

        var error = Assert.Throws<InvalidOperationException>(() => new DuckDbOrderWarehouse(_path));
        Assert.Contains("schema version 99, newer than this program's 2", error.Message, StringComparison.Ordinal);
    }

    private static DuckDBConnection Open(string path)
    {
        var connection = new DuckDBConnection($"DataSource={path}");
        connection.Open();
        return connection;
    }

    private static void Run(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static string[] Column(string path, string sql)
    {
        using var connection = Open(path);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
        {
            values.Add(reader.GetString(0));
        }

        return [.. values];
    }

    private static Order Order(string id, long quantity = 100) =>
        new(new ClientOrderId(id), Symbol.Parse("SPY"), Side.Buy, quantity, OrderType.Limit, Price.FromDecimal(516.01m), TimeInForce.Day, s_now, "sig-" + id);

    private static ExecutionReport Report(string order, string execId, OrderStatus status) =>
        new(new ClientOrderId(order), "v-" + order, execId, ExecutionKind.New, status, Symbol.Parse("SPY"), Side.Buy, 0, Price.Zero, 0, 100, s_now, null);
}
