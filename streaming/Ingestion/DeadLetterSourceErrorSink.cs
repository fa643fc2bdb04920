using BigDataTrading.Sources;

namespace BigDataTrading.Streaming.Ingestion;

/// <summary>
/// Sends every record a source could not parse to the ingestor's dead-letter topic, with its reason, location
/// (file:line) and field, so a malformed line is kept and counted like any other rejection. Thread-safe as the
/// ingestor's <see cref="MarketDataIngestor.RejectUnparsed"/> is.
/// </summary>
public sealed class DeadLetterSourceErrorSink(MarketDataIngestor ingestor) : ISourceErrorSink
{
    /// <inheritdoc />
    public void Report(SourceError error) => ingestor.RejectUnparsed(
        error.Kind switch
        {
            SourceErrorKind.NonFinitePrice => IngestRejectReason.NonFinitePrice,
            SourceErrorKind.NonFiniteSize => IngestRejectReason.NonFiniteSize,
            _ => IngestRejectReason.Malformed,
        },
        error.Location,
        error.Field,
        error.Reason,
        error.RawLine);
}
