using System.Collections.Immutable;
using System.Globalization;
using System.Linq.Expressions;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;

namespace BigDataTrading.Streaming.Cql;

internal delegate bool EventPredicate<T>(in T e);

internal delegate void EventProjector<T>(in T e, long[] longs, string?[] strings);

internal delegate void AggregateUpdater<T>(in T e, long[] l, double[] d, Int128[] w, int lb, int db, int wb);

/// <summary>A pattern step's condition: the current event and the events captured by earlier steps (<c>captured[b + step]</c>).</summary>
internal delegate bool PatternPredicate<T>(in T e, T[] captured, int b);

/// <summary>A pattern match's projection from its captured events.</summary>
internal delegate void PatternProjector<T>(T[] captured, int b, long[] longs, string?[] strings);

internal delegate bool GroupProjector(long[] l, double[] d, Int128[] w, int lb, int db, int wb, string key, long windowStart, long windowEnd, long[] longs, string?[] strings);

internal enum AggregateKind
{
    Count,
    Sum,
    Avg,
    Min,
    Max,
    First,
    Last,
    Vwap,
    StdDev,
}

/// <summary>
/// One aggregate's place in a window slot: offsets into the slot's long, double and Int128 parts (−1 when unused). An
/// aggregate with FILTER (WHERE ...) keeps its own [count, earliest time, latest time] at <paramref name="F"/>, because
/// the window's own count and times include events the filter refused.
/// </summary>
internal sealed record AggregateSlot(AggregateKind Kind, CqlType ArgType, int L, int D, int W, int F = -1);

/// <summary>The plan of a windowed aggregate: the compiled delegates and the slot layout.</summary>
internal sealed record AggregatePlan<T>(
    CqlWindow Window,
    long AllowedLatenessNanos,
    CqlEmitMode Emit,
    bool GroupByKey,
    EventPredicate<T>? Where,
    AggregateUpdater<T> Update,
    AggregateUpdater<T>? UpdateNewestFirst,
    GroupProjector Project,
    ImmutableArray<AggregateSlot> Aggregates,
    long[] InitialLongs,
    double[] InitialDoubles,
    int WideCount);

/// <summary>
/// Binds, type-checks and compiles queries into delegates (System.Linq.Expressions, compiled once per query): the WHERE
/// predicate, the per-event aggregate update of one window slot, and the projection + HAVING of a closed window. No AST
/// is interpreted per event. Type rules: BIGINT, PRICE (exact, 10^-8), DOUBLE; PRICE ± PRICE and PRICE compared with a
/// literal stay exact, other mixed arithmetic is DOUBLE, and '/' is always DOUBLE (no integer division, no
/// divide-by-zero fault on the hot path). Stateless; thread-safe.
/// </summary>
internal static class CqlCompiler
{
    /// <summary>Window slot layout: [0] event count, [1] earliest event time, [2] latest event time.</summary>
    internal const int CountOffset = 0;
    internal const int MinTimeOffset = 1;
    internal const int MaxTimeOffset = 2;
    private const int FixedLongs = 3;

    private static readonly string[] s_aggregateNames = ["count", "sum", "avg", "min", "max", "first", "last", "vwap", "stddev"];

    /// <summary>
    /// The kind of a stream: <c>WITH (type='quotes'|'trades')</c>, or inferred from its columns (a stream declaring bid,
    /// ask, bid_size or ask_size is a quote stream).
    /// </summary>
    internal static CqlStreamKind KindOf(CreateStreamStatement stream)
    {
        if (stream.Properties.FirstOrDefault(p => p.Name == "type") is { } type)
        {
            return type.Value.ToLowerInvariant() switch
            {
                "trades" or "trade" => CqlStreamKind.Trades,
                "quotes" or "quote" => CqlStreamKind.Quotes,
                _ => throw new CqlException(type.Position, $"unknown stream type '{type.Value}'", "type='trades' or type='quotes'" + CqlParser.Suggest(type.Value, ["trades", "quotes"])),
            };
        }

        return stream.Columns.Any(c => StreamColumns.Quote.ContainsKey(c.Name) && !StreamColumns.Trade.ContainsKey(c.Name)) ? CqlStreamKind.Quotes : CqlStreamKind.Trades;
    }

    internal static void ValidateStream(CreateStreamStatement stream)
    {
        var kind = KindOf(stream);
        var fields = StreamColumns.Of(kind);
        var what = kind == CqlStreamKind.Quotes ? "quote" : "trade";
        foreach (var column in stream.Columns)
        {
            if (!fields.TryGetValue(column.Name, out var type))
            {
                throw new CqlException(column.Position, $"column '{column.Name}' is not a field of the {what} stream",
                    StreamColumns.Describe(kind) + CqlParser.Suggest(column.Name, fields.Keys));
            }

            if (type != column.Type)
            {
                throw new CqlException(column.Position, $"column '{column.Name}' is {Name(column.Type)} here but {Name(type)} in {what} events", $"declare it as {column.Name} {Name(type)}");
            }
        }

        foreach (var property in stream.Properties)
        {
            switch (property.Name)
            {
                case "topic" or "format" or "partitions" or "type":
                    break;
                case "key" when !string.Equals(property.Value, "symbol", StringComparison.OrdinalIgnoreCase):
                    throw new CqlException(property.Position, $"key '{property.Value}' is not supported", $"{what} streams are keyed by symbol: key='symbol'");
                case "timestamp" when !string.Equals(property.Value, "time", StringComparison.OrdinalIgnoreCase):
                    throw new CqlException(property.Position, $"timestamp '{property.Value}' is not supported", $"event time of {what} streams is the time column: timestamp='time'");
                case "key" or "timestamp":
                    if (!stream.Columns.Any(c => string.Equals(c.Name, property.Value, StringComparison.OrdinalIgnoreCase)))
                    {
                        throw new CqlException(property.Position, $"{property.Name} column '{property.Value}' is not declared", $"add {property.Value} {Name(fields[property.Value])} to the column list");
                    }

                    break;
                default:
                    throw new CqlException(property.Position, $"unknown property '{property.Name}'", "streams accept topic, key, timestamp, type, format and partitions" + CqlParser.Suggest(property.Name, ["topic", "key", "timestamp", "type", "format", "partitions"]));
            }
        }
    }

    internal static string Name(CqlType type) => type switch
    {
        CqlType.BigInt => "BIGINT",
        CqlType.Double => "DOUBLE",
        CqlType.Price => "PRICE",
        CqlType.String => "STRING",
        CqlType.Char => "CHAR",
        CqlType.Timestamp => "TIMESTAMP",
        _ => "BOOLEAN",
    };

    internal static bool IsAggregateQuery(CqlSelect select) =>
        select.Window is not null || select.GroupBy.Length > 0 || select.Items.Any(i => ContainsAggregate(i.Expr));

