using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using BigDataTrading.Core.Time;

namespace BigDataTrading.Streaming.Cql;

/// <summary>What <c>bdt cql check</c> reports about a pattern query.</summary>
internal interface IPatternQuery
{
    int MaxPending { get; }
}

/// <summary>
/// A sequence pattern per symbol in event time: <c>[EVERY] a -> b [-> ...] [-> NOT z] WITHIN d</c>.
/// </summary>
/// <remarks>
/// <para><b>Time.</b> Events are released to the matcher in event-time order: an event waits in a reorder buffer until
/// the watermark (max event time − allowed lateness) reaches it; an event behind the watermark goes to the late side
/// output. With no lateness, in-order events pass straight through. A partial match started by an event at time t is
/// alive while the event time reaches at most t + WITHIN (inclusive): a later step must happen by then. It expires once
/// the watermark passes t + WITHIN — then an absence pattern (<c>-> NOT z</c>) whose positive steps all matched emits
/// its row (no z came in time), anything else is dropped. End of stream (<see cref="CqlQuery.Complete"/>) passes every
/// deadline. Semantics follow Esper's <c>every a -> b</c>: each pending match takes the first later event that satisfies
/// its next step (several pending matches may take the same event), and a new first-step event starts a new match
/// (without EVERY: only when the key has no pending match).</para>
/// <para><b>State is bounded</b> (Esper's pain was unbounded <c>every</c> state): per key at most MAX PENDING partial
/// matches (default 16; at the bound the oldest is evicted and counted in <see cref="CqlQuery.Evicted"/>), and no match
/// outlives its WITHIN bound, so memory ≤ min(keys × MAX PENDING, first-step events within WITHIN) matches plus the
/// reorder buffer (events within the allowed lateness) plus one small entry per distinct key. Slots are pooled, so the
/// steady state allocates nothing per event.</para>
/// </remarks>
internal sealed partial class PatternQuery<T> : EventQuery<T>, IPatternQuery
    where T : struct
{
    private readonly PatternPredicate<T>?[] _conditions;
    private readonly PatternProjector<T> _project;
    private readonly int _width;
    private readonly int _absentStep;
    private readonly bool _every;
    private readonly long _within;
    private readonly long _lateness;
    private readonly KeyTable _keys;

    // Reorder buffer: a ring sorted by event time (ties in arrival order). In-order arrivals append in O(1); an
    // out-of-order one is inserted by shifting the few later events.
    private T[] _buffer = new T[64];
    private int _bufferHead;
    private int _bufferCount;

    private T[] _captured = [];
    private int[] _step = [];
    private int[] _next = [];
    private int[] _keyOf = [];
    private int[] _gen = [];
    private long[] _startTime = [];
    private int[] _head = [];
    private int[] _tail = [];
    private int[] _count = [];
    private int _free = -1;
    private int _pending;

    // Expiry queue: deadlines are first-step times + WITHIN and first steps are released in time order, so a FIFO ring
    // is already sorted by deadline.
    private long[] _expirySlot = new long[64];
    private long[] _expiryDeadline = new long[64];
    private int _expiryHead;
    private int _expiryCount;

    private long _maxTime = long.MinValue;
    private long _watermark = long.MinValue;

    public PatternQuery(CreateQueryStatement statement, CreateStreamStatement stream, ICqlSink sink, CqlOptions options)
        : this(statement, stream, sink, options, statement.Select.Pattern!, CqlCompiler.CompilePattern<T>(statement.Select, stream, statement.Select.Pattern!))
    {
    }

    private PatternQuery(CreateQueryStatement statement, CreateStreamStatement stream, ICqlSink sink, CqlOptions options, CqlPattern pattern, (PatternPredicate<T>?[] Conditions, PatternProjector<T> Project, ImmutableArray<CqlColumn> Columns) compiled)
        : base(statement, stream, compiled.Columns, sink, join: null)
    {
        _conditions = compiled.Conditions;
        _project = compiled.Project;
        _absentStep = pattern.Steps[^1].Absent ? pattern.Steps.Length - 1 : -1;
        _width = _absentStep >= 0 ? pattern.Steps.Length - 1 : pattern.Steps.Length;
        _every = pattern.Every;
        _within = pattern.WithinNanos;
        _lateness = pattern.AllowedLatenessNanos ?? options.AllowedLatenessNanos;
        MaxPending = pattern.MaxPending ?? options.DefaultMaxPending;
        _keys = options.SharedKeys ?? new KeyTable();
        Grow(16);
    }

    public int MaxPending { get; }

    public override int PendingMatches => _pending;

    public override Timestamp Watermark => new(_watermark);

    internal override long LatenessNanos => _lateness;

    /// <summary>Events waiting in the reorder buffer for the watermark.</summary>
    internal int Buffered => _bufferCount;

    private protected override void Process(in T e)
    {
        EventsIn++;
        var time = EventAccess.Time(in e);
        if (time < _watermark)
        {
            LateEvents++;
            Sink.OnLate(EventAccess.Late(in e, Name, _watermark, _lateness));
            return;
        }

        if (time > _maxTime)
        {
            _maxTime = time;
            _watermark = Math.Max(_watermark, time - _lateness);
        }

        if (_bufferCount == 0 && time <= _watermark)
        {
            Release(in e, time);
        }
        else
        {
            Buffer(in e, time);
            ReleaseUpTo(_watermark);
        }

        ExpireBefore(_watermark);
    }

    public override void Complete()
    {
        ReleaseUpTo(long.MaxValue);
        ExpireBefore(long.MaxValue);
    }

    private void Buffer(in T e, long time)
    {
        if (_bufferCount == _buffer.Length)
        {
            var bigger = new T[_buffer.Length * 2];
            for (var i = 0; i < _bufferCount; i++)
            {
                bigger[i] = _buffer[(_bufferHead + i) & (_buffer.Length - 1)];
            }

            _buffer = bigger;
            _bufferHead = 0;
        }

        var mask = _buffer.Length - 1;
        var pos = _bufferCount;
        while (pos > 0 && EventAccess.Time(in _buffer[(_bufferHead + pos - 1) & mask]) > time)
        {
            _buffer[(_bufferHead + pos) & mask] = _buffer[(_bufferHead + pos - 1) & mask];
            pos--;
        }

        _buffer[(_bufferHead + pos) & mask] = e;
        _bufferCount++;
    }

    private void ReleaseUpTo(long watermark)
    {
        var mask = _buffer.Length - 1;
        while (_bufferCount > 0)
        {
            ref var head = ref _buffer[_bufferHead];
            var time = EventAccess.Time(in head);
            if (time > watermark)
            {
                break;
            }

            var e = head;
            head = default;
            _bufferHead = (_bufferHead + 1) & mask;
            _bufferCount--;
            Release(in e, time);
        }
    }

    private void Release(in T e, long time)
    {
        ExpireBefore(time);
        var key = _keys.GetOrAdd(EventAccess.Key(in e));
        if (key >= _head.Length)
        {
            GrowKeys();
        }

        // Pending matches first, so an event never serves as a later step of the match it starts.
        for (var s = _head[key]; s >= 0;)
        {
            var next = _next[s];
            var step = _step[s];
            var condition = _conditions[step];
            if (condition is null || condition(in e, _captured, s * _width))
            {
                if (step == _absentStep)
                {
                    Free(s); // the event that had to be absent came in time: no match
                }
                else
                {
                    _captured[(s * _width) + step] = e;
                    if (step == _width - 1 && _absentStep < 0)
                    {
                        Emit(s, time);
                        Free(s);
                    }
                    else
                    {
                        _step[s] = step + 1;
                    }
                }
            }

            s = next;
        }

        var first = _conditions[0];
        if ((first is null || first(in e, _captured, 0)) && (_every || _count[key] == 0))
        {
            if (_count[key] >= MaxPending)
            {
                Evicted++;
                Free(_head[key]);
            }

            Start(in e, key, time);
        }
    }

    private void Start(in T e, int key, long time)
    {
        var s = Allocate();
        _captured[s * _width] = e;
        _step[s] = 1;
        Link(s, key, time, time > long.MaxValue - _within ? long.MaxValue : time + _within);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Allocate()
    {
        if (_free < 0)
        {
            Grow(_step.Length * 2);
        }

        var s = _free;
        _free = _next[s];
        return s;
    }

    /// <summary>Appends match <paramref name="s"/> to its key's chain and to the expiry queue (both in start order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Link(int s, int key, long time, long deadline)
    {
        _startTime[s] = time;
        _keyOf[s] = key;
        _next[s] = -1;
        if (_tail[key] >= 0)
        {
            _next[_tail[key]] = s;
        }
        else
        {
            _head[key] = s;
        }

        _tail[key] = s;
        _count[key]++;
        _pending++;
        if (_expiryCount == _expirySlot.Length)
        {
            // A match that ends early (completed, broken, evicted by MAX PENDING) leaves its entry here until its
            // deadline, so with a long WITHIN at a high rate stale entries would outnumber the pending matches without
            // bound. A full queue at least half stale is compacted instead of grown: the queue stays within 4 × the peak
            // of pending matches, and each compaction frees at least half its length (O(1) amortized per match).
            if ((_expiryCount - (_pending - 1)) * 2 >= _expiryCount)
            {
                CompactExpiry();
            }

            if (_expiryCount == _expirySlot.Length)
            {
                GrowExpiry();
            }
        }

        var at = (_expiryHead + _expiryCount) & (_expirySlot.Length - 1);
        _expirySlot[at] = (uint)s | ((long)_gen[s] << 32);
        _expiryDeadline[at] = deadline;
        _expiryCount++;
    }

    /// <summary>Expires every match whose deadline is before <paramref name="time"/>; completed absences emit.</summary>
    private void ExpireBefore(long time)
    {
        var mask = _expirySlot.Length - 1;
        while (_expiryCount > 0 && _expiryDeadline[_expiryHead] < time)
        {
            var packed = _expirySlot[_expiryHead];
            var deadline = _expiryDeadline[_expiryHead];
            _expiryHead = (_expiryHead + 1) & mask;
            _expiryCount--;
            var s = (int)(packed & 0xFFFF_FFFF);
            if (_gen[s] != (int)(packed >>> 32))
            {
                continue; // completed, broken or evicted since
            }

            if (_step[s] == _absentStep)
            {
                Emit(s, deadline);
            }

            Free(s);
        }
    }

    private void Emit(int s, long end)
    {
        var row = Row;
        _project(_captured, s * _width, row.Longs, row.Strings);
        row.Key = _keys.Keys[_keyOf[s]];
        row.WindowStart = new Timestamp(_startTime[s]);
        row.WindowEnd = new Timestamp(end);
        row.IsFinal = true;
        RowsOut++;
        Sink.OnRow(row);
    }

    private void Free(int s)
    {
        var key = _keyOf[s];
        var previous = -1;
        for (var x = _head[key]; x != s; x = _next[x])
        {
            previous = x;
        }

        if (previous < 0)
        {
            _head[key] = _next[s];
        }
        else
        {
            _next[previous] = _next[s];
        }

        if (_tail[key] == s)
        {
            _tail[key] = previous;
        }

        _count[key]--;
        _pending--;
        _gen[s]++;

        // Drop references held by captured events (symbols are interned, but be tidy for string-heavy events).
        Array.Clear(_captured, s * _width, _width);
        _next[s] = _free;
        _free = s;
    }

    private void Grow(int capacity)
    {
        var old = _step.Length;
        Array.Resize(ref _captured, capacity * _width);
        Array.Resize(ref _step, capacity);
        Array.Resize(ref _next, capacity);
        Array.Resize(ref _keyOf, capacity);
        Array.Resize(ref _gen, capacity);
        Array.Resize(ref _startTime, capacity);
        for (var i = capacity - 1; i >= old; i--)
        {
            _next[i] = _free;
            _free = i;
        }
    }

    private void GrowKeys()
    {
        var old = _head.Length;
        var size = Math.Max(16, Math.Max(old * 2, _keys.Keys.Count));
        Array.Resize(ref _head, size);
        Array.Resize(ref _tail, size);
        Array.Resize(ref _count, size);
        _head.AsSpan(old).Fill(-1);
        _tail.AsSpan(old).Fill(-1);
    }

    /// <summary>Drops the entries of ended matches, keeping the live ones in deadline order.</summary>
    private void CompactExpiry()
    {
        var mask = _expirySlot.Length - 1;
        var kept = 0;
        for (var i = 0; i < _expiryCount; i++)
        {
            var from = (_expiryHead + i) & mask;
            var packed = _expirySlot[from];
            if (_gen[(int)(packed & 0xFFFF_FFFF)] == (int)(packed >>> 32))
            {
                var to = (_expiryHead + kept++) & mask;
                _expirySlot[to] = packed;
                _expiryDeadline[to] = _expiryDeadline[from];
            }
        }

        _expiryCount = kept;
    }

    /// <summary>Entries in the expiry queue, live and stale (for the bounded-state tests).</summary>
    internal int ExpiryEntries => _expiryCount;

    private void GrowExpiry()
    {
        var size = _expirySlot.Length * 2;
        var slots = new long[size];
        var deadlines = new long[size];
        for (var i = 0; i < _expiryCount; i++)
        {
            var from = (_expiryHead + i) & (_expirySlot.Length - 1);
            slots[i] = _expirySlot[from];
            deadlines[i] = _expiryDeadline[from];
        }

        _expirySlot = slots;
        _expiryDeadline = deadlines;
        _expiryHead = 0;
    }
}
