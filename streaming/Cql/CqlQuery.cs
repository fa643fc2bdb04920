using System.Collections.Immutable;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;

namespace BigDataTrading.Streaming.Cql;

/// <summary>
/// A compiled continuous query over trade events. Feed it with <see cref="OnTrade"/> (one thread at a time: a query is
/// not thread-safe; run one query instance per partition to scale out) and end the stream with <see cref="Complete"/>.
/// Output rows and late events go to the <see cref="ICqlSink"/> given at compile time, synchronously.
/// </summary>
public abstract class CqlQuery
{
    private protected CqlQuery(CreateQueryStatement statement, CreateStreamStatement stream, ImmutableArray<CqlColumn> columns, ICqlSink sink)
    {
        Statement = statement;
        Stream = stream;
        Columns = columns;
        Sink = sink;
        Row = new CqlRow(statement.Name, columns);
    }

    /// <summary>The query's name.</summary>
    public string Name => Statement.Name;

    /// <summary>The statement it was compiled from.</summary>
    public CreateQueryStatement Statement { get; }

    /// <summary>The stream it reads.</summary>
    public CreateStreamStatement Stream { get; }

    /// <summary>Output schema.</summary>
    public ImmutableArray<CqlColumn> Columns { get; }

    /// <summary>Target topic of <c>INTO</c>, or null.</summary>
    public string? IntoTopic => Statement.Select.Into;

    /// <summary>Target continuous view of <c>INTO VIEW</c>, or null.</summary>
    public string? IntoView => Statement.Select.IntoView;

    /// <summary>Events passed to <see cref="OnTrade"/>.</summary>
    public long EventsIn { get; private protected set; }

    /// <summary>Rows emitted.</summary>
    public long RowsOut { get; private protected set; }

    /// <summary>Events sent to the late side output.</summary>
    public long LateEvents { get; private protected set; }

    /// <summary>Current watermark (max event time seen − allowed lateness); <see cref="long.MinValue"/> ns before the first event, or for a stateless query.</summary>
    public virtual Timestamp Watermark => new(long.MinValue);

    /// <summary>Windows currently held in memory (0 for a stateless query).</summary>
    public virtual int OpenWindows => 0;

    private protected ICqlSink Sink { get; }

    private protected CqlRow Row { get; }

    /// <summary>Processes one event.</summary>
    public abstract void OnTrade(in TradeTick tick);

    /// <summary>End of stream: closes (and, for EMIT FINAL, emits) every open window.</summary>
    public virtual void Complete()
    {
    }
}

/// <summary>Filter + projection: one row per event that passes WHERE. Holds no state.</summary>
internal sealed class StatelessQuery : CqlQuery
{
    private readonly TickPredicate? _where;
    private readonly TickProjector _project;

    public StatelessQuery(CreateQueryStatement statement, CreateStreamStatement stream, ICqlSink sink)
        : this(statement, stream, sink, CqlCompiler.CompileStateless(statement.Select, stream))
    {
    }

    private StatelessQuery(CreateQueryStatement statement, CreateStreamStatement stream, ICqlSink sink, (TickPredicate? Where, TickProjector Project, ImmutableArray<CqlColumn> Columns) compiled)
        : base(statement, stream, compiled.Columns, sink)
    {
        _where = compiled.Where;
        _project = compiled.Project;
    }

    public override void OnTrade(in TradeTick tick)
    {
        EventsIn++;
        if (_where is not null && !_where(in tick))
        {
            return;
        }

        var row = Row;
        _project(in tick, row.Longs, row.Strings);
        row.Key = tick.Symbol.Value ?? string.Empty;
        RowsOut++;
        Sink.OnRow(row);
    }
}
