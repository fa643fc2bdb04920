namespace BigDataTrading.Warehouse;

/// <summary>One data file published by a commit.</summary>
/// <param name="Dataset">Dataset the file belongs to.</param>
/// <param name="Date">Partition date (UTC).</param>
/// <param name="Path">Absolute path of the committed file.</param>
/// <param name="Rows">Rows in the file.</param>
public sealed record LakePartFile(string Dataset, DateOnly Date, string Path, long Rows);

/// <summary>What one <c>Commit</c> published: one file per partition that had buffered rows. Immutable.</summary>
/// <param name="Files">Files published, ordered by partition date.</param>
public sealed record LakeCommit(IReadOnlyList<LakePartFile> Files)
{
    /// <summary>A commit that had nothing to write.</summary>
    public static LakeCommit Empty { get; } = new([]);

    /// <summary>Rows over all files.</summary>
    public long TotalRows => Files.Sum(f => f.Rows);

    /// <summary>Rows per partition date.</summary>
    public IReadOnlyDictionary<DateOnly, long> RowsByPartition =>
        Files.GroupBy(f => f.Date).ToDictionary(g => g.Key, g => g.Sum(f => f.Rows));
}
