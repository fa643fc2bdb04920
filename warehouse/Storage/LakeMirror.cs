namespace BigDataTrading.Warehouse.Storage;

/// <summary>
/// Keeps a remote lake (HDFS through WebHDFS) a copy of a local one: every committed part file is published with
/// write-aside-then-rename by <see cref="LakePublisher"/>. Publishing is idempotent (an identical file already there is
/// left alone), so <see cref="MirrorAllAsync"/> at start-up repairs whatever a crash between a local commit and its
/// upload left unpublished — the remote lake is eventually complete and never holds a partial file.
/// </summary>
/// <remarks>Not thread-safe: one writer process mirrors its own lake.</remarks>
public sealed class LakeMirror(LakeLayout local, ILakeStorage remote)
{
    private readonly LakePublisher _publisher = new(local, remote);

    /// <summary>The remote root, for messages.</summary>
    public string RemoteRoot => remote.Root;

    /// <summary>Publishes every part file of every dataset of the local lake; returns how many files were checked.</summary>
    public async Task<int> MirrorAllAsync(CancellationToken ct)
    {
        var files = local.ListDatasets().SelectMany(dataset => local.ListPartFiles(dataset)).ToList();
        foreach (var file in files)
        {
            await _publisher.PublishFileAsync(file, ct);
        }

        return files.Count;
    }

    /// <summary>Publishes the files of one local commit (absolute paths of final part files).</summary>
    public async Task MirrorAsync(IEnumerable<string> committedFiles, CancellationToken ct)
    {
        foreach (var file in committedFiles)
        {
            await _publisher.PublishFileAsync(file, ct);
        }
    }
}
