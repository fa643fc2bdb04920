using System.Collections.Immutable;
using System.Text;

namespace BigDataTrading.Streaming.Cql.Ods;

/// <summary>A business rule of a continuous view, enforced by the database as a named CHECK constraint.</summary>
/// <param name="Name">Constraint name (<c>{view}_{rule}</c>); the reason a violating row is dead-lettered with.</param>
/// <param name="Check">SQL boolean expression over the view's columns (portable between DuckDB and PostgreSQL).</param>
public sealed record ViewRule(string Name, string Check);

/// <summary>
/// The table of one continuous view (<c>INTO VIEW name</c>): the window key (<c>symbol</c>, <c>window_start</c>), the
/// window end, whether the row is final, then every selected column except the key ones; and its business rules.
/// </summary>
/// <remarks>
/// Rules derived from the query's columns (one definition for both engines, see <see cref="Render"/>):
/// <list type="bullet">
/// <item><c>{view}_window_key</c>: PRIMARY KEY (symbol, window_start) — the upsert key, so a replayed or updated window
/// replaces its row.</item>
/// <item><c>{view}_instrument</c>: FOREIGN KEY symbol → <c>instruments(symbol)</c> — rows of unknown instruments are
/// refused.</item>
/// <item><c>{view}_window_order</c>: window_end ≥ window_start.</item>
/// <item><c>{view}_high_ge_low</c> when the view has <c>high</c> and <c>low</c>; <c>{view}_open_in_range</c> and
/// <c>{view}_close_in_range</c> when it also has <c>open</c>/<c>close</c>.</item>
/// <item><c>{view}_{column}_non_negative</c> for numeric columns named volume, trades, count, size or ticks.</item>
/// <item><c>{view}_{column}_positive</c> for PRICE/DOUBLE columns named open, high, low, close, vwap or price.</item>
/// </list>
/// Immutable; thread-safe.
/// </remarks>
public sealed class ContinuousViewSchema
{
    private static readonly string[] s_nonNegative = ["volume", "trades", "count", "size", "ticks"];
    private static readonly string[] s_positive = ["open", "high", "low", "close", "vwap", "price"];
    private static readonly string[] s_storedKeyColumns = ["symbol", "window_start", "window_end", "final"];
    private static readonly HashSet<string> s_keyColumns = new(StringComparer.OrdinalIgnoreCase) { "symbol", "window_start", "window_end", "final" };

    private ContinuousViewSchema(string name, string query, ImmutableArray<CqlColumn> queryColumns, ImmutableArray<int> valueOrdinals, ImmutableArray<ViewRule> rules)
    {
        Name = name;
        Query = query;
        QueryColumns = queryColumns;
        ValueOrdinals = valueOrdinals;
        Rules = rules;
    }

    /// <summary>Table name (the view name of <c>INTO VIEW</c>, lower case).</summary>
    public string Name { get; }

    /// <summary>The query whose rows the view holds.</summary>
    public string Query { get; }

    /// <summary>The query's output schema.</summary>
    public ImmutableArray<CqlColumn> QueryColumns { get; }

    /// <summary>Ordinals (in <see cref="QueryColumns"/>) of the value columns stored after the key columns.</summary>
    public ImmutableArray<int> ValueOrdinals { get; }

    /// <summary>CHECK rules (the window key and the instrument reference are not listed: see <see cref="KeyConstraint"/>, <see cref="InstrumentConstraint"/>).</summary>
    public ImmutableArray<ViewRule> Rules { get; }

    /// <summary>Name of the primary key constraint on (symbol, window_start).</summary>
    public string KeyConstraint => Name + "_window_key";

    /// <summary>Name of the foreign key constraint to the instruments table.</summary>
    public string InstrumentConstraint => Name + "_instrument";

