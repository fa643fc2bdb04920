using System.Security.Cryptography;
using System.Text;

namespace BigDataTrading.Streaming.Cql;

/// <summary>Snapshots of a whole <see cref="CqlEngine"/>: every query's state in script order (see <see cref="ICqlSnapshotable"/>).</summary>
public static class CqlSnapshots
{
    /// <summary>
    /// The snapshot format this build writes. 3: a sliding window's rings also record where each key's incremental
    /// aggregates split (read: format 2 too, whose sliding windows rebuild that split). 2: every query kind (sliding
    /// windows, as-of join quotes, patterns) and the unmatched/evicted counters. 1 (windowed aggregates and stateless
    /// queries only) is refused.
    /// </summary>
    public const int Format = 3;

    /// <summary>The oldest snapshot format this build still restores.</summary>
    public const int OldestReadableFormat = 2;

    /// <summary>Queries of the engine that hold state but cannot be checkpointed (empty when the engine can be).</summary>
    public static IReadOnlyList<CqlQuery> Unsupported(CqlEngine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        return [.. engine.Queries.Where(q => q is not ICqlSnapshotable { CanSnapshot: true })];
    }

    /// <summary>A fingerprint of a script (SHA-256 of its text, hex): a checkpoint only restores into the script it was taken from.</summary>
    public static string Fingerprint(string script) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(script ?? throw new ArgumentNullException(nameof(script)))));

    /// <summary>Writes every query's state.</summary>
    /// <exception cref="NotSupportedException">A stateful query cannot be checkpointed (see <see cref="Unsupported"/>).</exception>
    public static byte[] Capture(CqlEngine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Format);
            writer.Write(engine.Queries.Length);
            foreach (var query in engine.Queries)
            {
                writer.Write(query.Name);
                switch (query)
                {
                    case ICqlSnapshotable { CanSnapshot: true } snapshotable:
                        writer.Write(true);
                        snapshotable.WriteSnapshot(writer);
                        break;
                    default:
                        throw new NotSupportedException($"Query '{query.Name}' ({query.GetType().Name}) holds state that cannot be checkpointed yet; run it without checkpoints.");
                }
            }
        }

        return stream.ToArray();
    }

    /// <summary>Restores a snapshot of <see cref="Capture"/> into a freshly compiled engine of the same script.</summary>
    /// <exception cref="InvalidDataException">The snapshot is not of this script's queries, or is damaged.</exception>
    public static void Restore(CqlEngine engine, byte[] snapshot)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(snapshot);
        using var reader = new BinaryReader(new MemoryStream(snapshot), Encoding.UTF8);
        try
        {
            var format = reader.ReadInt32();
            if (format is < OldestReadableFormat or > Format)
            {
                throw new InvalidDataException($"The engine snapshot has format {format}; this build reads format {OldestReadableFormat} up to format {Format} (its state cannot be converted: replay the partition to rebuild it).");
            }

            var count = reader.ReadInt32();
            if (count != engine.Queries.Length)
            {
                throw new InvalidDataException($"The snapshot has {count} queries, the script {engine.Queries.Length}.");
            }

            foreach (var query in engine.Queries)
            {
                var name = reader.ReadString();
                if (!string.Equals(name, query.Name, StringComparison.Ordinal))
                {
                    throw new InvalidDataException($"The snapshot has query '{name}' where the script has '{query.Name}'.");
                }

                var hasState = reader.ReadBoolean();
                if (hasState != query is ICqlSnapshotable { CanSnapshot: true })
                {
                    throw new InvalidDataException($"The snapshot of '{name}' does not match the query's kind.");
                }

                if (hasState)
                {
                    ((ICqlSnapshotable)query).RestoreSnapshot(reader, format);
                }
            }
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("The engine snapshot is truncated.", e);
        }
    }
}
