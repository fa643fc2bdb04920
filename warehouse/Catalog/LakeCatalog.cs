using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DuckDB.NET.Data;

namespace BigDataTrading.Warehouse.Catalog;

/// <summary>
/// The lake's catalog (the Kylo feed catalog and Hive metastore roles): datasets, schemas, partitions with files, row
/// counts and event-time ranges, data-quality counts per rule, and lineage, stored in the lake itself as
/// <c>&lt;root&gt;/_catalog/catalog.json</c>.
/// </summary>
/// <remarks>
/// <para>Writers and jobs register what they commit (<see cref="RegisterCommit"/>, <see cref="ReplacePartition"/>,
/// <see cref="RecordQuality"/>); a lake written without a catalog, or whose catalog is stale, is described again from
/// its files by <see cref="Rebuild"/>, which reads every Parquet footer (rows, schema) and scans the time column with
/// DuckDB (min/max, and a full read that proves the data pages decode). A file that fails either is reported as a
/// <see cref="CatalogProblem"/> with its path and never counted.</para>
/// <para>Each change is a read-modify-write of the JSON under an exclusive lock file (<c>_catalog/catalog.lock</c>), and
/// the new JSON is written aside and renamed over the old one, so readers see the old or the new catalog, never a
/// partial one, and concurrent writers — threads or processes on one machine — never lose each other's changes.
/// Wall time (<see cref="LakeCatalogSnapshot.UpdatedAt"/>, <see cref="CatalogLineage.ProducedAt"/>) comes only from the
/// injected <see cref="TimeProvider"/>. Thread-safe.</para>
/// </remarks>
public sealed class LakeCatalog
{
    /// <summary>Version of the JSON layout written.</summary>
    public const int FormatVersion = 1;

    /// <summary>Folder of the catalog under the lake root (underscore: not a dataset).</summary>
    public const string FolderName = "_catalog";

    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private static readonly TimeSpan s_lockTimeout = TimeSpan.FromSeconds(30);
    private readonly TimeProvider _clock;
    private readonly Lock _gate = new();

    /// <summary>Creates the catalog of a lake (nothing is read or written until used).</summary>
    /// <param name="lake">The lake.</param>
    /// <param name="clock">Source of wall time for lineage and update stamps.</param>
    public LakeCatalog(LakeLayout lake, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(lake);
        ArgumentNullException.ThrowIfNull(clock);
        Lake = lake;
        _clock = clock;
        CatalogPath = Path.Combine(lake.Root, FolderName, "catalog.json");
    }

    /// <summary>The lake described.</summary>
    public LakeLayout Lake { get; }

    /// <summary>Absolute path of <c>catalog.json</c>.</summary>
    public string CatalogPath { get; }

    /// <summary>True when the catalog file exists.</summary>
    public bool Exists => File.Exists(CatalogPath);

