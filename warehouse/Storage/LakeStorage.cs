namespace BigDataTrading.Warehouse.Storage;

/// <summary>
/// Opens a lake storage from a root string and offers the operations built on <see cref="ILakeStorage"/>: byte-array
/// helpers and the read-back path (<see cref="DownloadAsync"/>, <see cref="DownloadDatasetAsync"/>) that copies a stored
/// dataset into a local lake for <see cref="LakeSql"/>. Stateless and thread-safe.
/// </summary>
public static class LakeStorage
{
    /// <summary>
    /// Opens the storage a root names: <c>webhdfs://host:port/path</c> (or <c>swebhdfs://</c> for HTTPS) gives a
    /// <see cref="WebHdfsLakeStorage"/>; a local path or <c>file://</c> URI gives a <see cref="LocalLakeStorage"/>.
    /// </summary>
    /// <param name="root">The lake root.</param>
    /// <param name="webHdfs">Settings for a WebHDFS root (ignored for a local one); defaults when null.</param>
    /// <exception cref="NotSupportedException">An <c>hdfs://</c> (RPC) or other URI scheme: use WebHDFS on the
    /// namenode's HTTP port instead.</exception>
    public static ILakeStorage Open(string root, WebHdfsOptions? webHdfs = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        var schemeEnd = root.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
        {
            return new LocalLakeStorage(root);
        }

        var scheme = root[..schemeEnd].ToUpperInvariant();
        return scheme switch
        {
            "WEBHDFS" or "SWEBHDFS" => new WebHdfsLakeStorage(new Uri(root), webHdfs),
            "FILE" => new LocalLakeStorage(new Uri(root).LocalPath),
            "HDFS" => throw new NotSupportedException(
                $"'{root}': the HDFS RPC protocol is not supported; use webhdfs://<namenode>:<http port, 9870 by default>/<path>."),
            _ => throw new NotSupportedException($"'{root}': unknown lake root scheme; use a local path or webhdfs://host:port/path."),
        };
    }

    /// <summary>Creates a file holding <paramref name="bytes"/> (see <see cref="ILakeStorage.CreateAsync"/>).</summary>
    public static async Task WriteAllBytesAsync(this ILakeStorage storage, string path, ReadOnlyMemory<byte> bytes, bool overwrite = true, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(storage);
        using var stream = AsStream(bytes);
        await storage.CreateAsync(path, stream, overwrite, ct).ConfigureAwait(false);
    }

    /// <summary>Appends <paramref name="bytes"/> to an existing file (see <see cref="ILakeStorage.AppendAsync"/>).</summary>
    public static async Task AppendAllBytesAsync(this ILakeStorage storage, string path, ReadOnlyMemory<byte> bytes, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(storage);
        using var stream = AsStream(bytes);
        await storage.AppendAsync(path, stream, ct).ConfigureAwait(false);
    }

