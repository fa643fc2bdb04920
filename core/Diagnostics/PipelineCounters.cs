using System.Collections.Concurrent;

namespace BigDataTrading.Core.Diagnostics;

/// <summary>
/// Live counters of one process's pipeline stages, read by progress displays and summaries. Every member is
/// thread-safe (interlocked increments); reads are individually atomic, not a consistent snapshot across counters.
/// </summary>
public sealed class PipelineCounters
{
    private readonly ConcurrentDictionary<string, long> _rejections = new(StringComparer.Ordinal);
    private long _sourceTicks;
    private long _sourceErrors;
    private long _published;
    private long _processed;
    private long _accepted;
    private long _rejected;
    private long _bars;
    private long _signals;
    private long _ordersSent;
    private long _ordersRiskRejected;
    private long _fills;
    private long _executionReports;

    /// <summary>Ticks read from the source.</summary>
    public long SourceTicks => Volatile.Read(ref _sourceTicks);

    /// <summary>Source records that could not be parsed (reported with location, never dropped silently).</summary>
    public long SourceErrors => Volatile.Read(ref _sourceErrors);

    /// <summary>Ticks acknowledged by Kafka on the raw topic.</summary>
    public long Published => Volatile.Read(ref _published);

    /// <summary>Raw ticks consumed by the stream processor.</summary>
    public long Processed => Volatile.Read(ref _processed);

    /// <summary>Ticks accepted by the quality filter.</summary>
    public long Accepted => Volatile.Read(ref _accepted);

    /// <summary>Ticks rejected by the quality filter (each counted under its reason too).</summary>
    public long Rejected => Volatile.Read(ref _rejected);

    /// <summary>Bars completed.</summary>
    public long Bars => Volatile.Read(ref _bars);

    /// <summary>Signals emitted by strategies.</summary>
    public long Signals => Volatile.Read(ref _signals);

    /// <summary>Orders that passed risk and were sent to a venue.</summary>
    public long OrdersSent => Volatile.Read(ref _ordersSent);

    /// <summary>Orders refused by pre-trade risk.</summary>
    public long OrdersRiskRejected => Volatile.Read(ref _ordersRiskRejected);

    /// <summary>Fills received.</summary>
    public long Fills => Volatile.Read(ref _fills);

    /// <summary>Execution reports received.</summary>
    public long ExecutionReports => Volatile.Read(ref _executionReports);

    /// <summary>Rejections per reason code, ordered by reason.</summary>
    public IReadOnlyList<KeyValuePair<string, long>> RejectionsByReason =>
        _rejections.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();

    /// <summary>Counts one source tick.</summary>
    public void OnSourceTick() => Interlocked.Increment(ref _sourceTicks);

    /// <summary>Counts one unparseable source record.</summary>
    public void OnSourceError() => Interlocked.Increment(ref _sourceErrors);

    /// <summary>Counts one tick acknowledged by Kafka.</summary>
    public void OnPublished() => Interlocked.Increment(ref _published);

    /// <summary>Counts one consumed raw tick.</summary>
    public void OnProcessed() => Interlocked.Increment(ref _processed);

    /// <summary>Counts one accepted tick.</summary>
    public void OnAccepted() => Interlocked.Increment(ref _accepted);

    /// <summary>Counts one rejected tick under its reason code.</summary>
    public void OnRejected(string reason)
    {
        Interlocked.Increment(ref _rejected);
        _rejections.AddOrUpdate(reason, 1, static (_, n) => n + 1);
    }

    /// <summary>Counts one completed bar.</summary>
    public void OnBar() => Interlocked.Increment(ref _bars);

    /// <summary>Counts one signal.</summary>
    public void OnSignal() => Interlocked.Increment(ref _signals);

    /// <summary>Counts one order sent.</summary>
    public void OnOrderSent() => Interlocked.Increment(ref _ordersSent);

    /// <summary>Counts one order refused by risk.</summary>
    public void OnOrderRiskRejected() => Interlocked.Increment(ref _ordersRiskRejected);

    /// <summary>Counts one execution report, and one fill when it is a trade.</summary>
    public void OnExecutionReport(bool isFill)
    {
        Interlocked.Increment(ref _executionReports);
        if (isFill)
        {
            Interlocked.Increment(ref _fills);
        }
    }
}
