using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Time;
using BigDataTrading.Streaming.Cql;
using BigDataTrading.Streaming.Cql.Ods;
using BigDataTrading.Streaming.Tests.Kafka;

namespace BigDataTrading.Streaming.Tests.Ods;

/// <summary>The ODS view tables: upsert by window key and business rules in the schema, on DuckDB and on a real PostgreSQL.</summary>
public sealed class ContinuousViewStoreTests : IClassFixture<PostgresServerFixture>, IDisposable
{
    private const string Bars = CqlTestKit.TradesStream + """
        CREATE VIEW bars AS
          SELECT symbol, first(price) AS open, max(price) AS high, min(price) AS low, last(price) AS close, sum(size) AS volume, count(*) AS trades
          FROM trades WINDOW TUMBLING(1 MINUTE) GROUP BY symbol EMIT CHANGES INTO VIEW bars_1m;
        """;

    private readonly PostgresServerFixture _postgres;
    private readonly string _dir = Directory.CreateTempSubdirectory("bdt-ods-").FullName;

    public ContinuousViewStoreTests(PostgresServerFixture postgres) => _postgres = postgres;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Into_view_compiles_to_a_view_schema_with_named_rules()
    {
        var query = CqlEngine.Compile(Bars, NullCqlSink.Instance).Queries[0];
        Assert.Equal("bars_1m", query.IntoView);
        Assert.Null(query.IntoTopic);
        var view = ContinuousViewSchema.For(query);
        Assert.Equal(
            ["bars_1m_window_order", "bars_1m_high_ge_low", "bars_1m_open_in_range", "bars_1m_close_in_range", "bars_1m_open_positive", "bars_1m_high_positive", "bars_1m_low_positive", "bars_1m_close_positive", "bars_1m_volume_non_negative", "bars_1m_trades_non_negative"],
            view.Rules.Select(r => r.Name));
        Assert.Contains("into view bars_1m", CqlEngine.Check(Bars)[1], StringComparison.Ordinal);
    }

    [Fact]
    public void A_view_needs_a_window_grouped_by_symbol_and_says_so_with_a_hint()
    {
        var query = CqlEngine.Compile(CqlTestKit.TradesStream + "CREATE VIEW all_bars AS SELECT count(*) AS trades FROM trades WINDOW TUMBLING(1 MINUTE) INTO VIEW all_bars;", NullCqlSink.Instance).Queries[0];
        var error = Assert.Throws<CqlException>(() => ContinuousViewSchema.For(query));
        Assert.Contains("keyed by (symbol, window_start)", error.Message, StringComparison.Ordinal);
        Assert.Contains("GROUP BY symbol", error.Hint, StringComparison.Ordinal);
        var parse = Assert.Throws<CqlException>(() => CqlParser.Parse(CqlTestKit.TradesStream + "CREATE VIEW v AS SELECT symbol FROM trades INTO VIEW 'x';"));
        Assert.Contains("view name after INTO VIEW", parse.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DuckDb_upserts_by_window_key_and_names_the_rule_a_refused_row_breaks()
    {
        using var store = new DuckDbContinuousViewStore(Path.Combine(_dir, "ods.duckdb"));
        UpsertsAndRules(store);
    }

    [Fact]
    public void Postgres_upserts_by_window_key_and_names_the_rule_a_refused_row_breaks()
    {
        using var store = new PostgresContinuousViewStore(_postgres.CreateDatabase());
        UpsertsAndRules(store);
    }

    [Fact]
    public async Task Stream_processes_starting_together_create_the_same_postgres_views_without_colliding()
    {
        // A consumer group's processes start at once and each creates the instruments table and its views. Unserialized,
        // two sessions' CREATE TABLE IF NOT EXISTS can both miss the table and one fails on PostgreSQL's catalog index.
        var view = ContinuousViewSchema.For(CqlEngine.Compile(Bars, NullCqlSink.Instance).Queries[0]);
        for (var round = 0; round < 3; round++)
        {
            var database = _postgres.CreateDatabase();
            using var start = new Barrier(6);
            var creators = Enumerable.Range(0, 6).Select(_ => Task.Factory.StartNew(
                () =>
                {
                    start.SignalAndWait();
                    using var store = new PostgresContinuousViewStore(database);
                    store.CreateView(view);
                    store.RegisterInstruments(["SPY"]);
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default)).ToArray();
            await Task.WhenAll(creators);
        }
    }

    private static void UpsertsAndRules(ContinuousViewStore store)
    {
        var query = CqlEngine.Compile(Bars, NullCqlSink.Instance).Queries[0];
        var view = ContinuousViewSchema.For(query);
        store.CreateView(view);
        store.CreateView(view); // idempotent
        store.RegisterInstruments(["SPY", "AAPL"]);
        var minute = CqlTestKit.T0;

        CqlRecord Bar(string symbol, Timestamp start, decimal open, decimal high, decimal low, decimal close, long volume, long trades, bool final = false) =>
            new(query.Name, symbol, start, start.AddNanoseconds(Timestamp.NanosPerMinute), final, query.Columns,
                [symbol, Price.FromDecimal(open), Price.FromDecimal(high), Price.FromDecimal(low), Price.FromDecimal(close), volume, trades]);

        // A batch with one row per rule violation: the valid rows land, each invalid one comes back with its rule's name.
        var rejected = store.Upsert([
            new(view, Bar("SPY", minute, 10, 11, 9, 10.5m, 100, 3)),
            new(view, Bar("AAPL", minute, 20, 19, 21, 20, 5, 1)),
            new(view, Bar("ZZZZ", minute, 1, 1, 1, 1, 1, 1)),
            new(view, Bar("SPY", minute.AddNanoseconds(Timestamp.NanosPerMinute), 10, 11, 9, 10, -5, 1)),
            new(view, Bar("AAPL", minute.AddNanoseconds(Timestamp.NanosPerMinute), 20, 21, 19, 22, 5, 1)),
        ]);
        // high < low necessarily puts open or close out of [low, high] too: the engine names whichever rule it checks first.
        Assert.Contains(rejected[0].Constraint, new[] { "bars_1m_high_ge_low", "bars_1m_open_in_range", "bars_1m_close_in_range" });
        Assert.Equal(
            [("ZZZZ", "bars_1m_instrument"), ("SPY", "bars_1m_volume_non_negative"), ("AAPL", "bars_1m_close_in_range")],
            rejected.Skip(1).Select(r => (r.Row.Key, r.Constraint)));
        Assert.All(rejected, r => Assert.False(string.IsNullOrEmpty(r.Message)));
        Assert.Equal(1, store.Count("bars_1m"));

        // EMIT CHANGES: a later update of the same window replaces the row (and replaying it changes nothing).
        var update = Bar("SPY", minute, 10, 12, 9, 12, 150, 4, final: true);
        Assert.Empty(store.Upsert([new(view, update)]));
        Assert.Empty(store.Upsert([new(view, update)]));
        var row = Assert.Single(store.Dump("bars_1m"));
        Assert.Contains("symbol=SPY|window_start=2024-01-02T14:30:00.0000000|window_end=2024-01-02T14:31:00.0000000|final=True|open=10|high=12|low=9|close=12|volume=150|trades=4", row, StringComparison.Ordinal);
    }
}
