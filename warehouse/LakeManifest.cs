using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace BigDataTrading.Warehouse;

/// <summary>A contiguous range of Kafka offsets a commit covers, both ends inclusive.</summary>
/// <param name="Topic">Topic.</param>
/// <param name="Partition">Partition.</param>
/// <param name="From">First offset covered.</param>
/// <param name="To">Last offset covered (resume at <c>To + 1</c>).</param>
/// <param name="EndOfStream">True when the record at <see cref="To"/> was the partition's end-of-stream marker.</param>
public sealed record LakeOffsetRange(string Topic, int Partition, long From, long To, bool EndOfStream = false);

/// <summary>One data file of a manifest: where it was staged and where it is published.</summary>
/// <param name="Staged">Root-relative path of the staged file (under <c>_staging/</c>).</param>
/// <param name="Final">Root-relative path of the published file.</param>
/// <param name="Dataset">Dataset.</param>
/// <param name="Date">Partition date (UTC).</param>
/// <param name="Rows">Rows in the file.</param>
public sealed record LakeManifestFile(string Staged, string Final, string Dataset, DateOnly Date, long Rows);

/// <summary>
/// The record of one lake-writer commit: the files it publishes and the Kafka offsets they cover. Once a manifest is
/// on disk the commit has happened (its files are published by rename, by the writer or, after a crash, by recovery);
/// without it the commit never happened (its staged files are deleted and the offsets re-consumed). Immutable.
/// </summary>
/// <param name="Version">Manifest layout version (<see cref="LakeManifestStore.FormatVersion"/>).</param>
/// <param name="WriterId">Writer that made it.</param>
/// <param name="Commit">Commit number of the writer, from 0, gap-free.</param>
/// <param name="CreatedAt">Wall time of the commit (from the writer's TimeProvider).</param>
/// <param name="Offsets">Kafka offsets covered.</param>
/// <param name="Files">Files published.</param>
public sealed record LakeManifest(int Version, string WriterId, int Commit, DateTimeOffset CreatedAt, IReadOnlyList<LakeOffsetRange> Offsets, IReadOnlyList<LakeManifestFile> Files)
{
    /// <summary>Rows over all files.</summary>
    [JsonIgnore]
    public long Rows => Files.Sum(f => f.Rows);
}

/// <summary>
/// Manifests of one writer: <c>&lt;root&gt;/_manifests/&lt;writerId&gt;/&lt;commit:0000000000&gt;.json</c>, written aside, flushed to
/// disk and renamed into place, so a manifest is either complete or absent. Thread-safe for reading; one writer
/// process per writer id writes.
/// </summary>
public sealed class LakeManifestStore
{
    /// <summary>Version of the manifest JSON.</summary>
    public const int FormatVersion = 1;

    /// <summary>Folder of all manifests under the lake root.</summary>
    public const string FolderName = "_manifests";

    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>The store of <paramref name="writerId"/>'s manifests in <paramref name="lake"/>.</summary>
    public LakeManifestStore(LakeLayout lake, string writerId)
    {
        ArgumentNullException.ThrowIfNull(lake);
        _ = LakeLayout.PartFileName(writerId, 0); // validates the id
        Lake = lake;
        WriterId = writerId;
        Folder = Path.Combine(lake.Root, FolderName, writerId);
    }

    /// <summary>The lake.</summary>
    public LakeLayout Lake { get; }

    /// <summary>The writer.</summary>
    public string WriterId { get; }

    /// <summary>Absolute folder of the manifests.</summary>
    public string Folder { get; }

    /// <summary>Every manifest, by commit number.</summary>
    /// <exception cref="InvalidDataException">A manifest is unreadable or commit numbers have a gap; the message names it.</exception>
    public IReadOnlyList<LakeManifest> ReadAll()
    {
        if (!Directory.Exists(Folder))
        {
            return [];
        }

        var result = new List<LakeManifest>();
        foreach (var file in Directory.EnumerateFiles(Folder, "*.json").Order(StringComparer.Ordinal))
        {
            var manifest = Parse(File.ReadAllBytes(file), file);
            if (manifest.Version != FormatVersion || manifest.Commit != result.Count)
            {
                throw new InvalidDataException($"'{file}': version {manifest.Version}, commit {manifest.Commit}; expected version {FormatVersion}, commit {result.Count} (manifests must be gap-free).");
            }

            result.Add(manifest);
        }

        return result;
    }

    /// <summary>Reads one manifest's JSON (e.g. downloaded from a remote root).</summary>
    /// <param name="json">The file's bytes (UTF-8).</param>
    /// <param name="source">Where it came from, for the error message.</param>
    /// <exception cref="InvalidDataException">Not a valid manifest; the message names <paramref name="source"/>.</exception>
    public static LakeManifest Parse(ReadOnlySpan<byte> json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<LakeManifest>(json, s_json) ?? throw new InvalidDataException($"'{source}' is an empty (null) lake manifest.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{source}' is not a valid lake manifest: {e.Message}", e);
        }
    }

    /// <summary>Writes a manifest atomically (aside, fsync, rename). Fails if that commit number exists.</summary>
    public void Write(LakeManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        Directory.CreateDirectory(Folder);
        var path = PathOf(manifest.Commit);
        var temp = Path.Combine(Folder, "." + Path.GetFileName(path) + LakeLayout.TempExtension);
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, manifest, s_json);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: false);
    }

    /// <summary>Path of a commit's manifest.</summary>
    public string PathOf(int commit) => Path.Combine(Folder, commit.ToString("D10", CultureInfo.InvariantCulture) + ".json");
}
