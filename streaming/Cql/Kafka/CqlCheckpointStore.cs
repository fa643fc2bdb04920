using System.Globalization;
using System.Text;

namespace BigDataTrading.Streaming.Cql.Kafka;

/// <summary>
/// The state of one input partition at one offset: the engine snapshot taken after every record before
/// <see cref="NextOffset"/> was applied and all its outputs were delivered.
/// </summary>
/// <param name="Topic">Input topic.</param>
/// <param name="Partition">Input partition.</param>
/// <param name="NextOffset">The first offset not yet applied: where a restored processor resumes.</param>
/// <param name="Completed">True once the partition's end-of-stream marker was processed (every window closed).</param>
/// <param name="ScriptFingerprint">Fingerprint of the CQL script (see <see cref="CqlSnapshots.Fingerprint"/>).</param>
/// <param name="State">The engine snapshot (see <see cref="CqlSnapshots.Capture"/>).</param>
public sealed record CqlCheckpoint(string Topic, int Partition, long NextOffset, bool Completed, string ScriptFingerprint, byte[] State);

/// <summary>
/// Checkpoints of a stream processor's partitions in a folder shared by every process of its consumer group (a local
/// folder for processes on one machine; a shared mount across machines). One file per partition, replaced atomically:
/// written beside, flushed to disk, then renamed over the old one — a reader sees the old or the new checkpoint, never a
/// torn one. Offsets live inside the checkpoint, so state and position can never disagree.
/// </summary>
/// <remarks>
/// Thread-safe for distinct partitions. A processor must write only the partitions it owns: the runner writes on its
/// periodic tick and on revocation, and drops (without writing) partitions it lost without a revocation.
/// </remarks>
public sealed class FileCqlCheckpointStore
{
    private static readonly byte[] s_magic = "BDTCQLC1"u8.ToArray();

    /// <summary>Uses (creating it if needed) <paramref name="directory"/>.</summary>
    public FileCqlCheckpointStore(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory = System.IO.Directory.CreateDirectory(directory).FullName;
    }

    /// <summary>The folder.</summary>
    public string Directory { get; }

    /// <summary>The partition's latest checkpoint, or null when there is none.</summary>
    /// <exception cref="InvalidDataException">The file is damaged or of another format (the message names the file; delete it to rebuild the state by replaying the partition).</exception>
    public CqlCheckpoint? Load(string topic, int partition)
    {
        var path = PathOf(topic, partition);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            using var reader = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
            if (!reader.ReadBytes(s_magic.Length).AsSpan().SequenceEqual(s_magic))
            {
                throw new InvalidDataException($"'{path}' is not a CQL checkpoint.");
            }

            var checkpoint = new CqlCheckpoint(reader.ReadString(), reader.ReadInt32(), reader.ReadInt64(), reader.ReadBoolean(), reader.ReadString(), reader.ReadBytes(reader.ReadInt32()));
            if (reader.BaseStream.Position != reader.BaseStream.Length || checkpoint.Topic != topic || checkpoint.Partition != partition)
            {
                throw new InvalidDataException($"'{path}' is damaged (trailing bytes or another partition's checkpoint).");
            }

            return checkpoint;
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"'{path}' is truncated; delete it to rebuild the partition's state by replaying it.", e);
        }
    }

    /// <summary>True when the partition's checkpoint says it reached its end-of-stream marker.</summary>
    public bool IsCompleted(string topic, int partition) => Load(topic, partition)?.Completed == true;

    /// <summary>Replaces the partition's checkpoint atomically (write beside, fsync, rename).</summary>
    public void Save(CqlCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var path = PathOf(checkpoint.Topic, checkpoint.Partition);
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            using (var writer = new BinaryWriter(file, Encoding.UTF8, leaveOpen: true))
            {
                writer.Write(s_magic);
                writer.Write(checkpoint.Topic);
                writer.Write(checkpoint.Partition);
                writer.Write(checkpoint.NextOffset);
                writer.Write(checkpoint.Completed);
                writer.Write(checkpoint.ScriptFingerprint);
                writer.Write(checkpoint.State.Length);
                writer.Write(checkpoint.State);
            }

            file.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }

    private string PathOf(string topic, int partition) =>
        Path.Combine(Directory, string.Create(CultureInfo.InvariantCulture, $"{Sanitize(topic)}.{partition}.ckpt"));

    private static string Sanitize(string topic) =>
        new(topic.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_').ToArray());
}
