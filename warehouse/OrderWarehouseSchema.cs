namespace BigDataTrading.Warehouse;

/// <summary>
/// The one definition of the order warehouse's tables and business rules, rendered for each engine: both warehouses
/// enforce exactly the same CHECK, primary-key and foreign-key rules; only type names differ.
/// </summary>
internal static class OrderWarehouseSchema
{
    /// <summary>DDL for DuckDB: VARCHAR, DECIMAL(18,8), TIMESTAMP_NS (nanoseconds).</summary>
    public static string DuckDb { get; } = Render(text: "VARCHAR", integer: "BIGINT", money: "DECIMAL(18,8)", time: "TIMESTAMP_NS");

    /// <summary>DDL for PostgreSQL: text, numeric(18,8), timestamptz (microseconds), plus an index for order look-ups.</summary>
    public static string Postgres { get; } = Render(text: "text", integer: "bigint", money: "numeric(18,8)", time: "timestamptz") +
        "\nCREATE INDEX IF NOT EXISTS executions_by_order ON executions (client_order_id);";

    private static string Render(string text, string integer, string money, string time) => $"""
        CREATE TABLE IF NOT EXISTS orders (
            client_order_id {text} PRIMARY KEY,
            signal_id       {text} NOT NULL,
            symbol          {text} NOT NULL,
            side            {text} NOT NULL CHECK (side IN ('Buy', 'Sell')),
            quantity        {integer} NOT NULL CHECK (quantity > 0),
            order_type      {text} NOT NULL CHECK (order_type IN ('Market', 'Limit')),
            limit_price     {money} CHECK (limit_price > 0),
            time_in_force   {text} NOT NULL CHECK (time_in_force IN ('Day', 'GoodTillCancel', 'ImmediateOrCancel', 'FillOrKill')),
            created_at      {time} NOT NULL,
            status          {text} NOT NULL CHECK (status IN ('PendingNew', 'New', 'PartiallyFilled', 'Filled', 'Canceled', 'Rejected')),
            risk_decision   {text} NOT NULL CHECK (length(risk_decision) > 0),
            risk_reason     {text},
            CHECK ((order_type = 'Limit') = (limit_price IS NOT NULL))
        );
        CREATE TABLE IF NOT EXISTS executions (
            execution_id    {text} PRIMARY KEY,
            client_order_id {text} NOT NULL REFERENCES orders (client_order_id),
            venue_order_id  {text} NOT NULL,
            kind            {text} NOT NULL CHECK (kind IN ('New', 'Trade', 'Canceled', 'Rejected')),
            status          {text} NOT NULL CHECK (status IN ('PendingNew', 'New', 'PartiallyFilled', 'Filled', 'Canceled', 'Rejected')),
            symbol          {text} NOT NULL,
            side            {text} NOT NULL CHECK (side IN ('Buy', 'Sell')),
            last_qty        {integer} NOT NULL CHECK (last_qty >= 0),
            last_px         {money} NOT NULL CHECK (last_px >= 0),
            cum_qty         {integer} NOT NULL CHECK (cum_qty >= 0),
            leaves_qty      {integer} NOT NULL CHECK (leaves_qty >= 0),
            transact_time   {time} NOT NULL,
            text            {text},
            CHECK (kind <> 'Trade' OR (last_qty > 0 AND last_px > 0))
        );
        """;
}