    /// <summary>The view of a compiled query with <c>INTO VIEW</c>.</summary>
    /// <exception cref="CqlException">The query has no INTO VIEW, or is not a windowed aggregate grouped by symbol (a view row is keyed by symbol and window).</exception>
    public static ContinuousViewSchema For(CqlQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var select = query.Statement.Select;
        if (select.IntoView is not { } view)
        {
            throw new CqlException(query.Statement.Position, $"query '{query.Name}' has no INTO VIEW", "add INTO VIEW name");
        }

        if (select.Window is null || select.Pattern is not null || select.GroupBy.Length == 0)
        {
            throw new CqlException(query.Statement.Position, $"INTO VIEW {view}: a view row is keyed by (symbol, window_start), but '{query.Name}' is not a windowed aggregate grouped by symbol",
                "add WINDOW ... GROUP BY symbol, or write the rows to a topic with INTO 'topic'");
        }

        var name = view.ToLowerInvariant();
        var ordinals = ImmutableArray.CreateBuilder<int>();
        var byName = new Dictionary<string, CqlColumn>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < query.Columns.Length; i++)
        {
            var column = query.Columns[i];
            if (s_keyColumns.Contains(column.Name))
            {
                continue;
            }

            if (!IsSqlName(column.Name))
            {
                throw new CqlException(query.Statement.Position, $"INTO VIEW {view}: column '{column.Name}' is not a valid SQL column name",
                    "give the expression an alias: SELECT ... AS name");
            }

            if (!byName.TryAdd(column.Name, column))
            {
                throw new CqlException(query.Statement.Position, $"INTO VIEW {view}: column '{column.Name}' appears twice", "give each column its own alias");
            }

            ordinals.Add(i);
        }

        var rules = ImmutableArray.CreateBuilder<ViewRule>();
        rules.Add(new ViewRule(name + "_window_order", "window_end >= window_start"));
        if (byName.ContainsKey("high") && byName.ContainsKey("low"))
        {
            rules.Add(new ViewRule(name + "_high_ge_low", "high >= low"));
            foreach (var edge in new[] { "open", "close" })
            {
                if (byName.ContainsKey(edge))
                {
                    rules.Add(new ViewRule($"{name}_{edge}_in_range", $"{edge} >= low AND {edge} <= high"));
                }
            }
        }

        foreach (var column in byName.Values)
        {
            var lower = column.Name.ToLowerInvariant();
            if (s_nonNegative.Contains(lower) && column.Type is CqlType.BigInt or CqlType.Double or CqlType.Price)
            {
                rules.Add(new ViewRule($"{name}_{lower}_non_negative", $"{lower} >= 0"));
            }
            else if (s_positive.Contains(lower) && column.Type is CqlType.Double or CqlType.Price)
            {
                rules.Add(new ViewRule($"{name}_{lower}_positive", $"{lower} > 0"));
            }
        }

        return new ContinuousViewSchema(name, query.Name, query.Columns, ordinals.ToImmutable(), rules.ToImmutable());
    }

    /// <summary>The CREATE TABLE statement with every rule, for one SQL dialect.</summary>
    /// <param name="typeOf">SQL type of a CQL type.</param>
    /// <param name="text">SQL type of the symbol column.</param>
    /// <param name="time">SQL type of the window bounds.</param>
    public string Render(Func<CqlType, string> typeOf, string text, string time)
    {
        ArgumentNullException.ThrowIfNull(typeOf);
        var sql = new StringBuilder();
        sql.Append("CREATE TABLE IF NOT EXISTS ").Append(Name).Append(" (\n");
        sql.Append("    symbol ").Append(text).Append(" NOT NULL,\n");
        sql.Append("    window_start ").Append(time).Append(" NOT NULL,\n");
        sql.Append("    window_end ").Append(time).Append(" NOT NULL,\n");
        sql.Append("    final BOOLEAN NOT NULL,\n");
        foreach (var ordinal in ValueOrdinals)
        {
            var column = QueryColumns[ordinal];
            sql.Append("    ").Append(column.Name.ToLowerInvariant()).Append(' ').Append(typeOf(column.Type)).Append(",\n");
        }

        sql.Append("    CONSTRAINT ").Append(KeyConstraint).Append(" PRIMARY KEY (symbol, window_start),\n");
        sql.Append("    CONSTRAINT ").Append(InstrumentConstraint).Append(" FOREIGN KEY (symbol) REFERENCES instruments (symbol)");
        foreach (var rule in Rules)
        {
            sql.Append(",\n    CONSTRAINT ").Append(rule.Name).Append(" CHECK (").Append(rule.Check).Append(')');
        }

        return sql.Append("\n)").ToString();
    }

    /// <summary>Every stored column in order: symbol, window_start, window_end, final, then the value columns.</summary>
    public IEnumerable<string> StoredColumns() =>
        s_storedKeyColumns.Concat(ValueOrdinals.Select(o => QueryColumns[o].Name.ToLowerInvariant()));

    private static bool IsSqlName(string name) =>
        name.Length is > 0 and <= 63 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
