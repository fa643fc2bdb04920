namespace BigDataTrading.Cql.Benchmarks;

/// <summary>
/// An HDR-style log-linear histogram of non-negative values (nanoseconds): exact below 128, then 64 sub-buckets per
/// power of two (relative error ≤ 1/64 ≈ 1.6 %). Recording is allocation-free. Not thread-safe.
/// </summary>
public sealed class LatencyHistogram
{
    private const int Linear = 128;
    private const int SubBits = 6;
    private readonly long[] _counts = new long[Linear + ((64 - 7) << SubBits)];

    public long Count { get; private set; }

    public long Max { get; private set; }

    /// <summary>The sum of the recorded values (ns).</summary>
    public long Sum { get; private set; }

    public void Record(long value)
    {
        if (value < 0)
        {
            value = 0;
        }

        _counts[Index(value)]++;
        Count++;
        Sum += value;
        Max = Math.Max(Max, value);
    }

    /// <summary>The value at or below which <paramref name="percentile"/> % of the recorded values fall (upper edge of the bucket).</summary>
    public long Percentile(double percentile)
    {
        var target = (long)Math.Ceiling(Count * percentile / 100.0);
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= target && seen > 0)
            {
                return Math.Min(UpperEdge(i), Max);
            }
        }

        return Max;
    }

    private static int Index(long v)
    {
        if (v < Linear)
        {
            return (int)v;
        }

        var k = 63 - (int)long.LeadingZeroCount(v);      // 7.. for v ≥ 128
        var sub = (int)((v >> (k - SubBits)) & ((1 << SubBits) - 1));
        return Linear + ((k - 7) << SubBits) + sub;
    }

    private static long UpperEdge(int index)
    {
        if (index < Linear)
        {
            return index;
        }

        var k = ((index - Linear) >> SubBits) + 7;
        var sub = (index - Linear) & ((1 << SubBits) - 1);
        return (1L << k) + ((long)(sub + 1) << (k - SubBits)) - 1;
    }
}
