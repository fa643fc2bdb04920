using System.Collections.Immutable;
using BigDataTrading.Core.MarketData;

namespace BigDataTrading.Streaming.Cql;

/// <summary>
/// Builds a query: resolves its stream, joins and pattern into a <see cref="CqlFrame"/>, validates them (with line,
/// column and hint), and instantiates the query class for the event type it runs on.
/// </summary>
internal static class CqlQueryFactory
{
    public static (CqlQuery Query, bool ReadsTrades, bool ReadsQuotes) Create(
        CreateQueryStatement statement,
        CreateStreamStatement source,
        IReadOnlyDictionary<string, CreateStreamStatement> streams,
        IReadOnlyDictionary<string, CreateTableStatement> tables,
        ICqlSink sink,
        CqlOptions options)
    {
        var select = statement.Select;
        var kind = CqlCompiler.KindOf(source);
        if (select.Pattern is { } pattern)
        {
            return CreatePattern(statement, source, kind, pattern, sink, options);
        }

        var frame = CqlFrame.ForStream(source, select.FromAlias);
        JoinPlan? join = null;
        var readsQuotes = kind == CqlStreamKind.Quotes;
        if (select.JoinList.Length > 0)
        {
            (frame, join) = BuildJoins(select, source, kind, streams, tables, options);
            readsQuotes |= join.Quotes is not null;
        }

        var aggregate = CqlCompiler.IsAggregateQuery(select);
        if (aggregate && select.Window?.Kind == CqlWindowKind.Sliding && select.EmitWritten && select.Emit == CqlEmitMode.Final)
        {
            throw new CqlException(select.Window.Position, "a sliding window emits on every event, so EMIT FINAL does not apply", "write EMIT CHANGES or leave EMIT out; for one row per period use TUMBLING or HOPPING");
        }

        CqlQuery query = (kind, join is not null) switch
        {
            (CqlStreamKind.Trades, false) => Make<TradeTick>(statement, source, sink, frame, join, aggregate, options),
            (CqlStreamKind.Quotes, false) => Make<QuoteTick>(statement, source, sink, frame, join, aggregate, options),
            (CqlStreamKind.Trades, true) => Make<Joined<TradeTick>>(statement, source, sink, frame, join, aggregate, options),
            _ => Make<Joined<QuoteTick>>(statement, source, sink, frame, join, aggregate, options),
        };
        return (query, kind == CqlStreamKind.Trades, readsQuotes);
    }

    private static CqlQuery Make<T>(CreateQueryStatement statement, CreateStreamStatement source, ICqlSink sink, CqlFrame frame, JoinPlan? join, bool aggregate, CqlOptions options)
        where T : struct =>
        aggregate
            ? new WindowedAggregateQuery<T>(statement, source, sink, frame, join, options.AllowedLatenessNanos, options.SharedKeys ?? new KeyTable(), options.WindowClosesPerEvent)
            : new StatelessQuery<T>(statement, source, sink, frame, join);

    private static (CqlFrame Frame, JoinPlan Join) BuildJoins(
        CqlSelect select,
        CreateStreamStatement source,
        CqlStreamKind kind,
        IReadOnlyDictionary<string, CreateStreamStatement> streams,
        IReadOnlyDictionary<string, CreateTableStatement> tables,
        CqlOptions options)
    {
        var left = new CqlBinding(select.FromAlias ?? source.Name, source.Name, kind == CqlStreamKind.Quotes ? BindingKind.Quote : BindingKind.Trade, source.Columns);
        var bindings = ImmutableArray.CreateBuilder<CqlBinding>();
        bindings.Add(left);
        AsOfQuoteStore? quotes = null;
        var quotesLeft = false;
        var staleness = long.MaxValue;
        CqlTable? table = null;
        var tableLeft = false;
        foreach (var j in select.JoinList)
        {
            CqlBinding binding;
            if (j.Kind == CqlJoinKind.AsOf)
            {
                if (!streams.TryGetValue(j.Source, out var joined))
                {
                    throw new CqlException(j.SourcePosition, $"unknown stream '{j.Source}'", tables.ContainsKey(j.Source)
                        ? $"'{j.Source}' is a table: join it with JOIN {j.Source} ON ..., not ASOF JOIN"
                        : "declare the quote stream with CREATE STREAM quotes (symbol STRING, time TIMESTAMP, bid PRICE, bid_size BIGINT, ask PRICE, ask_size BIGINT)" + CqlParser.Suggest(j.Source, streams.Keys));
                }

                if (kind != CqlStreamKind.Trades || CqlCompiler.KindOf(joined) != CqlStreamKind.Quotes)
                {
                    throw new CqlException(j.Position, "an as-of join enriches a trade stream with the latest quote of a quote stream", $"write FROM trades t ASOF JOIN quotes q (here {source.Name} is {CqlCompiler.KindOf(source).ToString().ToLowerInvariant()} and {joined.Name} is {CqlCompiler.KindOf(joined).ToString().ToLowerInvariant()})");
                }

                if (quotes is not null)
                {
                    throw new CqlException(j.Position, "a query has at most one as-of join", "join one quote stream");
                }

                binding = new CqlBinding(j.Alias ?? joined.Name, joined.Name, BindingKind.Quote, joined.Columns);
                quotes = new AsOfQuoteStore(options.SharedKeys ?? new KeyTable());
                quotesLeft = j.Left;
                staleness = j.MaxStalenessNanos ?? long.MaxValue;
                CheckOn(j, left, binding, "symbol");
            }
            else
            {
                if (!tables.TryGetValue(j.Source, out var declared))
                {
                    throw new CqlException(j.SourcePosition, $"unknown table '{j.Source}'", streams.ContainsKey(j.Source)
                        ? $"'{j.Source}' is a stream: streams join as of, write ASOF JOIN {j.Source}"
                        : "declare it earlier with CREATE TABLE name (...) FROM 'file.csv'" + CqlParser.Suggest(j.Source, tables.Keys));
                }

                if (table is not null)
                {
                    throw new CqlException(j.Position, "a query has at most one table join", "put the reference columns in one table");
                }

                table = CqlTable.Load(declared, options.BaseDirectory, options.SharedKeys);
                tableLeft = j.Left;
                binding = new CqlBinding(j.Alias ?? declared.Name, declared.Name, BindingKind.Table, declared.Columns);
                CheckOn(j, left, binding, declared.Columns[table.KeyOrdinal].Name);
            }

            if (bindings.Any(b => string.Equals(b.Name, binding.Name, StringComparison.OrdinalIgnoreCase)))
            {
                throw new CqlException(j.SourcePosition, $"the name '{binding.Name}' is used twice in FROM", "give each source its own alias");
            }

            bindings.Add(binding);
        }

        var frame = new CqlFrame
        {
            EventType = kind == CqlStreamKind.Quotes ? typeof(Joined<QuoteTick>) : typeof(Joined<TradeTick>),
            Bindings = bindings.ToImmutable(),
            Joined = true,
        };
        return (frame, new JoinPlan { Quotes = quotes, QuotesLeft = quotesLeft, MaxStalenessNanos = staleness, Table = table, TableLeft = tableLeft });
    }

