namespace BigDataTrading.Warehouse.Storage;

/// <summary>
/// <see cref="ILakeStorage"/> over a local folder (System.IO). Rename is atomic within one volume (rename(2)).
/// </summary>
/// <remarks>Thread-safe (stateless apart from the root). <see cref="RenameAsync"/> checks for an existing destination
/// before moving, so two concurrent renames to the same destination may both pass the check; one then fails with an
/// <see cref="IOException"/> from the file system rather than overwriting.</remarks>
public sealed class LocalLakeStorage : ILakeStorage
{
    /// <summary>Uses <paramref name="root"/> (made absolute; created on the first write) as the lake root.</summary>
    public LocalLakeStorage(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
    }

    /// <inheritdoc />
    public string Root { get; }

    /// <inheritdoc />
    public async Task CreateAsync(string path, Stream content, bool overwrite = true, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var full = FullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        using var output = new FileStream(full, overwrite ? FileMode.Create : FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16, useAsync: true);
        await content.CopyToAsync(output, ct).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task AppendAsync(string path, Stream content, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var full = FullPath(path);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException($"Cannot append to '{full}': the file does not exist; create it first.", full);
        }

        using var output = new FileStream(full, FileMode.Append, FileAccess.Write, FileShare.None, bufferSize: 1 << 16, useAsync: true);
        await content.CopyToAsync(output, ct).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<Stream> OpenReadAsync(string path, CancellationToken ct = default)
    {
        var full = FullPath(path);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException($"Cannot open '{full}': the file does not exist.", full);
        }

        return Task.FromResult<Stream>(new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, useAsync: true));
    }

    /// <inheritdoc />
    public Task<bool> RenameAsync(string source, string destination, CancellationToken ct = default)
    {
        var from = FullPath(source);
        var to = FullPath(destination);
        if (File.Exists(to) || Directory.Exists(to))
        {
            return Task.FromResult(false);
        }

        if (File.Exists(from))
        {
            File.Move(from, to, overwrite: false);
        }
        else if (Directory.Exists(from))
        {
            Directory.Move(from, to);
        }
        else
        {
            throw new FileNotFoundException($"Cannot rename '{from}' to '{to}': the source does not exist.", from);
        }

        return Task.FromResult(true);
    }

    /// <inheritdoc />
    public Task<bool> DeleteAsync(string path, bool recursive = true, CancellationToken ct = default)
    {
        var full = FullPath(path);
        if (File.Exists(full))
        {
            File.Delete(full);
            return Task.FromResult(true);
        }

        if (!Directory.Exists(full))
        {
            return Task.FromResult(false);
        }

        Directory.Delete(full, recursive);
        return Task.FromResult(true);
    }

    /// <inheritdoc />
    public Task CreateDirectoryAsync(string path, CancellationToken ct = default)
    {
        Directory.CreateDirectory(FullPath(path));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<LakeFileStatus>> ListAsync(string path, CancellationToken ct = default)
    {
        var relative = LakeStorage.NormalizePath(path);
        var full = FullPath(relative);
        if (File.Exists(full))
        {
            return Task.FromResult<IReadOnlyList<LakeFileStatus>>([StatusOf(new FileInfo(full), relative)]);
        }

        if (!Directory.Exists(full))
        {
            throw new FileNotFoundException($"Cannot list '{full}': it does not exist.", full);
        }

        IReadOnlyList<LakeFileStatus> entries = [.. new DirectoryInfo(full).EnumerateFileSystemInfos()
            .Select(i => StatusOf(i, LakeStorage.Combine(relative, i.Name)))
            .OrderBy(s => s.Name, StringComparer.Ordinal)];
        return Task.FromResult(entries);
    }

    /// <inheritdoc />
    public Task<LakeFileStatus?> GetStatusAsync(string path, CancellationToken ct = default)
    {
        var relative = LakeStorage.NormalizePath(path);
        var full = FullPath(relative);
        FileSystemInfo? info = File.Exists(full) ? new FileInfo(full) : Directory.Exists(full) ? new DirectoryInfo(full) : null;
        return Task.FromResult(info is null ? null : StatusOf(info, relative));
    }

    /// <summary>Nothing to release.</summary>
    public void Dispose()
    {
    }

    private string FullPath(string path)
    {
        var relative = LakeStorage.NormalizePath(path);
        return relative.Length == 0 ? Root : Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));
    }

    private static LakeFileStatus StatusOf(FileSystemInfo info, string relative) => info is FileInfo file
        ? new LakeFileStatus(relative, LakeStorage.NameOf(relative), LakeEntryType.File, file.Length, file.LastWriteTimeUtc)
        : new LakeFileStatus(relative, LakeStorage.NameOf(relative), LakeEntryType.Directory, 0, info.LastWriteTimeUtc);
}