    internal static (EventPredicate<T>? Where, EventProjector<T> Project, ImmutableArray<CqlColumn> Columns) CompileStateless<T>(CqlSelect select, CqlFrame frame)
    {
        if (select.Having is not null)
        {
            throw new CqlException(select.Having.Position, "HAVING needs GROUP BY or a WINDOW", "filter single events with WHERE");
        }

        if (select.EmitWritten && select.Emit == CqlEmitMode.Final)
        {
            throw new CqlException(select.FromPosition, "EMIT FINAL needs a WINDOW", "a query without a window emits every matching event (EMIT CHANGES)");
        }

        var scope = new Scope(frame, grouped: false);
        var where = CompileWhere<T>(select, scope);
        var longs = Expression.Parameter(typeof(long[]), "longs");
        var strings = Expression.Parameter(typeof(string?[]), "strings");
        var columns = ImmutableArray.CreateBuilder<CqlColumn>();
        var body = new List<Expression>();
        foreach (var item in select.Items)
        {
            if (item.Expr is CqlStar)
            {
                foreach (var binding in frame.Bindings)
                {
                    foreach (var column in binding.Columns)
                    {
                        // A joined side's key repeats the stream's: SELECT * keeps it once.
                        if (binding != frame.Bindings[0] && columns.Any(c => string.Equals(c.Name, column.Name, StringComparison.OrdinalIgnoreCase)))
                        {
                            continue;
                        }

                        var typed = scope.Compile(new CqlColumnRef(item.Expr.Position, column.Name, binding.Name));
                        body.Add(Store(typed, columns.Count, longs, strings));
                        columns.Add(new CqlColumn(column.Name, typed.Type));
                    }
                }

                continue;
            }

            var value = scope.Compile(item.Expr);
            body.Add(Store(value, columns.Count, longs, strings));
            columns.Add(new CqlColumn(item.Alias ?? DefaultName(item.Expr), value.Type));
        }

        CheckUniqueNames(select, columns);
        body.Add(Expression.Empty());
        var project = Expression.Lambda<EventProjector<T>>(Expression.Block(body), scope.Tick, longs, strings).Compile();
        return (where, project, columns.ToImmutable());
    }

    internal static (AggregatePlan<T> Plan, ImmutableArray<CqlColumn> Columns) CompileAggregate<T>(CqlSelect select, CqlFrame frame, long defaultLatenessNanos)
    {
        if (select.Window is null)
        {
            var at = select.GroupBy.FirstOrDefault()?.Position ?? select.Items.Select(i => FindAggregate(i.Expr)).First(c => c is not null)!.Position;
            throw new CqlException(at, "aggregates and GROUP BY need a WINDOW (state would otherwise grow without bound)", "add e.g. WINDOW TUMBLING(1 MINUTE)");
        }

        var groupByKey = false;
        foreach (var g in select.GroupBy)
        {
            if (g is not CqlColumnRef column || !string.Equals(column.Name, "symbol", StringComparison.OrdinalIgnoreCase)
                || (column.Qualifier is { } q && !string.Equals(q, frame.Bindings[0].Name, StringComparison.OrdinalIgnoreCase)))
            {
                throw new CqlException(g.Position, $"cannot GROUP BY {Text(g)}", "group by the stream's key column: GROUP BY symbol (other keys are not supported yet)");
            }

            if (!frame.Bindings[0].Columns.Any(c => string.Equals(c.Name, "symbol", StringComparison.OrdinalIgnoreCase)))
            {
                throw new CqlException(g.Position, $"stream '{frame.Bindings[0].Source}' does not declare the column symbol", "add symbol STRING to CREATE STREAM");
            }

            if (groupByKey)
            {
                throw new CqlException(g.Position, "symbol is grouped twice", "remove the repeated GROUP BY item");
            }

            groupByKey = true;
        }

        var tickScope = new Scope(frame, grouped: false);
        var where = CompileWhere<T>(select, tickScope);
        var group = new Scope(frame, grouped: true) { Tick = tickScope.Tick, GroupByKey = groupByKey };
        var longs = Expression.Parameter(typeof(long[]), "longs");
        var strings = Expression.Parameter(typeof(string?[]), "strings");
        var columns = ImmutableArray.CreateBuilder<CqlColumn>();
        var stores = new List<Expression>();
        foreach (var item in select.Items)
        {
            if (item.Expr is CqlStar star)
            {
                throw new CqlException(star.Position, "SELECT * is not allowed in an aggregate query", "list the key and the aggregates, e.g. SELECT symbol, count(*) AS trades");
            }

            var value = group.Compile(item.Expr);
            stores.Add(Store(value, columns.Count, longs, strings));
            columns.Add(new CqlColumn(item.Alias ?? DefaultName(item.Expr), value.Type));
        }

        CheckUniqueNames(select, columns);
        Expression having = Expression.Constant(true);
        if (select.Having is not null)
        {
            var h = group.Compile(select.Having);
            if (h.Type != CqlType.Boolean)
            {
                throw new CqlException(select.Having.Position, $"HAVING must be a condition, not {Name(h.Type)}", "compare something, e.g. HAVING count(*) > 10");
            }

            having = h.Expr;
        }

        // Projection runs only when HAVING holds: `if (!having) return false; stores...; return true;`
        var ret = Expression.Label(typeof(bool));
        var projectBody = new List<Expression>
        {
            Expression.IfThen(Expression.Not(having), Expression.Return(ret, Expression.Constant(false))),
        };
        projectBody.AddRange(stores);
        projectBody.Add(Expression.Label(ret, Expression.Constant(true)));
        var project = Expression.Lambda<GroupProjector>(Expression.Block(projectBody), group.L, group.D, group.W, group.Lb, group.Db, group.Wb, group.Key, group.WindowStart, group.WindowEnd, longs, strings).Compile();

        var update = BuildUpdate<T>(group);
        var updateNewestFirst = select.Window.Kind == CqlWindowKind.Sliding ? BuildUpdate<T>(group, newestFirst: true) : null;
        var initialLongs = new long[group.LongCount];
        var initialDoubles = new double[group.DoubleCount];
        initialLongs[MinTimeOffset] = long.MaxValue;
        initialLongs[MaxTimeOffset] = long.MinValue;
        foreach (var a in group.Aggregates)
        {
            if (a.Slot.F >= 0)
            {
                initialLongs[a.Slot.F + 1] = long.MaxValue;
                initialLongs[a.Slot.F + 2] = long.MinValue;
            }

            switch (a.Slot.Kind)
            {
                case AggregateKind.Min when a.Slot.L >= 0:
                    initialLongs[a.Slot.L] = long.MaxValue;
                    break;
                case AggregateKind.Max when a.Slot.L >= 0:
                    initialLongs[a.Slot.L] = long.MinValue;
                    break;
                case AggregateKind.Min:
                    initialDoubles[a.Slot.D] = double.PositiveInfinity;
                    break;
                case AggregateKind.Max:
                    initialDoubles[a.Slot.D] = double.NegativeInfinity;
                    break;
                default:
                    break;
            }
        }

        var plan = new AggregatePlan<T>(
            select.Window,
            select.Window.AllowedLatenessNanos ?? defaultLatenessNanos,
            select.Emit,
            groupByKey,
            where,
            update,
            updateNewestFirst,
            project,
            [.. group.Aggregates.Select(a => a.Slot)],
            initialLongs,
            initialDoubles,
            group.WideCount);
        return (plan, columns.ToImmutable());
    }

