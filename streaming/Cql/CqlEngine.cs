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
}

/// <summary>
/// A compiled CQL script: its streams and queries. <see cref="OnTrade"/> feeds one trade to every query (every
/// declared stream is a view of the trade input; binding streams to Kafka topics is the job of the host). Not
/// thread-safe: feed it from one thread (one engine per partition).
/// </summary>
public sealed class CqlEngine
{
    private readonly CqlQuery[] _queries;

    private CqlEngine(CqlScript script, ImmutableArray<CreateStreamStatement> streams, CqlQuery[] queries)
    {
        Script = script;
        Streams = streams;
        _queries = queries;
        Queries = [.. queries];
    }

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
        options ??= CqlOptions.Default;
        var streams = new Dictionary<string, CreateStreamStatement>(StringComparer.OrdinalIgnoreCase);
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var queries = new List<CqlQuery>();
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
                case CreateQueryStatement query:
                    var select = query.Select;
                    if (!streams.TryGetValue(select.From, out var source))
                    {
                        var isQuery = queries.Any(q => string.Equals(q.Name, select.From, StringComparison.OrdinalIgnoreCase));
                        throw new CqlException(select.FromPosition, $"unknown stream '{select.From}'",
                            isQuery ? "reading a view from another view is not supported yet; select from the stream" : "declare it earlier with CREATE STREAM" + CqlParser.Suggest(select.From, streams.Keys));
                    }

                    queries.Add(CqlCompiler.IsAggregateQuery(select)
                        ? new WindowedAggregateQuery(query, source, sink, options.AllowedLatenessNanos)
                        : new StatelessQuery(query, source, sink));
                    break;
                default:
                    throw new CqlException(statement.Position, $"unsupported statement {statement.Kind}", null);
            }
        }

        return new CqlEngine(script, [.. streams.Values], [.. queries]);
    }

    /// <summary>Feeds one trade to every query, in script order.</summary>
    public void OnTrade(in TradeTick tick)
    {
        foreach (var query in _queries)
        {
            query.OnTrade(in tick);
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
    public static IReadOnlyList<string> Check(string text)
    {
        var engine = Compile(text, NullCqlSink.Instance);
        var lines = new List<string>();
        foreach (var statement in engine.Script.Statements)
        {
            var query = engine.Queries.FirstOrDefault(q => ReferenceEquals(q.Statement, statement));
            var detail = statement switch
            {
                CreateStreamStatement s => $"({string.Join(", ", s.Columns.Select(c => c.Name + " " + CqlCompiler.Name(c.Type)))})" + (s.Property("topic") is { } topic ? $" topic '{topic}'" : string.Empty),
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
        var shape = select.Window is { } w
            ? w.Kind switch
            {
                CqlWindowKind.Tumbling => $"tumbling {Duration(w.SizeNanos)}",
                CqlWindowKind.Hopping => $"hopping {Duration(w.SizeNanos)} every {Duration(w.AdvanceNanos)}",
                _ => $"session gap {Duration(w.SizeNanos)}",
            } + (select.GroupBy.Length > 0 ? " by symbol" : string.Empty) + $", lateness {Duration(((WindowedAggregateQuery)query).AllowedLatenessNanos)}, emit {select.Emit.ToString().ToLowerInvariant()}"
            : "stateless";
        return $"from {select.From}: {shape} -> ({string.Join(", ", query.Columns.Select(c => c.Name + " " + CqlCompiler.Name(c.Type)))})"
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
