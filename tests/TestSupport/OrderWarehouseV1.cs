namespace BigDataTrading.TestSupport;

/// <summary>
/// The order warehouse schema as version 1 created it (before versioning, status limited to six values), frozen here
/// so upgrade tests can build an old database exactly as the old program left it.
/// </summary>
public static class OrderWarehouseV1
{
    /// <summary>Version 1 DDL for DuckDB.</summary>
    public static string DuckDb { get; } = Render("VARCHAR", "BIGINT", "DECIMAL(18,8)", "TIMESTAMP_NS");

    /// <summary>Version 1 DDL for PostgreSQL.</summary>
    public static string Postgres { get; } = Render("text", "bigint", "numeric(18,8)", "timestamptz") +
        "\nCREATE INDEX IF NOT EXISTS executions_by_order ON executions (client_order_id);";

    /// <summary>One order and one partial fill, in SQL both engines accept.</summary>
    public const string SampleRows = """
        INSERT INTO orders VALUES ('old-1', 'sig-old-1', 'SPY', 'Buy', 100, 'Limit', 516.01, 'Day', TIMESTAMP '2024-03-12 14:00:00.123', 'PartiallyFilled', 'Accepted', NULL);
        INSERT INTO orders VALUES ('old-2', 'sig-old-2', 'SPY', 'Sell', 50, 'Market', NULL, 'Day', TIMESTAMP '2024-03-12 14:00:01', 'Rejected', 'Rejected', 'MaxNotional');
        INSERT INTO executions VALUES ('x-old-1', 'old-1', 'v-old-1', 'Trade', 'PartiallyFilled', 'SPY', 'Buy', 60, 516.01, 60, 40, TIMESTAMP '2024-03-12 14:00:02', NULL);
        """;

    private static string Render(string text, string integer, string money, string time) => $"""
        CREATE TABLE orders (
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
        CREATE TABLE executions (
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
