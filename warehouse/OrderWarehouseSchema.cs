using BigDataTrading.Core.Orders;

namespace BigDataTrading.Warehouse;

/// <summary>
/// The one definition of the order warehouse's tables and business rules, rendered for each engine: both warehouses
/// enforce exactly the same CHECK, primary-key and foreign-key rules; only type names differ. The schema is versioned
/// in <see cref="VersionTable"/>; each warehouse upgrades an older database when it opens it (see <see cref="History"/>).
/// </summary>
internal static class OrderWarehouseSchema
{
    /// <summary>Table recording every schema version applied to the database (one row per version).</summary>
    public const string VersionTable = "order_warehouse_schema";

    /// <summary>
    /// The schema versions, oldest first. A database created before versioning has no <see cref="VersionTable"/> and is
    /// version 1.
    /// </summary>
    public static IReadOnlyList<(int Version, string Description)> History { get; } =
    [
        (1, "orders and executions; status in PendingNew, New, PartiallyFilled, Filled, Canceled, Rejected"),
        (2, "status holds every order state: adds PendingCancel, PendingReplace, Replaced, Expired, LostNeverSent"),
    ];

    /// <summary>The version this program writes.</summary>
    public static int CurrentVersion => History[^1].Version;

    /// <summary>The status CHECK: every <see cref="OrderStatus"/> name, so the schema follows the enum.</summary>
    public static string StatusCheck { get; } = $"status IN ({string.Join(", ", Enum.GetNames<OrderStatus>().Select(n => $"'{n}'"))})";

    /// <summary>SQL list of the final statuses (<see cref="OrderEnumExtensions.IsFinal"/>): an execution never moves an order out of them.</summary>
    public static string FinalStatuses { get; } = string.Join(", ", Enum.GetValues<OrderStatus>().Where(s => s.IsFinal()).Select(s => $"'{s}'"));

    /// <summary>The status update of <c>RecordExecution</c>; parameters: new status, client order id.</summary>
    public static string UpdateOrderStatus(string statusParameter, string idParameter) =>
        $"UPDATE orders SET status = {statusParameter} WHERE client_order_id = {idParameter} AND status NOT IN ({FinalStatuses})";

    /// <summary>DDL of <see cref="VersionTable"/>, the same for both engines.</summary>
    public static string VersionTableDdl { get; } = $"""
        CREATE TABLE IF NOT EXISTS {VersionTable} (
            version     integer PRIMARY KEY,
            description text NOT NULL,
            applied_at  timestamptz NOT NULL DEFAULT now()
        );
        """;

    /// <summary>DDL for DuckDB: VARCHAR, DECIMAL(18,8), TIMESTAMP_NS (nanoseconds).</summary>
    public static string DuckDb { get; } = Render(text: "VARCHAR", integer: "BIGINT", money: "DECIMAL(18,8)", time: "TIMESTAMP_NS");

    /// <summary>DDL for PostgreSQL: text, numeric(18,8), timestamptz (microseconds), plus an index for order look-ups.</summary>
    public static string Postgres { get; } = Render(text: "text", integer: "bigint", money: "numeric(18,8)", time: "timestamptz") +
        "\nCREATE INDEX IF NOT EXISTS executions_by_order ON executions (client_order_id);";

    /// <summary>
    /// Brings a database to <see cref="CurrentVersion"/>, inside the caller's transaction: a new database gets
    /// <paramref name="createDdl"/>; one without <see cref="VersionTable"/> is version 1 (created before versioning)
    /// and is recorded as such; then every later version's migration runs and is recorded, so each step is applied
    /// exactly once and a DBA can read what was applied when.
    /// </summary>
    /// <param name="location">Where the database is, for error messages.</param>
    /// <param name="scalar">Runs a query returning one integer.</param>
    /// <param name="execute">Runs DDL/DML.</param>
    /// <param name="record">Inserts a <see cref="VersionTable"/> row (version, description).</param>
    /// <param name="createDdl">The engine's DDL of the current schema.</param>
    /// <param name="migrateTo">The engine's migration to a version (called for each version above the database's).</param>
    /// <exception cref="InvalidOperationException">The database is newer than this program.</exception>
    public static void Upgrade(string location, Func<string, long> scalar, Action<string> execute, Action<int, string> record, string createDdl, Action<int> migrateTo)
    {
        var existed = scalar("SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'orders'") > 0;
        execute(VersionTableDdl);
        if (!existed)
        {
            execute(createDdl);
            record(CurrentVersion, Describe(CurrentVersion));
            return;
        }

        var recorded = scalar($"SELECT count(*) FROM {VersionTable}");
        var version = recorded == 0 ? 1 : scalar($"SELECT max(version) FROM {VersionTable}");
        if (version > CurrentVersion)
        {
            throw TooNew(location, version);
        }

        if (recorded == 0)
        {
            record(1, Describe(1));
        }

        foreach (var (next, description) in History.Where(h => h.Version > version))
        {
            migrateTo(next);
            record(next, description);
        }
    }

    /// <summary>Description of <paramref name="version"/> for its <see cref="VersionTable"/> row.</summary>
    public static string Describe(int version) => History.Single(h => h.Version == version).Description;

    /// <summary>The refusal when a database is newer than this program.</summary>
    public static InvalidOperationException TooNew(string location, long version) => new(
        $"The order warehouse at {location} has schema version {version}, newer than this program's {CurrentVersion}: " +
        "upgrade bdt before writing to it (an older program would break the newer schema's rules).");

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
            status          {text} NOT NULL CHECK ({StatusCheck}),
            risk_decision   {text} NOT NULL CHECK (length(risk_decision) > 0),
            risk_reason     {text},
            CHECK ((order_type = 'Limit') = (limit_price IS NOT NULL))
        );
        CREATE TABLE IF NOT EXISTS executions (
            execution_id    {text} PRIMARY KEY,
            client_order_id {text} NOT NULL REFERENCES orders (client_order_id),
            venue_order_id  {text} NOT NULL,
            kind            {text} NOT NULL CHECK (kind IN ('New', 'Trade', 'Canceled', 'Rejected')),
            status          {text} NOT NULL CHECK ({StatusCheck}),
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
