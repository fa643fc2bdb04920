using System.Buffers.Binary;
using System.Diagnostics;
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
public sealed record CqlCheckpoint(string Topic, int Partition, long NextOffset, bool Completed, string ScriptFingerprint, byte[] State)
{
    /// <summary>The owner generation that wrote it (see <see cref="FileCqlCheckpointStore.Claim"/>); 0 = unclaimed.</summary>
    public long Generation { get; init; }
}

/// <summary>Whether a checkpoint write was accepted.</summary>
public enum CqlCheckpointOutcome
{
    /// <summary>Written: the writer holds the partition's current generation.</summary>
    Saved,

    /// <summary>Refused: a newer owner claimed the partition since the writer did; the stored checkpoint is unchanged.</summary>
    Fenced,
}

/// <summary>The result of <see cref="FileCqlCheckpointStore.Save"/>.</summary>
/// <param name="Outcome">Saved or fenced.</param>
/// <param name="OwnerGeneration">The partition's current owner generation (newer than the writer's when fenced).</param>
public readonly record struct CqlCheckpointSave(CqlCheckpointOutcome Outcome, long OwnerGeneration)
{
    /// <summary>True when the checkpoint was written.</summary>
    public bool Saved => Outcome == CqlCheckpointOutcome.Saved;
}

/// <summary>
/// Checkpoints of a stream processor's partitions in a folder shared by every process of its consumer group (a local
/// folder for processes on one machine; a shared mount across machines). One file per partition, replaced atomically:
/// written beside, flushed to disk, then renamed over the old one — a reader sees the old or the new checkpoint, never a
/// torn one. Offsets live inside the checkpoint, so state and position can never disagree.
/// </summary>
/// <remarks>
/// <para><b>Fencing.</b> Each partition has an owner generation, a counter in its <c>.owner</c> file. A process that is
/// given the partition calls <see cref="Claim"/> (which bumps the counter) before it loads the checkpoint, and writes
/// with the generation it got. <see cref="Save"/> compares under the partition's lock: a writer whose generation is older
/// than the stored one is refused (<see cref="CqlCheckpointOutcome.Fenced"/>) — a stalled former owner that wakes up
/// after the partition moved cannot move the checkpoint back. The lock is an exclusive open of the <c>.owner</c> file
/// (an advisory <c>flock</c> on Unix, a share lock on Windows), held only for the compare and the rename; it excludes
/// processes on one machine and on file systems whose locks span machines (NFSv4, SMB).</para>
/// <para>Thread-safe. A processor writes only the partitions it owns: the runner writes on its periodic tick and on
/// revocation, and drops (without writing) partitions it lost without a revocation.</para>
/// </remarks>
public sealed class FileCqlCheckpointStore
{
    private static readonly byte[] s_magic = "BDTCQLC2"u8.ToArray();
    private static readonly byte[] s_oldMagic = "BDTCQLC1"u8.ToArray();
    private static readonly TimeSpan s_lockTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Uses (creating it if needed) <paramref name="directory"/>.</summary>
    public FileCqlCheckpointStore(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory = System.IO.Directory.CreateDirectory(directory).FullName;
    }

    /// <summary>The folder.</summary>
    public string Directory { get; }

    /// <summary>The file holding the partition's checkpoint (it may not exist yet).</summary>
    public string PathOf(string topic, int partition) =>
        Path.Combine(Directory, string.Create(CultureInfo.InvariantCulture, $"{Sanitize(topic)}.{partition}.ckpt"));

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
            var magic = reader.ReadBytes(s_magic.Length);
            if (magic.AsSpan().SequenceEqual(s_oldMagic))
            {
                throw new InvalidDataException(
                    $"'{path}' is a version-1 CQL checkpoint; this build reads version 2 only (it adds the owner generation and the state of sliding windows, as-of joins and patterns). Delete it, or use a new checkpoint folder, to rebuild the partition's state by replaying it.");
            }

            if (!magic.AsSpan().SequenceEqual(s_magic))
            {
                throw new InvalidDataException($"'{path}' is not a CQL checkpoint (or of a version this build does not know); delete it to rebuild the partition's state by replaying it.");
            }

