namespace BigDataTrading.Streaming.Cql;

/// <summary>Checkpointing of the window state (see <see cref="ICqlSnapshotable"/>).</summary>
/// <remarks>
/// A snapshot holds the counters, the as-of join's latest quotes (when the query joins quotes), the watermark and every
/// open window: its key's text, bounds, aggregate values and the close-queue priority, in close order; then each key's
/// window chain order; then, for a sliding window, each key's ring of events in time order. Restoring rebuilds the same
/// close order, chains and rings, so the restored query emits the same rows in the same order as the one that never
/// stopped. Slot numbers and key indices are not part of the format (they depend on history, not on state).
/// </remarks>
internal sealed partial class WindowedAggregateQuery<T> : ICqlSnapshotable
{
    public bool CanSnapshot => true;

    // Open windows in the order they will close (and emit): by due end, then by opening order within one end.
    private List<(int Slot, long Due)> LiveInCloseOrder()
    {
        var live = new List<(int Slot, long Due)>(_open);
        if (_wheel)
        {
            // Open ends lie in [_nextEnd, _nextEnd + buckets * advance): one bucket per end, walked in end order.
            for (var k = 0; k <= _bucketMask && live.Count < _open; k++)
            {
                var end = _nextEnd + (k * _advance);
                var b = (int)((end / _advance) & _bucketMask);
                if (_bucketHead[b] >= 0 && _bucketEnd[b] == end)
                {
                    for (var slot = _bucketHead[b]; slot >= 0; slot = _closeNext[slot])
                    {
                        live.Add((slot, end));
                    }
                }
            }

            return live;
        }

        // Each open slot has exactly one live queue entry; freed and merged slots' entries are stale.
        foreach (var (packed, due) in _closing.UnorderedItems.OrderBy(e => e.Priority.End).ThenBy(e => e.Priority.Seq))
        {
            var slot = (int)(packed & 0xFFFF_FFFF);
            if (_gen[slot] == (int)(packed >>> 32))
            {
                live.Add((slot, due.End));
            }
        }

        return live;
    }

    // Puts a restored slot where Open would have: at the tail of its end's wheel bucket, or into the close queue.
    private void ScheduleRestored(int slot, long due)
    {
        if (!_wheel)
        {
            _closing.Enqueue((uint)slot | ((long)_gen[slot] << 32), (due, _seq++));
            return;
        }

        var b = (int)((due / _advance) & _bucketMask);
        _closeNext[slot] = -1;
        if (_bucketHead[b] < 0)
        {
            _bucketHead[b] = slot;
            _bucketEnd[b] = due;
        }
        else
        {
            _closeNext[_bucketTail[b]] = slot;
        }

        _bucketTail[b] = slot;
        _nextEnd = Math.Min(_nextEnd, due);
    }

    public void WriteSnapshot(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(_nl);
        writer.Write(_nd);
        writer.Write(_nw);
        writer.Write((byte)_kind);
        WriteCommonSnapshot(writer);
        writer.Write(_maxTime);
        writer.Write(_watermark);

        var live = LiveInCloseOrder();
        if (live.Count != _open)
        {
            throw new InvalidOperationException($"Window state of '{Name}' is inconsistent: {_open} open windows, {live.Count} due to close.");
        }

        var index = new Dictionary<int, int>(live.Count);
        writer.Write(live.Count);
        foreach (var (slot, due) in live)
        {
            index.Add(slot, index.Count);
            writer.Write(_keys.Keys[_keyOf[slot]]);
            writer.Write(_start[slot]);
            writer.Write(_end[slot]);
            writer.Write(due);
            for (var i = 0; i < _nl; i++)
            {
                writer.Write(_l[(slot * _nl) + i]);
            }

            for (var i = 0; i < _nd; i++)
            {
                writer.Write(_d[(slot * _nd) + i]);
            }

            for (var i = 0; i < _nw; i++)
            {
                var value = _w[(slot * _nw) + i];
                writer.Write((ulong)(value >> 64));
                writer.Write((ulong)value);
            }
        }

        // Chains: per key with open windows (in key text order, so equal states write equal bytes whatever order their
        // keys were first seen in), the snapshot indices from head to tail.
        var chains = new List<List<int>>();
        foreach (var key in KeysInTextOrder(_head.Length))
        {
            if (_head[key] < 0)
            {
                continue;
            }

            var chain = new List<int>();
            for (var s = _head[key]; s >= 0; s = _next[s])
            {
                chain.Add(index[s]);
            }

            chains.Add(chain);
        }

        writer.Write(chains.Count);
        foreach (var chain in chains)
        {
            writer.Write(chain.Count);
            foreach (var i in chain)
            {
                writer.Write(i);
            }
        }

        WriteSlidingRings(writer);
    }

