namespace BigDataTrading.Sources;

/// <summary>One input record a source could not turn into a tick.</summary>
/// <param name="Location">Where it was, as <c>file:line</c> (1-based line), or another locator for non-file sources.</param>
/// <param name="Field">The field that failed (e.g. <c>price</c>), or <c>line</c> when the record as a whole is wrong.</param>
/// <param name="Reason">What was wrong, in words a data engineer can act on.</param>
/// <param name="RawLine">The record as read (ASCII, without the line terminator).</param>
public sealed record SourceError(string Location, string Field, string Reason, string RawLine)
{
    /// <summary>What kind of defect it is; <see cref="SourceErrorKind.Malformed"/> unless the source says otherwise.
    /// Ingestion turns the kind into the dead-letter reason code.</summary>
    public SourceErrorKind Kind { get; init; } = SourceErrorKind.Malformed;
}

/// <summary>Kinds of input defects a source reports. Values are stable: they are counted and stored.</summary>
public enum SourceErrorKind
{
    /// <summary>The record does not parse (wrong field count, not a number, bad date, ...).</summary>
    Malformed = 0,

    /// <summary>A price field holds NaN or an infinity (fixed-point prices cannot carry it, so it cannot become a tick).</summary>
    NonFinitePrice = 1,

    /// <summary>A size or volume field holds NaN or an infinity.</summary>
    NonFiniteSize = 2,
}

/// <summary>
/// Receives every record a source had to skip, so bad input is counted and inspectable instead of silently lost.
/// </summary>
/// <remarks>Implementations must be thread-safe: several sources may share one sink and report concurrently.
/// <see cref="Report"/> is called on the reading thread, so it should be cheap and must not throw.</remarks>
public interface ISourceErrorSink
{
    /// <summary>Records one skipped input record.</summary>
    void Report(SourceError error);
}
