using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;

namespace BigDataTrading.Streaming.Cql;

/// <summary>
/// A windowed, optionally grouped (by symbol) aggregate in event time.
/// </summary>
/// <remarks>
/// <para><b>Time.</b> watermark = max event time seen − allowed lateness. An event whose time is behind the watermark
/// is late: it goes to <see cref="ICqlSink.OnLate"/> (if it passes WHERE) and changes nothing. Every other event is
/// applied, even out of order. A tumbling/hopping window [start, end) closes when the watermark reaches its end; a
/// session closes when the watermark reaches its last event + gap. That one rule means an accepted event always finds
/// its windows still open, and a closed window never changes again.</para>
/// <para><b>State</b> is flat arrays of window slots (per slot: count, earliest and latest event time, then each
/// aggregate's longs, doubles and 128-bit sums), one list of open slots per key, and a queue of slots by close time.
/// Closing frees the slot for reuse. Memory is bounded by keys × open windows per key, where open windows per key ≤
/// ⌈(size + lateness) / advance⌉ + 1 for tumbling (advance = size) and hopping windows, and for sessions ≤ the number
/// of gaps in any span of (lateness + gap); plus one small entry per distinct key ever seen. Steady state (no new
/// keys, no growth past the peak number of open windows) allocates nothing per event.</para>
/// </remarks>
internal sealed partial class WindowedAggregateQuery : CqlQuery
{
    private readonly TickPredicate? _where;
    private readonly AggregateUpdater _update;
    private readonly GroupProjector _project;
    private readonly CqlWindowKind _kind;
    private readonly long _size;
    private readonly long _advance;
    private readonly long _lateness;
    private readonly bool _emitChanges;
    private readonly bool _groupByKey;
    private readonly ImmutableArray<AggregateSlot> _aggregates;
    private readonly long[] _initialLongs;
    private readonly double[] _initialDoubles;
    private readonly int _nl;
    private readonly int _nd;
    private readonly int _nw;
    private readonly KeyTable _keys = new();
    private readonly PriorityQueue<long, (long End, long Seq)> _closing = new();

    private long[] _l = [];
    private double[] _d = [];
    private Int128[] _w = [];
    private long[] _start = [];
    private long[] _end = [];
    private int[] _keyOf = [];
    private int[] _next = [];
    private int[] _gen = [];
    private int[] _head = [];
    private int _free = -1;
    private int _open;
    private long _seq;
    private long _maxTime = long.MinValue;
    private long _watermark = long.MinValue;

    public WindowedAggregateQuery(CreateQueryStatement statement, CreateStreamStatement stream, ICqlSink sink, long defaultLatenessNanos)
        : this(statement, stream, sink, CqlCompiler.CompileAggregate(statement.Select, stream, defaultLatenessNanos))
    {
    }

    private WindowedAggregateQuery(CreateQueryStatement statement, CreateStreamStatement stream, ICqlSink sink, (AggregatePlan Plan, ImmutableArray<CqlColumn> Columns) compiled)
        : base(statement, stream, compiled.Columns, sink)
    {
        var plan = compiled.Plan;
        _where = plan.Where;
        _update = plan.Update;
        _project = plan.Project;
        _kind = plan.Window.Kind;
        _size = plan.Window.SizeNanos;
        _advance = plan.Window.AdvanceNanos;
        _lateness = plan.AllowedLatenessNanos;
        _emitChanges = plan.Emit == CqlEmitMode.Changes;
        _groupByKey = plan.GroupByKey;
        _aggregates = plan.Aggregates;
        _initialLongs = plan.InitialLongs;
        _initialDoubles = plan.InitialDoubles;
        _nl = plan.InitialLongs.Length;
        _nd = plan.InitialDoubles.Length;
        _nw = plan.WideCount;
        if (!_groupByKey)
        {
            _keys.GetOrAdd(string.Empty);
        }

        Grow(16);
    }

    /// <summary>Allowed lateness in nanoseconds.</summary>
    public long AllowedLatenessNanos => _lateness;

    public override Timestamp Watermark => new(_watermark);

    public override int OpenWindows => _open;

