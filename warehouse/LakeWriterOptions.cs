namespace BigDataTrading.Warehouse;

/// <summary>Settings of the lake's Parquet writers. Immutable.</summary>
public sealed record LakeWriterOptions
{
    /// <summary>Default settings.</summary>
    public static LakeWriterOptions Default { get; } = new();

    /// <summary>Rows per Parquet row group (1..16,777,216). Default 1,048,576: big enough for good compression and
    /// few footers, small enough that a reader can skip by row-group statistics.</summary>
    public int RowGroupRows { get; init; } = 1 << 20;

    /// <summary>Flush each file to stable storage (fsync) before it is renamed into place. Default true: a committed file
    /// must survive a power cut; tests of throughput may turn it off.</summary>
    public bool Durable { get; init; } = true;

    internal void Validate()
    {
        if (RowGroupRows is < 1 or > (1 << 24))
        {
            throw new ArgumentOutOfRangeException(nameof(RowGroupRows), RowGroupRows, "Row group size must be in 1..16,777,216.");
        }
    }
}
