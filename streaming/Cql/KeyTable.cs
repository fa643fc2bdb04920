using System.Runtime.CompilerServices;

namespace BigDataTrading.Streaming.Cql;

/// <summary>
/// Maps a group key (a symbol's interned text) to a dense index. Open addressing on the string's identity, because
/// symbols are interned and an identity hash costs a few instructions where a text hash walks every character; a key
/// that is equal but not the same instance (not interned) is found through an ordinal dictionary on the miss path and
/// cached, so correctness does not depend on interning. Allocation-free once every key has been seen. Not thread-safe.
/// </summary>
internal sealed class KeyTable
{
    private readonly Dictionary<string, int> _byText = new(StringComparer.Ordinal);
    private string?[] _slots = new string?[64];
    private int[] _values = new int[64];
    private int _used;
    private string? _lastKey;
    private int _lastIndex;

    /// <summary>Keys by index.</summary>
    public List<string> Keys { get; } = [];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int GetOrAdd(string key)
    {
        // Ticks of one symbol often come in bursts: skip the probe when the key repeats.
        if (ReferenceEquals(key, _lastKey))
        {
            return _lastIndex;
        }

        var mask = _slots.Length - 1;
        var i = RuntimeHelpers.GetHashCode(key) & mask;
        while (true)
        {
            var k = _slots[i];
            if (ReferenceEquals(k, key))
            {
                _lastKey = key;
                return _lastIndex = _values[i];
            }

            if (k is null)
            {
                return Insert(key);
            }

            i = (i + 1) & mask;
        }
    }

    private int Insert(string key)
    {
        if (!_byText.TryGetValue(key, out var index))
        {
            index = Keys.Count;
            Keys.Add(key);
            _byText.Add(key, index);
        }

        if ((_used + 1) * 2 > _slots.Length)
        {
            Grow();
        }

        Place(key, index);
        _lastKey = key;
        _lastIndex = index;
        return index;
    }

    private void Place(string key, int index)
    {
        var mask = _slots.Length - 1;
        var i = RuntimeHelpers.GetHashCode(key) & mask;
        while (_slots[i] is not null)
        {
            i = (i + 1) & mask;
        }

        _slots[i] = key;
        _values[i] = index;
        _used++;
    }

    private void Grow()
    {
        var oldSlots = _slots;
        var oldValues = _values;
        _slots = new string?[oldSlots.Length * 2];
        _values = new int[oldSlots.Length * 2];
        _used = 0;
        for (var i = 0; i < oldSlots.Length; i++)
        {
            if (oldSlots[i] is { } k)
            {
                Place(k, oldValues[i]);
            }
        }
    }
}
