using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;

namespace BigDataTrading.Streaming.Cql;

/// <summary>
/// A compiled continuous query over trade and/or quote events. Feed it with <see cref="OnTrade"/> and
/// <see cref="OnQuote"/> (one thread at a time: a query is not thread-safe; run one query instance per partition to
/// scale out) and end the stream with <see cref="Complete"/>. A query ignores the event kind it does not read.
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

    /// <summary>Events an inner join dropped because their quote or reference row was missing (or too stale).</summary>
    public long Unmatched { get; private protected set; }

    /// <summary>Pattern queries: partial matches evicted because their key reached its MAX PENDING bound.</summary>
    public long Evicted { get; private protected set; }

    /// <summary>Current watermark (max event time seen − allowed lateness); <see cref="long.MinValue"/> ns before the first event, or for a stateless query.</summary>
    public virtual Timestamp Watermark => new(long.MinValue);

    /// <summary>Windows currently held in memory (0 for a stateless query).</summary>
    public virtual int OpenWindows => 0;

    private protected ICqlSink Sink { get; }

    private protected CqlRow Row { get; }

    /// <summary>Pattern queries: partial matches currently pending (0 for other queries).</summary>
    public virtual int PendingMatches => 0;

    /// <summary>Allowed lateness (ns) a stateful query judges events by; 0 for a stateless query.</summary>
    internal virtual long LatenessNanos => 0;

    /// <summary>Processes one trade (ignored by a query over quotes).</summary>
    public abstract void OnTrade(in TradeTick tick);

    /// <summary>Processes one quote (ignored by a query over trades that does not join quotes).</summary>
    public virtual void OnQuote(in QuoteTick quote)
    {
    }

    /// <summary>End of stream: closes (and, for EMIT FINAL, emits) every open window.</summary>
    public virtual void Complete()
    {
    }

    /// <summary>Closes every window the watermark has passed that a per-event closing budget left open (see <see cref="CqlOptions.WindowClosesPerEvent"/>).</summary>
    public virtual void CloseDueWindows()
    {
    }
}

/// <summary>
/// A query over events of type <typeparamref name="T"/> (a trade, a quote, or one of them enriched by joins): adapts the
/// engine's trade and quote calls to <see cref="Process"/>, doing the joins on the way.
/// </summary>
internal abstract class EventQuery<T> : CqlQuery
    where T : struct
{
    private readonly JoinPlan? _join;

    private protected EventQuery(CreateQueryStatement statement, CreateStreamStatement stream, ImmutableArray<CqlColumn> columns, ICqlSink sink, JoinPlan? join)
        : base(statement, stream, columns, sink)
    {
        _join = join;
    }

    /// <summary>The query's joins (for restoring joined events' reference rows), or null.</summary>
    private protected JoinPlan? Join => _join;

    /// <summary>
    /// Writes the state every query kind shares: its counters and, with an as-of join, the latest quote per symbol.
    /// Checkpoint time only.
    /// </summary>
    private protected void WriteCommonSnapshot(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(EventsIn);
        writer.Write(RowsOut);
        writer.Write(LateEvents);
        writer.Write(Unmatched);
        writer.Write(Evicted);
        writer.Write(_join?.Quotes is not null);
        _join?.Quotes?.WriteSnapshot(writer);
    }

    /// <summary>Restores what <see cref="WriteCommonSnapshot"/> wrote into a query that has not seen an event yet.</summary>
    /// <exception cref="InvalidOperationException">The query already has state.</exception>
    /// <exception cref="InvalidDataException">The snapshot's join state does not match the query's joins.</exception>
    private protected void RestoreCommonSnapshot(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (EventsIn != 0)
        {
            throw new InvalidOperationException($"Query '{Name}' already has state; restore a snapshot into a freshly compiled query.");
        }

        EventsIn = reader.ReadInt64();
        RowsOut = reader.ReadInt64();
        LateEvents = reader.ReadInt64();
        Unmatched = reader.ReadInt64();
        Evicted = reader.ReadInt64();
        if (reader.ReadBoolean() != (_join?.Quotes is not null))
        {
            throw new InvalidDataException($"The snapshot of '{Name}' does not match the query's as-of join: the query changed since it was taken.");
        }

        _join?.Quotes?.RestoreSnapshot(reader);
    }

    public sealed override void OnTrade(in TradeTick tick)
    {
        if (typeof(T) == typeof(TradeTick))
        {
            Process(in Unsafe.As<TradeTick, T>(ref Unsafe.AsRef(in tick)));
        }
        else if (typeof(T) == typeof(Joined<TradeTick>))
        {
            if (_join!.TryJoin(in tick, tick.Symbol.Value, tick.Time.UnixNanoseconds, out var joined))
            {
                Process(in Unsafe.As<Joined<TradeTick>, T>(ref joined));
            }
            else
            {
                EventsIn++;
                Unmatched++;
            }
        }
    }

    public sealed override void OnQuote(in QuoteTick quote)
    {
        _join?.Quotes?.Update(in quote);
        if (typeof(T) == typeof(QuoteTick))
        {
            Process(in Unsafe.As<QuoteTick, T>(ref Unsafe.AsRef(in quote)));
        }
        else if (typeof(T) == typeof(Joined<QuoteTick>))
        {
            if (_join!.TryJoin(in quote, quote.Symbol.Value, quote.Time.UnixNanoseconds, out var joined))
            {
                Process(in Unsafe.As<Joined<QuoteTick>, T>(ref joined));
            }
            else
            {
                EventsIn++;
                Unmatched++;
            }
        }
    }

    /// <summary>Processes one (joined) event of the query's input.</summary>
    private protected abstract void Process(in T e);
}

/// <summary>Filter + projection: one row per event that passes WHERE. Holds no state.</summary>
internal sealed class StatelessQuery<T> : EventQuery<T>, ICqlSnapshotable
    where T : struct
{
    private readonly EventPredicate<T>? _where;
    private readonly EventProjector<T> _project;

    public StatelessQuery(CreateQueryStatement statement, CreateStreamStatement stream, ICqlSink sink, CqlFrame frame, JoinPlan? join)
        : this(statement, stream, sink, CqlCompiler.CompileStateless<T>(statement.Select, frame), join)
    {
    }

    private StatelessQuery(CreateQueryStatement statement, CreateStreamStatement stream, ICqlSink sink, (EventPredicate<T>? Where, EventProjector<T> Project, ImmutableArray<CqlColumn> Columns) compiled, JoinPlan? join)
        : base(statement, stream, compiled.Columns, sink, join)
    {
        _where = compiled.Where;
        _project = compiled.Project;
    }

    /// <summary>The counters are its state, plus the latest quotes when it joins quotes as of.</summary>
    public bool CanSnapshot => true;

    public void WriteSnapshot(BinaryWriter writer) => WriteCommonSnapshot(writer);

    public void RestoreSnapshot(BinaryReader reader) => RestoreCommonSnapshot(reader);

    private protected override void Process(in T e)
    {
        EventsIn++;
        if (_where is not null && !_where(in e))
        {
            return;
        }

        var row = Row;
        _project(in e, row.Longs, row.Strings);
        row.Key = EventAccess.Key(in e);
        RowsOut++;
        Sink.OnRow(row);
    }
}
