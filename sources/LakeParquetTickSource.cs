using System.Globalization;
using System.Runtime.CompilerServices;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Warehouse;

namespace BigDataTrading.Sources;

/// <summary>
/// Replays the lake's tick dataset (<c>&lt;root&gt;/ticks/date=…/part-*.parquet</c>, or another tick-schema dataset) in
/// event-time order: partition by partition (dates ascending), each partition's files merged and sorted by
/// (time, symbol, sequence), so every symbol's ticks come in event-time order and symbols interleave as they traded.
/// </summary>
/// <remarks>
/// Memory is one partition's ticks (about 40 bytes each) at a time. A file that cannot be read (truncated, corrupt,
/// foreign schema) is never replayed as valid: by default the replay throws <see cref="InvalidDataException"/> naming it;
/// with <c>skipUnreadableFiles</c> it is reported to the <see cref="ISourceErrorSink"/> (location = the file, field
/// <c>file</c>) and the rest of the partition is replayed. Staged (<c>.tmp</c>) and bookkeeping (<c>_*</c>) files are
/// never read. Immutable and thread-safe; each enumeration lists the files anew.
/// </remarks>
public sealed class LakeParquetTickSource : IMarketDataSource
{
    private readonly ISourceErrorSink _errors;
    private readonly bool _skipUnreadable;

    /// <summary>Creates a replay of <paramref name="dataset"/> in the lake at <paramref name="lakeRoot"/>.</summary>
    /// <param name="lakeRoot">Lake root folder.</param>
    /// <param name="errors">Receives unreadable files when <paramref name="skipUnreadableFiles"/> is set.</param>
    /// <param name="dataset">A tick-schema dataset; default <see cref="LakeDatasets.Ticks"/>.</param>
    /// <param name="from">First partition date to replay (inclusive), or null for the first.</param>
    /// <param name="to">Last partition date to replay (inclusive), or null for the last.</param>
    /// <param name="skipUnreadableFiles">Report and skip unreadable files instead of failing the replay.</param>
    public LakeParquetTickSource(string lakeRoot, ISourceErrorSink errors, string dataset = LakeDatasets.Ticks, DateOnly? from = null, DateOnly? to = null, bool skipUnreadableFiles = false)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (!LakeSchemas.IsTickDataset(dataset))
        {
            throw new ArgumentException($"'{dataset}' is not a tick dataset.", nameof(dataset));
        }

        Lake = new LakeLayout(lakeRoot);
        Dataset = dataset;
        From = from;
        To = to;
        _errors = errors;
        _skipUnreadable = skipUnreadableFiles;
    }

    /// <summary>The lake read.</summary>
    public LakeLayout Lake { get; }

    /// <summary>The dataset replayed.</summary>
    public string Dataset { get; }

    /// <summary>First partition replayed, or null.</summary>
    public DateOnly? From { get; }

    /// <summary>Last partition replayed, or null.</summary>
    public DateOnly? To { get; }

    /// <inheritdoc />
    public string Description => string.Create(CultureInfo.InvariantCulture, $"lake {Dataset} replay ({Lake.Root}{(From is null && To is null ? "" : $", {From:yyyy-MM-dd}..{To:yyyy-MM-dd}")})");

    /// <inheritdoc />
    public async IAsyncEnumerable<TradeTick> ReadTradesAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        foreach (var date in Lake.ListPartitions(Dataset))
        {
            if ((From is { } f && date < f) || (To is { } t && date > t))
            {
                continue;
            }

            // Parquet decoding is synchronous and CPU-bound: do it off the caller's context.
            var ticks = await Task.Run(() => ReadPartition(date, ct), ct);
            foreach (var tick in ticks)
            {
                ct.ThrowIfCancellationRequested();
                yield return tick;
            }
        }
    }

    private List<TradeTick> ReadPartition(DateOnly date, CancellationToken ct)
    {
        var all = new List<TradeTick>();
        foreach (var file in Lake.ListPartFiles(Dataset, date))
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                all.AddRange(LakeTickFileReader.ReadFile(file));
            }
            catch (InvalidDataException e) when (_skipUnreadable)
            {
                _errors.Report(new SourceError(file, "file", e.Message, string.Empty));
            }
        }

        all.Sort(static (a, b) =>
        {
            var c = a.Time.CompareTo(b.Time);
            if (c != 0)
            {
                return c;
            }

            c = a.Symbol.CompareTo(b.Symbol);
            return c != 0 ? c : a.Sequence.CompareTo(b.Sequence);
        });
        return all;
    }
}
