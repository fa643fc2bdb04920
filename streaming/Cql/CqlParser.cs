using System.Collections.Immutable;
using System.Globalization;

namespace BigDataTrading.Streaming.Cql;

/// <summary>
/// Recursive-descent parser of CQL (grammar in <c>streaming/Cql/README.md</c>). Every error is a
/// <see cref="CqlException"/> with line, column and a hint. Stateless and thread-safe.
/// </summary>
public static class CqlParser
{
    /// <summary>Words that end an expression or start a clause, so they cannot be used as bare column names.</summary>
    private static readonly HashSet<string> s_reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "SELECT", "FROM", "WHERE", "GROUP", "BY", "HAVING", "WINDOW", "EMIT", "INTO", "AND", "OR", "NOT", "AS",
        "CREATE", "STREAM", "VIEW", "QUERY", "WITH", "TRUE", "FALSE",
    };

    private static readonly string[] s_clauseWords = ["WHERE", "GROUP", "WINDOW", "HAVING", "EMIT", "INTO"];

    /// <summary>Parses a script of statements separated by ';'.</summary>
    /// <exception cref="CqlException">The text is not valid CQL.</exception>
    public static CqlScript Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var p = new State(CqlLexer.Tokenize(text));
        var statements = ImmutableArray.CreateBuilder<CqlStatement>();
        while (true)
        {
            while (p.Accept(";"))
            {
            }

            if (p.Current.Kind == TokenKind.End)
            {
                break;
            }

            statements.Add(ParseStatement(p));
            if (p.Current.Kind != TokenKind.End && !p.Current.Is(";"))
            {
                throw p.Error($"expected ';' or end of input after the statement, found {p.Current.Describe()}",
                    "separate statements with ';'" + p.KeywordSuggestion(s_clauseWords));
            }
        }

        return new CqlScript(statements.ToImmutable());
    }

    private static CqlStatement ParseStatement(State p)
    {
        var start = p.Current.Position;
        p.Expect("CREATE", "a statement starts with CREATE STREAM, CREATE VIEW or CREATE QUERY");
        if (p.Accept("STREAM"))
        {
            return ParseCreateStream(p, start);
        }

        if (p.Accept("TABLE"))
        {
            return ParseCreateTable(p, start);
        }

        p.Accept("CONTINUOUS");
        bool isView;
        if (p.Accept("VIEW"))
        {
            isView = true;
        }
        else if (p.Accept("QUERY"))
        {
            isView = false;
        }
        else
        {
            throw p.Error($"expected STREAM, TABLE, VIEW or QUERY after CREATE, found {p.Current.Describe()}",
                "write CREATE STREAM name (...), CREATE TABLE name (...) FROM 'file.csv', CREATE [CONTINUOUS] VIEW name AS SELECT ... or CREATE QUERY name AS SELECT ..." + p.KeywordSuggestion(["STREAM", "TABLE", "VIEW", "QUERY", "CONTINUOUS"]));
        }

        var name = p.Identifier("a name for the " + (isView ? "view" : "query"));
        p.Expect("AS", "write CREATE VIEW name AS SELECT ...");
        var select = ParseSelect(p);
        return new CreateQueryStatement(start, name, isView, select);
    }

    private static CreateStreamStatement ParseCreateStream(State p, CqlPosition start)
    {
        var name = p.Identifier("a stream name");
        p.Expect("(", "list the columns: CREATE STREAM trades (symbol STRING, time TIMESTAMP, price PRICE, size BIGINT)");
        var columns = ParseColumns(p);
        var properties = ParseProperties(p);
        return new CreateStreamStatement(start, name, columns, properties);
    }

    private static CreateTableStatement ParseCreateTable(State p, CqlPosition start)
    {
        var name = p.Identifier("a table name");
        p.Expect("(", "list the columns: CREATE TABLE instruments (symbol STRING, lot_size BIGINT, sector STRING) FROM 'instruments.csv'");
        var columns = ParseColumns(p);
        var properties = ParseProperties(p);
        var rows = ImmutableArray.CreateBuilder<ImmutableArray<CqlLiteral>>();
        string? file = null;
        var filePosition = p.Current.Position;
        if (p.Accept("FROM"))
        {
            filePosition = p.Current.Position;
            if (p.Current.Kind != TokenKind.String)
            {
                throw p.Error($"expected a 'quoted' file name after FROM, found {p.Current.Describe()}", "write FROM 'instruments.csv' (a CSV file whose first line names the columns)");
            }

            file = p.Advance().Text;
        }
        else if (p.Accept("VALUES"))
        {
            do
            {
                p.Expect("(", "write VALUES ('SPY', 100, 'ETF'), ('IBM', 100, 'Technology')");
                var values = ImmutableArray.CreateBuilder<CqlLiteral>();
                do
                {
                    var at = p.Current.Position;
                    var value = ParseUnary(p);
                    values.Add(value switch
                    {
                        CqlLiteral l => l,
                        CqlUnary { Op: CqlUnaryOp.Negate, Operand: CqlLiteral { Value: long n } } => new CqlLiteral(at, -n),
                        CqlUnary { Op: CqlUnaryOp.Negate, Operand: CqlLiteral { Value: decimal d } } => new CqlLiteral(at, -d),
                        _ => throw new CqlException(at, "a table value must be a literal", "write a number, a 'string', TRUE or FALSE"),
                    });
                }
                while (p.Accept(","));
                p.Expect(")", "close the row with ')'");
                rows.Add(values.ToImmutable());
            }
            while (p.Accept(","));
        }
        else
        {
            throw p.Error($"expected FROM 'file.csv' or VALUES after the table's columns, found {p.Current.Describe()}", "a table is loaded from a CSV file (FROM 'instruments.csv') or written inline (VALUES ('SPY', 100), ...)" + p.KeywordSuggestion(["FROM", "VALUES"]));
        }

        return new CreateTableStatement(start, name, columns, properties, file, filePosition, rows.ToImmutable());
    }

    private static ImmutableArray<CqlColumnDefinition> ParseColumns(State p)
    {
        var columns = ImmutableArray.CreateBuilder<CqlColumnDefinition>();
        do
        {
            var at = p.Current.Position;
            var column = p.Identifier("a column name");
            var typeToken = p.Current;
            var typeName = p.Identifier("a column type (BIGINT, DOUBLE, PRICE, STRING, CHAR, TIMESTAMP, BOOLEAN)");
            var type = typeName.ToUpperInvariant() switch
            {
                "BIGINT" or "INT" or "INTEGER" or "LONG" => CqlType.BigInt,
                "DOUBLE" or "FLOAT" => CqlType.Double,
                "PRICE" or "DECIMAL" => CqlType.Price,
                "STRING" or "VARCHAR" or "SYMBOL" => CqlType.String,
                "CHAR" => CqlType.Char,
                "TIMESTAMP" => CqlType.Timestamp,
                "BOOLEAN" or "BOOL" => CqlType.Boolean,
                _ => throw new CqlException(typeToken.Position, $"unknown type '{typeName}'",
                    "use BIGINT, DOUBLE, PRICE, STRING, CHAR, TIMESTAMP or BOOLEAN" + Suggest(typeName, ["BIGINT", "DOUBLE", "PRICE", "STRING", "CHAR", "TIMESTAMP", "BOOLEAN"])),
            };
            if (columns.Any(c => string.Equals(c.Name, column, StringComparison.OrdinalIgnoreCase)))
            {
                throw new CqlException(at, $"column '{column}' is declared twice", "remove or rename one of them");
            }

            columns.Add(new CqlColumnDefinition(column, type, at));
        }
        while (p.Accept(","));
        p.Expect(")", "close the column list with ')' (columns are separated by ',')");
        return columns.ToImmutable();
    }

    private static ImmutableArray<CqlProperty> ParseProperties(State p)
    {
        var properties = ImmutableArray.CreateBuilder<CqlProperty>();
        if (p.Accept("WITH"))
        {
            p.Expect("(", "write WITH (topic='md.ticks', key='symbol', timestamp='time')");
            do
            {
                var at = p.Current.Position;
                var key = p.Identifier("a property name (topic, key, timestamp)").ToLowerInvariant();
                p.Expect("=", "write name='value'");
                if (p.Current.Kind != TokenKind.String)
                {
                    throw p.Error($"expected a 'quoted' value for property {key}, found {p.Current.Describe()}", $"write {key}='value'");
                }

                properties.Add(new CqlProperty(key, p.Advance().Text, at));
            }
            while (p.Accept(","));
            p.Expect(")", "close the property list with ')'");
        }

        return properties.ToImmutable();
    }

    private static CqlSelect ParseSelect(State p)
    {
        p.Expect("SELECT", "a view is defined by AS SELECT ... FROM stream");
        var items = ImmutableArray.CreateBuilder<CqlSelectItem>();
        Token? implicitAlias = null;
        do
        {
            implicitAlias = null;
            if (p.Current.Is("*"))
            {
                items.Add(new CqlSelectItem(new CqlStar(p.Advance().Position), null));
                continue;
            }

            var expr = ParseExpr(p);
            string? alias = null;
            if (p.Accept("AS"))
            {
                alias = p.Identifier("a column alias after AS");
            }
            else if (p.Current.Kind == TokenKind.Identifier && !s_reserved.Contains(p.Current.Text))
            {
                implicitAlias = p.Current;
                alias = p.Advance().Text;
            }

            items.Add(new CqlSelectItem(expr, alias));
        }
        while (p.Accept(","));

        if (!p.Current.Is("FROM") && implicitAlias is { } misspelled && Suggest(misspelled.Text, ["FROM"]).Length > 0)
        {
            // "count(*) FORM trades" reads FORM as an alias; the real mistake is the keyword.
            throw new CqlException(misspelled.Position, $"expected FROM after the select list, found '{misspelled.Text}'", "name the source with FROM stream" + Suggest(misspelled.Text, ["FROM"]));
        }

        if (!p.Current.Is("FROM"))
        {
            throw p.Error($"expected FROM after the select list, found {p.Current.Describe()}",
                "separate select items with ',' and name the source with FROM stream" + p.KeywordSuggestion(["FROM"]));
        }

        p.Advance();
        var fromPosition = p.Current.Position;
        CqlPattern? pattern = null;
        string from;
        string? fromAlias = null;
        var joins = ImmutableArray.CreateBuilder<CqlJoin>();
        if (p.Current.Is("PATTERN"))
        {
            pattern = ParsePattern(p);
            from = pattern.Steps[0].Stream;
            fromPosition = pattern.Steps[0].Position;
        }
        else
        {
            from = p.Identifier("the source stream name");
            fromAlias = ParseAlias(p);
            while (true)
            {
                var at = p.Current.Position;
                var left = false;
                if (p.Accept("LEFT"))
                {
                    left = true;
                    p.Accept("OUTER");
                }
                else
                {
                    p.Accept("INNER");
                }

                var asOf = p.Accept("ASOF");
                if (!p.Accept("JOIN"))
                {
                    if (left || asOf || !at.Equals(p.Current.Position))
                    {
                        throw p.Error($"expected JOIN, found {p.Current.Describe()}", "write [LEFT] ASOF JOIN quotes q [WITHIN 5 SECONDS] or [LEFT] JOIN table i ON t.symbol = i.symbol" + p.KeywordSuggestion(["JOIN"]));
                    }

                    break;
                }

                var sourcePosition = p.Current.Position;
                var source = p.Identifier(asOf ? "the quote stream to join as of" : "the table to join");
                var alias = ParseAlias(p);
                CqlExpr? on = null;
                long? within = null;
                if (p.Accept("ON"))
                {
                    on = ParseExpr(p);
                }

                if (p.Current.Is("WITHIN"))
                {
                    var withinAt = p.Advance().Position;
                    if (!asOf)
                    {
                        throw new CqlException(withinAt, "WITHIN (max staleness) applies to ASOF joins", "remove WITHIN, or write ASOF JOIN");
                    }

                    within = ParseDuration(p);
                }

                joins.Add(new CqlJoin(at, asOf ? CqlJoinKind.AsOf : CqlJoinKind.Table, left, source, sourcePosition, alias, within, on));
            }
        }

        CqlExpr? where = null;
        CqlExpr? having = null;
        CqlWindow? window = null;
        var groupBy = ImmutableArray.CreateBuilder<CqlExpr>();
        var emit = CqlEmitMode.Final;
        var emitWritten = false;
        string? into = null;
        string? intoView = null;
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var order = new[] { "WINDOW", "WHERE", "GROUP", "HAVING", "EMIT", "INTO" };
        var last = -1;

        // Clauses in a fixed order (WINDOW may also come after GROUP BY, or inside it as in GROUP BY symbol, WINDOW ...).
        while (true)
        {
            var token = p.Current;
            var index = Array.FindIndex(order, w => token.Is(w));
            if (index < 0)
            {
                break;
            }

            if (!seen.Add(order[index]))
            {
                throw p.Error($"{order[index]} is written twice", "each clause may appear once");
            }

            if (index < last && order[index] != "WINDOW")
            {
                throw p.Error($"{order[index]} is out of place", "clauses go in the order [WINDOW] WHERE, GROUP BY [, WINDOW], HAVING, EMIT, INTO");
            }

            last = Math.Max(last, index);
            p.Advance();
            switch (order[index])
            {
                case "WINDOW":
                    window = ParseWindow(p, token.Position);
                    break;
                case "WHERE":
                    where = ParseExpr(p);
                    break;
                case "GROUP":
                    p.Expect("BY", "write GROUP BY symbol");
                    do
                    {
                        if (p.Current.Is("WINDOW"))
                        {
                            if (!seen.Add("WINDOW"))
                            {
                                throw p.Error("WINDOW is written twice", "a query has one window");
                            }

                            var at = p.Advance().Position;
                            window = ParseWindow(p, at);
                        }
                        else
                        {
                            groupBy.Add(ParseExpr(p));
                        }
                    }
                    while (p.Accept(","));
                    break;
                case "HAVING":
                    having = ParseExpr(p);
                    break;
                case "EMIT":
                    emitWritten = true;
                    if (p.Accept("FINAL"))
                    {
                        emit = CqlEmitMode.Final;
                    }
                    else if (p.Accept("CHANGES"))
                    {
                        emit = CqlEmitMode.Changes;
                    }
                    else
                    {
                        throw p.Error($"expected FINAL or CHANGES after EMIT, found {p.Current.Describe()}",
                            "EMIT FINAL emits each window once when it closes; EMIT CHANGES on every update" + p.KeywordSuggestion(["FINAL", "CHANGES"]));
                    }

                    break;
                default:
                    if (p.Accept("VIEW"))
                    {
                        intoView = p.Identifier("a view name after INTO VIEW (the ODS table the rows are upserted into)");
                        break;
                    }

                    if (p.Current.Kind != TokenKind.String)
                    {
                        throw p.Error($"expected a 'quoted' topic name or VIEW name after INTO, found {p.Current.Describe()}", "write INTO 'topic.name' or INTO VIEW name");
                    }

                    into = p.Advance().Text;
                    break;
            }
        }

        return new CqlSelect(items.ToImmutable(), from, fromPosition, where, groupBy.ToImmutable(), window, having, emit, emitWritten, into, fromAlias, joins.ToImmutable(), pattern) { IntoView = intoView };
    }

    private static readonly HashSet<string> s_notAliases = new(StringComparer.OrdinalIgnoreCase)
    {
        "WHERE", "GROUP", "WINDOW", "HAVING", "EMIT", "INTO", "JOIN", "ASOF", "LEFT", "INNER", "ON", "WITHIN", "OUTER", "FILTER",
        "WHEN", "THEN", "ELSE", "END",
    };

    private static string? ParseAlias(State p)
    {
        if (p.Accept("AS"))
        {
            return p.Identifier("an alias after AS");
        }

        return p.Current.Kind == TokenKind.Identifier && !s_reserved.Contains(p.Current.Text) && !s_notAliases.Contains(p.Current.Text)
            ? p.Advance().Text
            : null;
    }

    // PATTERN ( [EVERY] step { -> step } ) WITHIN duration [ALLOWED LATENESS duration] [MAX PENDING n]
    // step := [NOT] name = stream [ '(' condition ')' ]
    private static CqlPattern ParsePattern(State p)
    {
        var at = p.Advance().Position;
        p.Expect("(", "write PATTERN (EVERY a = trades(size >= 1000) -> b = trades(price > a.price)) WITHIN 5 SECONDS");
        var every = p.Accept("EVERY");
        var steps = ImmutableArray.CreateBuilder<CqlPatternStep>();
        do
        {
            var stepAt = p.Current.Position;
            var absent = p.Accept("NOT");
            var name = p.Identifier("a step name (e.g. a = trades(...))");
            if (steps.Any(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase)))
            {
                throw new CqlException(stepAt, $"step '{name}' is named twice", "give every step its own name");
            }

            p.Expect("=", $"name the step's stream: {name} = trades(condition)");
            var stream = p.Identifier("the step's stream");
            CqlExpr? condition = null;
            if (p.Accept("("))
            {
                condition = ParseExpr(p);
                p.Expect(")", "close the step's condition with ')'");
            }

            steps.Add(new CqlPatternStep(stepAt, name, stream, absent, condition));
        }
        while (p.Accept("->"));
        p.Expect(")", "close the pattern with ')'; steps are separated by '->'");
        if (!p.Current.Is("WITHIN"))
        {
            throw p.Error($"expected WITHIN after the pattern, found {p.Current.Describe()}", "every pattern has a time bound, which also bounds its state: PATTERN (...) WITHIN 5 SECONDS" + p.KeywordSuggestion(["WITHIN"]));
        }

        p.Advance();
        var within = ParseDuration(p);
        long? lateness = null;
        int? maxPending = null;
        while (true)
        {
            if (p.Accept("ALLOWED"))
            {
                p.Expect("LATENESS", "write ALLOWED LATENESS 1 SECOND");
                lateness = ParseDuration(p, allowZero: true);
            }
            else if (p.Accept("MAX"))
            {
                p.Expect("PENDING", "write MAX PENDING 16 (partial matches kept per key)");
                var number = p.Current;
                if (number.Kind != TokenKind.Integer || !int.TryParse(number.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1 || n > 1_000_000)
                {
                    throw p.Error($"expected a count from 1 to 1000000 after MAX PENDING, found {number.Describe()}", "write e.g. MAX PENDING 16");
                }

                p.Advance();
                maxPending = n;
            }
            else
            {
                break;
            }
        }

        return new CqlPattern(at, every, steps.ToImmutable(), within, lateness, maxPending);
    }

    private static CqlWindow ParseWindow(State p, CqlPosition at)
    {
        var kindToken = p.Current;
        CqlWindowKind kind;
        if (p.Accept("TUMBLING"))
        {
            kind = CqlWindowKind.Tumbling;
        }
        else if (p.Accept("HOPPING"))
        {
            kind = CqlWindowKind.Hopping;
        }
        else if (p.Accept("SESSION"))
        {
            kind = CqlWindowKind.Session;
        }
        else if (p.Accept("SLIDING"))
        {
            kind = CqlWindowKind.Sliding;
        }
        else
        {
            throw new CqlException(kindToken.Position, $"expected TUMBLING, HOPPING, SLIDING or SESSION after WINDOW, found {kindToken.Describe()}",
                "e.g. WINDOW TUMBLING(1 MINUTE), WINDOW HOPPING(SIZE 5 MINUTES, ADVANCE 1 MINUTE), WINDOW SLIDING(5 MINUTES), WINDOW SESSION(GAP 30 SECONDS)" + p.KeywordSuggestion(["TUMBLING", "HOPPING", "SLIDING", "SESSION"]));
        }

        p.Expect("(", $"write {kind.ToString().ToUpperInvariant()}(...)");
        long size;
        long advance;
        switch (kind)
        {
            case CqlWindowKind.Tumbling:
                p.Accept("SIZE");
                size = ParseDuration(p);
                advance = size;
                break;
            case CqlWindowKind.Sliding:
                p.Accept("SIZE");
                size = ParseDuration(p);
                advance = 0;
                break;
            case CqlWindowKind.Hopping:
                p.Expect("SIZE", "write HOPPING(SIZE 5 MINUTES, ADVANCE 1 MINUTE)");
                size = ParseDuration(p);
                p.Expect(",", "write HOPPING(SIZE 5 MINUTES, ADVANCE 1 MINUTE)");
                var advancePosition = p.Current.Position;
                p.Expect("ADVANCE", "write HOPPING(SIZE 5 MINUTES, ADVANCE 1 MINUTE)");
                p.Accept("BY");
                advance = ParseDuration(p);
                if (advance > size)
                {
                    throw new CqlException(advancePosition, "the ADVANCE of a hopping window is larger than its SIZE, so some events would fall in no window", "use ADVANCE <= SIZE (ADVANCE = SIZE is a tumbling window)");
                }

                break;
            default:
                p.Accept("GAP");
                size = ParseDuration(p);
                advance = 0;
                break;
        }

        long? lateness = null;
        if (p.Accept(","))
        {
            if (p.Accept("ALLOWED"))
            {
                p.Expect("LATENESS", "write ALLOWED LATENESS 5 SECONDS");
            }
            else if (p.Accept("GRACE"))
            {
                p.Expect("PERIOD", "write GRACE PERIOD 5 SECONDS");
            }
            else
            {
                throw p.Error($"expected ALLOWED LATENESS after ',', found {p.Current.Describe()}", "write e.g. TUMBLING(1 MINUTE, ALLOWED LATENESS 5 SECONDS)");
            }

            lateness = ParseDuration(p, allowZero: true);
        }

        p.Expect(")", "close the window with ')'");
        return new CqlWindow(kind, size, advance, lateness, at);
    }

    private static long ParseDuration(State p, bool allowZero = false)
    {
        var number = p.Current;
        if (number.Kind != TokenKind.Integer)
        {
            throw p.Error($"expected a duration such as 1 MINUTE, found {number.Describe()}", "write a whole number and a unit: NANOSECONDS, MICROSECONDS, MILLISECONDS, SECONDS, MINUTES, HOURS or DAYS");
        }

        p.Advance();
        var unitToken = p.Current;
        var unit = unitToken.Kind == TokenKind.Identifier ? unitToken.Text.ToUpperInvariant().TrimEnd('S') : string.Empty;
        long nanos = unit switch
        {
            "NANOSECOND" => 1,
            "MICROSECOND" => 1_000,
            "MILLISECOND" => 1_000_000,
            "SECOND" => 1_000_000_000,
            "MINUTE" => 60_000_000_000,
            "HOUR" => 3_600_000_000_000,
            "DAY" => 86_400_000_000_000,
            _ => throw new CqlException(unitToken.Position, $"expected a time unit after {number.Text}, found {unitToken.Describe()}",
                "use NANOSECONDS, MICROSECONDS, MILLISECONDS, SECONDS, MINUTES, HOURS or DAYS" + Suggest(unitToken.Text, ["SECONDS", "MINUTES", "HOURS", "MILLISECONDS", "DAYS"])),
        };
        p.Advance();
        if (!long.TryParse(number.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count > long.MaxValue / nanos)
        {
            throw new CqlException(number.Position, $"duration {number.Text} {unitToken.Text} is too long", "durations must fit in 292 years");
        }

        if (count == 0 && !allowZero)
        {
            throw new CqlException(number.Position, "a window cannot be 0 long", "use a positive duration");
        }

        return count * nanos;
    }

    // expr := or;  or := and {OR and};  and := not {AND not};  not := NOT not | cmp;
    // cmp := bits [op bits];  bits := add {& add};  add := mul {(+|-) mul};  mul := unary {(*|/) unary};  unary := - unary | primary
    // ('&' binds looser than '+' and tighter than comparisons, as in PostgreSQL: conditions & 0x20 = 0.)
    private static CqlExpr ParseExpr(State p) => ParseOr(p);

    private static CqlExpr ParseOr(State p)
    {
        var left = ParseAnd(p);
        while (p.Current.Is("OR"))
        {
            var at = p.Advance().Position;
            left = new CqlBinary(at, CqlBinaryOp.Or, left, ParseAnd(p));
        }

        return left;
    }

    private static CqlExpr ParseAnd(State p)
    {
        var left = ParseNot(p);
        while (p.Current.Is("AND"))
        {
            var at = p.Advance().Position;
            left = new CqlBinary(at, CqlBinaryOp.And, left, ParseNot(p));
        }

        return left;
    }

    private static CqlExpr ParseNot(State p)
    {
        if (p.Current.Is("NOT"))
        {
            var at = p.Advance().Position;
            return new CqlUnary(at, CqlUnaryOp.Not, ParseNot(p));
        }

        return ParseComparison(p);
    }

    private static CqlExpr ParseComparison(State p)
    {
        var left = ParseBitAnd(p);
        var token = p.Current;
        CqlBinaryOp? op = token.Kind != TokenKind.Symbol ? null : token.Text switch
        {
            "=" or "==" => CqlBinaryOp.Equal,
            "<>" or "!=" => CqlBinaryOp.NotEqual,
            "<" => CqlBinaryOp.Less,
            "<=" => CqlBinaryOp.LessOrEqual,
            ">" => CqlBinaryOp.Greater,
            ">=" => CqlBinaryOp.GreaterOrEqual,
            _ => null,
        };
        if (op is null)
        {
            return left;
        }

        p.Advance();
        var right = ParseBitAnd(p);
        return new CqlBinary(token.Position, op.Value, left, right);
    }

    private static CqlExpr ParseBitAnd(State p)
    {
        var left = ParseAdditive(p);
        while (p.Current.Is("&"))
        {
            var at = p.Advance().Position;
            left = new CqlBinary(at, CqlBinaryOp.BitAnd, left, ParseAdditive(p));
        }

        return left;
    }

    private static CqlExpr ParseAdditive(State p)
    {
        var left = ParseMultiplicative(p);
        while (p.Current.Is("+") || p.Current.Is("-"))
        {
            var token = p.Advance();
            left = new CqlBinary(token.Position, token.Text == "+" ? CqlBinaryOp.Add : CqlBinaryOp.Subtract, left, ParseMultiplicative(p));
        }

        return left;
    }

    private static CqlExpr ParseMultiplicative(State p)
    {
        var left = ParseUnary(p);
        while (p.Current.Is("*") || p.Current.Is("/"))
        {
            var token = p.Advance();
            left = new CqlBinary(token.Position, token.Text == "*" ? CqlBinaryOp.Multiply : CqlBinaryOp.Divide, left, ParseUnary(p));
        }

        return left;
    }

    private static CqlExpr ParseUnary(State p)
    {
        if (p.Current.Is("-"))
        {
            var at = p.Advance().Position;
            return new CqlUnary(at, CqlUnaryOp.Negate, ParseUnary(p));
        }

        return ParsePrimary(p);
    }

    private static CqlExpr ParsePrimary(State p)
    {
        var token = p.Current;
        switch (token.Kind)
        {
            case TokenKind.Integer:
                p.Advance();
                if (!long.TryParse(token.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var integer))
                {
                    throw new CqlException(token.Position, $"integer {token.Text} does not fit in 64 bits", "write it as a decimal, e.g. 1.0e19 is not supported: use a smaller value");
                }

                return new CqlLiteral(token.Position, integer);
            case TokenKind.Decimal:
                p.Advance();
                if (!decimal.TryParse(token.Text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
                {
                    throw new CqlException(token.Position, $"number {token.Text} is out of range", "use at most 28 significant digits");
                }

                return new CqlLiteral(token.Position, number);
            case TokenKind.String:
                p.Advance();
                return new CqlLiteral(token.Position, token.Text);
            case TokenKind.Symbol when token.Text == "(":
                p.Advance();
                var inner = ParseExpr(p);
                p.Expect(")", "a '(' is not closed");
                return inner;
            case TokenKind.Identifier when token.Is("CASE") && p.Next.Is("WHEN"):
                return ParseCase(p);
            case TokenKind.Identifier when token.Is("TRUE") || token.Is("FALSE"):
                p.Advance();
                return new CqlLiteral(token.Position, token.Is("TRUE"));
            case TokenKind.Identifier when !s_reserved.Contains(token.Text):
                p.Advance();
                if (p.Accept("."))
                {
                    var column = p.Identifier($"a column name after '{token.Text}.'");
                    return new CqlColumnRef(token.Position, column, token.Text);
                }

                if (!p.Accept("("))
                {
                    return new CqlColumnRef(token.Position, token.Text);
                }

                var args = ImmutableArray.CreateBuilder<CqlExpr>();
                if (p.Current.Is("*"))
                {
                    args.Add(new CqlStar(p.Advance().Position));
                }
                else if (!p.Current.Is(")"))
                {
                    do
                    {
                        args.Add(ParseExpr(p));
                    }
                    while (p.Accept(","));
                }

                p.Expect(")", $"close the argument list of {token.Text}( with ')'");
                CqlExpr? filter = null;
                if (p.Accept("FILTER"))
                {
                    p.Expect("(", "write FILTER (WHERE condition) after an aggregate, e.g. count(*) FILTER (WHERE size >= 100)");
                    p.Expect("WHERE", "an aggregate's filter is FILTER (WHERE condition)");
                    filter = ParseExpr(p);
                    p.Expect(")", "close FILTER (WHERE ...) with ')'");
                }

                return new CqlCall(token.Position, token.Text.ToLowerInvariant(), args.ToImmutable(), filter);
            default:
                throw p.Error($"expected an expression, found {token.Describe()}",
                    token.Kind == TokenKind.Identifier
                        ? $"'{token.Text}' is a reserved word; quote it as \"{token.Text}\" to use it as a column name"
                        : "an expression is a column, a number, a 'string', a function call or (expression)");
        }
    }

    private static CqlCase ParseCase(State p)
    {
        var at = p.Advance().Position;
        var branches = ImmutableArray.CreateBuilder<(CqlExpr, CqlExpr)>();
        while (p.Accept("WHEN"))
        {
            var when = ParseExpr(p);
            p.Expect("THEN", "write CASE WHEN condition THEN value ... ELSE value END");
            branches.Add((when, ParseExpr(p)));
        }

        p.Expect("ELSE", "CQL has no NULL, so CASE needs an ELSE: CASE WHEN condition THEN value ELSE other END");
        var otherwise = ParseExpr(p);
        p.Expect("END", "close CASE with END");
        return new CqlCase(at, branches.ToImmutable(), otherwise);
    }

    /// <summary>A hint suffix "; did you mean X?" when <paramref name="word"/> is a likely misspelling of one of the candidates.</summary>
    internal static string Suggest(string word, IEnumerable<string> candidates)
    {
        var best = candidates
            .Select(c => (c, d: EditDistance(word.ToUpperInvariant(), c.ToUpperInvariant())))
            .Where(x => x.d <= Math.Max(1, x.c.Length / 3))
            .OrderBy(x => x.d)
            .Select(x => x.c)
            .FirstOrDefault();
        return best is null ? string.Empty : $"; did you mean {best}?";
    }

    /// <summary>Optimal string alignment distance: Levenshtein plus adjacent transpositions (VEIW → VIEW is 1).</summary>
    private static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }

    private sealed class State(List<Token> tokens)
    {
        private int _index;

        public Token Current => tokens[_index];

        public Token Next => tokens[Math.Min(_index + 1, tokens.Count - 1)];

        public Token Advance()
        {
            var token = tokens[_index];
            if (token.Kind != TokenKind.End)
            {
                _index++;
            }

            return token;
        }

        public bool Accept(string keywordOrSymbol)
        {
            if (!Current.Is(keywordOrSymbol))
            {
                return false;
            }

            Advance();
            return true;
        }

        public void Expect(string keywordOrSymbol, string hint)
        {
            if (!Accept(keywordOrSymbol))
            {
                var suggestion = char.IsAsciiLetter(keywordOrSymbol[0]) ? KeywordSuggestion([keywordOrSymbol]) : string.Empty;
                throw Error($"expected {keywordOrSymbol.ToUpperInvariant()}, found {Current.Describe()}", hint + suggestion);
            }
        }

        public string Identifier(string what)
        {
            var token = Current;
            if (token.Kind != TokenKind.Identifier)
            {
                throw Error($"expected {what}, found {token.Describe()}", "names start with a letter or '_' and contain letters, digits and '_'");
            }

            Advance();
            return token.Text;
        }

        public string KeywordSuggestion(IEnumerable<string> keywords) =>
            Current.Kind == TokenKind.Identifier ? Suggest(Current.Text, keywords) : string.Empty;

        public CqlException Error(string problem, string hint) => new(Current.Position, problem, hint);
    }
}
