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
internal sealed partial class WindowedAggregateQuery<T> : EventQuery<T>
    where T : struct
{
    private readonly EventPredicate<T>? _where;
    private readonly AggregateUpdater<T> _update;
    private readonly AggregateUpdater<T>? _updateNewestFirst;
    private readonly GroupProjector _project;
    private readonly CqlWindowKind _kind;
    private readonly long _size;
    private readonly long _advance;
    private readonly long _lateness;
    private readonly bool _emitChanges;
    private readonly bool _groupByKey;
    private readonly ImmutableArray<AggregateSlot> _aggregates;
    private readonly int[] _filterSlots;
    private readonly long[] _initialLongs;
    private readonly double[] _initialDoubles;
    private readonly int _nl;
    private readonly int _nd;
    private readonly int _nw;
    private readonly KeyTable _keys;
    private readonly int _closeBudget;
    private readonly PriorityQueue<long, (long End, long Seq)> _closing = new();

    // Tumbling and hopping windows close through a timing wheel instead of the priority queue: their ends are multiples
    // of the advance and lie within (watermark, max time + size], so bucket (end / advance) mod capacity holds the
    // windows of exactly one end, opening and closing are O(1), and rows of one end come out in opening order.
    private readonly bool _wheel;
    private readonly int[] _bucketHead = [];
    private readonly int[] _bucketTail = [];
    private readonly long[] _bucketEnd = [];
    private readonly int _bucketMask;
    private int[] _closeNext = [];
    private int[] _prev = [];
    private long _nextEnd = long.MaxValue;

    private readonly long[] _sl;
    private readonly double[] _sd;
    private readonly Int128[] _sw;
    private T[]?[] _rings = [];
    private int[] _ringHead = [];
    private int[] _ringCount = [];

    // Sliding windows, per key (see ApplySliding): ring offsets of the window's first event and of the back; the front's
    // suffix aggregates, laid out like the ring; the back's aggregate.
    private int[] _winOff = [];
    private int[] _frontOff = [];
    private long[][] _partL = [];
    private double[][] _partD = [];
    private Int128[][] _partW = [];
    private long[] _bl = [];
    private double[] _bd = [];
    private Int128[] _bw = [];
    private int _slidingEvents;
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

    public WindowedAggregateQuery(CreateQueryStatement statement, CreateStreamStatement stream, ICqlSink sink, CqlFrame frame, JoinPlan? join, long defaultLatenessNanos, KeyTable keys, int closesPerEvent)
        : this(statement, stream, sink, CqlCompiler.CompileAggregate<T>(statement.Select, frame, defaultLatenessNanos), join, keys, closesPerEvent)
    {
    }

    private WindowedAggregateQuery(CreateQueryStatement statement, CreateStreamStatement stream, ICqlSink sink, (AggregatePlan<T> Plan, ImmutableArray<CqlColumn> Columns) compiled, JoinPlan? join, KeyTable keys, int closesPerEvent)
        : base(statement, stream, compiled.Columns, sink, join)
    {
        _closeBudget = closesPerEvent == 0 ? int.MaxValue : closesPerEvent;
        // One global group keeps its own table: its only key is '' at index 0.
        _keys = compiled.Plan.GroupByKey ? keys : new KeyTable();
        var plan = compiled.Plan;
        _where = plan.Where;
        _update = plan.Update;
        _updateNewestFirst = plan.UpdateNewestFirst;
        _project = plan.Project;
        _kind = plan.Window.Kind;
        _size = plan.Window.SizeNanos;
        _advance = plan.Window.AdvanceNanos;
        _lateness = plan.AllowedLatenessNanos;
        _emitChanges = plan.Emit == CqlEmitMode.Changes;
        _groupByKey = plan.GroupByKey;
        _aggregates = plan.Aggregates;
        _filterSlots = [.. plan.Aggregates.Where(a => a.F >= 0).Select(a => a.F).Distinct()];
        _initialLongs = plan.InitialLongs;
        _initialDoubles = plan.InitialDoubles;
        _nl = plan.InitialLongs.Length;
        _nd = plan.InitialDoubles.Length;
        _nw = plan.WideCount;
        if (_kind is CqlWindowKind.Tumbling or CqlWindowKind.Hopping && (_size + _lateness) / _advance < 1 << 20)
        {
            var buckets = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)(((_size + _lateness) / _advance) + 3));
            _wheel = true;
            _bucketMask = buckets - 1;
            _bucketHead = new int[buckets];
            _bucketTail = new int[buckets];
            _bucketEnd = new long[buckets];
            _bucketHead.AsSpan().Fill(-1);
        }

        _sl = new long[_nl];
        _sd = new double[_nd];
        _sw = new Int128[_nw];
        if (!_groupByKey)
        {
            _keys.GetOrAdd(string.Empty);
        }

        Grow(16);
    }

    /// <summary>Allowed lateness in nanoseconds.</summary>
    internal override long LatenessNanos => _lateness;

    public override Timestamp Watermark => new(_watermark);

    /// <summary>Open windows; for a sliding window, the events it holds.</summary>
    public override int OpenWindows => _kind == CqlWindowKind.Sliding ? _slidingEvents : _open;

    private protected override void Process(in T tick)
    {
        EventsIn++;
        var time = EventAccess.Time(in tick);
        if (time < _watermark)
        {
            if (_where is null || _where(in tick))
            {
                LateEvents++;
                Sink.OnLate(EventAccess.Late(in tick, Name, _watermark, _lateness));
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
            }
        }

        // Due windows close a few per event (the budget), so a minute boundary does not stall the feed.
        if (HasDue(_watermark))
        {
            CloseUpTo(_watermark, _closeBudget);
        }

        if (_where is not null && !_where(in tick))
        {
            return;
        }

        var key = _groupByKey ? _keys.GetOrAdd(EventAccess.Key(in tick)) : 0;
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
            case CqlWindowKind.Sliding:
                ApplySliding(in tick, key, time);
                break;
            default:
                ApplySession(in tick, key, time);
                break;
        }
    }

    /// <summary>
    /// Sliding window: keeps the key's events of the last SIZE (+ lateness) in time order and, on every event at t, emits
    /// the aggregates of those in (t − size, t].
    /// </summary>
    /// <remarks>
    /// An event at or after the key's latest time (the usual case) is answered incrementally with the two-stacks
    /// scheme, which needs only the slot merge (so min/max, first/last, FILTER and stddev all work, none of which can be
    /// subtracted): the key's window [win, count) of its ring is split at <c>front</c>. Each front event i holds the
    /// aggregate of events i..front−1 (a suffix), built when the front runs empty; the back events [front, count) are
    /// folded into one aggregate as they arrive. Evicting moves <c>win</c> forward; the row is suffix(win) merged with
    /// the back aggregate. Each event is thus lifted, merged and folded a constant number of times: O(1) amortized
    /// instead of O(events in window). An out-of-order event (allowed lateness) is put in its place, its own row is
    /// aggregated by a scan of its window, and the key's back aggregate is rebuilt: O(window), rare. The structure is a
    /// function of the ring and <c>front</c> alone, so a restored checkpoint reproduces the same rows bit for bit.
    /// </remarks>
    private void ApplySliding(in T tick, int key, long time)
    {
        if (key >= _rings.Length)
        {
            GrowSlidingKeys(key);
        }

        var ring = _rings[key] ??= NewRing(key, 4);
        var head = _ringHead[key];
        var count = _ringCount[key];
        var win = _winOff[key];
        var front = _frontOff[key];
        var mask = ring.Length - 1;
        var inOrder = count == 0 || EventAccess.Time(in ring[(head + count - 1) & mask]) <= time;
        var from = time - _size;

        if (inOrder)
        {
            // Evict what left the window; an empty front first takes over the whole back as suffix aggregates.
            while (win < count && EventAccess.Time(in ring[(head + win) & mask]) <= from)
            {
                if (win == front)
                {
                    BuildSuffixes(key, front, count);
                    ResetBack(key);
                    front = count;
                }

                win++;
            }
        }

        // Events at or before watermark − size can be in no future window: every accepted event is at or after the
        // watermark. They all lie before the key's window (the window's low bound is at least that).
        var horizon = _watermark == long.MinValue ? long.MinValue : _watermark - _size;
        var dropped = 0;
        while (dropped < win && EventAccess.Time(in ring[head]) <= horizon)
        {
            ring[head] = default;
            head = (head + 1) & mask;
            dropped++;
        }

        count -= dropped;
        win -= dropped;
        front -= dropped;
        _slidingEvents -= dropped;

        if (count == ring.Length)
        {
            ring = GrowRing(key, head, count);
            head = 0;
            mask = ring.Length - 1;
        }

        // Insert in time order; equal times keep arrival order.
        var pos = count;
        while (pos > 0 && EventAccess.Time(in ring[(head + pos - 1) & mask]) > time)
        {
            ring[(head + pos) & mask] = ring[(head + pos - 1) & mask];
            pos--;
        }

        ring[(head + pos) & mask] = tick;
        count++;
        _slidingEvents++;
        _ringHead[key] = head;
        _ringCount[key] = count;

        var keyText = _keys.Keys[key];
        var row = Row;
        bool emit;
        if (inOrder)
        {
            int bl = key * _nl, bd = key * _nd, bw = key * _nw;
            _update(in tick, _bl, _bd, _bw, bl, bd, bw);
            _winOff[key] = win;
            _frontOff[key] = front;
            if (win == front)
            {
                emit = _project(_bl, _bd, _bw, bl, bd, bw, keyText, from, time, row.Longs, row.Strings);
            }
            else
            {
                var p = (head + win) & mask;
                _partL[key].AsSpan(p * _nl, _nl).CopyTo(_sl);
                _partD[key].AsSpan(p * _nd, _nd).CopyTo(_sd);
                _partW[key].AsSpan(p * _nw, _nw).CopyTo(_sw);
                Merge(_sl, _sd, _sw, 0, 0, 0, _bl, _bd, _bw, bl, bd, bw);
                emit = _project(_sl, _sd, _sw, 0, 0, 0, keyText, from, time, row.Longs, row.Strings);
            }
        }
        else
        {
            // The event landed inside the ring: shift the offsets it moved, drop the front (its suffixes may now miss
            // the event) and rebuild the back. Then its own window (t − size, t] excludes the later events.
            if (pos < win)
            {
                win++;
            }

            _winOff[key] = win;
            _frontOff[key] = win;
            ResetBack(key);
            for (var i = win; i < count; i++)
            {
                _update(in ring[(head + i) & mask], _bl, _bd, _bw, key * _nl, key * _nd, key * _nw);
            }

            _initialLongs.AsSpan().CopyTo(_sl);
            _initialDoubles.AsSpan().CopyTo(_sd);
            _sw.AsSpan().Clear();
            for (var i = 0; i < count; i++)
            {
                ref readonly var e = ref ring[(head + i) & mask];
                var t = EventAccess.Time(in e);
                if (t > from && t <= time)
                {
                    _update(in e, _sl, _sd, _sw, 0, 0, 0);
                }
            }

            emit = _project(_sl, _sd, _sw, 0, 0, 0, keyText, from, time, row.Longs, row.Strings);
        }

        if (emit)
        {
            row.Key = keyText;
            row.WindowStart = new Timestamp(from);
            row.WindowEnd = new Timestamp(time);
            row.IsFinal = false;
            RowsOut++;
            Sink.OnRow(row);
        }
    }

    /// <summary>
    /// Suffix aggregates of ring offsets [from, to): offset i holds events i..to−1, folded newest first (each slot is
    /// the next one's copy plus its own event, with the tie rules for that order).
    /// </summary>
    private void BuildSuffixes(int key, int from, int to)
    {
        var ring = _rings[key]!;
        var mask = ring.Length - 1;
        var head = _ringHead[key];
        long[] pl = _partL[key];
        double[] pd = _partD[key];
        Int128[] pw = _partW[key];
        var fold = _updateNewestFirst!;
        for (var i = to - 1; i >= from; i--)
        {
            var p = (head + i) & mask;
            if (i == to - 1)
            {
                _initialLongs.AsSpan().CopyTo(pl.AsSpan(p * _nl, _nl));
                _initialDoubles.AsSpan().CopyTo(pd.AsSpan(p * _nd, _nd));
                pw.AsSpan(p * _nw, _nw).Clear();
            }
            else
            {
                var q = (p + 1) & mask;
                pl.AsSpan(q * _nl, _nl).CopyTo(pl.AsSpan(p * _nl, _nl));
                pd.AsSpan(q * _nd, _nd).CopyTo(pd.AsSpan(p * _nd, _nd));
                pw.AsSpan(q * _nw, _nw).CopyTo(pw.AsSpan(p * _nw, _nw));
            }

            fold(in ring[p], pl, pd, pw, p * _nl, p * _nd, p * _nw);
        }
    }

    private void ResetBack(int key)
    {
        _initialLongs.AsSpan().CopyTo(_bl.AsSpan(key * _nl, _nl));
        _initialDoubles.AsSpan().CopyTo(_bd.AsSpan(key * _nd, _nd));
        _bw.AsSpan(key * _nw, _nw).Clear();
    }

    private void GrowSlidingKeys(int key)
    {
        var size = Math.Max(16, Math.Max(_rings.Length * 2, key + 1));
        var old = _rings.Length;
        Array.Resize(ref _rings, size);
        Array.Resize(ref _ringHead, size);
        Array.Resize(ref _ringCount, size);
        Array.Resize(ref _winOff, size);
        Array.Resize(ref _frontOff, size);
        Array.Resize(ref _partL, size);
        Array.Resize(ref _partD, size);
        Array.Resize(ref _partW, size);
        Array.Resize(ref _bl, size * _nl);
        Array.Resize(ref _bd, size * _nd);
        Array.Resize(ref _bw, size * _nw);
        for (var k = old; k < size; k++)
        {
            ResetBack(k);
        }
    }

    private T[] NewRing(int key, int capacity)
    {
        _partL[key] = new long[capacity * _nl];
        _partD[key] = new double[capacity * _nd];
        _partW[key] = new Int128[capacity * _nw];
        return new T[capacity];
    }

    /// <summary>Doubles a full ring (events and suffix aggregates), unwrapping it to start at 0.</summary>
    private T[] GrowRing(int key, int head, int count)
    {
        var ring = _rings[key]!;
        var mask = ring.Length - 1;
        var pl = _partL[key];
        var pd = _partD[key];
        var pw = _partW[key];
        var bigger = NewRing(key, ring.Length * 2);
        for (var i = 0; i < count; i++)
        {
            var p = (head + i) & mask;
            bigger[i] = ring[p];
            pl.AsSpan(p * _nl, _nl).CopyTo(_partL[key].AsSpan(i * _nl));
            pd.AsSpan(p * _nd, _nd).CopyTo(_partD[key].AsSpan(i * _nd));
            pw.AsSpan(p * _nw, _nw).CopyTo(_partW[key].AsSpan(i * _nw));
        }

        _rings[key] = bigger;
        _ringHead[key] = 0;
        return bigger;
    }

    public override void Complete() => CloseUpTo(long.MaxValue, int.MaxValue);

    public override void CloseDueWindows()
    {
        if (HasDue(_watermark))
        {
            CloseUpTo(_watermark, int.MaxValue);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool HasDue(long watermark) =>
        _wheel ? _nextEnd <= watermark : _closing.TryPeek(out _, out var next) && next.End <= watermark;

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
    private void Apply(in T tick, int slot)
    {
        _update(in tick, _l, _d, _w, slot * _nl, slot * _nd, slot * _nw);
        if (_emitChanges)
        {
            Emit(slot, final: false);
        }
    }

    private void ApplySession(in T tick, int key, long time)
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

    /// <summary>
    /// Closes windows whose end is at or before <paramref name="watermark"/>, in close order, at most
    /// <paramref name="budget"/> of them; the rest stay due for the next call.
    /// </summary>
    private void CloseUpTo(long watermark, int budget)
    {
        if (_wheel)
        {
            while (_open > 0 && _nextEnd <= watermark)
            {
                var b = (int)((_nextEnd / _advance) & _bucketMask);
                if (_bucketHead[b] >= 0 && _bucketEnd[b] == _nextEnd)
                {
                    // The budget only spreads the newest due end: an older end still pending when a newer one comes due
                    // closes in full, so at most one partly closed bucket exists and the wheel never wraps onto it.
                    var limited = _nextEnd + _advance > watermark;
                    var slot = _bucketHead[b];
                    while (slot >= 0 && (!limited || budget > 0))
                    {
                        var next = _closeNext[slot];
                        if (!_emitChanges)
                        {
                            Emit(slot, final: true);
                        }

                        Free(slot);
                        slot = next;
                        budget--;
                    }

                    _bucketHead[b] = slot;
                    if (slot >= 0)
                    {
                        return;
                    }
                }

                _nextEnd += _advance;
            }

            if (_open == 0)
            {
                _nextEnd = long.MaxValue;
            }

            return;
        }

        while (budget > 0 && _closing.TryPeek(out var packed, out var due) && due.End <= watermark)
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
            budget--;
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
        _prev[slot] = -1;
        if (_head[key] >= 0)
        {
            _prev[_head[key]] = slot;
        }

        _head[key] = slot;
        _open++;
        if (_wheel)
        {
            var b = (int)((end / _advance) & _bucketMask);
            _closeNext[slot] = -1;
            if (_bucketHead[b] < 0)
            {
                _bucketHead[b] = slot;
                _bucketEnd[b] = end;
            }
            else
            {
                _closeNext[_bucketTail[b]] = slot;
            }

            _bucketTail[b] = slot;
            _nextEnd = Math.Min(_nextEnd, end);
        }
        else
        {
            _closing.Enqueue((uint)slot | ((long)_gen[slot] << 32), (end, _seq++));
        }
        return slot;
    }

    private void Free(int slot)
    {
        // Doubly linked per key: the oldest window (the one closing) is at the far end of the list.
        var key = _keyOf[slot];
        var next = _next[slot];
        var prev = _prev[slot];
        if (prev < 0)
        {
            _head[key] = next;
        }
        else
        {
            _next[prev] = next;
        }

        if (next >= 0)
        {
            _prev[next] = prev;
        }

        _gen[slot]++;
        _next[slot] = _free;
        _free = slot;
        _open--;
    }

    /// <summary>Folds session <paramref name="src"/> into <paramref name="dst"/> (both of one key).</summary>
    private void Merge(int dst, int src) =>
        Merge(_l, _d, _w, dst * _nl, dst * _nd, dst * _nw, _l, _d, _w, src * _nl, src * _nd, src * _nw);

    /// <summary>
    /// Folds the aggregate at (<paramref name="sL"/>, <paramref name="sD"/>, <paramref name="sW"/>) + offsets into the one
    /// at (<paramref name="dL"/>, <paramref name="dD"/>, <paramref name="dW"/>) + offsets. Any two aggregates of one key
    /// merge; on equal times the destination keeps first and the source gives last, so pass the older events as the
    /// destination.
    /// </summary>
    private void Merge(long[] dL, double[] dD, Int128[] dW, int dl, int dd, int dw, long[] sL, double[] sD, Int128[] sW, int sl, int sd, int sw)
    {
        var na = dL[dl + CqlCompiler.CountOffset];
        var nb = sL[sl + CqlCompiler.CountOffset];
        var srcFirst = sL[sl + CqlCompiler.MinTimeOffset] < dL[dl + CqlCompiler.MinTimeOffset];
        var srcLast = sL[sl + CqlCompiler.MaxTimeOffset] >= dL[dl + CqlCompiler.MaxTimeOffset];
        foreach (var a in _aggregates)
        {
            // A filtered aggregate merges by its own count and times (see AggregateSlot.F).
            var filtered = a.F >= 0;
            var (an, bn) = filtered ? (dL[dl + a.F], sL[sl + a.F]) : (na, nb);
            var takeFirst = filtered ? sL[sl + a.F + 1] < dL[dl + a.F + 1] : srcFirst;
            var takeLast = filtered ? sL[sl + a.F + 2] >= dL[dl + a.F + 2] : srcLast;

            switch (a.Kind)
            {
                case AggregateKind.Count:
                    break;
                case AggregateKind.Sum or AggregateKind.Avg when a.W >= 0:
                    dW[dw + a.W] += sW[sw + a.W];
                    break;
                case AggregateKind.Sum or AggregateKind.Avg when a.D >= 0:
                    dD[dd + a.D] += sD[sd + a.D];
                    break;
                case AggregateKind.Sum or AggregateKind.Avg:
                    dL[dl + a.L] += sL[sl + a.L];
                    break;
                case AggregateKind.Min when a.D >= 0:
                    dD[dd + a.D] = Math.Min(dD[dd + a.D], sD[sd + a.D]);
                    break;
                case AggregateKind.Min:
                    dL[dl + a.L] = Math.Min(dL[dl + a.L], sL[sl + a.L]);
                    break;
                case AggregateKind.Max when a.D >= 0:
                    dD[dd + a.D] = Math.Max(dD[dd + a.D], sD[sd + a.D]);
                    break;
                case AggregateKind.Max:
                    dL[dl + a.L] = Math.Max(dL[dl + a.L], sL[sl + a.L]);
                    break;
                case AggregateKind.First or AggregateKind.Last:
                    if (a.Kind == AggregateKind.First ? takeFirst : takeLast)
                    {
                        if (a.D >= 0)
                        {
                            dD[dd + a.D] = sD[sd + a.D];
                        }
                        else
                        {
                            dL[dl + a.L] = sL[sl + a.L];
                        }
                    }

                    break;
                case AggregateKind.Vwap:
                    dW[dw + a.W] += sW[sw + a.W];
                    dL[dl + a.L] += sL[sl + a.L];
                    break;
                case AggregateKind.StdDev:
                    // Chan et al.: combine (n, mean, M2) of two samples; a side a filter left empty contributes nothing.
                    var n = an + bn;
                    if (bn == 0)
                    {
                        break;
                    }

                    var delta = sD[sd + a.D] - dD[dd + a.D];
                    dD[dd + a.D] += delta * bn / n;
                    dD[dd + a.D + 1] += sD[sd + a.D + 1] + (delta * delta * an * bn / n);
                    break;
                default:
                    throw new InvalidOperationException($"Unhandled aggregate {a.Kind}.");
            }
        }

        // Each filter's [count, first, last] once, after every aggregate read the values from before the merge.
        foreach (var f in _filterSlots)
        {
            dL[dl + f] += sL[sl + f];
            dL[dl + f + 1] = Math.Min(dL[dl + f + 1], sL[sl + f + 1]);
            dL[dl + f + 2] = Math.Max(dL[dl + f + 2], sL[sl + f + 2]);
        }

        dL[dl + CqlCompiler.CountOffset] = na + nb;
        dL[dl + CqlCompiler.MinTimeOffset] = Math.Min(dL[dl + CqlCompiler.MinTimeOffset], sL[sl + CqlCompiler.MinTimeOffset]);
        dL[dl + CqlCompiler.MaxTimeOffset] = Math.Max(dL[dl + CqlCompiler.MaxTimeOffset], sL[sl + CqlCompiler.MaxTimeOffset]);
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
        Array.Resize(ref _closeNext, capacity);
        Array.Resize(ref _prev, capacity);
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
