using System.Collections.Immutable;
using BigDataTrading.Core.MarketData;

namespace BigDataTrading.Streaming.Cql;

/// <summary>Compile-time options of a <see cref="CqlEngine"/>.</summary>
public sealed record CqlOptions
{
    /// <summary>Default options: no allowed lateness.</summary>
    public static CqlOptions Default { get; } = new();

    /// <summary>
    /// Allowed lateness (nanoseconds) of windowed queries that do not say <c>ALLOWED LATENESS</c> in their window; 0 means
    /// an event older than the newest one seen is late as soon as its window could have closed.
    /// </summary>
    public long AllowedLatenessNanos { get; init; }

    /// <summary>Folder that relative <c>CREATE TABLE ... FROM 'file.csv'</c> paths resolve against (the script's folder); null = the current directory.</summary>
    public string? BaseDirectory { get; init; }

    /// <summary>Default MAX PENDING of patterns: partial matches kept per key (the oldest is evicted beyond it).</summary>
    public int DefaultMaxPending { get; init; } = 16;

    /// <summary>
    /// How many due windows a windowed query closes (and emits) per incoming event; 0 = all at once. When the watermark
    /// crosses a minute, every symbol's window of that minute is due at once: closing a thousand of them inside one event
    /// stalls the feed for a millisecond and every event behind it waits. With a budget the closing is spread over the
    /// following events (<see cref="CqlEngine.CloseDueWindows"/> or the end of stream closes the rest), so rows come out
    /// a few events later but are never lost or changed: an event for a due window is late by the watermark either way.
    /// Range 0..1,000,000; default 4.
    /// </summary>
    public int WindowClosesPerEvent
    {
        get => _windowClosesPerEvent;
        init => _windowClosesPerEvent = value is >= 0 and <= 1_000_000 ? value : throw new ArgumentOutOfRangeException(nameof(WindowClosesPerEvent), value, "Use 0 (close every due window at once) to 1,000,000.");
    }

    private readonly int _windowClosesPerEvent = 4;

    /// <summary>
    /// The symbol → dense index table every query of one engine shares: the first query to see an event hashes its
    /// symbol, the others hit the table's last-key check, so an event costs one lookup, not one per query.
    /// </summary>
    internal KeyTable? SharedKeys { get; init; }
}

/// <summary>
/// A compiled CQL script: its streams, tables and queries. <see cref="OnTrade"/> feeds one trade to every query and
/// <see cref="OnQuote"/> one quote (every trade stream is a view of the trade input, every quote stream of the quote
/// input; binding streams to Kafka topics is the job of the host). Feed trades and quotes merged in event-time order
/// so that as-of joins see the quotes that precede each trade. Not thread-safe: feed it from one thread (one engine
/// per partition).
/// </summary>
public sealed class CqlEngine
{
    private readonly CqlQuery[] _queries;
    private readonly CqlQuery[] _tradeQueries;
    private readonly CqlQuery[] _quoteQueries;

    private CqlEngine(CqlScript script, ImmutableArray<CreateStreamStatement> streams, CqlQuery[] queries, CqlQuery[] tradeQueries, CqlQuery[] quoteQueries)
    {
        Script = script;
        Streams = streams;
        _queries = queries;
        _tradeQueries = tradeQueries;
        _quoteQueries = quoteQueries;
        Queries = [.. queries];
    }

    /// <summary>True when some query reads quotes (a quote stream or an as-of join), so the host should feed <see cref="OnQuote"/>.</summary>
    public bool ReadsQuotes => _quoteQueries.Length > 0;

    /// <summary>The parsed script.</summary>
    public CqlScript Script { get; }

    /// <summary>Declared streams.</summary>
    public ImmutableArray<CreateStreamStatement> Streams { get; }

    /// <summary>Compiled queries in script order.</summary>
    public ImmutableArray<CqlQuery> Queries { get; }

