using System.Collections.Concurrent;

namespace BigDataTrading.Sources;

/// <summary>
/// An <see cref="ISourceErrorSink"/> that counts errors (in total and per field) and keeps the first few for
/// inspection. Thread-safe; memory is bounded by <see cref="KeepFirst"/> plus one counter per distinct field name.
/// </summary>
public sealed class CountingSourceErrorSink : ISourceErrorSink
{
    private readonly List<SourceError> _first = [];
    private readonly ConcurrentDictionary<string, long> _byField = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private long _count;

    /// <summary>Creates a sink that keeps the first <paramref name="keepFirst"/> errors (0 or more).</summary>
    public CountingSourceErrorSink(int keepFirst = 100)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keepFirst);
        KeepFirst = keepFirst;
    }

    /// <summary>How many errors are kept in <see cref="FirstErrors"/>.</summary>
    public int KeepFirst { get; }

    /// <summary>Total errors reported so far.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>A snapshot of the first errors, in the order they were reported.</summary>
    public IReadOnlyList<SourceError> FirstErrors
    {
        get
        {
            lock (_gate)
            {
                return [.. _first];
            }
        }
    }

    /// <summary>A snapshot of the error counts per <see cref="SourceError.Field"/>.</summary>
    public IReadOnlyDictionary<string, long> CountByField => new Dictionary<string, long>(_byField, StringComparer.Ordinal);

    /// <inheritdoc />
    public void Report(SourceError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        Interlocked.Increment(ref _count);
        _byField.AddOrUpdate(error.Field, 1, static (_, n) => n + 1);
        if (_first.Count < KeepFirst)
        {
            lock (_gate)
            {
                if (_first.Count < KeepFirst)
                {
                    _first.Add(error);
                }
            }
        }
    }
}