    public override void OnTrade(in TradeTick tick)
    {
        EventsIn++;
        var time = tick.Time.UnixNanoseconds;
        if (time < _watermark)
        {
            if (_where is null || _where(in tick))
            {
                LateEvents++;
                Sink.OnLate(new CqlLateEvent(Name, tick, new Timestamp(_watermark), _lateness, CqlLateReason.BehindWatermark));
            }

            return;
        }

        // Every event, filtered or not, is progress of the input: advance the watermark before WHERE.
        if (time > _maxTime)
        {
            _maxTime = time;
            var watermark = time - _lateness;
            if (watermark > _watermark)
            {
                _watermark = watermark;
                if (_closing.TryPeek(out _, out var next) && next.End <= watermark)
                {
                    CloseUpTo(watermark);
                }
            }
        }

        if (_where is not null && !_where(in tick))
        {
            return;
        }

        var key = _groupByKey ? _keys.GetOrAdd(tick.Symbol.Value ?? string.Empty) : 0;
        if (key >= _head.Length)
        {
            GrowKeys();
        }

        switch (_kind)
        {
            case CqlWindowKind.Tumbling:
                {
                    var start = Floor(time, _size);
                    var slot = Find(key, start);
                    if (slot < 0)
                    {
                        slot = Open(key, start, start + _size);
                    }

                    Apply(in tick, slot);
                    break;
                }

            case CqlWindowKind.Hopping:
                for (var start = Floor(time, _advance); start > time - _size; start -= _advance)
                {
                    var slot = Find(key, start);
                    if (slot < 0)
                    {
                        slot = Open(key, start, start + _size);
                    }

                    Apply(in tick, slot);
                }

                break;
            default:
                ApplySession(in tick, key, time);
                break;
        }
    }