    /// <summary>The output name of an unaliased item: a column's name (without its qualifier), else the expression's text.</summary>
    private static string DefaultName(CqlExpr e) => e is CqlColumnRef c ? c.Name.ToLowerInvariant() : Text(e);

    internal static (PatternPredicate<T>?[] Conditions, PatternProjector<T> Project, ImmutableArray<CqlColumn> Columns) CompilePattern<T>(CqlSelect select, CreateStreamStatement stream, CqlPattern pattern)
    {
        var kind = KindOf(stream) == CqlStreamKind.Quotes ? BindingKind.Quote : BindingKind.Trade;
        var all = pattern.Steps.Select((step, i) => new CqlBinding(step.Name, stream.Name, kind, stream.Columns, i)).ToImmutableArray();
        var captured = Expression.Parameter(typeof(T[]), "captured");
        var b = Expression.Parameter(typeof(int), "b");
        var conditions = new PatternPredicate<T>?[pattern.Steps.Length];
        for (var i = 0; i < pattern.Steps.Length; i++)
        {
            if (pattern.Steps[i].Condition is not { } condition)
            {
                continue;
            }

            var scope = new Scope(new CqlFrame { EventType = typeof(T), Bindings = all, Pattern = true, CurrentStep = i }, grouped: false) { Captured = captured, B = b };
            var typed = scope.Compile(condition);
            if (typed.Type != CqlType.Boolean)
            {
                throw new CqlException(condition.Position, $"the condition of step '{pattern.Steps[i].Name}' must be a condition, not {Name(typed.Type)}", "compare something, e.g. b = trades(price > a.price)");
            }

            conditions[i] = Expression.Lambda<PatternPredicate<T>>(typed.Expr, scope.Tick, captured, b).Compile();
        }

        var absent = pattern.Steps[^1].Absent ? pattern.Steps[^1] : null;
        var positives = absent is null ? all : all.RemoveAt(all.Length - 1);
        var select0 = new Scope(new CqlFrame { EventType = typeof(T), Bindings = positives, Pattern = true }, grouped: false) { Captured = captured, B = b };
        var longs = Expression.Parameter(typeof(long[]), "longs");
        var strings = Expression.Parameter(typeof(string?[]), "strings");
        var columns = ImmutableArray.CreateBuilder<CqlColumn>();
        var body = new List<Expression>();
        foreach (var item in select.Items)
        {
            if (item.Expr is CqlStar star)
            {
                throw new CqlException(star.Position, "SELECT * is not allowed in a pattern query", "name the steps' columns, e.g. SELECT a.symbol, a.price AS entry, b.price AS exit");
            }

            if (absent is not null && FindColumn(item.Expr, r => string.Equals(r.Qualifier, absent.Name, StringComparison.OrdinalIgnoreCase)) is { } bad)
            {
                throw new CqlException(bad.Position, $"step '{absent.Name}' is NOT: a match has no such event to select from", "select columns of the other steps");
            }

            var value = select0.Compile(item.Expr);
            body.Add(Store(value, columns.Count, longs, strings));
            columns.Add(new CqlColumn(item.Alias ?? DefaultName(item.Expr), value.Type));
        }

        CheckUniqueNames(select, columns);
        body.Add(Expression.Empty());
        var project = Expression.Lambda<PatternProjector<T>>(Expression.Block(body), captured, b, longs, strings).Compile();
        return (conditions, project, columns.ToImmutable());
    }

    private static CqlColumnRef? FindColumn(CqlExpr e, Func<CqlColumnRef, bool> match) => e switch
    {
        CqlColumnRef r when match(r) => r,
        CqlCall c => c.Arguments.Select(a => FindColumn(a, match)).FirstOrDefault(x => x is not null),
        CqlBinary x => FindColumn(x.Left, match) ?? FindColumn(x.Right, match),
        CqlUnary u => FindColumn(u.Operand, match),
        CqlCase k => k.Branches.Select(b => FindColumn(b.When, match) ?? FindColumn(b.Then, match)).FirstOrDefault(x => x is not null) ?? FindColumn(k.Else, match),
        _ => null,
    };

    private static EventPredicate<T>? CompileWhere<T>(CqlSelect select, Scope scope)
    {
        if (select.Where is null)
        {
            return null;
        }

        var where = scope.Compile(select.Where);
        if (where.Type != CqlType.Boolean)
        {
            throw new CqlException(select.Where.Position, $"WHERE must be a condition, not {Name(where.Type)}", "compare something, e.g. WHERE size >= 100");
        }

        return Expression.Lambda<EventPredicate<T>>(where.Expr, scope.Tick).Compile();
    }