    /// <summary>Reads the catalog; <see cref="LakeCatalogSnapshot.Empty"/> when there is none yet.</summary>
    /// <exception cref="InvalidDataException">The catalog file is not valid catalog JSON (rebuild it).</exception>
    public LakeCatalogSnapshot Load()
    {
        if (!File.Exists(CatalogPath))
        {
            return LakeCatalogSnapshot.Empty;
        }

        try
        {
            using var stream = new FileStream(CatalogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var snapshot = JsonSerializer.Deserialize<LakeCatalogSnapshot>(stream, s_json)
                ?? throw new InvalidDataException($"'{CatalogPath}' holds null.");
            return snapshot.FormatVersion == FormatVersion
                ? snapshot
                : throw new InvalidDataException($"'{CatalogPath}' has format version {snapshot.FormatVersion}; this build reads {FormatVersion}. Run 'bdt catalog rebuild'.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{CatalogPath}' is not a valid catalog ({e.Message}). Run 'bdt catalog rebuild'.", e);
        }
    }

    /// <summary>The stored catalog, or — when the lake has none — one scanned from the files (not saved).</summary>
    /// <param name="scanned">True when the result comes from a scan.</param>
    public LakeCatalogSnapshot LoadOrScan(out bool scanned)
    {
        scanned = !Exists;
        return scanned ? Scan() : Load();
    }

    /// <summary>
    /// Registers the files of a writer's commit: adds them to their partitions (schema from the footers, which must
    /// match the dataset's), adds rows and time ranges, merges the run into the partitions' lineage and adds the
    /// quality counts.
    /// </summary>
    /// <param name="commit">What the writer published.</param>
    /// <param name="run">The writer or job run, with its inputs.</param>
    /// <param name="quality">Optional rule → count to add to every partition of the commit (usually per partition:
    /// use <see cref="RecordQuality"/>).</param>
    /// <returns>The catalog after the change.</returns>
    /// <exception cref="InvalidDataException">A file is unreadable or its schema differs from the dataset's.</exception>
    public LakeCatalogSnapshot RegisterCommit(LakeCommit commit, LakeJobRun run, IReadOnlyDictionary<string, long>? quality = null)
    {
        ArgumentNullException.ThrowIfNull(commit);
        ArgumentNullException.ThrowIfNull(run);
        if (commit.Files.Count == 0)
        {
            return Load();
        }

        var footers = commit.Files.Select(f => (f.Dataset, f.Date, Footer: ParquetFooter.Read(f.Path))).ToList();
        return Update(catalog =>
        {
            var now = _clock.GetUtcNow();
            foreach (var group in footers.GroupBy(f => (f.Dataset, f.Date)))
            {
                catalog = WithPartition(catalog, group.Key.Dataset, group.Key.Date, group.Select(g => g.Footer).ToList(), existing =>
                {
                    var files = (existing?.Files ?? []).Where(f => group.All(g => Lake.RelativePath(g.Footer.Path) != f.Path))
                        .Concat(group.Select(g => ToFile(g.Footer)));
                    var lineage = (existing?.Lineage ?? []).ToList();
                    if (lineage.Count > 0 && lineage[^1].Job == run.Job && lineage[^1].RunId == run.RunId)
                    {
                        // One writer committing many times: one lineage entry per run, not per commit.
                        var last = lineage[^1];
                        lineage[^1] = last with { Inputs = [.. last.Inputs.Union(run.Inputs, StringComparer.Ordinal)], ProducedAt = now };
                    }
                    else
                    {
                        lineage.Add(new CatalogLineage(run.Job, run.RunId, run.Inputs, now));
                    }

                    return Partition(group.Key.Date, files, existing, group.Select(g => g.Footer), AddCounts(existing?.Quality, quality), lineage);
                });
            }

            return catalog;
        });
    }

    /// <summary>
    /// Records that a partition now holds exactly <paramref name="files"/> (a job replaced it): files, rows, time range,
    /// quality counts and lineage of the partition are replaced, not merged. No files removes the partition.
    /// </summary>
    /// <param name="dataset">Dataset.</param>
    /// <param name="date">Partition date.</param>
    /// <param name="files">Absolute paths of the partition's files now.</param>
    /// <param name="run">The job run, with its inputs.</param>
    /// <param name="quality">The run's quality counts for this partition (rule → rows).</param>
    /// <returns>The catalog after the change.</returns>
    public LakeCatalogSnapshot ReplacePartition(string dataset, DateOnly date, IReadOnlyList<string> files, LakeJobRun run, IReadOnlyDictionary<string, long>? quality = null)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(run);
        _ = Lake.DatasetPath(dataset); // validates the name
        var footers = files.Select(ParquetFooter.Read).ToList();
        return Update(catalog =>
        {
            var lineage = new CatalogLineage(run.Job, run.RunId, run.Inputs, _clock.GetUtcNow());
            return WithPartition(catalog, dataset, date, footers, _ =>
                Partition(date, footers.Select(ToFile), null, footers, AddCounts(null, quality), [lineage]));
        });
    }

