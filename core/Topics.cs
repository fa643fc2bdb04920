namespace BigDataTrading.Core;

/// <summary>
/// Names of the Kafka topics the layers meet on. Layers never call each other directly: a component publishes to a
/// topic and another consumes it, so each can run in its own process or machine.
/// </summary>
public static class Topics
{
    /// <summary>Raw market data from sources, key = symbol, value = <see cref="Wire.MarketDataCodec"/> record.</summary>
    public const string RawTicks = "md.ticks.raw";

    /// <summary>Ticks that passed the quality filter, key = symbol.</summary>
    public const string Ticks = "md.ticks";

    /// <summary>Ticks refused by the quality filter; the reason is in the <c>bdt-reason</c> header. Nothing is dropped silently.</summary>
    public const string RejectedTicks = "md.ticks.rejected";

    /// <summary>1-minute bars, key = symbol.</summary>
    public const string Bars = "md.bars.1m";

    /// <summary>Strategy signals (JSON), key = symbol.</summary>
    public const string Signals = "signals";

    /// <summary>Every order intent and risk decision (JSON), the backup record of order flow.</summary>
    public const string Orders = "orders";

    /// <summary>Every execution report (JSON).</summary>
    public const string Executions = "executions";

    /// <summary>Header carrying a control marker; value <see cref="EndOfStream"/> closes a replay on that partition.</summary>
    public const string ControlHeader = "bdt-control";

    /// <summary>Control value: no more records will follow on this partition for this run.</summary>
    public const string EndOfStream = "eos";

    /// <summary>Header carrying a rejection reason code on dead-letter records.</summary>
    public const string ReasonHeader = "bdt-reason";
}