    /// <summary>
    /// Builds the per-event update of one window slot from the aggregates' argument expressions. Events normally come
    /// oldest first, so on equal times the earlier arrival stays first and the later one becomes last. With
    /// <paramref name="newestFirst"/> the events come newest first (a sliding window folding its suffixes backwards):
    /// the tie rules flip so the slot ends up the same.
    /// </summary>
    private static AggregateUpdater<T> BuildUpdate<T>(Scope g, bool newestFirst = false)
    {
        Expression IsFirst(Expression time, Expression first) => newestFirst ? Expression.LessThanOrEqual(time, first) : Expression.LessThan(time, first);
        Expression IsLast(Expression time, Expression last) => newestFirst ? Expression.GreaterThan(time, last) : Expression.GreaterThanOrEqual(time, last);
        var body = new List<Expression>();
        var n = Expression.Variable(typeof(long), "n");
        var time = Expression.Variable(typeof(long), "time");
        var isFirst = Expression.Variable(typeof(bool), "isFirst");
        var isLast = Expression.Variable(typeof(bool), "isLast");
        Expression LAt(int offset) => Expression.ArrayAccess(g.L, Expression.Add(g.Lb, Expression.Constant(offset)));
        Expression DAt(int offset) => Expression.ArrayAccess(g.D, Expression.Add(g.Db, Expression.Constant(offset)));
        Expression WAt(int offset) => Expression.ArrayAccess(g.W, Expression.Add(g.Wb, Expression.Constant(offset)));

        body.Add(Expression.Assign(n, Expression.PreIncrementAssign(LAt(CountOffset))));
        body.Add(Expression.Assign(time, new Scope(g.Frame, grouped: false) { Tick = g.Tick }.Compile(new CqlColumnRef(default, "time", g.Frame.Bindings[0].Name)).Expr));
        body.Add(Expression.Assign(isFirst, IsFirst(time, LAt(MinTimeOffset))));
        body.Add(Expression.IfThen(isFirst, Expression.Assign(LAt(MinTimeOffset), time)));

        // Ties keep the later arrival as "last", as a bar's close does.
        body.Add(Expression.Assign(isLast, IsLast(time, LAt(MaxTimeOffset))));
        body.Add(Expression.IfThen(isLast, Expression.Assign(LAt(MaxTimeOffset), time)));
        foreach (var (slot, arg0, arg1, _) in g.Aggregates.Where(a => a.Filter is null))
        {
            AddUpdate(body, slot, arg0, arg1, n, isFirst, isLast);
        }

        // Filtered aggregates: per distinct filter, one evaluation; the admitted event updates the filter's own
        // [count, first, last] and then every aggregate sharing that filter.
        foreach (var shared in g.Aggregates.Where(a => a.Filter is not null).GroupBy(a => a.Slot.F))
        {
            var f = shared.Key;
            var fn = Expression.Variable(typeof(long), "fn");
            var fFirst = Expression.Variable(typeof(bool), "fFirst");
            var fLast = Expression.Variable(typeof(bool), "fLast");
            var admitted = new List<Expression>
            {
                Expression.Assign(fn, Expression.PreIncrementAssign(LAt(f))),
                Expression.Assign(fFirst, IsFirst(time, LAt(f + 1))),
                Expression.IfThen(fFirst, Expression.Assign(LAt(f + 1), time)),
                Expression.Assign(fLast, IsLast(time, LAt(f + 2))),
                Expression.IfThen(fLast, Expression.Assign(LAt(f + 2), time)),
            };
            foreach (var (slot, arg0, arg1, _) in shared)
            {
                AddUpdate(admitted, slot, arg0, arg1, fn, fFirst, fLast);
            }

            body.Add(Expression.IfThen(shared.First().Filter!.Value.Expr, Expression.Block([fn, fFirst, fLast], admitted)));
        }

        body.Add(Expression.Empty());
        return Expression.Lambda<AggregateUpdater<T>>(Expression.Block([n, time, isFirst, isLast], body), g.Tick, g.L, g.D, g.W, g.Lb, g.Db, g.Wb).Compile();

        // One aggregate's update, given the count including this event and whether it is the earliest/latest so far.
        void AddUpdate(List<Expression> body, AggregateSlot slot, Typed? arg0, Typed? arg1, Expression n, Expression isFirst, Expression isLast)
        {
            var wide = arg0 is { } a0 && a0.Type == CqlType.Price && slot.W >= 0;
            Expression Target() => slot.L >= 0 && slot.Kind != AggregateKind.Vwap ? LAt(slot.L) : DAt(slot.D);
            Expression Value() => slot.L >= 0 && slot.Kind != AggregateKind.Vwap ? arg0!.Value.Expr : ToDouble(arg0!.Value).Expr;
            switch (slot.Kind)
            {
                case AggregateKind.Count:
                    break;
                case AggregateKind.Sum or AggregateKind.Avg when wide:
                    body.Add(Expression.Assign(WAt(slot.W), Expression.Call(typeof(CqlFunctions), nameof(CqlFunctions.AddWide), null, WAt(slot.W), arg0!.Value.Expr)));
                    break;
                case AggregateKind.Sum or AggregateKind.Avg:
                    body.Add(Expression.AddAssign(Target(), Value()));
                    break;
                case AggregateKind.Min:
                    body.Add(Expression.Assign(Target(), Expression.Call(typeof(Math), nameof(Math.Min), null, Target(), Value())));
                    break;
                case AggregateKind.Max:
                    body.Add(Expression.Assign(Target(), Expression.Call(typeof(Math), nameof(Math.Max), null, Target(), Value())));
                    break;
                case AggregateKind.First:
                    body.Add(Expression.IfThen(isFirst, Expression.Assign(Target(), Value())));
                    break;
                case AggregateKind.Last:
                    body.Add(Expression.IfThen(isLast, Expression.Assign(Target(), Value())));
                    break;
                case AggregateKind.Vwap:
                    body.Add(Expression.Assign(WAt(slot.W), Expression.Call(typeof(CqlFunctions), nameof(CqlFunctions.AddProduct), null, WAt(slot.W), arg0!.Value.Expr, arg1!.Value.Expr)));
                    body.Add(Expression.AddAssign(LAt(slot.L), arg1!.Value.Expr));
                    break;
                case AggregateKind.StdDev:
                    // Welford: delta = x − mean; mean += delta / n; M2 += delta · (x − mean).
                    var x = Expression.Variable(typeof(double), "x");
                    var delta = Expression.Variable(typeof(double), "delta");
                    body.Add(Expression.Block(
                        [x, delta],
                        Expression.Assign(x, ToDouble(arg0!.Value).Expr),
                        Expression.Assign(delta, Expression.Subtract(x, DAt(slot.D))),
                        Expression.AddAssign(DAt(slot.D), Expression.Divide(delta, Expression.Convert(n, typeof(double)))),
                        Expression.AddAssign(DAt(slot.D + 1), Expression.Multiply(delta, Expression.Subtract(x, DAt(slot.D))))));
                    break;
                default:
                    throw new InvalidOperationException($"Unhandled aggregate {slot.Kind}.");
            }
        }
    }

    private static BinaryExpression Store(Typed value, int ordinal, ParameterExpression longs, ParameterExpression strings)
    {
        var index = Expression.Constant(ordinal);
        return value.Type switch
        {
            CqlType.String => Expression.Assign(Expression.ArrayAccess(strings, index), value.Expr),
            CqlType.Double => Expression.Assign(Expression.ArrayAccess(longs, index), Expression.Call(typeof(CqlFunctions), nameof(CqlFunctions.DoubleBits), null, value.Expr)),
            CqlType.Boolean => Expression.Assign(Expression.ArrayAccess(longs, index), Expression.Condition(value.Expr, Expression.Constant(1L), Expression.Constant(0L))),
            _ => Expression.Assign(Expression.ArrayAccess(longs, index), value.Expr),
        };
    }

    private static void CheckUniqueNames(CqlSelect select, ImmutableArray<CqlColumn>.Builder columns)
    {
        for (var i = 0; i < columns.Count; i++)
        {
            for (var j = 0; j < i; j++)
            {
                if (string.Equals(columns[i].Name, columns[j].Name, StringComparison.OrdinalIgnoreCase))
                {
                    var at = select.Items.Length > i ? select.Items[i].Expr.Position : select.FromPosition;
                    throw new CqlException(at, $"output column '{columns[i].Name}' appears twice", "give one of them another name with AS");
                }
            }
        }
    }

    private static bool ContainsAggregate(CqlExpr e) => FindAggregate(e) is not null;

    private static CqlCall? FindAggregate(CqlExpr e) => e switch
    {
        CqlCall c when s_aggregateNames.Contains(c.Name) => c,
        CqlCall c => c.Arguments.Select(FindAggregate).FirstOrDefault(x => x is not null) ?? (c.Filter is null ? null : FindAggregate(c.Filter)),
        CqlBinary b => FindAggregate(b.Left) ?? FindAggregate(b.Right),
        CqlUnary u => FindAggregate(u.Operand),
        CqlCase k => k.Branches.Select(b => FindAggregate(b.When) ?? FindAggregate(b.Then)).FirstOrDefault(x => x is not null) ?? FindAggregate(k.Else),
        _ => null,
    };