    /// <summary>A query by name (case-insensitive).</summary>
    /// <exception cref="KeyNotFoundException">No such query.</exception>
    public CqlQuery this[string name] =>
        Queries.FirstOrDefault(q => string.Equals(q.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new KeyNotFoundException($"No query '{name}'; queries: {string.Join(", ", Queries.Select(q => q.Name))}.");

    /// <summary>Parses and compiles a script.</summary>
    /// <exception cref="CqlException">The script is invalid; the error has line, column and a hint.</exception>
    public static CqlEngine Compile(string text, ICqlSink sink, CqlOptions? options = null) =>
        Compile(CqlParser.Parse(text), sink, options);

    /// <summary>Compiles a parsed script.</summary>
    /// <exception cref="CqlException">The script is invalid; the error has line, column and a hint.</exception>
    public static CqlEngine Compile(CqlScript script, ICqlSink sink, CqlOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(script);
        ArgumentNullException.ThrowIfNull(sink);
        options = (options ?? CqlOptions.Default) with { SharedKeys = new KeyTable() };
        var streams = new Dictionary<string, CreateStreamStatement>(StringComparer.OrdinalIgnoreCase);
        var tables = new Dictionary<string, CreateTableStatement>(StringComparer.OrdinalIgnoreCase);
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var queries = new List<CqlQuery>();
        var tradeQueries = new List<CqlQuery>();
        var quoteQueries = new List<CqlQuery>();
        foreach (var statement in script.Statements)
        {
            if (!names.Add(statement.Name))
            {
                throw new CqlException(statement.Position, $"'{statement.Name}' is defined twice", "give every stream and view its own name");
            }

            switch (statement)
            {
                case CreateStreamStatement stream:
                    CqlCompiler.ValidateStream(stream);
                    streams.Add(stream.Name, stream);
                    break;
                case CreateTableStatement table:
                    CqlTable.Load(table, options.BaseDirectory); // validate now: a bad file fails the script, not the first event
                    tables.Add(table.Name, table);
                    break;
                case CreateQueryStatement query:
                    var select = query.Select;
                    if (!streams.TryGetValue(select.From, out var source))
                    {
                        var isQuery = queries.Any(q => string.Equals(q.Name, select.From, StringComparison.OrdinalIgnoreCase));
                        throw new CqlException(select.FromPosition, $"unknown stream '{select.From}'",
                            isQuery ? "reading a view from another view is not supported yet; select from the stream"
                            : tables.ContainsKey(select.From) ? $"'{select.From}' is a table: select FROM a stream and JOIN the table"
                            : "declare it earlier with CREATE STREAM" + CqlParser.Suggest(select.From, streams.Keys));
                    }

                    var compiled = CqlQueryFactory.Create(query, source, streams, tables, sink, options);
                    queries.Add(compiled.Query);
                    if (compiled.ReadsTrades)
                    {
                        tradeQueries.Add(compiled.Query);
                    }

                    if (compiled.ReadsQuotes)
                    {
                        quoteQueries.Add(compiled.Query);
                    }

                    break;
                default:
                    throw new CqlException(statement.Position, $"unsupported statement {statement.Kind}", null);
            }
        }

        return new CqlEngine(script, [.. streams.Values], [.. queries], [.. tradeQueries], [.. quoteQueries]);
    }

    /// <summary>Feeds one trade to every query that reads trades, in script order.</summary>
    public void OnTrade(in TradeTick tick)
    {
        foreach (var query in _tradeQueries)
        {
            query.OnTrade(in tick);
        }
    }

    /// <summary>Feeds one quote to every query that reads quotes (quote streams and as-of joins), in script order.</summary>
    public void OnQuote(in QuoteTick quote)
    {
        foreach (var query in _quoteQueries)
        {
            query.OnQuote(in quote);
        }
    }

    /// <summary>
    /// Closes every window whose end the watermark has already passed but that <see cref="CqlOptions.WindowClosesPerEvent"/>
    /// left for later events; a host calls it when its input goes idle, so final rows do not wait for the next event.
    /// </summary>
    public void CloseDueWindows()
    {
        foreach (var query in _queries)
        {
            query.CloseDueWindows();
        }
    }

    /// <summary>End of stream: every query closes and emits its open windows.</summary>
    public void Complete()
    {
        foreach (var query in _queries)
        {
            query.Complete();
        }
    }

    /// <summary>
    /// Validates a script without running it: parses and compiles every statement. Returns one line per statement
    /// (<c>line:column KIND name ...</c>).
    /// </summary>
    /// <exception cref="CqlException">The first error, with line, column and a hint.</exception>
    public static IReadOnlyList<string> Check(string text, CqlOptions? options = null)
    {
        var engine = Compile(text, NullCqlSink.Instance, options);
        var lines = new List<string>();
        foreach (var statement in engine.Script.Statements)
        {
            var query = engine.Queries.FirstOrDefault(q => ReferenceEquals(q.Statement, statement));
            var detail = statement switch
            {
                CreateStreamStatement s => $"({string.Join(", ", s.Columns.Select(c => c.Name + " " + CqlCompiler.Name(c.Type)))}) of {CqlCompiler.KindOf(s).ToString().ToLowerInvariant()}" + (s.Property("topic") is { } topic ? $" topic '{topic}'" : string.Empty),
                CreateTableStatement t => $"({string.Join(", ", t.Columns.Select(c => c.Name + " " + CqlCompiler.Name(c.Type)))}) key {t.Property("key") ?? "symbol"}, " + (t.File is { } f ? $"from '{f}'" : $"{t.Rows.Length} rows inline"),
                CreateQueryStatement q when query is not null => Describe(q, query),
                _ => string.Empty,
            };
            lines.Add($"{statement.Position} {statement.Kind} {statement.Name} {detail}".TrimEnd());
        }

        return lines;
    }

    private static string Describe(CreateQueryStatement statement, CqlQuery query)
    {
        var select = statement.Select;
        var shape = select.Pattern is { } p
            ? $"pattern {(p.Every ? "every " : string.Empty)}{string.Join(" -> ", p.Steps.Select(s => (s.Absent ? "not " : string.Empty) + s.Name))} within {Duration(p.WithinNanos)} by symbol, lateness {Duration(query.LatenessNanos)}, max pending {((IPatternQuery)query).MaxPending}"
            : select.Window is { } w
            ? w.Kind switch
            {
                CqlWindowKind.Tumbling => $"tumbling {Duration(w.SizeNanos)}",
                CqlWindowKind.Hopping => $"hopping {Duration(w.SizeNanos)} every {Duration(w.AdvanceNanos)}",
                CqlWindowKind.Sliding => $"sliding {Duration(w.SizeNanos)}",
                _ => $"session gap {Duration(w.SizeNanos)}",
            } + (select.GroupBy.Length > 0 ? " by symbol" : string.Empty) + $", lateness {Duration(query.LatenessNanos)}, emit {(w.Kind == CqlWindowKind.Sliding ? "changes" : select.Emit.ToString().ToLowerInvariant())}"
            : "stateless";
        var joins = string.Concat(select.JoinList.Select(j => $" {(j.Left ? "left " : string.Empty)}{(j.Kind == CqlJoinKind.AsOf ? "asof " : string.Empty)}join {j.Source}" + (j.MaxStalenessNanos is { } st ? $" within {Duration(st)}" : string.Empty)));
        return $"from {select.From}{joins}: {shape} -> ({string.Join(", ", query.Columns.Select(c => c.Name + " " + CqlCompiler.Name(c.Type)))})"
            + (select.Into is { } into ? $" into '{into}'" : string.Empty)
            + (select.IntoView is { } view ? $" into view {view}" : string.Empty);
    }

    private static string Duration(long nanos) => nanos switch
    {
        0 => "0s",
        _ when nanos % 3_600_000_000_000 == 0 => $"{nanos / 3_600_000_000_000}h",
        _ when nanos % 60_000_000_000 == 0 => $"{nanos / 60_000_000_000}min",
        _ when nanos % 1_000_000_000 == 0 => $"{nanos / 1_000_000_000}s",
        _ when nanos % 1_000_000 == 0 => $"{nanos / 1_000_000}ms",
        _ => $"{nanos}ns",
    };
}
