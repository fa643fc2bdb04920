using System.Globalization;
using System.Text;

namespace BigDataTrading.Data.Tests;

internal sealed record HiveColumn(string Name, string Type);

internal sealed record HiveTable(string? Database, string Name, bool External, IReadOnlyList<HiveColumn> Columns, IReadOnlyList<HiveColumn> PartitionColumns, string? StoredAs, string? Location);

internal sealed record HivePartition(string Table, IReadOnlyList<(string Column, string Value)> Spec, string? Location);

internal sealed record HiveScript(IReadOnlyList<string> Databases, IReadOnlyList<HiveTable> Tables, IReadOnlyList<HivePartition> Partitions);

internal sealed class HiveQlSyntaxException(string message) : Exception(message);

/// <summary>
/// A checker for the subset of HiveQL DDL that <c>HiveDdl</c> emits, written from the Hive Language Manual (DDL):
/// <code>
/// script     := { statement ';' }           -- '--' comments to end of line
/// statement  := CREATE (DATABASE|SCHEMA) [IF NOT EXISTS] ident
///             | CREATE [EXTERNAL] TABLE [IF NOT EXISTS] name '(' col {',' col} ')' [COMMENT str]
///               [PARTITIONED BY '(' col {',' col} ')'] [STORED AS format] [LOCATION str]
///               [TBLPROPERTIES '(' str '=' str {',' str '=' str} ')']
///             | ALTER TABLE name ADD [IF NOT EXISTS] PARTITION spec [LOCATION str] { PARTITION spec [LOCATION str] }
/// col        := ident type [COMMENT str]
/// type       := TINYINT|SMALLINT|INT|INTEGER|BIGINT|BOOLEAN|FLOAT|DOUBLE [PRECISION]|STRING|BINARY|TIMESTAMP|DATE
///             | DECIMAL ['(' p [',' s] ')']  (1 ≤ p ≤ 38, 0 ≤ s ≤ p) | VARCHAR '(' n ')' | CHAR '(' n ')'
/// spec       := '(' ident '=' literal {',' ident '=' literal} ')'
/// name       := ident ['.' ident];  ident := `back-quoted` | [A-Za-z_][A-Za-z0-9_]* that is not a reserved word
/// </code>
/// plus the semantic rules Hive enforces on these statements: no repeated column, no partition column that is also
/// a data column, an ALTER only on a table created earlier in the script, with a spec naming exactly the table's
/// partition columns. It is a grammar check, not Hive: it cannot tell whether a metastore would accept the paths.
/// </summary>
internal static class HiveQlChecker
{
    // Hive 3 reserved keywords (hive.support.sql11.reserved.keywords=true): unquoted, they are not identifiers.
    private static readonly HashSet<string> s_reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "ALL", "ALTER", "AND", "ARRAY", "AS", "AUTHORIZATION", "BETWEEN", "BIGINT", "BINARY", "BOOLEAN", "BOTH", "BY", "CASE",
        "CAST", "CHAR", "COLUMN", "CONF", "CREATE", "CROSS", "CUBE", "CURRENT", "CURRENT_DATE", "CURRENT_TIMESTAMP", "CURSOR",
        "DATABASE", "DATE", "DECIMAL", "DELETE", "DESCRIBE", "DISTINCT", "DOUBLE", "DROP", "ELSE", "END", "EXCHANGE", "EXISTS",
        "EXTENDED", "EXTERNAL", "FALSE", "FETCH", "FLOAT", "FOLLOWING", "FOR", "FROM", "FULL", "FUNCTION", "GRANT", "GROUP",
        "GROUPING", "HAVING", "IF", "IMPORT", "IN", "INNER", "INSERT", "INT", "INTERSECT", "INTERVAL", "INTO", "IS", "JOIN",
        "LATERAL", "LEFT", "LESS", "LIKE", "LOCAL", "MACRO", "MAP", "MORE", "NONE", "NOT", "NULL", "OF", "ON", "OR", "ORDER",
        "OUT", "OUTER", "OVER", "PARTIALSCAN", "PARTITION", "PERCENT", "PRECEDING", "PRESERVE", "PROCEDURE", "RANGE", "READS",
        "REDUCE", "REVOKE", "RIGHT", "ROLLUP", "ROW", "ROWS", "SELECT", "SET", "SMALLINT", "TABLE", "TABLESAMPLE", "THEN",
        "TIMESTAMP", "TO", "TRANSFORM", "TRIGGER", "TRUE", "TRUNCATE", "UNBOUNDED", "UNION", "UNIQUEJOIN", "UPDATE", "USER",
        "USING", "UTC_TMESTAMP", "VALUES", "VARCHAR", "WHEN", "WHERE", "WINDOW", "WITH", "COMMIT", "ONLY", "REGEXP", "RLIKE",
        "ROLLBACK", "START", "CACHE", "CONSTRAINT", "FOREIGN", "PRIMARY", "REFERENCES", "DAYOFWEEK", "EXTRACT", "FLOOR",
        "INTEGER", "PRECISION", "VIEWS", "TIME", "NUMERIC", "SYNC",
    };

    private static readonly HashSet<string> s_formats = new(StringComparer.OrdinalIgnoreCase) { "SEQUENCEFILE", "TEXTFILE", "RCFILE", "ORC", "PARQUET", "AVRO", "JSONFILE" };

    private enum Kind { Word, Quoted, String, Number, Symbol, End }

    private readonly record struct Token(Kind Kind, string Text, int Line, int Column);

    public static HiveScript Parse(string text)
    {
        var parser = new Parser(Tokenize(text));
        return parser.Script();
    }

    private static List<Token> Tokenize(string s)
    {
        var tokens = new List<Token>();
        int i = 0, line = 1, lineStart = 0;
        while (i < s.Length)
        {
            var c = s[i];
            var col = i - lineStart + 1;
            if (c == '\n')
            {
                line++;
                lineStart = ++i;
            }
            else if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '-' && i + 1 < s.Length && s[i + 1] == '-')
            {
                while (i < s.Length && s[i] != '\n')
                {
                    i++;
                }
            }
            else if (char.IsAsciiLetter(c) || c == '_')
            {
                var start = i;
                while (i < s.Length && (char.IsAsciiLetterOrDigit(s[i]) || s[i] == '_'))
                {
                    i++;
                }

                tokens.Add(new Token(Kind.Word, s[start..i], line, col));
            }
            else if (char.IsAsciiDigit(c))
            {
                var start = i;
                while (i < s.Length && char.IsAsciiDigit(s[i]))
                {
                    i++;
                }

                tokens.Add(new Token(Kind.Number, s[start..i], line, col));
            }
            else if (c == '`')
            {
                var sb = new StringBuilder();
                i++;
                while (true)
                {
                    if (i >= s.Length)
                    {
                        throw new HiveQlSyntaxException($"{line}:{col}: unterminated back-quoted identifier");
                    }

                    if (s[i] == '`')
                    {
                        if (i + 1 < s.Length && s[i + 1] == '`')
                        {
                            sb.Append('`');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    sb.Append(s[i++]);
                }

                if (sb.Length == 0)
                {
                    throw new HiveQlSyntaxException($"{line}:{col}: empty identifier");
                }

                tokens.Add(new Token(Kind.Quoted, sb.ToString(), line, col));
            }
            else if (c is '\'' or '"')
            {
                var quote = c;
                var sb = new StringBuilder();
                i++;
                while (true)
                {
                    if (i >= s.Length || s[i] == '\n')
                    {
                        throw new HiveQlSyntaxException($"{line}:{col}: unterminated string literal");
                    }

                    if (s[i] == '\\' && i + 1 < s.Length)
                    {
                        sb.Append(s[i + 1]);
                        i += 2;
                        continue;
                    }

                    if (s[i] == quote)
                    {
                        i++;
                        break;
                    }

                    sb.Append(s[i++]);
                }

                tokens.Add(new Token(Kind.String, sb.ToString(), line, col));
            }
            else if (c is '(' or ')' or ',' or ';' or '.' or '=')
            {
                tokens.Add(new Token(Kind.Symbol, c.ToString(), line, col));
                i++;
            }
            else
            {
                throw new HiveQlSyntaxException($"{line}:{col}: unexpected character '{c}'");
            }
        }

        tokens.Add(new Token(Kind.End, "<end>", line, i - lineStart + 1));
        return tokens;
    }

    private sealed class Parser(List<Token> tokens)
    {
        private readonly List<string> _databases = [];
        private readonly List<HiveTable> _tables = [];
        private readonly List<HivePartition> _partitions = [];
        private int _pos;

        private Token Current => tokens[_pos];

        public HiveScript Script()
        {
            while (Current.Kind != Kind.End)
            {
                Statement();
                Expect(";");
            }

            return new HiveScript(_databases, _tables, _partitions);
        }

        private void Statement()
        {
            if (Accept("CREATE"))
            {
                if (Accept("DATABASE") || Accept("SCHEMA"))
                {
                    IfNotExists();
                    _databases.Add(Identifier());
                    return;
                }

                var external = Accept("EXTERNAL");
                Expect("TABLE");
                IfNotExists();
                CreateTable(external);
                return;
            }

            if (Accept("ALTER"))
            {
                Expect("TABLE");
                AlterAddPartitions();
                return;
            }

            throw Error("expected CREATE or ALTER");
        }

        private void CreateTable(bool external)
        {
            var (db, name) = TableName();
            if (_tables.Any(t => t.Database == db && string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase)))
            {
                throw Error($"table {name} is created twice");
            }

            var columns = ColumnList();
            if (Accept("COMMENT"))
            {
                StringLiteral();
            }

            var partitionColumns = new List<HiveColumn>();
            if (Accept("PARTITIONED"))
            {
                Expect("BY");
                partitionColumns = ColumnList();
                foreach (var p in partitionColumns)
                {
                    if (columns.Any(c => string.Equals(c.Name, p.Name, StringComparison.OrdinalIgnoreCase)))
                    {
                        throw Error($"column repeated in partitioning columns: {p.Name}");
                    }
                }
            }

            string? storedAs = null;
            if (Accept("STORED"))
            {
                Expect("AS");
                var format = Expect(Kind.Word);
                storedAs = s_formats.Contains(format.Text) ? format.Text.ToUpperInvariant() : throw Error($"unknown file format {format.Text}");
            }

            string? location = null;
            if (Accept("LOCATION"))
            {
                location = StringLiteral();
            }

            if (Accept("TBLPROPERTIES"))
            {
                Expect("(");
                do
                {
                    StringLiteral();
                    Expect("=");
                    StringLiteral();
                }
                while (Accept(","));
                Expect(")");
            }

            _tables.Add(new HiveTable(db, name, external, columns, partitionColumns, storedAs, location));
        }

        private void AlterAddPartitions()
        {
            var (db, name) = TableName();
            var table = _tables.FirstOrDefault(t => t.Database == db && string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase))
                ?? throw Error($"table {name} is not created earlier in the script");
            Expect("ADD");
            IfNotExists();
            var any = false;
            while (Accept("PARTITION"))
            {
                any = true;
                Expect("(");
                var spec = new List<(string, string)>();
                do
                {
                    var column = Identifier();
                    Expect("=");
                    var value = Current.Kind is Kind.String or Kind.Number ? tokens[_pos++].Text : throw Error("expected a literal partition value");
                    spec.Add((column, value));
                }
                while (Accept(","));
                Expect(")");
                var specColumns = spec.Select(s => s.Item1.ToUpperInvariant()).Order().ToList();
                var tableColumns = table.PartitionColumns.Select(c => c.Name.ToUpperInvariant()).Order().ToList();
                if (!specColumns.SequenceEqual(tableColumns))
                {
                    throw Error($"partition spec ({string.Join(", ", specColumns)}) does not name the partition columns of {name} ({string.Join(", ", tableColumns)})");
                }

                string? location = null;
                if (Accept("LOCATION"))
                {
                    location = StringLiteral();
                }

                _partitions.Add(new HivePartition(name, spec, location));
            }

            if (!any)
            {
                throw Error("expected PARTITION");
            }
        }

        private List<HiveColumn> ColumnList()
        {
            Expect("(");
            var columns = new List<HiveColumn>();
            do
            {
                var name = Identifier();
                if (columns.Any(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)))
                {
                    throw Error($"duplicate column name {name}");
                }

                columns.Add(new HiveColumn(name, Type()));
                if (Accept("COMMENT"))
                {
                    StringLiteral();
                }
            }
            while (Accept(","));
            Expect(")");
            return columns;
        }

        private string Type()
        {
            var word = Expect(Kind.Word).Text.ToUpperInvariant();
            switch (word)
            {
                case "TINYINT" or "SMALLINT" or "INT" or "INTEGER" or "BIGINT" or "BOOLEAN" or "FLOAT" or "STRING" or "BINARY" or "TIMESTAMP" or "DATE":
                    return word;
                case "DOUBLE":
                    return Accept("PRECISION") ? "DOUBLE" : word;
                case "DECIMAL":
                    if (!Accept("("))
                    {
                        return "DECIMAL(10,0)";
                    }

                    var p = Number();
                    var s = Accept(",") ? Number() : 0;
                    Expect(")");
                    return p is < 1 or > 38 || s < 0 || s > p
                        ? throw Error($"DECIMAL({p},{s}) is out of range (precision 1..38, scale 0..precision)")
                        : string.Create(CultureInfo.InvariantCulture, $"DECIMAL({p},{s})");
                case "VARCHAR" or "CHAR":
                    Expect("(");
                    var n = Number();
                    Expect(")");
                    return string.Create(CultureInfo.InvariantCulture, $"{word}({n})");
                default:
                    _pos--;
                    throw Error($"unknown type {word}");
            }
        }

        private (string? Database, string Name) TableName()
        {
            var first = Identifier();
            return Accept(".") ? (first, Identifier()) : (null, first);
        }

        private string Identifier()
        {
            var t = Current;
            if (t.Kind == Kind.Quoted)
            {
                _pos++;
                return t.Text;
            }

            if (t.Kind == Kind.Word && !s_reserved.Contains(t.Text))
            {
                _pos++;
                return t.Text;
            }

            throw Error(t.Kind == Kind.Word ? $"'{t.Text}' is a reserved word; back-quote it to use it as an identifier" : "expected an identifier");
        }

        private void IfNotExists()
        {
            if (Accept("IF"))
            {
                Expect("NOT");
                Expect("EXISTS");
            }
        }

        private string StringLiteral() => Expect(Kind.String).Text;

        private int Number() => int.Parse(Expect(Kind.Number).Text, CultureInfo.InvariantCulture);

        private bool Accept(string keywordOrSymbol)
        {
            var t = Current;
            if ((t.Kind == Kind.Word || t.Kind == Kind.Symbol) && string.Equals(t.Text, keywordOrSymbol, StringComparison.OrdinalIgnoreCase))
            {
                _pos++;
                return true;
            }

            return false;
        }

        private void Expect(string keywordOrSymbol)
        {
            if (!Accept(keywordOrSymbol))
            {
                throw Error($"expected {keywordOrSymbol}");
            }
        }

        private Token Expect(Kind kind)
        {
            var t = Current;
            if (t.Kind != kind)
            {
                throw Error($"expected {kind}");
            }

            _pos++;
            return t;
        }

        private HiveQlSyntaxException Error(string message) =>
            new($"{Current.Line}:{Current.Column}: {message} (at '{Current.Text}')");
    }
}
