using System.Globalization;

namespace BigDataTrading.Warehouse.Storage;

/// <summary>
/// A lake whose root is a lake storage, typically <c>webhdfs://namenode:9870/lake</c>: the storage holds the truth (part
/// files in the lake layout and the writers' manifests), and a local working folder is its cache — where Parquet is
/// encoded before upload, and where DuckDB reads downloaded copies (DuckDB's httpfs extension is not shipped with the
/// embedded DuckDB here, and WebHDFS reads need the namenode→datanode redirect, so SQL reads local copies).
/// </summary>
/// <remarks>
/// <para>Writes go through <see cref="ILakeStorage"/> only: each data file with write-aside-then-rename
/// (<see cref="LakePublisher"/>), a writer's manifest after its files (so a manifest on the storage always names files
/// that are there), and an ETL partition by uploading the new partition into a hidden folder and swapping it in with
/// two renames (old aside, new in place; see <see cref="ReplacePartitionAsync"/>).</para>
/// <para>The cache may be deleted at any time: <see cref="PrepareWriterAsync"/> rebuilds what a writer needs from the
/// storage, and <see cref="PullAsync"/> what a reader needs. Not thread-safe: one process per writer id, as locally.</para>
/// </remarks>
public sealed class RemoteLake
{
    private const string ManifestsFolder = LakeManifestStore.FolderName;