    /// <summary>Adds data-quality counts (rule → rows) to a partition, creating the entry if needed.</summary>
    public LakeCatalogSnapshot RecordQuality(string dataset, DateOnly date, IReadOnlyDictionary<string, long> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        _ = Lake.DatasetPath(dataset);
        return Update(catalog => WithPartition(catalog, dataset, date, [], existing =>
            existing is null
                ? new CatalogPartition(date, [], 0, null, null, AddCounts(null, counts), [])
                : existing with { Quality = AddCounts(existing.Quality, counts) }));
    }

    /// <summary>Scans the lake's files into a catalog (see <see cref="Rebuild"/>) without saving it.</summary>
    /// <remarks>Lineage and quality counts of partitions still present are carried over from the stored catalog, since
    /// files cannot tell them.</remarks>
    public LakeCatalogSnapshot Scan(CancellationToken ct = default)
    {
        LakeCatalogSnapshot previous;
        var problems = new List<CatalogProblem>();
        try
        {
            previous = Load();
        }
        catch (InvalidDataException e)
        {
            previous = LakeCatalogSnapshot.Empty;
            problems.Add(new CatalogProblem(CatalogPath, e.Message));
        }

        var datasets = new List<CatalogDataset>();
        using var duck = new DuckDBConnection("DataSource=:memory:");
        duck.Open();
        foreach (var name in Lake.ListDatasets())
        {
            ct.ThrowIfCancellationRequested();
            foreach (var temp in Lake.ListTempFiles(name))
            {
                problems.Add(new CatalogProblem(temp, "Staged file (a write in progress, or left by a crashed writer); not counted."));
            }

            IReadOnlyList<CatalogColumn>? columns = null;
            string? timeColumn = null;
            var partitions = new List<CatalogPartition>();
            foreach (var date in Lake.ListPartitions(name))
            {
                var footers = new List<ParquetFooter>();
                foreach (var file in Lake.ListPartFiles(name, date))
                {
                    try
                    {
                        var footer = ParquetFooter.Read(file);
                        var merged = columns is null ? footer.Columns : MergeSchema(name, columns, footer.Columns);
                        if (merged is null)
                        {
                            problems.Add(new CatalogProblem(file, $"Schema ({Describe(footer.Columns)}) differs from the dataset's ({Describe(columns!)}); not counted."));
                            continue;
                        }

                        columns = merged;
                        timeColumn ??= footer.TimeColumn;

                        footers.Add(footer);
                    }
                    catch (InvalidDataException e)
                    {
                        problems.Add(new CatalogProblem(file, e.Message));
                    }
                }

                footers = VerifyWithDuckDb(duck, footers, timeColumn, problems, out var min, out var max);
                if (footers.Count == 0)
                {
                    continue;
                }

                var old = previous.Dataset(name)?.Partition(date);
                partitions.Add(new CatalogPartition(
                    date,
                    [.. footers.Select(ToFile).OrderBy(f => f.Path, StringComparer.Ordinal)],
                    footers.Sum(f => f.Rows),
                    min,
                    max,
                    old?.Quality ?? new Dictionary<string, long>(StringComparer.Ordinal),
                    old?.Lineage ?? []));
            }

            if (columns is not null)
            {
                datasets.Add(new CatalogDataset(name, timeColumn, columns, partitions));
            }
        }

        return new LakeCatalogSnapshot(FormatVersion, _clock.GetUtcNow(), datasets, problems);
    }

    /// <summary>
    /// Describes the lake again from its files and saves the result: every dataset folder, partition and committed file;
    /// row counts and schemas from the Parquet footers (ParquetSharp), event-time min/max from a DuckDB scan of the time
    /// column. Unreadable files (truncated, corrupt, foreign schema) and staged leftovers are listed in
    /// <see cref="LakeCatalogSnapshot.Problems"/> with their paths and not counted.
    /// </summary>
    public LakeCatalogSnapshot Rebuild(CancellationToken ct = default)
    {
        var scanned = Scan(ct);
        return Update(_ => scanned, keepProblems: true);
    }

