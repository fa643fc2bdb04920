using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Orders;
using BigDataTrading.Core.Time;
using BigDataTrading.Warehouse;
using Xunit;

namespace BigDataTrading.Data.Tests;

public sealed class DuckDbOrderWarehouseTests : IDisposable
{
    private static readonly Timestamp s_now = Timestamp.FromUtc(new DateOnly(2024, 3, 12), new TimeSpan(0, 14, 0, 0, 123));
    private readonly TempDirectory _temp = new();
    private readonly string _path;

    public DuckDbOrderWarehouseTests() => _path = Path.Combine(_temp.Path, "dwh", "orders.duckdb");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Recording_the_same_order_twice_stores_it_once()
    {
        using var dwh = new DuckDbOrderWarehouse(_path);

        Assert.True(dwh.RecordOrder(Order("o-1"), "Accepted", null));
        Assert.False(dwh.RecordOrder(Order("o-1"), "Accepted", null));
        Assert.True(dwh.RecordOrder(Order("o-2", quantity: 50) with { Type = OrderType.Market, LimitPrice = null }, "Rejected", "MaxNotional", OrderStatus.Rejected));

        Assert.Equal(2, dwh.CountOrders());
        Assert.Equal(OrderStatus.PendingNew, dwh.GetOrderStatus(new ClientOrderId("o-1")));
        Assert.Equal(OrderStatus.Rejected, dwh.GetOrderStatus(new ClientOrderId("o-2")));
        Assert.Null(dwh.GetOrderStatus(new ClientOrderId("unknown")));
    }

    [Fact]
    public void The_schema_refuses_an_order_for_zero_quantity()
    {
        using var dwh = new DuckDbOrderWarehouse(_path);

        var e = Assert.Throws<WarehouseConstraintException>(() => dwh.RecordOrder(Order("o-1", quantity: 0), "Accepted", null));

        Assert.Contains("o-1", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, dwh.CountOrders());
    }

    [Fact]
    public void The_schema_refuses_a_limit_order_without_a_limit_price()
    {
        using var dwh = new DuckDbOrderWarehouse(_path);

        Assert.Throws<WarehouseConstraintException>(() => dwh.RecordOrder(Order("o-1") with { LimitPrice = null }, "Accepted", null));
    }

    [Fact]
    public void The_schema_refuses_an_execution_for_an_unknown_order()
    {
        using var dwh = new DuckDbOrderWarehouse(_path);

        Assert.Throws<WarehouseConstraintException>(() => dwh.RecordExecution(Fill("nobody", "x-1", 10, 10, 90, OrderStatus.PartiallyFilled)));
        Assert.Equal(0, dwh.CountFills());
    }

    [Fact]
    public void Replayed_executions_are_stored_once_and_move_the_order_status_forward_only()
    {
        using var dwh = new DuckDbOrderWarehouse(_path);
        dwh.RecordOrder(Order("o-1"), "Accepted", null);
        dwh.RecordOrder(Order("o-2", side: Side.Sell, symbol: "AAPL", quantity: 40), "Accepted", null);

        Assert.True(dwh.RecordExecution(Ack("o-1", "x-0")));
        Assert.True(dwh.RecordExecution(Fill("o-1", "x-1", 60, 60, 40, OrderStatus.PartiallyFilled)));
        Assert.True(dwh.RecordExecution(Fill("o-1", "x-2", 40, 100, 0, OrderStatus.Filled)));
        Assert.False(dwh.RecordExecution(Fill("o-1", "x-1", 60, 60, 40, OrderStatus.PartiallyFilled)));
        Assert.True(dwh.RecordExecution(Fill("o-2", "y-1", 40, 40, 0, OrderStatus.Filled, "AAPL", Side.Sell)));
        // A late report cannot reopen a filled order.
        Assert.True(dwh.RecordExecution(Ack("o-1", "x-late")));

        Assert.Equal(3, dwh.CountFills());
        Assert.Equal(OrderStatus.Filled, dwh.GetOrderStatus(new ClientOrderId("o-1")));
        Assert.Equal(
            [new SymbolFillQuantity(Symbol.Parse("AAPL"), 0, 40), new SymbolFillQuantity(Symbol.Parse("SPY"), 100, 0)],
            dwh.FillQuantityBySymbol());
    }

    [Fact]
    public void The_file_is_created_when_missing_and_keeps_its_data_across_reopen()
    {
        using (var dwh = new DuckDbOrderWarehouse(_path))
        {
            dwh.RecordOrder(Order("o-1"), "Accepted", null);
            dwh.RecordExecution(Fill("o-1", "x-1", 100, 100, 0, OrderStatus.Filled));
        }

        Assert.True(File.Exists(_path));
        using var reopened = new DuckDbOrderWarehouse(_path);
        Assert.Equal(1, reopened.CountOrders());
        Assert.Equal(1, reopened.CountFills());
        Assert.False(reopened.RecordOrder(Order("o-1"), "Accepted", null));
    }

    [Fact]
    public async Task Concurrent_writers_on_one_instance_are_serialized()
    {
        using var dwh = new DuckDbOrderWarehouse(_path);

        await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < 10; i++)
            {
                var id = $"o-{w}-{i}";
                dwh.RecordOrder(Order(id), "Accepted", null);
                dwh.RecordExecution(Fill(id, $"x-{w}-{i}", 100, 100, 0, OrderStatus.Filled));
            }
        })));

        Assert.Equal(40, dwh.CountOrders());
        Assert.Equal(40, dwh.CountFills());
        Assert.Equal(4_000, Assert.Single(dwh.FillQuantityBySymbol()).Bought);
    }

    private static Order Order(string id, long quantity = 100, Side side = Side.Buy, string symbol = "SPY") =>
        new(new ClientOrderId(id), Symbol.Parse(symbol), side, quantity, OrderType.Limit, Price.FromDecimal(516.01m), TimeInForce.Day, s_now, "sig-" + id);

    private static ExecutionReport Ack(string order, string execId) =>
        new(new ClientOrderId(order), "v-" + order, execId, ExecutionKind.New, OrderStatus.New, Symbol.Parse("SPY"), Side.Buy, 0, Price.Zero, 0, 100, s_now, null);

    private static ExecutionReport Fill(string order, string execId, long last, long cum, long leaves, OrderStatus status, string symbol = "SPY", Side side = Side.Buy) =>
        new(new ClientOrderId(order), "v-" + order, execId, ExecutionKind.Trade, status, Symbol.Parse(symbol), side, last, Price.FromDecimal(516.01m), cum, leaves, s_now, null);
}
