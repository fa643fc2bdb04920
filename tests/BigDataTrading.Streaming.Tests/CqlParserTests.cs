using BigDataTrading.Streaming.Cql;

namespace BigDataTrading.Streaming.Tests;

public sealed class CqlParserTests
{
    [Fact]
    public void Parses_a_stream_and_a_view_with_every_clause()
    {
        var script = CqlParser.Parse("""
            -- trades from Kafka
            CREATE STREAM trades (symbol STRING, time TIMESTAMP, price PRICE, size BIGINT)
              WITH (topic='md.ticks', key='symbol', timestamp='time');
            /* 1-minute bars */
            create continuous view bars_1m as
              select symbol, first(price) as open, max(price) high, count(*) AS trades
              from trades
              where size >= 100 and not (price < 1.5 or symbol = 'X''Y')
              group by symbol, window tumbling(1 minute, allowed lateness 5 seconds)
              having count(*) > 2
              emit changes
              into 'md.bars.1m';
            """);

        Assert.Equal(2, script.Statements.Length);
        var stream = Assert.IsType<CreateStreamStatement>(script.Statements[0]);
        Assert.Equal("trades", stream.Name);
        Assert.Equal([CqlType.String, CqlType.Timestamp, CqlType.Price, CqlType.BigInt], stream.Columns.Select(c => c.Type));
        Assert.Equal("md.ticks", stream.Property("topic"));
        Assert.Equal(new CqlPosition(2, 1), stream.Position);

        var view = Assert.IsType<CreateQueryStatement>(script.Statements[1]);
        Assert.True(view.IsView);
        Assert.Equal(new CqlPosition(5, 1), view.Position);
        var select = view.Select;
        Assert.Equal(["open", "high", "trades"], select.Items.Skip(1).Select(i => i.Alias));
        Assert.Equal(new CqlWindow(CqlWindowKind.Tumbling, 60_000_000_000, 60_000_000_000, 5_000_000_000, new CqlPosition(9, 20)), select.Window);
        Assert.Single(select.GroupBy);
        Assert.Equal(CqlEmitMode.Changes, select.Emit);
        Assert.Equal("md.bars.1m", select.Into);
        var where = Assert.IsType<CqlBinary>(select.Where);
        Assert.Equal(CqlBinaryOp.And, where.Op);
        var not = Assert.IsType<CqlUnary>(where.Right);
        var or = Assert.IsType<CqlBinary>(not.Operand);
        Assert.Equal(CqlBinaryOp.Or, or.Op);
        Assert.Equal("X'Y", Assert.IsType<CqlLiteral>(Assert.IsType<CqlBinary>(or.Right).Right).Value);
        Assert.Equal(1.5m, Assert.IsType<CqlLiteral>(Assert.IsType<CqlBinary>(or.Left).Right).Value);
    }

    [Theory]
    [InlineData("WINDOW TUMBLING(SIZE 30 SECONDS)", CqlWindowKind.Tumbling, 30_000_000_000L, 30_000_000_000L)]
    [InlineData("WINDOW HOPPING(SIZE 5 MINUTES, ADVANCE 1 MINUTE)", CqlWindowKind.Hopping, 300_000_000_000L, 60_000_000_000L)]
    [InlineData("WINDOW HOPPING(SIZE 1 HOUR, ADVANCE BY 250 MILLISECONDS)", CqlWindowKind.Hopping, 3_600_000_000_000L, 250_000_000L)]
    [InlineData("WINDOW SESSION(GAP 30 SECONDS)", CqlWindowKind.Session, 30_000_000_000L, 0L)]
    [InlineData("WINDOW SESSION(1 DAY)", CqlWindowKind.Session, 86_400_000_000_000L, 0L)]
    public void Parses_window_forms(string window, CqlWindowKind kind, long size, long advance)
    {
        // ksqlDB order (WINDOW before GROUP BY) and the GROUP BY item form both parse.
        foreach (var text in new[]
        {
            $"CREATE QUERY q AS SELECT count(*) FROM trades {window} GROUP BY symbol",
            $"CREATE QUERY q AS SELECT count(*) FROM trades GROUP BY symbol, {window}",
        })
        {
            var select = ((CreateQueryStatement)CqlParser.Parse(text).Statements[0]).Select;
            Assert.Equal(kind, select.Window!.Kind);
            Assert.Equal(size, select.Window.SizeNanos);
            Assert.Equal(advance, select.Window.AdvanceNanos);
            Assert.Null(select.Window.AllowedLatenessNanos);
        }
    }