    /// <summary>Reads a whole file into memory (for small files: manifests, catalogs, tests).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static async Task<byte[]> ReadAllBytesAsync(this ILakeStorage storage, string path, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(storage);
        using var input = await storage.OpenReadAsync(path, ct).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        await input.CopyToAsync(buffer, ct).ConfigureAwait(false);
        return buffer.ToArray();
    }

    /// <summary>True when a file or directory exists at <paramref name="path"/>.</summary>
    public static async Task<bool> ExistsAsync(this ILakeStorage storage, string path, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(storage);
        return await storage.GetStatusAsync(path, ct).ConfigureAwait(false) is not null;
    }

    /// <summary>
    /// Copies one stored file to a local path: written to a hidden <c>.tmp</c> beside it and renamed when complete, so
    /// a local reader never sees a partial file. Replaces an existing local file.
    /// </summary>
    /// <exception cref="FileNotFoundException">The stored file does not exist.</exception>
    public static async Task DownloadAsync(this ILakeStorage storage, string path, string localPath, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentException.ThrowIfNullOrWhiteSpace(localPath);
        var full = Path.GetFullPath(localPath);
        var folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        var temp = Path.Combine(folder, "." + Path.GetFileName(full) + LakeLayout.TempExtension);
        try
        {
            using (var input = await storage.OpenReadAsync(path, ct).ConfigureAwait(false))
            using (var output = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 16, useAsync: true))
            {
                await input.CopyToAsync(output, ct).ConfigureAwait(false);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDeleteLocal(temp);
            throw;
        }
    }

    /// <summary>
    /// Committed files of a dataset in a storage, in the lake layout: root-relative paths
    /// <c>&lt;dataset&gt;/date=YYYY-MM-DD/part-*.parquet</c>, sorted ordinal. Staged (hidden, <c>.tmp</c>) files and
    /// folders that are not date partitions are skipped, as Hive and DuckDB skip them.
    /// </summary>
    /// <returns>Empty when the dataset folder does not exist.</returns>
    public static async Task<IReadOnlyList<string>> ListPartFilesAsync(this ILakeStorage storage, string dataset, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var datasetFolder = ValidateDataset(dataset);
        if (await storage.GetStatusAsync(datasetFolder, ct).ConfigureAwait(false) is not { IsDirectory: true })
        {
            return [];
        }

        var files = new List<string>();
        foreach (var partition in await storage.ListAsync(datasetFolder, ct).ConfigureAwait(false))
        {
            if (!partition.IsDirectory || !LakeLayout.TryParsePartitionFolder(partition.Name, out _))
            {
                continue;
            }

            foreach (var file in await storage.ListAsync(partition.Path, ct).ConfigureAwait(false))
            {
                if (!file.IsDirectory && IsPartFileName(file.Name))
                {
                    files.Add(file.Path);
                }
            }
        }

        files.Sort(StringComparer.Ordinal);
        return files;
    }

    /// <summary>
    /// Copies every committed file of a dataset from a storage into a local lake at the same relative paths, so
    /// <see cref="LakeSql"/> (DuckDB with hive partitioning) can query it. Existing local files with the same names are
    /// replaced; other local files are left alone.
    /// </summary>
    /// <returns>Absolute local paths of the files copied, sorted.</returns>
    public static async Task<IReadOnlyList<string>> DownloadDatasetAsync(this ILakeStorage storage, string dataset, LakeLayout localLake, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(localLake);
        var copied = new List<string>();
        foreach (var path in await storage.ListPartFilesAsync(dataset, ct).ConfigureAwait(false))
        {
            var local = localLake.AbsolutePath(path);
            await storage.DownloadAsync(path, local, ct).ConfigureAwait(false);
            copied.Add(local);
        }

        return copied;
    }

    /// <summary>True for a committed data file name: <c>part-*.parquet</c>.</summary>
    internal static bool IsPartFileName(string name) =>
        name.StartsWith("part-", StringComparison.Ordinal) && name.EndsWith(LakeLayout.PartExtension, StringComparison.Ordinal);

    /// <summary>
    /// Checks a root-relative path and returns it without leading or trailing '/' ("" for the root).
    /// </summary>
    /// <exception cref="ArgumentException">Backslashes, control characters, or empty, "." or ".." segments.</exception>
    internal static string NormalizePath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var trimmed = path.Trim('/');
        if (trimmed.Length == 0)
        {
            return "";
        }

        foreach (var segment in trimmed.Split('/'))
        {
            if (segment.Length == 0 || segment is "." or ".." || segment.Contains('\\', StringComparison.Ordinal) || segment.Any(char.IsControl))
            {
                throw new ArgumentException(
                    $"Lake storage path '{path}' is invalid: use '/'-separated names relative to the root, without empty, '.' or '..' segments or backslashes.",
                    nameof(path));
            }
        }

        return trimmed;
    }

    /// <summary>Last segment of a normalized path.</summary>
    internal static string NameOf(string normalizedPath) => normalizedPath[(normalizedPath.LastIndexOf('/') + 1)..];

    /// <summary>Joins a normalized directory path and a child name.</summary>
    internal static string Combine(string normalizedDirectory, string name) =>
        normalizedDirectory.Length == 0 ? name : normalizedDirectory + "/" + name;

    private static string ValidateDataset(string dataset)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataset);
        if (!dataset.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
        {
            throw new ArgumentException($"Dataset '{dataset}' may only contain ASCII letters, digits, '_' and '-'.", nameof(dataset));
        }

        return dataset;
    }

    private static MemoryStream AsStream(ReadOnlyMemory<byte> bytes) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(bytes, out var segment) && segment.Array is not null
            ? new MemoryStream(segment.Array, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(bytes.ToArray(), writable: false);

    private static void TryDeleteLocal(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: a leftover hidden .tmp is ignored by every reader.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
