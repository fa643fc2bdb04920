using System.Globalization;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Warehouse.Catalog;

namespace BigDataTrading.Warehouse;

/// <summary>The steps of a <see cref="ManifestedTickWriter"/> commit, in order; a crash hook runs after each.</summary>
public enum LakeCommitStep
{
    /// <summary>Parquet files written and flushed under <c>_staging/</c> (invisible to readers).</summary>
    Staged = 0,

    /// <summary>The manifest is on disk: the commit has happened.</summary>
    ManifestWritten = 1,

    /// <summary>Staged files renamed into their partitions (visible to readers).</summary>
    Published = 2,

    /// <summary>Files registered in the lake catalog.</summary>
    Registered = 3,

    /// <summary>The consumer's Kafka offsets committed (done by the Kafka-side writer, after the manifest).</summary>
    OffsetsCommitted = 4,
}

/// <summary>Where a writer resumes after <see cref="ManifestedTickWriter.Recover"/>.</summary>
/// <param name="NextCommit">Number of the next commit.</param>
/// <param name="Resume">Per (topic, partition): the next offset to consume and whether the partition already ended.</param>
/// <param name="RolledForward">Files recovery published from manifests a crashed writer had not finished.</param>
/// <param name="DiscardedStagedFiles">Staged files of commits that never got a manifest, deleted.</param>
public sealed record LakeRecovery(int NextCommit, IReadOnlyDictionary<(string Topic, int Partition), (long NextOffset, bool Ended)> Resume, int RolledForward, int DiscardedStagedFiles);

/// <summary>
/// Writes market data to the lake — trades to <c>ticks</c>, quotes to <c>quotes</c>, bars to <c>bars</c> — with commits
/// that record the source offsets they cover, so a writer that crashes at any point and restarts neither loses nor
/// duplicates a row. One commit covers all three datasets (one manifest, one offset range per partition).
/// </summary>
/// <remarks>
/// <para>Commit protocol: (1) write each partition's Parquet (sorted by symbol, time, sequence) under
/// <c>_staging/&lt;writer&gt;/c&lt;n&gt;/</c> and flush it; (2) write the manifest <c>_manifests/&lt;writer&gt;/&lt;n&gt;.json</c>
/// (aside, fsync, rename) listing the files and the offsets — this is the commit point; (3) rename each staged file to
/// <c>&lt;dataset&gt;/date=…/part-&lt;writer&gt;-&lt;n&gt;.parquet</c> (same file system, so atomic); (4) register the files in the catalog.
/// The caller commits its Kafka offsets afterwards, for monitoring only: <see cref="Recover"/> resumes from the manifests.</para>
/// <para>Recovery: manifests whose files are still staged are rolled forward (renamed, then registered if the catalog
/// lacks them); staged files without a manifest are deleted; offsets resume after the last manifest's ranges.</para>
/// <para>Not thread-safe: one owner appends and commits. One process per writer id.</para>
/// </remarks>
public sealed class ManifestedTickWriter
{
    /// <summary>Folder of staged files under the lake root.</summary>
    public const string StagingFolderName = "_staging";

    private readonly LakeLayout _lake;
    private readonly LakeCatalog _catalog;
    private readonly LakeJobRun _run;
    private readonly LakeWriterOptions _options;
    private readonly Action<LakeCommitStep>? _afterStep;
    private readonly TimeProvider _clock;
    private readonly LakeManifestStore _manifests;
    private ParquetTickWriter? _trades;
    private ParquetQuoteWriter? _quotes;
    private ParquetBarWriter? _bars;
    private int _nextCommit = -1;