    [Fact]
    public void Arithmetic_binds_tighter_than_comparison_and_multiplication_tighter_than_addition()
    {
        var select = ((CreateQueryStatement)CqlParser.Parse("CREATE QUERY q AS SELECT * FROM t WHERE a + b * -c >= 2 OR d = 1 AND e = 2").Statements[0]).Select;
        var or = Assert.IsType<CqlBinary>(select.Where);
        Assert.Equal(CqlBinaryOp.Or, or.Op);
        Assert.Equal(CqlBinaryOp.And, Assert.IsType<CqlBinary>(or.Right).Op);
        var ge = Assert.IsType<CqlBinary>(or.Left);
        var add = Assert.IsType<CqlBinary>(ge.Left);
        Assert.Equal(CqlBinaryOp.Add, add.Op);
        var mul = Assert.IsType<CqlBinary>(add.Right);
        Assert.Equal(CqlBinaryOp.Multiply, mul.Op);
        Assert.Equal(CqlUnaryOp.Negate, Assert.IsType<CqlUnary>(mul.Right).Op);
    }

    // Malformed queries: the error names line and column of the offending token and a hint.
    [Theory]
    [InlineData("CREATE VIEW v AS SELECT count(*) FORM trades", 1, 34, "did you mean FROM?")]
    [InlineData("CREATE VEIW v AS SELECT 1 FROM trades", 1, 8, "did you mean VIEW?")]
    [InlineData("CREATE VIEW v AS\n  SELECT count(*\n  FROM trades", 3, 3, "')'")]
    [InlineData("CREATE VIEW v AS SELECT price FROM trades WHERE symbol = 'SPY", 1, 58, "close it with '")]
    [InlineData("CREATE VIEW v AS SELECT count(*) FROM trades\nWINDOW TUMBLING(1 MINUT)", 2, 19, "did you mean MINUTES?")]
    [InlineData("CREATE VIEW v AS SELECT count(*) FROM trades WINDOW ROLLING(1 MINUTE)", 1, 53, "TUMBLING")]
    [InlineData("CREATE VIEW v AS SELECT count(*) FROM trades WINDOW HOPPING(SIZE 1 MINUTE, ADVANCE 5 MINUTES)", 1, 76, "ADVANCE <= SIZE")]
    [InlineData("CREATE VIEW v AS SELECT count(*) FROM trades WINDOW TUMBLING(0 SECONDS)", 1, 62, "positive duration")]
    [InlineData("CREATE VIEW v AS SELECT count(*) FROM trades EMIT SOMETIMES", 1, 51, "EMIT FINAL")]
    [InlineData("CREATE VIEW v AS SELECT count(*) FROM trades HAVING count(*) > 1 WHERE size > 1", 1, 66, "clauses go in the order")]
    [InlineData("CREATE STREAM s (price MONEY)", 1, 24, "PRICE")]
    [InlineData("CREATE VIEW v AS SELECT price FROM trades WHERE price > 1 # 2", 1, 59, "single quotes")]
    [InlineData("CREATE VIEW v AS SELECT price FROM trades WHERE", 1, 48, "an expression is")]
    [InlineData("CREATE VIEW v AS SELECT price FROM trades; DROP VIEW v", 1, 44, "CREATE")]
    [InlineData("CREATE VIEW v AS SELECT count(*) FILTER WHERE size > 1 FROM trades", 1, 41, "FILTER (WHERE condition)")]
    [InlineData("CREATE VIEW v AS SELECT price FROM trades WHERE size & 0x8000000000000000 = 0", 1, 56, "0x7FFFFFFFFFFFFFFF")]
    [InlineData("CREATE VIEW v AS SELECT CASE WHEN size > 1 THEN price END FROM trades", 1, 55, "needs an ELSE")]
    public void Syntax_errors_have_line_column_and_hint(string text, int line, int column, string hint)
    {
        var e = Assert.Throws<CqlException>(() => CqlParser.Parse(text));
        Assert.Equal(new CqlPosition(line, column), e.Position);
        Assert.Contains(hint, e.Hint, StringComparison.Ordinal);
        Assert.StartsWith($"{line}:{column}: ", e.Message, StringComparison.Ordinal);
    }