    public override void Complete() => CloseUpTo(long.MaxValue);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Floor(long time, long period)
    {
        var r = time % period;
        return time - (r < 0 ? r + period : r);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Find(int key, long start)
    {
        for (var s = _head[key]; s >= 0; s = _next[s])
        {
            if (_start[s] == start)
            {
                return s;
            }
        }

        return -1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Apply(in TradeTick tick, int slot)
    {
        _update(in tick, _l, _d, _w, slot * _nl, slot * _nd, slot * _nw);
        if (_emitChanges)
        {
            Emit(slot, final: false);
        }
    }

    private void ApplySession(in TradeTick tick, int key, long time)
    {
        var target = -1;
        for (var s = _head[key]; s >= 0;)
        {
            var next = _next[s];
            var lo = _l[(s * _nl) + CqlCompiler.MinTimeOffset];
            var hi = _l[(s * _nl) + CqlCompiler.MaxTimeOffset];
            if (time > lo - _size && time < hi + _size)
            {
                if (target < 0)
                {
                    target = s;
                }
                else
                {
                    // The event bridges two sessions: they become one.
                    Merge(target, s);
                    Free(s);
                }
            }

            s = next;
        }

        if (target < 0)
        {
            target = Open(key, time, time + _size);
        }

        _update(in tick, _l, _d, _w, target * _nl, target * _nd, target * _nw);

        // A session closes at its last event + gap; the queue entry is corrected lazily when it comes due.
        _end[target] = _l[(target * _nl) + CqlCompiler.MaxTimeOffset] + _size;
        if (_emitChanges)
        {
            Emit(target, final: false);
        }
    }

    private void CloseUpTo(long watermark)
    {
        while (_closing.TryPeek(out var packed, out var due) && due.End <= watermark)
        {
            _closing.Dequeue();
            var slot = (int)(packed & 0xFFFF_FFFF);
            if (_gen[slot] != (int)(packed >>> 32))
            {
                continue; // merged into another session and freed since it was queued
            }

            if (_end[slot] > watermark)
            {
                _closing.Enqueue(packed, (_end[slot], _seq++));
                continue;
            }

            if (!_emitChanges)
            {
                Emit(slot, final: true);
            }

            Free(slot);
        }
    }

    private void Emit(int slot, bool final)
    {
        var lb = slot * _nl;
        long start, end;
        if (_kind == CqlWindowKind.Session)
        {
            start = _l[lb + CqlCompiler.MinTimeOffset];
            end = _l[lb + CqlCompiler.MaxTimeOffset];
        }
        else
        {
            start = _start[slot];
            end = _end[slot];
        }

        var key = _keys.Keys[_keyOf[slot]];
        var row = Row;
        if (_project(_l, _d, _w, lb, slot * _nd, slot * _nw, key, start, end, row.Longs, row.Strings))
        {
            row.Key = key;
            row.WindowStart = new Timestamp(start);
            row.WindowEnd = new Timestamp(end);
            row.IsFinal = final;
            RowsOut++;
            Sink.OnRow(row);
        }
    }

    private int Open(int key, long start, long end)
    {
        if (_free < 0)
        {
            Grow(_start.Length * 2);
        }

        var slot = _free;
        _free = _next[slot];
        _initialLongs.AsSpan().CopyTo(_l.AsSpan(slot * _nl, _nl));
        _initialDoubles.AsSpan().CopyTo(_d.AsSpan(slot * _nd, _nd));
        _w.AsSpan(slot * _nw, _nw).Clear();
        _start[slot] = start;
        _end[slot] = end;
        _keyOf[slot] = key;
        _next[slot] = _head[key];
        _head[key] = slot;
        _open++;
        _closing.Enqueue((uint)slot | ((long)_gen[slot] << 32), (end, _seq++));
        return slot;
    }

    private void Free(int slot)
    {
        var key = _keyOf[slot];
        if (_head[key] == slot)
        {
            _head[key] = _next[slot];
        }
        else
        {
            var s = _head[key];
            while (_next[s] != slot)
            {
                s = _next[s];
            }

            _next[s] = _next[slot];
        }

        _gen[slot]++;
        _next[slot] = _free;
        _free = slot;
        _open--;
    }

    /// <summary>Folds session <paramref name="src"/> into <paramref name="dst"/> (both of one key).</summary>
    private void Merge(int dst, int src)
    {
        int dl = dst * _nl, sl = src * _nl, dd = dst * _nd, sd = src * _nd, dw = dst * _nw, sw = src * _nw;
        var na = _l[dl + CqlCompiler.CountOffset];
        var nb = _l[sl + CqlCompiler.CountOffset];
        var srcFirst = _l[sl + CqlCompiler.MinTimeOffset] < _l[dl + CqlCompiler.MinTimeOffset];
        var srcLast = _l[sl + CqlCompiler.MaxTimeOffset] >= _l[dl + CqlCompiler.MaxTimeOffset];
        foreach (var a in _aggregates)
        {
            switch (a.Kind)
            {
                case AggregateKind.Count:
                    break;
                case AggregateKind.Sum or AggregateKind.Avg when a.W >= 0:
                    _w[dw + a.W] += _w[sw + a.W];
                    break;
                case AggregateKind.Sum or AggregateKind.Avg when a.D >= 0:
                    _d[dd + a.D] += _d[sd + a.D];
                    break;
                case AggregateKind.Sum or AggregateKind.Avg:
                    _l[dl + a.L] += _l[sl + a.L];
                    break;
                case AggregateKind.Min when a.D >= 0:
                    _d[dd + a.D] = Math.Min(_d[dd + a.D], _d[sd + a.D]);
                    break;
                case AggregateKind.Min:
                    _l[dl + a.L] = Math.Min(_l[dl + a.L], _l[sl + a.L]);
                    break;
                case AggregateKind.Max when a.D >= 0:
                    _d[dd + a.D] = Math.Max(_d[dd + a.D], _d[sd + a.D]);
                    break;
                case AggregateKind.Max:
                    _l[dl + a.L] = Math.Max(_l[dl + a.L], _l[sl + a.L]);
                    break;
                case AggregateKind.First or AggregateKind.Last:
                    if (a.Kind == AggregateKind.First ? srcFirst : srcLast)
                    {
                        if (a.D >= 0)
                        {
                            _d[dd + a.D] = _d[sd + a.D];
                        }
                        else
                        {
                            _l[dl + a.L] = _l[sl + a.L];
                        }
                    }

                    break;
                case AggregateKind.Vwap:
                    _w[dw + a.W] += _w[sw + a.W];
                    _l[dl + a.L] += _l[sl + a.L];
                    break;
                case AggregateKind.StdDev:
                    // Chan et al.: combine (n, mean, M2) of two samples.
                    var n = na + nb;
                    var delta = _d[sd + a.D] - _d[dd + a.D];
                    _d[dd + a.D] += delta * nb / n;
                    _d[dd + a.D + 1] += _d[sd + a.D + 1] + (delta * delta * na * nb / n);
                    break;
                default:
                    throw new InvalidOperationException($"Unhandled aggregate {a.Kind}.");
            }
        }

        _l[dl + CqlCompiler.CountOffset] = na + nb;
        _l[dl + CqlCompiler.MinTimeOffset] = Math.Min(_l[dl + CqlCompiler.MinTimeOffset], _l[sl + CqlCompiler.MinTimeOffset]);
        _l[dl + CqlCompiler.MaxTimeOffset] = Math.Max(_l[dl + CqlCompiler.MaxTimeOffset], _l[sl + CqlCompiler.MaxTimeOffset]);
    }

    private void Grow(int capacity)
    {
        var old = _start.Length;
        Array.Resize(ref _l, capacity * _nl);
        Array.Resize(ref _d, capacity * _nd);
        Array.Resize(ref _w, capacity * _nw);
        Array.Resize(ref _start, capacity);
        Array.Resize(ref _end, capacity);
        Array.Resize(ref _keyOf, capacity);
        Array.Resize(ref _next, capacity);
        Array.Resize(ref _gen, capacity);
        for (var i = capacity - 1; i >= old; i--)
        {
            _next[i] = _free;
            _free = i;
        }
    }

    private void GrowKeys()
    {
        var old = _head.Length;
        Array.Resize(ref _head, Math.Max(16, Math.Max(old * 2, _keys.Keys.Count)));
        _head.AsSpan(old).Fill(-1);
    }
}
