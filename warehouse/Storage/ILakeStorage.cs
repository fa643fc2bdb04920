namespace BigDataTrading.Warehouse.Storage;

/// <summary>What a lake storage entry is.</summary>
public enum LakeEntryType
{
    /// <summary>A regular file.</summary>
    File,

    /// <summary>A directory.</summary>
    Directory,
}

/// <summary>Status of one file or directory of a lake storage.</summary>
/// <param name="Path">Root-relative path with '/' separators ("" for the root itself).</param>
/// <param name="Name">Last path segment ("" for the root).</param>
/// <param name="Type">File or directory.</param>
/// <param name="Length">Length in bytes (0 for directories).</param>
/// <param name="ModificationTime">Last modification, UTC (millisecond precision on HDFS).</param>
public sealed record LakeFileStatus(string Path, string Name, LakeEntryType Type, long Length, DateTimeOffset ModificationTime)
{
    /// <summary>True for directories.</summary>
    public bool IsDirectory => Type == LakeEntryType.Directory;
}

/// <summary>
/// Where a lake's files live: a local folder (<see cref="LocalLakeStorage"/>) or an HDFS cluster reached over the WebHDFS
/// REST API (<see cref="WebHdfsLakeStorage"/>). Open one with <see cref="LakeStorage.Open"/>.
/// </summary>
/// <remarks>
/// <para>Paths are relative to the storage root, with '/' separators (e.g. <c>ticks/date=2024-03-12/part-w1-00000.parquet</c>);
/// "" (or "/") is the root. Empty, "." and ".." segments and backslashes are rejected with <see cref="ArgumentException"/>,
/// so no path escapes the root.</para>
/// <para>Semantics follow HDFS, the stricter of the backends: <see cref="CreateAsync"/> creates missing parent
/// directories and is not atomic (a reader may see a partial file: write aside, then <see cref="RenameAsync"/>, as
/// <see cref="LakePublisher"/> does); rename is atomic on HDFS and on a local file system within one volume.</para>
/// <para>Missing paths raise <see cref="FileNotFoundException"/> naming the path; other failures raise
/// <see cref="IOException"/> (for WebHDFS a <see cref="WebHdfsException"/> with the HTTP status and the server's message).
/// Implementations are thread-safe; concurrent writers to the same path are not coordinated (the last one wins).</para>
/// </remarks>
public interface ILakeStorage : IDisposable
{
    /// <summary>A display form of the root (a full local path or the <c>webhdfs://</c> URI), for messages and logs.</summary>
    string Root { get; }

    /// <summary>Creates a file from <paramref name="content"/> (read to its end), creating missing parent directories.</summary>
    /// <param name="path">Root-relative file path.</param>
    /// <param name="content">Bytes to write, from the stream's current position.</param>
    /// <param name="overwrite">Replace an existing file; when false an existing file raises <see cref="IOException"/>.</param>
    /// <param name="ct">Cancels the transfer (a partial file may remain).</param>
    Task CreateAsync(string path, Stream content, bool overwrite = true, CancellationToken ct = default);

    /// <summary>Appends <paramref name="content"/> to an existing file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    Task AppendAsync(string path, Stream content, CancellationToken ct = default);

    /// <summary>Opens a file for sequential reading; the caller disposes the stream.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    Task<Stream> OpenReadAsync(string path, CancellationToken ct = default);

    /// <summary>Renames a file or directory; atomic on HDFS and within a local volume. The destination's parent must exist.</summary>
    /// <returns>True when renamed; false when <paramref name="destination"/> already exists (nothing changed).</returns>
    /// <exception cref="FileNotFoundException">The source does not exist.</exception>
    /// <exception cref="IOException">The backend refused for another reason (e.g. the destination's parent is missing).</exception>
    Task<bool> RenameAsync(string source, string destination, CancellationToken ct = default);

    /// <summary>Deletes a file, or a directory with everything under it when <paramref name="recursive"/>.</summary>
    /// <returns>False when nothing existed at <paramref name="path"/>.</returns>
    /// <exception cref="IOException">A non-empty directory without <paramref name="recursive"/>.</exception>
    Task<bool> DeleteAsync(string path, bool recursive = true, CancellationToken ct = default);

    /// <summary>Creates a directory and its missing parents (no-op when it exists).</summary>
    Task CreateDirectoryAsync(string path, CancellationToken ct = default);

    /// <summary>Entries of a directory, sorted by name (ordinal); for a file, that file's status alone.</summary>
    /// <exception cref="FileNotFoundException">Nothing exists at <paramref name="path"/>.</exception>
    Task<IReadOnlyList<LakeFileStatus>> ListAsync(string path, CancellationToken ct = default);

    /// <summary>Status of a file or directory, or null when nothing exists at <paramref name="path"/>.</summary>
    Task<LakeFileStatus?> GetStatusAsync(string path, CancellationToken ct = default);
}