    // Semantic errors come from compilation, with the same position and hint discipline.
    [Theory]
    [InlineData("CREATE VIEW v AS SELECT prise FROM trades", 2, 25, "did you mean price?")]
    [InlineData("CREATE VIEW v AS SELECT price FROM trade", 2, 36, "did you mean trades?")]
    [InlineData("CREATE VIEW v AS SELECT symbol FROM trades WHERE count(*) > 2", 2, 50, "HAVING")]
    [InlineData("CREATE VIEW v AS SELECT vwapp(price, size) FROM trades WINDOW TUMBLING(1 MINUTE)", 2, 25, "did you mean vwap?")]
    [InlineData("CREATE VIEW v AS SELECT symbol, count(*) FROM trades GROUP BY symbol", 2, 63, "WINDOW TUMBLING")]
    [InlineData("CREATE VIEW v AS SELECT symbol, price, count(*) FROM trades WINDOW TUMBLING(1 MINUTE) GROUP BY symbol", 2, 33, "last(price)")]
    [InlineData("CREATE VIEW v AS SELECT symbol, count(*) FROM trades WINDOW TUMBLING(1 MINUTE)", 2, 25, "GROUP BY symbol")]
    [InlineData("CREATE VIEW v AS SELECT count(*) FROM trades WINDOW TUMBLING(1 MINUTE) GROUP BY exchange", 2, 81, "GROUP BY symbol")]
    [InlineData("CREATE VIEW v AS SELECT symbol FROM trades WHERE symbol > 3", 2, 57, "symbol = 'SPY'")]
    [InlineData("CREATE VIEW v AS SELECT symbol FROM trades WHERE size", 2, 50, "WHERE size >= 100")]
    [InlineData("CREATE VIEW v AS SELECT vwap(size, price) FROM trades WINDOW TUMBLING(1 MINUTE)", 2, 25, "vwap(price, size)")]
    [InlineData("CREATE VIEW v AS SELECT sum(symbol) FROM trades WINDOW TUMBLING(1 MINUTE)", 2, 29, "BIGINT, PRICE or DOUBLE")]
    [InlineData("CREATE VIEW v AS SELECT price AS x, size AS x FROM trades", 2, 37, "AS")]
    [InlineData("CREATE VIEW v AS SELECT price FROM trades HAVING price > 1", 2, 56, "WHERE")]
    [InlineData("CREATE VIEW trades AS SELECT price FROM trades", 2, 1, "own name")]
    [InlineData("CREATE VIEW v AS SELECT count(*) FILTER (WHERE size) FROM trades WINDOW TUMBLING(1 MINUTE)", 2, 48, "FILTER (WHERE price_eligible)")]
    [InlineData("CREATE VIEW v AS SELECT symbol FROM trades WHERE price & 1 = 0", 2, 56, "conditions & 0x20")]
    [InlineData("CREATE VIEW v AS SELECT CASE WHEN size THEN price ELSE 0 END FROM trades", 2, 35, "CASE WHEN count(*) > 0")]
    [InlineData("CREATE VIEW v AS SELECT CASE WHEN size > 1 THEN symbol ELSE 0 END FROM trades", 2, 25, "same type")]
    public void Semantic_errors_have_line_column_and_hint(string query, int line, int column, string hint)
    {
        var e = Assert.Throws<CqlException>(() => CqlEngine.Compile(CqlTestKit.TradesStream + query, NullCqlSink.Instance));
        Assert.Equal(new CqlPosition(line, column), e.Position);
        Assert.Contains(hint, e.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Stream_declarations_are_checked_against_the_trade_event()
    {
        var e = Assert.Throws<CqlException>(() => CqlEngine.Compile("CREATE STREAM s (symbol STRING, price DOUBLE)", NullCqlSink.Instance));
        Assert.Equal(new CqlPosition(1, 33), e.Position);
        Assert.Contains("price PRICE", e.Hint, StringComparison.Ordinal);

        e = Assert.Throws<CqlException>(() => CqlEngine.Compile("CREATE STREAM s (symbol STRING) WITH (topic='t', kee='symbol')", NullCqlSink.Instance));
        Assert.Equal(new CqlPosition(1, 50), e.Position);
        Assert.Contains("did you mean key?", e.Hint, StringComparison.Ordinal);
    }
}