    /// <summary>Canonical text of an expression: the default column name and the key that shares equal aggregates.</summary>
    internal static string Text(CqlExpr e) => e switch
    {
        CqlLiteral { Value: string s } => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'",
        CqlLiteral { Value: bool b } => b ? "TRUE" : "FALSE",
        CqlLiteral l => Convert.ToString(l.Value, CultureInfo.InvariantCulture)!,
        CqlColumnRef c => (c.Qualifier is null ? string.Empty : c.Qualifier.ToLowerInvariant() + ".") + c.Name.ToLowerInvariant(),
        CqlStar => "*",
        CqlCall c => c.Name + "(" + string.Join(", ", c.Arguments.Select(Text)) + ")" + (c.Filter is null ? string.Empty : " FILTER (WHERE " + Text(c.Filter) + ")"),
        CqlUnary { Op: CqlUnaryOp.Not } u => "NOT " + Text(u.Operand),
        CqlUnary u => "-" + Text(u.Operand),
        CqlBinary b => "(" + Text(b.Left) + " " + OperatorText(b.Op) + " " + Text(b.Right) + ")",
        CqlCase k => "CASE" + string.Concat(k.Branches.Select(b => " WHEN " + Text(b.When) + " THEN " + Text(b.Then))) + " ELSE " + Text(k.Else) + " END",
        _ => e.ToString(),
    };

    private static string OperatorText(CqlBinaryOp op) => op switch
    {
        CqlBinaryOp.Add => "+",
        CqlBinaryOp.BitAnd => "&",
        CqlBinaryOp.Subtract => "-",
        CqlBinaryOp.Multiply => "*",
        CqlBinaryOp.Divide => "/",
        CqlBinaryOp.Equal => "=",
        CqlBinaryOp.NotEqual => "<>",
        CqlBinaryOp.Less => "<",
        CqlBinaryOp.LessOrEqual => "<=",
        CqlBinaryOp.Greater => ">",
        CqlBinaryOp.GreaterOrEqual => ">=",
        CqlBinaryOp.And => "AND",
        _ => "OR",
    };

    /// <summary>A compiled sub-expression: CLR type is long for BIGINT, PRICE (raw), TIMESTAMP and CHAR; double; string; bool.</summary>
    private readonly record struct Typed(Expression Expr, CqlType Type, object? Literal = null);

    private static Typed ToDouble(Typed x) => x.Type switch
    {
        CqlType.Double => x,
        CqlType.Price => new(Expression.Call(typeof(CqlFunctions), nameof(CqlFunctions.PriceToDouble), null, x.Expr), CqlType.Double),
        _ => new(Expression.Convert(x.Expr, typeof(double)), CqlType.Double),
    };

    private static bool IsNumeric(CqlType t) => t is CqlType.BigInt or CqlType.Double or CqlType.Price;

    /// <summary>A numeric literal converted exactly to raw price units, or null when it is not a numeric literal.</summary>
    private static Typed? AsPriceLiteral(Typed x, CqlPosition at)
    {
        decimal value;
        switch (x.Literal)
        {
            case long l:
                value = l;
                break;
            case decimal d:
                value = d;
                break;
            default:
                return null;
        }

        try
        {
            return new Typed(Expression.Constant(Price.FromDecimal(value).Raw), CqlType.Price, x.Literal);
        }
        catch (OverflowException)
        {
            throw new CqlException(at, $"{value.ToString(CultureInfo.InvariantCulture)} is out of the PRICE range", "prices are at most ±92,233,720,368.54775807");
        }
    }

    private sealed class Scope
    {
        private readonly bool _grouped;
        private readonly Dictionary<string, int> _aggregateIndex = new(StringComparer.Ordinal);

        // Aggregates with the same filter text share one [count, first, last] triple and one evaluation per event.
        private readonly Dictionary<string, int> _filterSlots = new(StringComparer.Ordinal);

        public Scope(CqlFrame frame, bool grouped)
        {
            Frame = frame;
            _grouped = grouped;
            Tick = Expression.Parameter(frame.EventType.MakeByRefType(), "e");
        }

        public CqlFrame Frame { get; }

        public ParameterExpression Tick { get; init; }

        /// <summary>Pattern frames: the captured events and the match's base index.</summary>
        public ParameterExpression Captured { get; init; } = Expression.Parameter(typeof(object[]), "captured");

        public ParameterExpression B { get; init; } = Expression.Parameter(typeof(int), "b");

        public bool GroupByKey { get; init; }

        public ParameterExpression L { get; } = Expression.Parameter(typeof(long[]), "l");

        public ParameterExpression D { get; } = Expression.Parameter(typeof(double[]), "d");

        public ParameterExpression W { get; } = Expression.Parameter(typeof(Int128[]), "w");

        public ParameterExpression Lb { get; } = Expression.Parameter(typeof(int), "lb");

        public ParameterExpression Db { get; } = Expression.Parameter(typeof(int), "db");

        public ParameterExpression Wb { get; } = Expression.Parameter(typeof(int), "wb");

        public ParameterExpression Key { get; } = Expression.Parameter(typeof(string), "key");

        public ParameterExpression WindowStart { get; } = Expression.Parameter(typeof(long), "windowStart");

        public ParameterExpression WindowEnd { get; } = Expression.Parameter(typeof(long), "windowEnd");

        public List<(AggregateSlot Slot, Typed? Arg0, Typed? Arg1, Typed? Filter)> Aggregates { get; } = [];

        public int LongCount { get; private set; } = FixedLongs;

        public int DoubleCount { get; private set; }

        public int WideCount { get; private set; }

        public Typed Compile(CqlExpr e) => e switch
        {
            CqlLiteral { Value: long l } => new(Expression.Constant(l), CqlType.BigInt, l),
            CqlLiteral { Value: decimal d } => new(Expression.Constant((double)d), CqlType.Double, d),
            CqlLiteral { Value: string s } => new(Expression.Constant(string.Intern(s)), CqlType.String, s),
            CqlLiteral { Value: bool b } => new(Expression.Constant(b), CqlType.Boolean, b),
            CqlColumnRef c => Column(c),
            CqlStar s => throw new CqlException(s.Position, "'*' is only allowed as the whole select list or in count(*)", "name the columns"),
            CqlCall c => Call(c),
            CqlUnary u => Unary(u),
            CqlBinary b => Binary(b),
            CqlCase k => Case(k),
            _ => throw new CqlException(e.Position, "unsupported expression", null),
        };

