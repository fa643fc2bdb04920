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
    private long _periodStart;
    private bool _periodKnown;
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
    private SlidingKey[] _sk = [];

    // Sliding windows: the middle's and the back's aggregates per key (see ApplySliding and SlidingKey).
    private long[] _ml = [];
    private double[] _md = [];
    private Int128[] _mw = [];
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
                    var start = PeriodStart(time, _size);
                    var slot = Find(key, start);
                    if (slot < 0)
                    {
                        slot = Open(key, start, start + _size);
                    }

                    Apply(in tick, slot);
                    break;
                }

            case CqlWindowKind.Hopping:
                for (var start = PeriodStart(time, _advance); start > time - _size; start -= _advance)
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
    /// <para>An event at or after the key's latest time (the usual case) is answered incrementally. The scheme is
    /// two-stacks, which needs only the slot merge, so min/max, first/last, FILTER and stddev all work although none can
    /// be subtracted. It is de-amortized so that no event pays for the whole window. The key's window [win, count) of its
    /// ring has three parts:</para>
    /// <list type="bullet">
    /// <item><b>front</b> [win, front): each event i holds the aggregate of events i..front−1 (a suffix), so evicting
    /// is moving <c>win</c>;</item>
    /// <item><b>middle</b> [front, mid): frozen, with its aggregate; its suffixes are built a few per event, newest
    /// first, from <c>mid</c> down to <c>conv</c>, fast enough to be done when the front runs out;</item>
    /// <item><b>back</b> [mid, count): new events, folded into one aggregate as they arrive.</item>
    /// </list>
    /// <para>When the front runs out, the middle becomes the front. When the middle is empty and the back has at least
    /// as many events as the (non-empty) front has left, the back is frozen as the middle. This keeps the parts balanced, so the
    /// middle's conversion costs about two folds per event. The row is suffix(win) merged with the middle's and the
    /// back's aggregates.</para>
    /// <para>Exceptions: an eviction that reaches into the back builds the survivors' suffixes at once. That happens
    /// after a gap in the key's events, on a key's first eviction, and in small windows, where it is cheap. An out-of-order event (allowed lateness) is put in its place and all of the window
    /// becomes back. Its own row is aggregated by a scan of its window: O(window), rare.</para>
    /// <para>Every part is a function of the ring and the offsets front and mid, so a restored checkpoint reproduces
    /// the same rows bit for bit.</para>
    /// </remarks>
    private void ApplySliding(in T tick, int key, long time)
    {
        if (key >= _sk.Length)
        {
            GrowSlidingKeys(key);
        }

        ref var st = ref _sk[key];
        var ring = st.Ring ??= NewRing(key, 4);
        var head = st.Head;
        var count = st.Count;
        var win = st.Win;
        var front = st.Front;
        var conv = st.Conv;
        var mid = st.Mid;
        var mask = ring.Length - 1;
        var inOrder = count == 0 || EventAccess.Time(in ring[(head + count - 1) & mask]) <= time;
        var from = time - _size;

        if (inOrder)
        {
            var survivor = win;
            while (survivor < count && EventAccess.Time(in ring[(head + survivor) & mask]) <= from)
            {
                survivor++;
            }

            if (survivor > mid)
            {
                // A gap evicted into the back: its survivors become the front at once.
                // (The middle's aggregate is read only while mid > front, and a freeze overwrites it; an empty back's
                // aggregate is always the initial one.)
                FoldSuffixes(key, survivor, count, count);
                if (count > mid)
                {
                    ResetAggregate(_bl, _bd, _bw, key);
                }

                front = conv = mid = count;
            }
            else if (survivor > front)
            {
                FoldSuffixes(key, front, conv, mid);
                front = conv = mid;
            }

            win = survivor;
            if (win == front && mid > front)
            {
                // The front ran out: the middle (its last suffixes built now if the conversion is behind) takes over.
                FoldSuffixes(key, front, conv, mid);
                front = conv = mid;
            }

            if (mid == front && front > win && count - mid >= front - win)
            {
                // Freeze the back as the middle; its suffixes are built while the front drains. (With no front, the
                // back just grows, and the next eviction turns its survivors into the front at once.)
                var k = key;
                Copy(_bl, k * _nl, _ml, k * _nl, _nl);
                Copy(_bd, k * _nd, _md, k * _nd, _nd);
                Copy(_bw, k * _nw, _mw, k * _nw, _nw);
                ResetAggregate(_bl, _bd, _bw, key);
                mid = conv = count;
            }

            if (conv > front)
            {
                // Enough folds that the middle is done when the front's last event leaves (one eviction per event).
                var left = front - win;
                var step = left == 0 ? conv - front : Math.Min(conv - front, ((conv - front) / left) + 1);
                FoldSuffixes(key, conv - step, conv, mid);
                conv -= step;
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
        conv -= dropped;
        mid -= dropped;
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
        st.Head = head;
        st.Count = count;

        var keyText = _keys.Keys[key];
        var row = Row;
        bool emit;
        int bl = key * _nl, bd = key * _nd, bw = key * _nw;
        if (inOrder)
        {
            _update(in tick, _bl, _bd, _bw, bl, bd, bw);
            st.Win = win;
            st.Front = front;
            st.Conv = conv;
            st.Mid = mid;
            if (win == front && mid == front)
            {
                emit = _project(_bl, _bd, _bw, bl, bd, bw, keyText, from, time, row.Longs, row.Strings);
            }
            else
            {
                if (win < front)
                {
                    var p = (head + win) & mask;
                    Copy(st.PartL, p * _nl, _sl, 0, _nl);
                    Copy(st.PartD, p * _nd, _sd, 0, _nd);
                    Copy(st.PartW, p * _nw, _sw, 0, _nw);
                    if (mid > front)
                    {
                        Merge(_sl, _sd, _sw, 0, 0, 0, _ml, _md, _mw, bl, bd, bw);
                    }
                }
                else
                {
                    Copy(_ml, bl, _sl, 0, _nl);
                    Copy(_md, bd, _sd, 0, _nd);
                    Copy(_mw, bw, _sw, 0, _nw);
                }

                Merge(_sl, _sd, _sw, 0, 0, 0, _bl, _bd, _bw, bl, bd, bw);
                emit = _project(_sl, _sd, _sw, 0, 0, 0, keyText, from, time, row.Longs, row.Strings);
            }
        }
        else
        {
            // The event landed inside the ring. If it is older than the key's current window (latest − size, latest]
            // (possible when the lateness is at least the size), it went before the window: shift the window's start,
            // so the window stays exactly the events after latest − size, as a restored checkpoint recomputes it. The
            // whole window becomes back (suffixes and the middle may now miss the event). Then the event's own window
            // (t − size, t] excludes the later events.
            if (time <= EventAccess.Time(in ring[(head + count - 1) & mask]) - _size)
            {
                win++;
            }

            st.Win = win;
            st.Front = st.Conv = st.Mid = win;
            ResetAggregate(_ml, _md, _mw, key);
            ResetAggregate(_bl, _bd, _bw, key);
            for (var i = win; i < count; i++)
            {
                _update(in ring[(head + i) & mask], _bl, _bd, _bw, bl, bd, bw);
            }

            Copy(_initialLongs, 0, _sl, 0, _nl);
            Copy(_initialDoubles, 0, _sd, 0, _nd);
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
    /// Builds the suffix slots of ring offsets [from, to) of a segment ending at <paramref name="top"/>: offset i holds
    /// events i..top−1. Folded newest first (each slot is the next one's copy plus its own event, with the tie rules for
    /// that order); the slot at <paramref name="to"/> must already hold its suffix unless <paramref name="to"/> = top.
    /// </summary>
    private void FoldSuffixes(int key, int from, int to, int top)
    {
        var ring = _sk[key].Ring!;
        var mask = ring.Length - 1;
        var head = _sk[key].Head;
        long[] pl = _sk[key].PartL;
        double[] pd = _sk[key].PartD;
        Int128[] pw = _sk[key].PartW;
        var fold = _updateNewestFirst!;
        for (var i = to - 1; i >= from; i--)
        {
            var p = (head + i) & mask;
            if (i == top - 1)
            {
                Copy(_initialLongs, 0, pl, p * _nl, _nl);
                Copy(_initialDoubles, 0, pd, p * _nd, _nd);
                Clear(pw, p * _nw, _nw);
            }
            else
            {
                var q = (p + 1) & mask;
                Copy(pl, q * _nl, pl, p * _nl, _nl);
                Copy(pd, q * _nd, pd, p * _nd, _nd);
                Copy(pw, q * _nw, pw, p * _nw, _nw);
            }

            fold(in ring[p], pl, pd, pw, p * _nl, p * _nd, p * _nw);
        }
    }

    /// <summary>Copies the <paramref name="n"/> values (one per aggregate: a handful) of one aggregate slot. At these
    /// sizes a loop beats a call to the block copy, and a sliding window copies slots several times per event.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy<TValue>(TValue[] source, int from, TValue[] target, int to, int n)
    {
        for (var i = 0; i < n; i++)
        {
            target[to + i] = source[from + i];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Clear(Int128[] values, int from, int n)
    {
        for (var i = 0; i < n; i++)
        {
            values[from + i] = default;
        }
    }

    private void ResetAggregate(long[] l, double[] d, Int128[] w, int key)
    {
        Copy(_initialLongs, 0, l, key * _nl, _nl);
        Copy(_initialDoubles, 0, d, key * _nd, _nd);
        Clear(w, key * _nw, _nw);
    }

    private void GrowSlidingKeys(int key)
    {
        var size = Math.Max(16, Math.Max(_sk.Length * 2, key + 1));
        var old = _sk.Length;
        Array.Resize(ref _sk, size);
        Array.Resize(ref _bl, size * _nl);
        Array.Resize(ref _bd, size * _nd);
        Array.Resize(ref _bw, size * _nw);
        Array.Resize(ref _ml, size * _nl);
        Array.Resize(ref _md, size * _nd);
        Array.Resize(ref _mw, size * _nw);
        for (var k = old; k < size; k++)
        {
            ResetAggregate(_bl, _bd, _bw, k);
            ResetAggregate(_ml, _md, _mw, k);
        }
    }

    private T[] NewRing(int key, int capacity)
    {
        _sk[key].PartL = new long[capacity * _nl];
        _sk[key].PartD = new double[capacity * _nd];
        _sk[key].PartW = new Int128[capacity * _nw];
        return new T[capacity];
    }

    /// <summary>Doubles a full ring (events and suffix aggregates), unwrapping it to start at 0.</summary>
    private T[] GrowRing(int key, int head, int count)
    {
        var ring = _sk[key].Ring!;
        var mask = ring.Length - 1;
        var pl = _sk[key].PartL;
        var pd = _sk[key].PartD;
        var pw = _sk[key].PartW;
        var bigger = NewRing(key, ring.Length * 2);
        for (var i = 0; i < count; i++)
        {
            var p = (head + i) & mask;
            bigger[i] = ring[p];
            Copy(pl, p * _nl, _sk[key].PartL, i * _nl, _nl);
            Copy(pd, p * _nd, _sk[key].PartD, i * _nd, _nd);
            Copy(pw, p * _nw, _sk[key].PartW, i * _nw, _nw);
        }

        _sk[key].Ring = bigger;
        _sk[key].Head = 0;
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

    /// <summary>
    /// <see cref="Floor"/> of <paramref name="time"/>, remembered: consecutive events nearly always fall in the same
    /// period, and a 64-bit division per event and query is a measurable share of a tumbling window's work.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long PeriodStart(long time, long period)
    {
        if (_periodKnown && time >= _periodStart && time - _periodStart < period)
        {
            return _periodStart;
        }

        _periodStart = Floor(time, period);
        _periodKnown = true;
        return _periodStart;
    }

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
        Copy(_initialLongs, 0, _l, slot * _nl, _nl);
        Copy(_initialDoubles, 0, _d, slot * _nd, _nd);
        Clear(_w, slot * _nw, _nw);
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

    /// <summary>
    /// A sliding window's state of one key, in one place so an event touches one cache line for it: the ring of events
    /// (time order, from <see cref="Head"/>, <see cref="Count"/> of them), the ring offsets of the window's first event,
    /// the middle, the middle's first converted event and the back (see ApplySliding), and the suffix aggregates laid
    /// out like the ring.
    /// </summary>
    private struct SlidingKey
    {
        public T[]? Ring;
        public long[] PartL;
        public double[] PartD;
        public Int128[] PartW;
        public int Head;
        public int Count;
        public int Win;
        public int Front;
        public int Conv;
        public int Mid;
    }
}
