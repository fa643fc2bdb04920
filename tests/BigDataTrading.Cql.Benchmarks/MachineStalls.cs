using System.Diagnostics;

namespace BigDataTrading.Cql.Benchmarks;

/// <summary>
/// How often, and for how long, the machine takes the benchmark thread away (timer ticks, hypervisor exits, the other
/// core's work): a loop that only reads the clock, so every gap between two reads longer than the read itself is a stall.
/// From the stalls it derives the latency floor of any paced handler: with utilization u, an event that arrives t after a
/// stall of length T began waits T − (1 − u)·t, so it is more than 5 µs late when t &lt; (T − 5 µs) / (1 − u). The share of
/// events that late, over the stalls seen, says whether p99 ≤ 5 µs is possible at that utilization on this machine.
/// </summary>
internal static class MachineStalls
{
    private static readonly double[] Utilizations = [0.1, 0.2, 0.3, 0.4, 0.5];

    public static int Run(int seconds)
    {
        var nanosPerTick = 1e9 / Stopwatch.Frequency;
        var gaps = new LatencyHistogram();
        // Room for ~10,000 stalls ≥ 1 µs a second, allocated up front: growing the list while timing would itself stall.
        var stalls = new List<(long At, long Length)>(Math.Max(1, seconds) * 10_000);
        long dropped = 0;
        var start = Stopwatch.GetTimestamp();
        var end = start + (seconds * Stopwatch.Frequency);
        var previous = start;
        long reads = 0;
        while (true)
        {
            var now = Stopwatch.GetTimestamp();
            reads++;
            var gap = (long)((now - previous) * nanosPerTick);
            gaps.Record(gap);
            if (gap >= 1_000)
            {
                if (stalls.Count < stalls.Capacity)
                {
                    stalls.Add(((long)((previous - start) * nanosPerTick), gap));
                }
                else
                {
                    dropped++;
                }
            }

            previous = now;
            if (now >= end)
            {
                break;
            }
        }

        var spanNanos = (previous - start) * nanosPerTick;
        Console.WriteLine($"machine stalls: one thread reading the clock for {seconds} s ({reads:N0} reads, a read takes {spanNanos / reads:F0} ns on average)");
        if (dropped > 0)
        {
            Console.WriteLine($"  warning: {dropped:N0} stalls ≥ 1 µs did not fit the list and are left out below, so the rates and shares are too low");
        }

        Console.WriteLine($"  gap between reads: p50 {gaps.Percentile(50):N0} ns  p99.9 {gaps.Percentile(99.9):N0} ns  p99.99 {gaps.Percentile(99.99):N0} ns  max {gaps.Max:N0} ns");
        foreach (var threshold in new long[] { 1_000, 5_000, 20_000, 100_000 })
        {
            var over = stalls.Where(s => s.Length >= threshold).ToList();
            var lost = over.Sum(s => (double)s.Length);
            Console.WriteLine($"  stalls ≥ {threshold / 1000,3} µs: {over.Count / (spanNanos / 1e9),7:N0} per s, mean {(over.Count == 0 ? 0 : lost / over.Count / 1000):F1} µs, {lost / spanNanos * 100:F2} % of the time");
        }

        var long20 = stalls.Where(s => s.Length >= 20_000).Select(s => s.At).ToList();
        if (long20.Count > 2)
        {
            var spacing = long20.Zip(long20.Skip(1), (a, b) => (double)(b - a) / 1e6).ToList();
            Console.WriteLine($"  time between stalls ≥ 20 µs: median {Program.Median(spacing):F2} ms");
        }

        Console.WriteLine("  events more than 5 µs late, from these stalls alone, for a handler paced at utilization u (no variance of its own):");
        foreach (var u in Utilizations)
        {
            var late = stalls.Sum(s => Math.Max(0, s.Length - 5_000) / (1 - u));
            Console.WriteLine($"    u = {u:F1}: {late / spanNanos * 100:F2} % of events{(late / spanNanos > 0.01 ? " (> 1 %: p99 ≤ 5 µs impossible)" : string.Empty)}");
        }

        return 0;
    }
}
