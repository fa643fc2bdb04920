using BigDataTrading.Core.MarketData;

namespace BigDataTrading.Jobs.Etl;

/// <summary>What <see cref="TickCleaner.Clean"/> did to one batch. Immutable.</summary>
/// <param name="Ticks">Clean ticks sorted by (symbol, time, sequence), one per (symbol, sequence).</param>
/// <param name="Quality">Rows dropped by rule (<see cref="TickRejectReason"/> names: <c>Duplicate</c>,
/// <c>NonPositivePrice</c>, <c>NonPositiveSize</c>); rules with no drops are absent.</param>
public sealed record CleanTicks(TradeTick[] Ticks, IReadOnlyDictionary<string, long> Quality);

/// <summary>
/// The clean step of the batch ETL: drops prints with a non-positive price or size, keeps the first occurrence (in
/// input order) of each (symbol, sequence), and sorts by (symbol, time, sequence) — the order the bar job needs and the
/// lake's files are stored in. Stateless and thread-safe.
/// </summary>
/// <remarks>
/// Sequence numbers identify a source record, so a second row with the same (symbol, sequence) is a replay (an ingest
/// retried after a crash, two writers over one source) and is dropped, whatever its time. The common case — one
/// file, already sorted, sequences rising within each symbol — is recognised in one linear pass and costs no sort and
/// no hashing; otherwise the batch is sorted twice (by key to find duplicates, then by time).
/// </remarks>
public static class TickCleaner
{
    /// <summary>Cleans a batch (the list is not modified).</summary>
    public static CleanTicks Clean(IReadOnlyList<TradeTick> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        long nonPositivePrice = 0, nonPositiveSize = 0, duplicates = 0;
        var valid = new List<TradeTick>(input.Count);
        foreach (var t in input)
        {
            if (!t.Price.IsPositive)
            {
                nonPositivePrice++;
            }
            else if (t.Size <= 0)
            {
                nonPositiveSize++;
            }
            else
            {
                valid.Add(t);
            }
        }

        TradeTick[] result;
        if (IsSortedWithRisingSequences(valid))
        {
            result = [.. valid];
        }
        else
        {
            var keyed = new (TradeTick Tick, int Ordinal)[valid.Count];
            for (var i = 0; i < keyed.Length; i++)
            {
                keyed[i] = (valid[i], i);
            }

            Array.Sort(keyed, static (a, b) =>
            {
                var c = a.Tick.Symbol.CompareTo(b.Tick.Symbol);
                if (c != 0)
                {
                    return c;
                }

                c = a.Tick.Sequence.CompareTo(b.Tick.Sequence);
                return c != 0 ? c : a.Ordinal.CompareTo(b.Ordinal);
            });
            var kept = new List<TradeTick>(keyed.Length);
            for (var i = 0; i < keyed.Length; i++)
            {
                if (i > 0 && keyed[i].Tick.Symbol == keyed[i - 1].Tick.Symbol && keyed[i].Tick.Sequence == keyed[i - 1].Tick.Sequence)
                {
                    duplicates++;
                    continue;
                }

                kept.Add(keyed[i].Tick);
            }

            result = [.. kept];
            Array.Sort(result, Compare);
        }

        var quality = new Dictionary<string, long>(StringComparer.Ordinal);
        Add(quality, TickRejectReason.Duplicate, duplicates);
        Add(quality, TickRejectReason.NonPositivePrice, nonPositivePrice);
        Add(quality, TickRejectReason.NonPositiveSize, nonPositiveSize);
        return new CleanTicks(result, quality);
    }

    /// <summary>The order of clean ticks: symbol (ordinal), time, sequence.</summary>
    public static int Compare(TradeTick a, TradeTick b)
    {
        var c = a.Symbol.CompareTo(b.Symbol);
        if (c != 0)
        {
            return c;
        }

        c = a.Time.CompareTo(b.Time);
        return c != 0 ? c : a.Sequence.CompareTo(b.Sequence);
    }

    private static void Add(Dictionary<string, long> quality, TickRejectReason reason, long count)
    {
        if (count > 0)
        {
            quality[reason.ToString()] = count;
        }
    }

    /// <summary>True when the ticks are in clean order and, within each symbol, sequences strictly rise — which rules out
    /// a repeated (symbol, sequence).</summary>
    private static bool IsSortedWithRisingSequences(List<TradeTick> ticks)
    {
        for (var i = 1; i < ticks.Count; i++)
        {
            var a = ticks[i - 1];
            var b = ticks[i];
            var c = a.Symbol.CompareTo(b.Symbol);
            if (c > 0 || (c == 0 && (a.Time > b.Time || a.Sequence >= b.Sequence)))
            {
                return false;
            }
        }

        return true;
    }
}