    /// <summary>Creates a remote lake over <paramref name="storage"/> (which the caller owns and disposes) with a local cache.</summary>
    /// <param name="storage">The root (e.g. from <see cref="LakeStorage.Open"/> of a <c>webhdfs://</c> URI).</param>
    /// <param name="cacheFolder">Local working folder (created if missing); one per remote root.</param>
    public RemoteLake(ILakeStorage storage, string cacheFolder)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentException.ThrowIfNullOrWhiteSpace(cacheFolder);
        Storage = storage;
        Local = new LakeLayout(cacheFolder);
        Directory.CreateDirectory(Local.Root);
    }

    /// <summary>The storage that is the lake's root.</summary>
    public ILakeStorage Storage { get; }

    /// <summary>The local cache in the same layout.</summary>
    public LakeLayout Local { get; }

    /// <summary>True when <paramref name="root"/> names a remote root (<c>webhdfs://</c> or <c>swebhdfs://</c>).</summary>
    public static bool IsRemote(string? root) =>
        root is not null && (root.StartsWith("webhdfs://", StringComparison.OrdinalIgnoreCase) || root.StartsWith("swebhdfs://", StringComparison.OrdinalIgnoreCase));

    /// <summary>A default cache folder for a remote root: under the system temp folder, one per root URI.</summary>
    public static string DefaultCacheFolder(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        var safe = new string([.. root.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_')]);
        return Path.Combine(Path.GetTempPath(), "bdt-lake-cache", safe);
    }

    /// <summary>
    /// Makes the cache and the storage agree before a manifested writer (<see cref="ManifestedTickWriter"/>) with id
    /// <paramref name="writerId"/> starts on the cache: finishes the writer's local recovery; publishes every local
    /// commit the storage lacks (files, then manifest); downloads every commit the cache lacks (a lost or new cache);
    /// deletes the writer's part files on the storage that no manifest names (uploads of a commit that never happened,
    /// whose rows will be re-consumed and rewritten under the same name).
    /// </summary>
    /// <returns>Commits published and downloaded, and orphan files deleted.</returns>
    public async Task<(int Published, int Downloaded, int OrphansDeleted)> PrepareWriterAsync(string writerId, Catalog.LakeCatalog localCatalog, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(localCatalog);
        var local = new ManifestedTickWriter(Local, writerId, localCatalog, new Catalog.LakeJobRun("lake-writer-sync", writerId, [Storage.Root]), TimeProvider.System);
        _ = local.Recover();
        var store = new LakeManifestStore(Local, writerId);
        var localManifests = store.ReadAll().ToDictionary(m => m.Commit);
        var remoteFolder = ManifestsFolder + "/" + writerId;
        var remoteCommits = new HashSet<int>();
        if (await Storage.GetStatusAsync(remoteFolder, ct).ConfigureAwait(false) is { IsDirectory: true })
        {
            foreach (var entry in await Storage.ListAsync(remoteFolder, ct).ConfigureAwait(false))
            {
                if (!entry.IsDirectory && entry.Name.EndsWith(".json", StringComparison.Ordinal)
                    && int.TryParse(entry.Name[..^5], NumberStyles.None, CultureInfo.InvariantCulture, out var commit))
                {
                    remoteCommits.Add(commit);
                }
            }
        }

        var published = 0;
        foreach (var manifest in localManifests.Values.Where(m => !remoteCommits.Contains(m.Commit)).OrderBy(m => m.Commit))
        {
            await PublishCommitAsync(manifest, ct).ConfigureAwait(false);
            remoteCommits.Add(manifest.Commit);
            published++;
        }

        var downloaded = 0;
        foreach (var commit in remoteCommits.Where(c => !localManifests.ContainsKey(c)).Order())
        {
            var manifestPath = store.PathOf(commit);
            var bytes = await Storage.ReadAllBytesAsync(Local.RelativePath(manifestPath), ct).ConfigureAwait(false);
            var manifest = LakeManifestStore.Parse(bytes, manifestPath);
            foreach (var file in manifest.Files)
            {
                await Storage.DownloadAsync(file.Final, Local.AbsolutePath(file.Final), ct).ConfigureAwait(false);
            }

            Directory.CreateDirectory(store.Folder);
            await File.WriteAllBytesAsync(manifestPath, bytes, ct).ConfigureAwait(false);
            downloaded++;
        }

        var named = store.ReadAll().SelectMany(m => m.Files).Select(f => f.Final).ToHashSet(StringComparer.Ordinal);
        var orphans = 0;
        var prefix = "part-" + writerId + "-";
        foreach (var dataset in await ListDatasetsAsync(ct).ConfigureAwait(false))
        {
            foreach (var path in await Storage.ListPartFilesAsync(dataset, ct).ConfigureAwait(false))
            {
                if (LakeStorage.NameOf(path).StartsWith(prefix, StringComparison.Ordinal) && !named.Contains(path))
                {
                    await Storage.DeleteAsync(path, recursive: false, ct).ConfigureAwait(false);
                    orphans++;
                }
            }
        }

        return (published, downloaded, orphans);
    }

    /// <summary>Publishes one commit of a manifested writer of the cache: its files (each aside, then renamed), then its
    /// manifest (likewise) — the manifest on the storage is the commit point there. Idempotent.</summary>
    public async Task PublishCommitAsync(LakeManifest manifest, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var publisher = new LakePublisher(Local, Storage);
        foreach (var file in manifest.Files)
        {
            await publisher.PublishFileAsync(Local.AbsolutePath(file.Final), ct).ConfigureAwait(false);
        }

        var manifestPath = new LakeManifestStore(Local, manifest.WriterId).PathOf(manifest.Commit);
        var relative = Local.RelativePath(manifestPath);
        var temp = relative[..(relative.LastIndexOf('/') + 1)] + "." + LakeStorage.NameOf(relative) + LakeLayout.TempExtension;
        await Storage.WriteAllBytesAsync(temp, await File.ReadAllBytesAsync(manifestPath, ct).ConfigureAwait(false), overwrite: true, ct).ConfigureAwait(false);
        if (!await Storage.RenameAsync(temp, relative, ct).ConfigureAwait(false))
        {
            // Already published by an earlier, interrupted run: manifests are immutable once written.
            await Storage.DeleteAsync(temp, recursive: false, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Makes the cache's copy of <paramref name="datasets"/> (all datasets on the storage when null) equal the storage's
    /// committed part files: downloads new or changed files (by length), deletes local part files the storage no
    /// longer has. Returns the number of files downloaded.
    /// </summary>
    public async Task<int> PullAsync(IEnumerable<string>? datasets, CancellationToken ct)
    {
        var downloaded = 0;
        foreach (var dataset in datasets?.ToList() ?? await ListDatasetsAsync(ct).ConfigureAwait(false))
        {
            var remote = new HashSet<string>(StringComparer.Ordinal);
            foreach (var path in await Storage.ListPartFilesAsync(dataset, ct).ConfigureAwait(false))
            {
                remote.Add(path);
                var local = Local.AbsolutePath(path);
                var status = await Storage.GetStatusAsync(path, ct).ConfigureAwait(false);
                if (status is not null && File.Exists(local) && new FileInfo(local).Length == status.Length)
                {
                    continue; // committed files are immutable: same name and length is the same file
                }

                await Storage.DownloadAsync(path, local, ct).ConfigureAwait(false);
                downloaded++;
            }

            foreach (var local in Local.ListPartFiles(dataset))
            {
                if (!remote.Contains(Local.RelativePath(local)))
                {
                    File.Delete(local);
                }
            }
        }

        return downloaded;
    }

    /// <summary>
    /// Replaces one partition of a dataset on the storage with the cache's copy of it (all its part files): uploads them
    /// into a hidden folder <c>.date=…​.new-&lt;run&gt;</c>, renames the current partition aside (<c>.date=…​.old-&lt;run&gt;</c>),
    /// renames the new one into place, then deletes the old one. HDFS has no atomic exchange of two directories: between
    /// the two renames a reader may find the partition missing (never half-written); a crash there leaves the old
    /// partition in its hidden folder, which the next replacement of the partition removes.
    /// </summary>
    public async Task ReplacePartitionAsync(string dataset, DateOnly date, string runId, CancellationToken ct)
    {
        var folder = dataset + "/" + LakeLayout.PartitionFolderName(date);
        var hiddenNew = dataset + "/." + LakeLayout.PartitionFolderName(date) + ".new-" + runId;
        var hiddenOld = dataset + "/." + LakeLayout.PartitionFolderName(date) + ".old-" + runId;
        await RemoveLeftoversAsync(dataset, "." + LakeLayout.PartitionFolderName(date) + ".", ct).ConfigureAwait(false);
        var files = Local.ListPartFiles(dataset, date);
        await Storage.CreateDirectoryAsync(hiddenNew, ct).ConfigureAwait(false);
        foreach (var file in files)
        {
            await using var input = File.OpenRead(file);
            await Storage.CreateAsync(hiddenNew + "/" + Path.GetFileName(file), input, overwrite: true, ct).ConfigureAwait(false);
        }

        var hadOld = await Storage.GetStatusAsync(folder, ct).ConfigureAwait(false) is not null
            && await Storage.RenameAsync(folder, hiddenOld, ct).ConfigureAwait(false);
        if (files.Count > 0)
        {
            // HDFS renames a directory onto an existing one by moving it inside: check first, never nest partitions.
            if (await Storage.GetStatusAsync(folder, ct).ConfigureAwait(false) is not null
                || !await Storage.RenameAsync(hiddenNew, folder, ct).ConfigureAwait(false))
            {
                throw new IOException($"Replacing '{folder}' on '{Storage.Root}': the partition reappeared during the swap (another writer?); the new files stay in '{hiddenNew}'.");
            }
        }
        else
        {
            await Storage.DeleteAsync(hiddenNew, recursive: true, ct).ConfigureAwait(false);
        }

        if (hadOld)
        {
            await Storage.DeleteAsync(hiddenOld, recursive: true, ct).ConfigureAwait(false);
        }
    }

    private async Task RemoveLeftoversAsync(string dataset, string hiddenPrefix, CancellationToken ct)
    {
        if (await Storage.GetStatusAsync(dataset, ct).ConfigureAwait(false) is not { IsDirectory: true })
        {
            return;
        }

        foreach (var entry in await Storage.ListAsync(dataset, ct).ConfigureAwait(false))
        {
            if (entry.IsDirectory && entry.Name.StartsWith(hiddenPrefix, StringComparison.Ordinal))
            {
                await Storage.DeleteAsync(entry.Path, recursive: true, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Dataset folders on the storage (top-level folders not starting with '_' or '.').</summary>
    public async Task<IReadOnlyList<string>> ListDatasetsAsync(CancellationToken ct)
    {
        if (await Storage.GetStatusAsync("", ct).ConfigureAwait(false) is not { IsDirectory: true })
        {
            return [];
        }

        return [.. (await Storage.ListAsync("", ct).ConfigureAwait(false))
            .Where(e => e.IsDirectory && e.Name.Length > 0 && e.Name[0] is not ('_' or '.'))
            .Select(e => e.Name)];
    }
}
