namespace BigDataTrading.Streaming.Cql;

/// <summary>Checkpointing of pattern state (see <see cref="ICqlSnapshotable"/>).</summary>
/// <remarks>
/// A snapshot holds the counters (evictions included), the watermark, the reorder buffer's events in release order, and
/// every pending partial match in expiry order: its key's text, the step it waits for, its start time, its deadline and
/// the events its matched steps captured. A key's chain and the expiry queue are both in start order (a match is
/// appended to both when it starts and leaves both when it ends), so replaying the matches in expiry order rebuilds each
/// key's chain too; the writer checks that invariant rather than trusting it. Slot numbers and generations are not part
/// of the format.
/// </remarks>
internal sealed partial class PatternQuery<T> : ICqlSnapshotable
{
    public bool CanSnapshot => true;

    public void WriteSnapshot(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(_conditions.Length);
        writer.Write(_width);
        writer.Write(_absentStep);
        WriteCommonSnapshot(writer);
        writer.Write(_maxTime);
        writer.Write(_watermark);

        writer.Write(_bufferCount);
        for (var i = 0; i < _bufferCount; i++)
        {
            CqlSnapshotEvents.Write(writer, in _buffer[(_bufferHead + i) & (_buffer.Length - 1)]);
        }

        var live = LiveInExpiryOrder();
        writer.Write(live.Count);
        foreach (var (s, deadline) in live)
        {
            writer.Write(_keys.Keys[_keyOf[s]]);
            writer.Write(_step[s]);
            writer.Write(_startTime[s]);
            writer.Write(deadline);
            var captured = Math.Min(_step[s], _width);
            for (var i = 0; i < captured; i++)
            {
                CqlSnapshotEvents.Write(writer, in _captured[(s * _width) + i]);
            }
        }
    }

    public void RestoreSnapshot(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (_pending != 0 || _bufferCount != 0 || EventsIn != 0)
        {
            throw new InvalidOperationException($"Query '{Name}' already has state; restore a snapshot into a freshly compiled query.");
        }

        if (reader.ReadInt32() != _conditions.Length || reader.ReadInt32() != _width || reader.ReadInt32() != _absentStep)
        {
            throw new InvalidDataException($"The snapshot of '{Name}' has another pattern shape: the query changed since it was taken.");
        }

        RestoreCommonSnapshot(reader);
        _maxTime = reader.ReadInt64();
        _watermark = reader.ReadInt64();

        var buffered = reader.ReadInt32();
        for (var i = 0; i < buffered; i++)
        {
            var e = CqlSnapshotEvents.Read<T>(reader, join: null);
            Buffer(in e, EventAccess.Time(in e));
        }

        var matches = reader.ReadInt32();
        for (var m = 0; m < matches; m++)
        {
            var keyText = CqlSnapshotEvents.ReadKey(reader);
            var key = _keys.GetOrAdd(keyText);
            if (key >= _head.Length)
            {
                GrowKeys();
            }

            var step = reader.ReadInt32();
            if (step < 1 || step > _width || (step == _width && _absentStep < 0))
            {
                throw new InvalidDataException($"The snapshot of '{Name}' has a partial match of '{keyText}' at step {step}, which this pattern cannot be waiting for.");
            }

            var start = reader.ReadInt64();
            var deadline = reader.ReadInt64();
            var s = Allocate();
            for (var i = 0; i < Math.Min(step, _width); i++)
            {
                _captured[(s * _width) + i] = CqlSnapshotEvents.Read<T>(reader, join: null);
            }

            _step[s] = step;
            Link(s, key, start, deadline);
        }
    }

    // Pending matches with their deadlines, in expiry order (stale queue entries of ended matches skipped).
    private List<(int Slot, long Deadline)> LiveInExpiryOrder()
    {
        var live = new List<(int Slot, long Deadline)>(_pending);
        var order = new Dictionary<int, int>(_pending);
        for (var i = 0; i < _expiryCount; i++)
        {
            var at = (_expiryHead + i) & (_expirySlot.Length - 1);
            var s = (int)(_expirySlot[at] & 0xFFFF_FFFF);
            if (_gen[s] == (int)(_expirySlot[at] >>> 32))
            {
                order.Add(s, live.Count);
                live.Add((s, _expiryDeadline[at]));
            }
        }

        // Each key's chain must be a subsequence of the expiry order, or restoring in that order would reorder it.
        var chained = 0;
        for (var key = 0; key < _head.Length; key++)
        {
            var last = -1;
            for (var s = _head[key]; s >= 0; s = _next[s])
            {
                if (!order.TryGetValue(s, out var position) || position < last)
                {
                    throw new InvalidOperationException($"Pattern state of '{Name}' is inconsistent: key '{_keys.Keys[key]}' has a match out of start order.");
                }

                last = position;
                chained++;
            }
        }

        if (live.Count != _pending || chained != _pending)
        {
            throw new InvalidOperationException($"Pattern state of '{Name}' is inconsistent: {_pending} pending matches, {live.Count} due to expire, {chained} chained.");
        }

        return live;
    }
}