        private Typed Column(CqlColumnRef c)
        {
            if (_grouped)
            {
                if (c.Qualifier is null && string.Equals(c.Name, "window_start", StringComparison.OrdinalIgnoreCase))
                {
                    return new(WindowStart, CqlType.Timestamp);
                }

                if (c.Qualifier is null && string.Equals(c.Name, "window_end", StringComparison.OrdinalIgnoreCase))
                {
                    return new(WindowEnd, CqlType.Timestamp);
                }

                if (GroupByKey && string.Equals(c.Name, "symbol", StringComparison.OrdinalIgnoreCase)
                    && (c.Qualifier is null || string.Equals(c.Qualifier, Frame.Bindings[0].Name, StringComparison.OrdinalIgnoreCase)))
                {
                    return new(Key, CqlType.String);
                }

                throw new CqlException(c.Position, $"column '{c.Name}' is neither grouped nor inside an aggregate",
                    GroupByKey || !string.Equals(c.Name, "symbol", StringComparison.OrdinalIgnoreCase)
                        ? $"wrap it in an aggregate, e.g. last({c.Name}), or use window_start/window_end"
                        : "add GROUP BY symbol");
            }

            var (binding, declared) = Frame.Resolve(c);
            var access = Frame.Access(binding, Tick, Captured, B);
            var name = declared.Name.ToLowerInvariant();
            Expression value = binding.Kind switch
            {
                BindingKind.Table => Expression.Call(typeof(CqlFunctions), declared.Type == CqlType.String ? nameof(CqlFunctions.TableString) : nameof(CqlFunctions.TableLong), null, access, Expression.Constant(binding.Columns.IndexOf(declared))),
                BindingKind.Quote => name switch
                {
                    "symbol" => Expression.Property(Expression.Property(access, nameof(QuoteTick.Symbol)), nameof(Symbol.Value)),
                    "time" => Expression.Property(Expression.Property(access, nameof(QuoteTick.Time)), "UnixNanoseconds"),
                    "bid" => Expression.Property(Expression.Property(access, nameof(QuoteTick.BidPrice)), nameof(Price.Raw)),
                    "ask" => Expression.Property(Expression.Property(access, nameof(QuoteTick.AskPrice)), nameof(Price.Raw)),
                    "bid_size" => Expression.Property(access, nameof(QuoteTick.BidSize)),
                    "ask_size" => Expression.Property(access, nameof(QuoteTick.AskSize)),
                    _ => Expression.Property(access, nameof(QuoteTick.Sequence)),
                },
                _ => name switch
                {
                    "symbol" => Expression.Property(Expression.Property(access, nameof(TradeTick.Symbol)), nameof(Symbol.Value)),
                    "time" => Expression.Property(Expression.Property(access, nameof(TradeTick.Time)), "UnixNanoseconds"),
                    "price" => Expression.Property(Expression.Property(access, nameof(TradeTick.Price)), nameof(Price.Raw)),
                    "size" => Expression.Property(access, nameof(TradeTick.Size)),
                    "sequence" => Expression.Property(access, nameof(TradeTick.Sequence)),
                    "conditions" => Expression.Convert(Expression.Convert(Expression.Property(access, nameof(TradeTick.Conditions)), typeof(uint)), typeof(long)),
                    "price_eligible" => Expression.Call(typeof(SaleConditionsExtensions), nameof(SaleConditionsExtensions.IsBarPriceEligible), null, Expression.Property(access, nameof(TradeTick.Conditions))),
                    _ => Expression.Convert(Expression.Property(access, nameof(TradeTick.Exchange)), typeof(long)),
                },
            };
            if (binding.Kind == BindingKind.Table && declared.Type == CqlType.Double)
            {
                value = Expression.Call(typeof(BitConverter), nameof(BitConverter.Int64BitsToDouble), null, value);
            }

            return new(value, declared.Type);
        }

        /// <summary><c>matched(alias)</c>: whether a LEFT join found its quote or row.</summary>
        private Typed Matched(CqlCall c)
        {
            if (_grouped)
            {
                throw new CqlException(c.Position, "matched() is not allowed here", "use it in WHERE, in the SELECT of a query without aggregates, or in an aggregate's filter: count(*) FILTER (WHERE matched(q))");
            }

            if (c.Arguments.Length != 1 || c.Arguments[0] is not CqlColumnRef { Qualifier: null } r)
            {
                throw new CqlException(c.Position, "matched() takes the alias of a joined stream or table", "write matched(q)");
            }

            var binding = Frame.Bindings.FirstOrDefault(b => string.Equals(b.Name, r.Name, StringComparison.OrdinalIgnoreCase) && b.Kind != BindingKind.Trade && b != Frame.Bindings[0]);
            if (binding is null || !Frame.Joined)
            {
                throw new CqlException(r.Position, $"'{r.Name}' is not a joined stream or table", "pass the alias of the ASOF JOIN or JOIN" + CqlParser.Suggest(r.Name, Frame.Bindings.Skip(1).Select(b => b.Name)));
            }

            Expression e = binding.Kind == BindingKind.Table
                ? Expression.NotEqual(Expression.Field(Tick, "Row"), Expression.Constant(null, typeof(CqlTableRow)))
                : Expression.Field(Tick, "HasQuote");
            return new(e, CqlType.Boolean);
        }

        private Typed Call(CqlCall c)
        {
            if (c.Name == "matched")
            {
                return Matched(c);
            }

            var kind = c.Name switch
            {
                "count" => AggregateKind.Count,
                "sum" => AggregateKind.Sum,
                "avg" => AggregateKind.Avg,
                "min" => AggregateKind.Min,
                "max" => AggregateKind.Max,
                "first" => AggregateKind.First,
                "last" => AggregateKind.Last,
                "vwap" => AggregateKind.Vwap,
                "stddev" => AggregateKind.StdDev,
                _ => throw new CqlException(c.Position, $"unknown function '{c.Name}'", "functions are the aggregates " + string.Join(", ", s_aggregateNames) + CqlParser.Suggest(c.Name, s_aggregateNames)),
            };
            if (!_grouped)
            {
                throw new CqlException(c.Position, $"aggregate {c.Name}() is not allowed here", "aggregates go in the SELECT or HAVING of a windowed query; filter groups with HAVING, not WHERE");
            }

            var expected = kind switch { AggregateKind.Vwap => 2, _ => 1 };
            if (c.Arguments.Length != expected)
            {
                throw new CqlException(c.Position, $"{c.Name}() takes {expected} argument{(expected == 1 ? string.Empty : "s")}, not {c.Arguments.Length}",
                    kind == AggregateKind.Vwap ? "write vwap(price, size)" : $"write {c.Name}(column)");
            }

            if (c.Arguments[0] is CqlStar && kind != AggregateKind.Count)
            {
                throw new CqlException(c.Arguments[0].Position, $"{c.Name}(*) is not defined", $"only count(*) takes '*'; write {c.Name}(column)");
            }

            var text = Text(c);
            if (!_aggregateIndex.TryGetValue(text, out var index))
            {
                index = Register(c, kind);
                _aggregateIndex[text] = index;
            }

            return Read(Aggregates[index].Slot);
        }

