using BigDataTrading.Core.Orders;

namespace BigDataTrading.Warehouse;

/// <summary>
/// The order data warehouse: every order intent with its risk decision and every execution report, in a schema that
/// carries the business rules. Two implementations with the same tables and rules: <see cref="DuckDbOrderWarehouse"/>
/// (one file, the embedded default) and <see cref="PostgresOrderWarehouse"/> (a PostgreSQL server, for deployments).
/// </summary>
/// <remarks>Writes are idempotent on natural keys (client order id, execution id), so replays after a restart are
/// safe. Implementations are thread-safe.</remarks>
public interface IOrderWarehouse : IDisposable
{
    /// <summary>Where the data lives (a file path or a server and database), for summaries.</summary>
    string Location { get; }

    /// <summary>Records an order intent with its risk decision; false when the client order id was already recorded.</summary>
    /// <exception cref="WarehouseConstraintException">A business rule refused the order.</exception>
    bool RecordOrder(Order order, string riskDecision, string? riskReason, OrderStatus status = OrderStatus.PendingNew);

    /// <summary>Records an execution and moves its order's status (never out of a final one); false when already recorded.</summary>
    /// <exception cref="WarehouseConstraintException">A business rule refused it, e.g. the order is unknown.</exception>
    bool RecordExecution(ExecutionReport report);

    /// <summary>Number of orders recorded.</summary>
    long CountOrders();

    /// <summary>Number of fills (executions of kind Trade) recorded.</summary>
    long CountFills();

    /// <summary>Current status of an order, or null when unknown.</summary>
    OrderStatus? GetOrderStatus(ClientOrderId clientOrderId);

    /// <summary>Filled units per symbol, bought and sold, ordered by symbol.</summary>
    IReadOnlyList<SymbolFillQuantity> FillQuantityBySymbol();
}