    /// <summary>Creates a writer; call <see cref="Recover"/> before the first commit.</summary>
    /// <param name="lake">The lake.</param>
    /// <param name="writerId">Writer identity (letters, digits, '_' and '-'); one process per id.</param>
    /// <param name="catalog">Catalog to register commits in.</param>
    /// <param name="run">Lineage of the commits (job, run id, inputs such as the topic).</param>
    /// <param name="clock">Wall time for manifests.</param>
    /// <param name="options">Parquet settings.</param>
    /// <param name="afterStep">Called after each commit step; a test throws from it to simulate a crash there.</param>
    public ManifestedTickWriter(LakeLayout lake, string writerId, LakeCatalog catalog, LakeJobRun run, TimeProvider clock, LakeWriterOptions? options = null, Action<LakeCommitStep>? afterStep = null)
    {
        ArgumentNullException.ThrowIfNull(lake);
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(clock);
        _lake = lake;
        WriterId = writerId;
        _manifests = new LakeManifestStore(lake, writerId);
        _catalog = catalog;
        _run = run;
        _clock = clock;
        _options = options ?? LakeWriterOptions.Default;
        _afterStep = afterStep;
    }

    /// <summary>The writer's identity.</summary>
    public string WriterId { get; }

    /// <summary>Rows appended since the last commit.</summary>
    public long BufferedRows => (_trades?.BufferedRows ?? 0) + (_quotes?.BufferedRows ?? 0) + (_bars?.BufferedRows ?? 0);

    /// <summary>The staging folder of this writer.</summary>
    public string StagingFolder => Path.Combine(_lake.Root, StagingFolderName, WriterId);

    /// <summary>Finishes what a crashed predecessor left (see the class remarks) and returns where to resume.</summary>
    /// <exception cref="InvalidDataException">A manifest names a file that is neither staged nor published (the lake was
    /// changed by hand), or a manifest is unreadable.</exception>
    public LakeRecovery Recover()
    {
        var manifests = _manifests.ReadAll();
        var rolled = 0;
        foreach (var manifest in manifests)
        {
            foreach (var file in manifest.Files)
            {
                var final = _lake.AbsolutePath(file.Final);
                if (File.Exists(final))
                {
                    continue;
                }

                var staged = _lake.AbsolutePath(file.Staged);
                if (!File.Exists(staged))
                {
                    throw new InvalidDataException($"Manifest {_manifests.PathOf(manifest.Commit)} lists '{file.Final}', which is neither published nor staged at '{file.Staged}'.");
                }

                Directory.CreateDirectory(Path.GetDirectoryName(final)!);
                File.Move(staged, final, overwrite: false);
                rolled++;
            }
        }

        var discarded = 0;
        if (Directory.Exists(StagingFolder))
        {
            // Every manifested file is published now, so whatever is staged belongs to a commit that never happened.
            discarded = Directory.EnumerateFiles(StagingFolder, "*", SearchOption.AllDirectories).Count();
            Directory.Delete(StagingFolder, recursive: true);
        }

        RegisterMissing(manifests);
        var resume = new Dictionary<(string, int), (long, bool)>();
        foreach (var range in manifests.SelectMany(m => m.Offsets))
        {
            var key = (range.Topic, range.Partition);
            if (!resume.TryGetValue(key, out var current) || range.To + 1 > current.Item1)
            {
                resume[key] = (range.To + 1, range.EndOfStream);
            }
        }

        _nextCommit = manifests.Count;
        return new LakeRecovery(_nextCommit, resume, rolled, discarded);
    }

    /// <summary>Buffers a trade for the next commit (dataset <see cref="LakeDatasets.Ticks"/>).</summary>
    public void Append(in TradeTick tick)
    {
        _trades ??= new ParquetTickWriter(Staging(), "s", _options);
        _trades.Append(tick);
    }

    /// <summary>Buffers a quote for the next commit (dataset <see cref="LakeDatasets.Quotes"/>).</summary>
    public void Append(in QuoteTick quote)
    {
        _quotes ??= new ParquetQuoteWriter(Staging(), "s", _options);
        _quotes.Append(quote);
    }