        private int Register(CqlCall c, AggregateKind kind)
        {
            // Arguments are per-event expressions: compile them in the tick scope sharing this scope's tick parameter.
            var tick = new Scope(Frame, grouped: false) { Tick = Tick };
            Typed? arg0 = c.Arguments[0] is CqlStar ? null : tick.Compile(c.Arguments[0]);
            Typed? arg1 = c.Arguments.Length > 1 ? tick.Compile(c.Arguments[1]) : null;
            var type = arg0?.Type ?? CqlType.BigInt;
            if (kind is AggregateKind.Sum or AggregateKind.Avg or AggregateKind.StdDev && !IsNumeric(type))
            {
                throw new CqlException(c.Arguments[0].Position, $"{c.Name}() needs a number, not {Name(type)}", "pass a BIGINT, PRICE or DOUBLE expression");
            }

            if (kind is AggregateKind.Min or AggregateKind.Max or AggregateKind.First or AggregateKind.Last && type is CqlType.String or CqlType.Boolean)
            {
                throw new CqlException(c.Arguments[0].Position, $"{c.Name}() of {Name(type)} is not supported", "pass a number, a price, a timestamp or a char");
            }

            if (kind == AggregateKind.Vwap && (type != CqlType.Price || arg1!.Value.Type != CqlType.BigInt))
            {
                throw new CqlException(c.Position, $"vwap() needs (PRICE, BIGINT), not ({Name(type)}, {Name(arg1!.Value.Type)})", "write vwap(price, size)");
            }

            int l = -1, d = -1, w = -1;
            switch (kind)
            {
                case AggregateKind.Count:
                    l = CountOffset;
                    break;
                case AggregateKind.Sum or AggregateKind.Avg when type == CqlType.Price:
                    w = WideCount++;
                    break;
                case AggregateKind.StdDev:
                    d = DoubleCount;
                    DoubleCount += 2;
                    break;
                case AggregateKind.Vwap:
                    w = WideCount++;
                    l = LongCount++;
                    break;
                default:
                    if (type == CqlType.Double)
                    {
                        d = DoubleCount++;
                    }
                    else
                    {
                        l = LongCount++;
                    }

                    break;
            }

            Typed? filter = null;
            var f = -1;
            if (c.Filter is not null)
            {
                filter = tick.Compile(c.Filter);
                if (filter.Value.Type != CqlType.Boolean)
                {
                    throw new CqlException(c.Filter.Position, $"FILTER (WHERE ...) needs a condition, not {Name(filter.Value.Type)}", "compare something, e.g. FILTER (WHERE price_eligible) or FILTER (WHERE size >= 100)");
                }

                if (!_filterSlots.TryGetValue(Text(c.Filter), out f))
                {
                    f = LongCount;
                    LongCount += 3;
                    _filterSlots[Text(c.Filter)] = f;
                }

                if (kind == AggregateKind.Count)
                {
                    l = -1;
                }
            }

            Aggregates.Add((new AggregateSlot(kind, type, l, d, w, f), arg0, arg1, filter));
            return Aggregates.Count - 1;
        }

        private Typed Read(AggregateSlot slot)
        {
            Expression LAt(int offset) => Expression.ArrayAccess(L, Expression.Add(Lb, Expression.Constant(offset)));
            Expression DAt(int offset) => Expression.ArrayAccess(D, Expression.Add(Db, Expression.Constant(offset)));
            Expression WAt(int offset) => Expression.ArrayAccess(W, Expression.Add(Wb, Expression.Constant(offset)));
            var n = slot.F >= 0 ? LAt(slot.F) : LAt(CountOffset);
            var count = Expression.Convert(n, typeof(double));
            switch (slot.Kind)
            {
                case AggregateKind.Count:
                    return new(n, CqlType.BigInt);
                case AggregateKind.Sum when slot.W >= 0:
                    return new(Expression.Call(typeof(CqlFunctions), nameof(CqlFunctions.WideToLong), null, WAt(slot.W)), CqlType.Price);
                case AggregateKind.Avg when slot.W >= 0:
                    var wideSum = Expression.Call(typeof(CqlFunctions), nameof(CqlFunctions.WideToDouble), null, WAt(slot.W));
                    return new(Expression.Divide(Expression.Divide(wideSum, count), Expression.Constant((double)Price.Scale)), CqlType.Double);
                case AggregateKind.Avg when slot.D >= 0:
                    return new(Expression.Divide(DAt(slot.D), count), CqlType.Double);
                case AggregateKind.Avg:
                    return new(Expression.Divide(Expression.Convert(LAt(slot.L), typeof(double)), count), CqlType.Double);
                case AggregateKind.Vwap:
                    return new(Expression.Call(typeof(CqlFunctions), nameof(CqlFunctions.Vwap), null, WAt(slot.W), LAt(slot.L)), CqlType.Price);
                case AggregateKind.StdDev:
                    return new(Expression.Call(typeof(CqlFunctions), nameof(CqlFunctions.StdDev), null, n, DAt(slot.D + 1)), CqlType.Double);
                default:
                    // min/max/first/last: a window always holds an event, but a filter may have admitted none. CQL has
                    // no NULL: such a value reads as 0 (NaN for DOUBLE); count(*) FILTER (WHERE ...) tells them apart.
                    Typed value = slot.D >= 0 ? new(DAt(slot.D), CqlType.Double) : new(LAt(slot.L), slot.ArgType);
                    return slot.F < 0
                        ? value
                        : new(Expression.Condition(Expression.Equal(n, Expression.Constant(0L)), slot.D >= 0 ? Expression.Constant(double.NaN) : Expression.Constant(0L), value.Expr), value.Type);
            }
        }

        /// <summary>CASE: conditions must be BOOLEAN; values of one type, or numbers of mixed types (then DOUBLE).</summary>
        private Typed Case(CqlCase k)
        {
            var branches = k.Branches.Select(b => (When: Compile(b.When), Then: Compile(b.Then), At: b.When.Position)).ToList();
            var otherwise = Compile(k.Else);
            foreach (var b in branches.Where(b => b.When.Type != CqlType.Boolean))
            {
                throw new CqlException(b.At, $"WHEN needs a condition, not {Name(b.When.Type)}", "compare something, e.g. CASE WHEN count(*) > 0 THEN ... ELSE ... END");
            }

            var values = branches.Select(b => b.Then).Append(otherwise).ToList();
            var type = values.All(v => v.Type == values[0].Type) ? values[0].Type
                : values.All(v => IsNumeric(v.Type)) ? CqlType.Double
                : throw new CqlException(k.Position, $"CASE branches have types {string.Join(", ", values.Select(v => Name(v.Type)).Distinct())}", "make every THEN and the ELSE the same type (numbers of mixed types become DOUBLE)");
            Expression Value(Typed v) => type == CqlType.Double && v.Type != CqlType.Double ? ToDouble(v).Expr : v.Expr;
            var result = Value(otherwise);
            for (var i = branches.Count - 1; i >= 0; i--)
            {
                result = Expression.Condition(branches[i].When.Expr, Value(branches[i].Then), result);
            }

            return new(result, type);
        }

