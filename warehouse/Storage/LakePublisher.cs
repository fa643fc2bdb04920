namespace BigDataTrading.Warehouse.Storage;

/// <summary>
/// Publishes committed files of a local lake (what a <see cref="LakeCommit"/> lists) to a lake storage — typically a
/// <c>webhdfs://</c> root — at the same relative paths: <c>&lt;dataset&gt;/date=YYYY-MM-DD/part-*.parquet</c>.
/// </summary>
/// <remarks>
/// <para>Each file is uploaded aside as <c>.part-….parquet.tmp</c> in its partition folder (hidden: Hive, Spark and
/// DuckDB skip names starting with '.'), its length is checked against the local file, then it is renamed to its final
/// name (atomic on HDFS). Readers of the storage therefore see a file complete or not at all.</para>
/// <para>Idempotent, so a publish interrupted by a crash can simply be repeated: a leftover <c>.tmp</c> is overwritten,
/// and a final file that already exists with identical bytes counts as published. One that exists with different bytes
/// is a conflict (committed files are immutable) and raises <see cref="IOException"/>; nothing is overwritten.</para>
/// <para>Files are published one after another in commit order; a failure leaves the earlier files published. Only data
/// files are copied: the local manifests and catalog stay local. Thread-safe if the storage is; concurrent publishers of
/// the same files are not coordinated.</para>
/// </remarks>
public sealed class LakePublisher
{
    private readonly LakeLayout _source;
    private readonly ILakeStorage _target;

    /// <summary>Creates a publisher from a local lake to a storage (which the caller keeps owning and disposes).</summary>
    public LakePublisher(LakeLayout source, ILakeStorage target)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        _source = source;
        _target = target;
    }

    /// <summary>Publishes every file of a commit.</summary>
    /// <returns>Root-relative storage paths of the published files, in commit order.</returns>
    /// <exception cref="ArgumentException">A file is not under the local lake's root in the lake layout.</exception>
    /// <exception cref="IOException">An upload or rename failed, or a final file exists with different content.</exception>
    public async Task<IReadOnlyList<string>> PublishAsync(LakeCommit commit, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(commit);
        var published = new List<string>(commit.Files.Count);
        foreach (var file in commit.Files)
        {
            published.Add(await PublishFileAsync(file.Path, ct).ConfigureAwait(false));
        }

        return published;
    }

    /// <summary>Publishes one committed local file (absolute path under the local lake's root).</summary>
    /// <returns>The root-relative storage path, equal to the file's path relative to the local lake.</returns>
    /// <exception cref="ArgumentException">The file is not <c>&lt;root&gt;/&lt;dataset&gt;/date=YYYY-MM-DD/part-*.parquet</c>.</exception>
    /// <exception cref="FileNotFoundException">The local file does not exist.</exception>
    /// <exception cref="IOException">An upload or rename failed, or the final file exists with different content.</exception>
    public async Task<string> PublishFileAsync(string localPath, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(localPath);
        var relative = CheckLayout(localPath);
        var local = _source.AbsolutePath(relative);
        var folder = relative[..relative.LastIndexOf('/')];
        var temp = folder + "/." + LakeStorage.NameOf(relative) + LakeLayout.TempExtension;
        long length;
        using (var input = new FileStream(local, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, useAsync: true))
        {
            length = input.Length;
            await _target.CreateAsync(temp, input, overwrite: true, ct).ConfigureAwait(false);
        }

        var renamed = false;
        try
        {
            // A proxy or a datanode failure can cut an upload short without an error status: never publish a short file.
            var staged = await _target.GetStatusAsync(temp, ct).ConfigureAwait(false);
            if (staged is null || staged.Length != length)
            {
                throw new IOException(
                    $"Publishing '{local}' to '{_target.Root}': the staged upload '{temp}' has {staged?.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no"} bytes, expected {length}; retry the publish.");
            }

            if (await _target.RenameAsync(temp, relative, ct).ConfigureAwait(false))
            {
                renamed = true;
                return relative;
            }

            // The final name exists: an earlier publish of this file that was interrupted before it was recorded, or a conflict.
            if (!await SameContentAsync(local, relative, ct).ConfigureAwait(false))
            {
                throw new IOException(
                    $"Publishing '{local}' to '{_target.Root}': '{relative}' already exists there with different content; committed files are immutable, so remove it or publish from a lake whose writer ids do not collide.");
            }
        }
        finally
        {
            if (!renamed)
            {
                await TryDeleteAsync(temp).ConfigureAwait(false);
            }
        }

        return relative;
    }

    private string CheckLayout(string localPath)
    {
        var relative = _source.RelativePath(localPath);
        var parts = relative.Split('/');
        if (parts.Length != 3 || parts[0].Length == 0 || parts[0][0] is '_' or '.' || parts[0] == ".."
            || !LakeLayout.TryParsePartitionFolder(parts[1], out _) || !LakeStorage.IsPartFileName(parts[2]))
        {
            throw new ArgumentException(
                $"'{localPath}' is not a committed lake file of '{_source.Root}': expected <root>/<dataset>/date=YYYY-MM-DD/part-*.parquet.", nameof(localPath));
        }

        _ = LakeStorage.NormalizePath(relative);
        return relative;
    }

    private async Task<bool> SameContentAsync(string local, string remote, CancellationToken ct)
    {
        var status = await _target.GetStatusAsync(remote, ct).ConfigureAwait(false);
        if (status is null || status.IsDirectory || status.Length != new FileInfo(local).Length)
        {
            return false;
        }

        using var mine = new FileStream(local, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, useAsync: true);
        using var theirs = await _target.OpenReadAsync(remote, ct).ConfigureAwait(false);
        var a = new byte[1 << 16];
        var b = new byte[1 << 16];
        while (true)
        {
            var n = await mine.ReadAsync(a, ct).ConfigureAwait(false);
            if (n == 0)
            {
                return await theirs.ReadAsync(b.AsMemory(0, 1), ct).ConfigureAwait(false) == 0;
            }

            await theirs.ReadExactlyAsync(b.AsMemory(0, n), ct).ConfigureAwait(false);
            if (!a.AsSpan(0, n).SequenceEqual(b.AsSpan(0, n)))
            {
                return false;
            }
        }
    }

    private async Task TryDeleteAsync(string temp)
    {
        try
        {
            await _target.DeleteAsync(temp, recursive: false, CancellationToken.None).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // Best effort: a leftover hidden .tmp is ignored by readers and overwritten by the next publish.
        }
        catch (HttpRequestException)
        {
        }
    }
}