    /// <summary>Buffers a bar for the next commit (dataset <see cref="LakeDatasets.Bars"/>).</summary>
    public void Append(in Bar bar)
    {
        _bars ??= new ParquetBarWriter(Staging(), "s", _options, LakeDatasets.Bars);
        _bars.Append(bar);
    }

    // Each dataset stages under its own folder of the commit's staging lake, so the three never collide.
    private LakeLayout Staging() => new(StagingPath(NextCommitOrThrow()));

    /// <summary>Commits the buffered ticks together with the offsets they (and any skipped records) came from. A commit
    /// with offsets but no rows still writes a manifest, so the offsets advance.</summary>
    /// <returns>The manifest written, or null when there was nothing to commit.</returns>
    public LakeManifest? Commit(IReadOnlyList<LakeOffsetRange> offsets, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(offsets);
        var commit = NextCommitOrThrow();
        if (offsets.Count == 0 && BufferedRows == 0)
        {
            return null;
        }

        // (1) stage
        IEnumerable<LakePartFile> stagedFiles = [
            .. _trades?.Commit(ct).Files ?? [],
            .. _quotes?.Commit(ct).Files ?? [],
            .. _bars?.Commit(ct).Files ?? []];
        var staged = new LakeCommit([.. stagedFiles]);
        _trades = null;
        _quotes = null;
        _bars = null;
        _afterStep?.Invoke(LakeCommitStep.Staged);

        // (2) manifest: the commit point
        var files = staged.Files.Select(f => new LakeManifestFile(
            _lake.RelativePath(f.Path),
            _lake.RelativePath(_lake.PartFilePath(f.Dataset, f.Date, WriterId, commit)),
            f.Dataset,
            f.Date,
            f.Rows)).ToList();
        var manifest = new LakeManifest(LakeManifestStore.FormatVersion, WriterId, commit, _clock.GetUtcNow(), offsets, files);
        _manifests.Write(manifest);
        _nextCommit = commit + 1;
        _afterStep?.Invoke(LakeCommitStep.ManifestWritten);

        // (3) publish
        foreach (var file in files)
        {
            var final = _lake.AbsolutePath(file.Final);
            Directory.CreateDirectory(Path.GetDirectoryName(final)!);
            File.Move(_lake.AbsolutePath(file.Staged), final, overwrite: false);
        }

        TryDeleteEmpty(StagingPath(commit));
        _afterStep?.Invoke(LakeCommitStep.Published);

        // (4) catalog
        Register(files);
        _afterStep?.Invoke(LakeCommitStep.Registered);
        return manifest;
    }

    private void RegisterMissing(IReadOnlyList<LakeManifest> manifests)
    {
        var known = _catalog.Load().Datasets
            .SelectMany(d => d.Partitions.SelectMany(p => p.Files.Select(f => f.Path)))
            .ToHashSet(StringComparer.Ordinal);
        var missing = manifests.SelectMany(m => m.Files).Where(f => !known.Contains(f.Final)).ToList();
        Register(missing);
    }

    private void Register(List<LakeManifestFile> files)
    {
        if (files.Count > 0)
        {
            _catalog.RegisterCommit(new LakeCommit([.. files.Select(f => new LakePartFile(f.Dataset, f.Date, _lake.AbsolutePath(f.Final), f.Rows))]), _run);
        }
    }

    private int NextCommitOrThrow() =>
        _nextCommit >= 0 ? _nextCommit : throw new InvalidOperationException("Call Recover() before writing: it finishes a crashed predecessor's commit and sets the commit number.");

    private string StagingPath(int commit) => Path.Combine(StagingFolder, "c" + commit.ToString("D10", CultureInfo.InvariantCulture));

    private static void TryDeleteEmpty(string folder)
    {
        try
        {
            if (Directory.Exists(folder) && !Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Any())
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (IOException)
        {
            // Best effort: an empty staging folder is harmless and removed by the next recovery.
        }
    }
}