            var checkpoint = new CqlCheckpoint(reader.ReadString(), reader.ReadInt32(), reader.ReadInt64(), reader.ReadBoolean(), reader.ReadString(), [])
            {
                Generation = reader.ReadInt64(),
            };
            checkpoint = checkpoint with { State = reader.ReadBytes(reader.ReadInt32()) };
            if (reader.BaseStream.Position != reader.BaseStream.Length || checkpoint.Topic != topic || checkpoint.Partition != partition)
            {
                throw new InvalidDataException($"'{path}' is damaged (trailing bytes or another partition's checkpoint); delete it to rebuild the partition's state by replaying it.");
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

    /// <summary>
    /// Makes the caller the partition's owner: bumps and returns the owner generation. From now on writes of older
    /// generations are refused. Call on assignment, before <see cref="Load"/>, so that nothing a former owner writes
    /// later can be newer than what this owner restored.
    /// </summary>
    /// <exception cref="IOException">The partition's lock could not be taken within 30 s.</exception>
    public long Claim(string topic, int partition)
    {
        using var owner = LockOwner(topic, partition);
        var generation = ReadGeneration(owner) + 1;
        owner.Position = 0;
        Span<byte> bytes = stackalloc byte[sizeof(long)];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, generation);
        owner.Write(bytes);
        owner.SetLength(sizeof(long));
        owner.Flush(flushToDisk: true);
        return generation;
    }

    /// <summary>The partition's current owner generation (0 when it was never claimed).</summary>
    public long OwnerGeneration(string topic, int partition)
    {
        using var owner = LockOwner(topic, partition);
        return ReadGeneration(owner);
    }

    /// <summary>
    /// Replaces the partition's checkpoint atomically (write beside, fsync, rename) unless a newer owner claimed the
    /// partition after <see cref="CqlCheckpoint.Generation"/> was claimed: then nothing is written and the result says
    /// <see cref="CqlCheckpointOutcome.Fenced"/> with the newer generation.
    /// </summary>
    /// <exception cref="InvalidOperationException">The checkpoint's generation was never claimed (newer than the stored one).</exception>
    /// <exception cref="IOException">The partition's lock could not be taken within 30 s, or the write failed.</exception>
    public CqlCheckpointSave Save(CqlCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        using var owner = LockOwner(checkpoint.Topic, checkpoint.Partition);
        var current = ReadGeneration(owner);
        if (checkpoint.Generation < current)
        {
            return new CqlCheckpointSave(CqlCheckpointOutcome.Fenced, current);
        }

        if (checkpoint.Generation > current)
        {
            throw new InvalidOperationException(
                $"The checkpoint of {checkpoint.Topic} [{checkpoint.Partition}] carries generation {checkpoint.Generation}, but the partition's owner generation is {current}: claim the partition (Claim) and write with the generation it returns.");
        }

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
                writer.Write(checkpoint.Generation);
                writer.Write(checkpoint.State.Length);
                writer.Write(checkpoint.State);
            }

            file.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
        return new CqlCheckpointSave(CqlCheckpointOutcome.Saved, current);
    }

    /// <summary>
    /// Opens the partition's owner file exclusively. Other holders keep it only for a compare and a rename, so a
    /// contended open is retried (with spinning that backs off to sleeps) rather than failed.
    /// </summary>
    private FileStream LockOwner(string topic, int partition)
    {
        var path = Path.Combine(Directory, string.Create(CultureInfo.InvariantCulture, $"{Sanitize(topic)}.{partition}.owner"));
        var started = Stopwatch.GetTimestamp();
        var spin = default(SpinWait);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (Stopwatch.GetElapsedTime(started) < s_lockTimeout && File.Exists(path))
            {
                spin.SpinOnce(sleep1Threshold: 20);
            }
        }
    }

    private static long ReadGeneration(FileStream owner)
    {
        if (owner.Length == 0)
        {
            return 0;
        }

        Span<byte> bytes = stackalloc byte[sizeof(long)];
        owner.Position = 0;
        owner.ReadExactly(bytes);
        return BinaryPrimitives.ReadInt64LittleEndian(bytes);
    }

    private static string Sanitize(string topic) =>
        new(topic.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_').ToArray());
}