    /// <summary>Joins match on the symbol: an ON clause, when written, must say so (<c>t.symbol = q.symbol</c>).</summary>
    private static void CheckOn(CqlJoin j, CqlBinding left, CqlBinding right, string rightKey)
    {
        if (j.On is null)
        {
            return;
        }

        bool Is(CqlExpr e, CqlBinding b, string column) =>
            e is CqlColumnRef r && string.Equals(r.Name, column, StringComparison.OrdinalIgnoreCase)
            && string.Equals(r.Qualifier, b.Name, StringComparison.OrdinalIgnoreCase);
        if (j.On is CqlBinary { Op: CqlBinaryOp.Equal } eq
            && ((Is(eq.Left, left, "symbol") && Is(eq.Right, right, rightKey)) || (Is(eq.Left, right, rightKey) && Is(eq.Right, left, "symbol"))))
        {
            return;
        }

        throw new CqlException(j.On.Position, "joins match on the symbol", $"write ON {left.Name}.symbol = {right.Name}.{rightKey} (or leave ON out)");
    }

    private static (CqlQuery Query, bool ReadsTrades, bool ReadsQuotes) CreatePattern(CreateQueryStatement statement, CreateStreamStatement source, CqlStreamKind kind, CqlPattern pattern, ICqlSink sink, CqlOptions options)
    {
        var select = statement.Select;
        var misplaced = select.Where?.Position ?? select.Window?.Position ?? select.Having?.Position ?? (select.GroupBy.Length > 0 ? select.GroupBy[0].Position : (CqlPosition?)null);
        if (misplaced is { } at)
        {
            throw new CqlException(at, "a pattern query takes no WHERE, WINDOW, GROUP BY or HAVING", "put conditions in the steps, e.g. a = trades(size >= 1000); patterns are always per symbol and bounded by WITHIN");
        }

        if (select.EmitWritten && select.Emit == CqlEmitMode.Changes)
        {
            throw new CqlException(select.FromPosition, "a pattern emits each match once; EMIT CHANGES does not apply", "leave EMIT out");
        }

        if (pattern.Steps.Length < 2)
        {
            throw new CqlException(pattern.Position, "a pattern needs at least two steps", "write e.g. EVERY a = trades(size >= 1000) -> b = trades(price > a.price)");
        }

        for (var i = 0; i < pattern.Steps.Length; i++)
        {
            var step = pattern.Steps[i];
            if (!string.Equals(step.Stream, source.Name, StringComparison.OrdinalIgnoreCase))
            {
                throw new CqlException(step.Position, $"step '{step.Name}' reads '{step.Stream}' but the pattern starts on '{source.Name}'", "every step of a pattern reads the same stream (patterns over several streams are not supported yet)");
            }

            if (step.Absent && i != pattern.Steps.Length - 1)
            {
                throw new CqlException(step.Position, "only the last step of a pattern may be NOT", "write a -> b -> NOT c: the match completes when no c follows within the time bound");
            }

            if (step.Absent && i == 0)
            {
                throw new CqlException(step.Position, "a pattern cannot start with NOT", "start with the event that opens the match");
            }
        }

        CqlQuery query = kind == CqlStreamKind.Quotes
            ? new PatternQuery<QuoteTick>(statement, source, sink, options)
            : new PatternQuery<TradeTick>(statement, source, sink, options);
        return (query, kind == CqlStreamKind.Trades, kind == CqlStreamKind.Quotes);
    }
}