    /// <summary>Key indices below <paramref name="count"/> ordered by their text (ordinal): the snapshot's canonical key order.</summary>
    private IEnumerable<int> KeysInTextOrder(int count) =>
        Enumerable.Range(0, Math.Min(count, _keys.Keys.Count)).OrderBy(k => _keys.Keys[k], StringComparer.Ordinal);

    // Sliding windows: per key with events, its ring from oldest to newest (the order ApplySliding keeps).
    private void WriteSlidingRings(BinaryWriter writer)
    {
        var keys = 0;
        for (var key = 0; key < _sk.Length; key++)
        {
            keys += _sk[key].Count > 0 ? 1 : 0;
        }

        writer.Write(_slidingEvents);
        writer.Write(keys);
        foreach (var key in KeysInTextOrder(_sk.Length))
        {
            var count = _sk[key].Count;
            if (count == 0)
            {
                continue;
            }

            var ring = _sk[key].Ring!;
            writer.Write(_keys.Keys[key]);
            writer.Write(count);
            writer.Write(_sk[key].Front);
            writer.Write(_sk[key].Mid);
            for (var i = 0; i < count; i++)
            {
                CqlSnapshotEvents.Write(writer, in ring[(_sk[key].Head + i) & (ring.Length - 1)]);
            }
        }
    }

    private void RestoreSlidingRings(BinaryReader reader, int format)
    {
        var events = reader.ReadInt32();
        var keys = reader.ReadInt32();
        var restored = 0;
        for (var k = 0; k < keys; k++)
        {
            var keyText = CqlSnapshotEvents.ReadKey(reader);
            var key = _groupByKey ? _keys.GetOrAdd(keyText) : 0;
            var count = reader.ReadInt32();
            var front = format >= 3 ? reader.ReadInt32() : -1;
            var mid = format >= 3 ? reader.ReadInt32() : -1;
            if (count <= 0 || _kind != CqlWindowKind.Sliding || front > count || mid > count || (mid >= 0 && mid < front))
            {
                throw new InvalidDataException($"The snapshot of '{Name}' has a damaged sliding-window ring for '{keyText}'.");
            }

            if (key >= _sk.Length)
            {
                GrowSlidingKeys(key);
            }

            var ring = NewRing(key, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(4, count)));
            for (var i = 0; i < count; i++)
            {
                ring[i] = CqlSnapshotEvents.Read<T>(reader, Join);
            }

            _sk[key].Ring = ring;
            _sk[key].Head = 0;
            _sk[key].Count = count;
            RebuildSlidingAggregates(key, front, mid);
            restored += count;
        }

        if (restored != events)
        {
            throw new InvalidDataException($"The snapshot of '{Name}' is damaged: {events} sliding-window events announced, {restored} found.");
        }