        private Typed Unary(CqlUnary u)
        {
            var operand = Compile(u.Operand);
            if (u.Op == CqlUnaryOp.Not)
            {
                return operand.Type == CqlType.Boolean
                    ? new(Expression.Not(operand.Expr), CqlType.Boolean)
                    : throw new CqlException(u.Position, $"NOT needs a condition, not {Name(operand.Type)}", "write NOT (a = b)");
            }

            if (!IsNumeric(operand.Type))
            {
                throw new CqlException(u.Position, $"cannot negate {Name(operand.Type)}", "'-' applies to BIGINT, PRICE and DOUBLE");
            }

            var literal = operand.Literal switch { long l => (object)(-l), decimal d => -d, _ => null };
            return new(Expression.Negate(operand.Expr), operand.Type, literal);
        }

        private Typed Binary(CqlBinary b)
        {
            var left = Compile(b.Left);
            var right = Compile(b.Right);
            switch (b.Op)
            {
                case CqlBinaryOp.And or CqlBinaryOp.Or:
                    if (left.Type != CqlType.Boolean || right.Type != CqlType.Boolean)
                    {
                        throw new CqlException(b.Position, $"{OperatorText(b.Op)} needs conditions on both sides, not {Name(left.Type)} and {Name(right.Type)}", "compare values, e.g. price > 100 AND size >= 100");
                    }

                    return new(b.Op == CqlBinaryOp.And ? Expression.AndAlso(left.Expr, right.Expr) : Expression.OrElse(left.Expr, right.Expr), CqlType.Boolean);
                case CqlBinaryOp.Add or CqlBinaryOp.Subtract or CqlBinaryOp.Multiply or CqlBinaryOp.Divide:
                    return Arithmetic(b, left, right);
                case CqlBinaryOp.BitAnd:
                    if (left.Type != CqlType.BigInt || right.Type != CqlType.BigInt)
                    {
                        throw new CqlException(b.Position, $"'&' needs BIGINT on both sides, not {Name(left.Type)} and {Name(right.Type)}", "mask flag columns, e.g. conditions & 0x20 = 0");
                    }

                    return new(Expression.And(left.Expr, right.Expr), CqlType.BigInt, left.Literal is long x && right.Literal is long y ? x & y : null);
                default:
                    return Comparison(b, left, right);
            }
        }

        private static Typed Arithmetic(CqlBinary b, Typed left, Typed right)
        {
            if (!IsNumeric(left.Type) || !IsNumeric(right.Type))
            {
                throw new CqlException(b.Position, $"cannot apply '{OperatorText(b.Op)}' to {Name(left.Type)} and {Name(right.Type)}", "arithmetic works on BIGINT, PRICE and DOUBLE");
            }

            Expression Make(Expression x, Expression y) => b.Op switch
            {
                CqlBinaryOp.Add => Expression.Add(x, y),
                CqlBinaryOp.Subtract => Expression.Subtract(x, y),
                CqlBinaryOp.Multiply => Expression.Multiply(x, y),
                _ => Expression.Divide(x, y),
            };

            if (b.Op != CqlBinaryOp.Divide)
            {
                if (left.Type == CqlType.BigInt && right.Type == CqlType.BigInt)
                {
                    return new(Make(left.Expr, right.Expr), CqlType.BigInt);
                }

                // PRICE ± PRICE (or ± a literal) stays exact in raw units.
                if (b.Op != CqlBinaryOp.Multiply && (left.Type == CqlType.Price || right.Type == CqlType.Price))
                {
                    var l = left.Type == CqlType.Price ? left : AsPriceLiteral(left, b.Left.Position);
                    var r = right.Type == CqlType.Price ? right : AsPriceLiteral(right, b.Right.Position);
                    if (l is { } pl && r is { } pr)
                    {
                        return new(Make(pl.Expr, pr.Expr), CqlType.Price);
                    }
                }
            }

            return new(Make(ToDouble(left).Expr, ToDouble(right).Expr), CqlType.Double);
        }

        private static Typed Comparison(CqlBinary b, Typed left, Typed right)
        {
            Expression Make(Expression x, Expression y) => b.Op switch
            {
                CqlBinaryOp.Equal => Expression.Equal(x, y),
                CqlBinaryOp.NotEqual => Expression.NotEqual(x, y),
                CqlBinaryOp.Less => Expression.LessThan(x, y),
                CqlBinaryOp.LessOrEqual => Expression.LessThanOrEqual(x, y),
                CqlBinaryOp.Greater => Expression.GreaterThan(x, y),
                _ => Expression.GreaterThanOrEqual(x, y),
            };

            var mismatch = new CqlException(b.Position, $"cannot compare {Name(left.Type)} with {Name(right.Type)}", "compare values of one kind, e.g. symbol = 'SPY', price > 100.5, exchange = 'Q'");
            if (left.Type == right.Type && left.Type is CqlType.BigInt or CqlType.Price or CqlType.Timestamp or CqlType.Char or CqlType.Double)
            {
                return new(Make(left.Expr, right.Expr), CqlType.Boolean);
            }

            if (left.Type == CqlType.Boolean && right.Type == CqlType.Boolean)
            {
                return b.Op is CqlBinaryOp.Equal or CqlBinaryOp.NotEqual ? new(Make(left.Expr, right.Expr), CqlType.Boolean) : throw mismatch;
            }

            if (left.Type == CqlType.String && right.Type == CqlType.String)
            {
                var compare = Expression.Call(typeof(CqlFunctions), nameof(CqlFunctions.CompareOrdinal), null, left.Expr, right.Expr);
                return b.Op is CqlBinaryOp.Equal or CqlBinaryOp.NotEqual
                    ? new(Make(Expression.Call(typeof(CqlFunctions), nameof(CqlFunctions.StringEquals), null, left.Expr, right.Expr), Expression.Constant(true)), CqlType.Boolean)
                    : new(Make(compare, Expression.Constant(0)), CqlType.Boolean);
            }

            // A CHAR column against a one-character string literal: exchange = 'Q'.
            if ((left.Type, right.Type) is (CqlType.Char, CqlType.String) or (CqlType.String, CqlType.Char))
            {
                var literal = (left.Type == CqlType.String ? left : right).Literal as string;
                if (literal is not { Length: 1 })
                {
                    throw new CqlException(b.Position, "a CHAR compares with a one-character 'string' literal", "write e.g. exchange = 'Q'");
                }

                var c = Expression.Constant((long)literal[0]);
                return left.Type == CqlType.Char ? new(Make(left.Expr, c), CqlType.Boolean) : new(Make(c, right.Expr), CqlType.Boolean);
            }

            if (IsNumeric(left.Type) && IsNumeric(right.Type))
            {
                // A price against a literal compares exactly in raw units; anything else mixed compares as DOUBLE.
                if (left.Type == CqlType.Price && AsPriceLiteral(right, b.Right.Position) is { } pr)
                {
                    return new(Make(left.Expr, pr.Expr), CqlType.Boolean);
                }

                if (right.Type == CqlType.Price && AsPriceLiteral(left, b.Left.Position) is { } pl)
                {
                    return new(Make(pl.Expr, right.Expr), CqlType.Boolean);
                }

                return new(Make(ToDouble(left).Expr, ToDouble(right).Expr), CqlType.Boolean);
            }

            throw mismatch;
        }
    }
}