    /// <summary>
    /// The dataset's schema once a file of schema <paramref name="file"/> is in it, or null when the two do not fit. They
    /// fit when equal, or — additive evolution — when one is a prefix of the other and every column beyond it is one the
    /// lake added later (<see cref="LakeSchemas.AddedColumnsOf"/>, e.g. the ticks' <c>conditions</c>). The result is the
    /// wider schema, the added columns nullable when some file lacks them (Hive reads NULL there).
    /// </summary>
    internal static IReadOnlyList<CatalogColumn>? MergeSchema(string dataset, IReadOnlyList<CatalogColumn> current, IReadOnlyList<CatalogColumn> file)
    {
        var (shorter, longer) = current.Count <= file.Count ? (current, file) : (file, current);
        var merged = new CatalogColumn[longer.Count];
        for (var i = 0; i < shorter.Count; i++)
        {
            var (a, b) = (shorter[i], longer[i]);
            if (a with { Nullable = b.Nullable } != b)
            {
                return null;
            }

            merged[i] = b with { Nullable = a.Nullable || b.Nullable };
        }

        var added = LakeSchemas.AddedColumnsOf(dataset);
        for (var i = shorter.Count; i < longer.Count; i++)
        {
            if (!added.Any(a => a.Name == longer[i].Name && a.SqlType == longer[i].SqlType))
            {
                return null;
            }

            merged[i] = longer[i] with { Nullable = true };
        }

        return merged;
    }

    private static string Describe(IReadOnlyList<CatalogColumn> columns) => string.Join(", ", columns.Select(c => c.Name + " " + c.ParquetType));

    /// <summary>Scans the files of one partition with DuckDB (min/max of the time column and a hash of every row, which
    /// decodes every page); when the scan fails, scans each file alone to find the bad ones, which move to <paramref name="problems"/>.</summary>
    private static List<ParquetFooter> VerifyWithDuckDb(DuckDBConnection duck, List<ParquetFooter> footers, string? timeColumn, List<CatalogProblem> problems, out long? min, out long? max)
    {
        min = max = null;
        if (footers.Count == 0)
        {
            return footers;
        }

        try
        {
            (min, max) = MinMax(duck, footers, timeColumn);
            return footers;
        }
        catch (DuckDBException)
        {
            var good = new List<ParquetFooter>();
            foreach (var footer in footers)
            {
                try
                {
                    _ = MinMax(duck, [footer], timeColumn);
                    good.Add(footer);
                }
                catch (DuckDBException e)
                {
                    problems.Add(new CatalogProblem(footer.Path, $"Data pages do not decode: {e.Message}"));
                }
            }

            if (good.Count > 0)
            {
                (min, max) = MinMax(duck, good, timeColumn);
            }

            return good;
        }
    }

    private static (long? Min, long? Max) MinMax(DuckDBConnection duck, IReadOnlyList<ParquetFooter> files, string? timeColumn)
    {
        var list = string.Join(", ", files.Select(f => "'" + f.Path.Replace("'", "''", StringComparison.Ordinal) + "'"));
        using var command = duck.CreateCommand();
        // hash(f) hashes the whole row, so every column's pages are decoded: min/max alone may be answered from the
        // footer statistics, which would let a file with garbage data pages pass.
        var time = timeColumn is null ? "NULL::BIGINT, NULL::BIGINT" : $"epoch_ns(min(f.{Quote(timeColumn)})), epoch_ns(max(f.{Quote(timeColumn)}))";
        // union_by_name: a partition may hold files from before and after a column was added (LakeSchemas.AddedColumnsOf).
        command.CommandText = $"SELECT {time}, bit_xor(hash(f)) FROM read_parquet([{list}], union_by_name = true) AS f";
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.IsDBNull(0) ? null : reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetInt64(1));
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private CatalogFile ToFile(ParquetFooter footer) => new(Lake.RelativePath(footer.Path), footer.Rows, footer.Bytes);

    private static CatalogPartition Partition(
        DateOnly date,
        IEnumerable<CatalogFile> files,
        CatalogPartition? existing,
        IEnumerable<ParquetFooter> added,
        IReadOnlyDictionary<string, long> quality,
        IReadOnlyList<CatalogLineage> lineage)
    {
        var list = files.OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
        long? min = existing?.MinTimeNs, max = existing?.MaxTimeNs;
        foreach (var footer in added)
        {
            min = footer.MinTimeNs is { } a ? Math.Min(a, min ?? a) : min;
            max = footer.MaxTimeNs is { } b ? Math.Max(b, max ?? b) : max;
        }

        return new CatalogPartition(date, list, list.Sum(f => f.Rows), min, max, quality, lineage);
    }

