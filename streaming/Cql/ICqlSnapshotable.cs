namespace BigDataTrading.Streaming.Cql;

/// <summary>
/// A query whose per-key state can be written to a checkpoint and restored into a freshly compiled instance of the same
/// statement, so a restarted (or rebalanced) processor continues exactly where the snapshot was taken. Implemented by
/// every stateful query kind; a stateful query that does not implement it cannot run with checkpoints (the runner
/// refuses it at start). Called on the thread that feeds the query, between events.
/// </summary>
public interface ICqlSnapshotable
{
    /// <summary>False when this instance holds state the snapshot format does not cover; such a query cannot run with
    /// checkpoints. Every built-in query kind returns true (windows, sliding rings, as-of quotes, patterns).</summary>
    bool CanSnapshot { get; }

    /// <summary>Writes the state (open windows, watermark, counters). Does not change it.</summary>
    void WriteSnapshot(BinaryWriter writer);

    /// <summary>Restores state written by <see cref="WriteSnapshot"/> of the same statement into this query, which must not have seen an event yet.</summary>
    /// <exception cref="InvalidDataException">The snapshot does not match this query's layout.</exception>
    /// <exception cref="InvalidOperationException">The query already has state.</exception>
    void RestoreSnapshot(BinaryReader reader);

    /// <summary>
    /// Restores a snapshot written in an older <paramref name="format"/> that <see cref="CqlSnapshots"/> still reads;
    /// a query whose part of the format did not change reads it as the current one.
    /// </summary>
    void RestoreSnapshot(BinaryReader reader, int format) => RestoreSnapshot(reader);
}