        _slidingEvents = events;
    }

    public void RestoreSnapshot(BinaryReader reader) => RestoreSnapshot(reader, CqlSnapshots.Format);

    public void RestoreSnapshot(BinaryReader reader, int format)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (_open != 0 || EventsIn != 0 || _slidingEvents != 0)
        {
            throw new InvalidOperationException($"Query '{Name}' already has state; restore a snapshot into a freshly compiled query.");
        }

        if (reader.ReadInt32() != _nl || reader.ReadInt32() != _nd || reader.ReadInt32() != _nw || reader.ReadByte() != (byte)_kind)
        {
            throw new InvalidDataException($"The snapshot of '{Name}' has another aggregate layout or window kind: the query changed since it was taken.");
        }

        RestoreCommonSnapshot(reader);
        _maxTime = reader.ReadInt64();
        _watermark = reader.ReadInt64();
        var count = reader.ReadInt32();
        var slots = new int[count];
        for (var n = 0; n < count; n++)
        {
            var keyText = CqlSnapshotEvents.ReadKey(reader);
            var key = _groupByKey ? _keys.GetOrAdd(keyText) : 0;
            if (key >= _head.Length)
            {
                GrowKeys();
            }

            if (_free < 0)
            {
                Grow(_start.Length * 2);
            }

            var slot = _free;
            _free = _next[slot];
            _start[slot] = reader.ReadInt64();
            _end[slot] = reader.ReadInt64();
            var due = reader.ReadInt64();
            for (var i = 0; i < _nl; i++)
            {
                _l[(slot * _nl) + i] = reader.ReadInt64();
            }

            for (var i = 0; i < _nd; i++)
            {
                _d[(slot * _nd) + i] = reader.ReadDouble();
            }

            for (var i = 0; i < _nw; i++)
            {
                var hi = reader.ReadUInt64();
                var lo = reader.ReadUInt64();
                _w[(slot * _nw) + i] = (Int128)new UInt128(hi, lo);
            }

            _keyOf[slot] = key;
            _next[slot] = -1;
            _open++;
            ScheduleRestored(slot, due);
            slots[n] = slot;
        }

        var chains = reader.ReadInt32();
        for (var c = 0; c < chains; c++)
        {
            var length = reader.ReadInt32();
            var previous = -1;
            for (var i = 0; i < length; i++)
            {
                var slot = slots[reader.ReadInt32()];
                _prev[slot] = previous;
                if (previous < 0)
                {
                    _head[_keyOf[slot]] = slot;
                }
                else
                {
                    _next[previous] = slot;
                }

                previous = slot;
            }
        }

        RestoreSlidingRings(reader, format);
    }

    /// <summary>
    /// Rebuilds a restored key's incremental state from its ring (see ApplySliding): the window starts after the key's
    /// latest time − size; the front's suffixes over [window, front), the middle's aggregate over [front, mid) and all
    /// its suffixes, and the back over [mid, count) are computed as the running query computed them, so the rows after
    /// a restart are the same to the last bit. A format-2 snapshot has no offsets: the whole window becomes the back.
    /// </summary>
    private void RebuildSlidingAggregates(int key, int front, int mid)
    {
        var ring = _sk[key].Ring!;
        var count = _sk[key].Count;
        var from = EventAccess.Time(in ring[count - 1]) - _size;
        var win = 0;
        while (win < count && EventAccess.Time(in ring[win]) <= from)
        {
            win++;
        }

        front = Math.Max(front, win);
        mid = Math.Max(mid, front);
        _sk[key].Win = win;
        _sk[key].Front = front;
        _sk[key].Conv = front;
        _sk[key].Mid = mid;
        FoldSuffixes(key, win, front, front);
        FoldSuffixes(key, front, mid, mid);
        ResetAggregate(_ml, _md, _mw, key);
        for (var i = front; i < mid; i++)
        {
            _update(in ring[i], _ml, _md, _mw, key * _nl, key * _nd, key * _nw);
        }

        ResetAggregate(_bl, _bd, _bw, key);
        for (var i = mid; i < count; i++)
        {
            _update(in ring[i], _bl, _bd, _bw, key * _nl, key * _nd, key * _nw);
        }
    }
}