    private static Dictionary<string, long> AddCounts(IReadOnlyDictionary<string, long>? a, IReadOnlyDictionary<string, long>? b)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var kv in (a ?? new Dictionary<string, long>()).Concat(b ?? new Dictionary<string, long>()))
        {
            result[kv.Key] = result.GetValueOrDefault(kv.Key) + kv.Value;
        }

        return result;
    }

    /// <summary>Replaces (or creates, or — when the new value has no files and no counts — removes) one partition,
    /// checking the files' schema against the dataset's.</summary>
    private static LakeCatalogSnapshot WithPartition(
        LakeCatalogSnapshot catalog,
        string dataset,
        DateOnly date,
        IReadOnlyList<ParquetFooter> footers,
        Func<CatalogPartition?, CatalogPartition> change)
    {
        var entry = catalog.Dataset(dataset) ?? new CatalogDataset(dataset, null, [], []);
        foreach (var footer in footers)
        {
            if (entry.Columns.Count == 0)
            {
                entry = entry with { Columns = footer.Columns, TimeColumn = footer.TimeColumn };
            }
            else
            {
                entry = entry with
                {
                    Columns = MergeSchema(dataset, entry.Columns, footer.Columns) ?? throw new InvalidDataException(
                        $"'{footer.Path}' has schema ({Describe(footer.Columns)}), which differs from dataset '{dataset}' ({Describe(entry.Columns)})."),
                };
            }
        }

        var updated = change(entry.Partition(date));
        var partitions = entry.Partitions.Where(p => p.Date != date).ToList();
        if (updated.Files.Count > 0 || updated.Quality.Count > 0)
        {
            partitions.Add(updated);
        }

        entry = entry with { Partitions = [.. partitions.OrderBy(p => p.Date)] };
        return catalog with
        {
            Datasets = [.. catalog.Datasets.Where(d => d.Name != dataset).Append(entry).OrderBy(d => d.Name, StringComparer.Ordinal)],
        };
    }

    private LakeCatalogSnapshot Update(Func<LakeCatalogSnapshot, LakeCatalogSnapshot> change, bool keepProblems = false)
    {
        lock (_gate)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(CatalogPath)!);
            using var fileLock = AcquireFileLock();
            LakeCatalogSnapshot current;
            try
            {
                current = Load();
            }
            catch (InvalidDataException) when (keepProblems)
            {
                current = LakeCatalogSnapshot.Empty; // a rebuild replaces a damaged catalog
            }

            var next = change(current) with { FormatVersion = FormatVersion, UpdatedAt = _clock.GetUtcNow() };
            if (!keepProblems)
            {
                next = next with { Problems = current.Problems };
            }

            Save(next);
            return next;
        }
    }

    private void Save(LakeCatalogSnapshot snapshot)
    {
        var temp = CatalogPath + "." + Guid.NewGuid().ToString("N") + LakeLayout.TempExtension;
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                JsonSerializer.Serialize(stream, snapshot, s_json);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, CatalogPath, overwrite: true); // rename(2): atomic replacement
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    private FileStream AcquireFileLock()
    {
        var path = Path.Combine(Path.GetDirectoryName(CatalogPath)!, "catalog.lock");
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                // FileShare.None is an exclusive advisory lock (flock) on Unix: other processes' opens fail until disposed.
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (waited.Elapsed < s_lockTimeout)
            {
                // Another process is updating the catalog; updates take milliseconds, so a short back-off suffices.
                Thread.Sleep(5);
            }
            catch (IOException e)
            {
                throw new IOException(
                    string.Create(CultureInfo.InvariantCulture, $"Could not lock the catalog '{path}' within {s_lockTimeout.TotalSeconds} s; another process holds it."), e);
            }
        }
    }
}
