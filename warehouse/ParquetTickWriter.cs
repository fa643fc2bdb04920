using BigDataTrading.Core.MarketData;
using ParquetSharp;
using ParquetSharp.Schema;

namespace BigDataTrading.Warehouse;

/// <summary>
/// Writes trade ticks into the lake's <c>ticks</c> dataset, one Parquet file per UTC date partition per commit.
/// </summary>
/// <remarks>
/// <para>Schema (see <see cref="LakeSchemas"/>): symbol VARCHAR, time TIMESTAMP_NS (UTC), price DECIMAL(18,8), size
/// BIGINT, sequence BIGINT, exchange VARCHAR (null when unknown). Rows within a file are sorted by (symbol, time,
/// sequence) so readers can prune by row-group statistics and per-symbol scans read contiguous data.</para>
/// <para>Rows are buffered in memory (about 40 bytes each) until <see cref="Commit"/>; commit often enough to bound
/// memory. A commit stages each file as a hidden <c>.tmp</c> next to its final name and renames it when complete, so
/// readers never see a partial file. Not thread-safe: one owner appends and commits.</para>
/// </remarks>
public sealed class ParquetTickWriter
{
    private readonly PartitionedParquetWriter<TradeTick, TickFormat> _writer;

    /// <summary>Creates a writer.</summary>
    /// <param name="lake">Lake to write into.</param>
    /// <param name="writerId">This writer's identity in file names (letters, digits, '_' and '-'); concurrent writers need distinct ids.</param>
    /// <param name="options">Writer settings, or the defaults.</param>
    /// <param name="dataset">Target dataset with the tick schema: <see cref="LakeDatasets.Ticks"/> (raw ingest) or
    /// <see cref="LakeDatasets.TicksClean"/> (the clean job).</param>
    /// <exception cref="ArgumentException">The dataset does not have the tick schema.</exception>
    public ParquetTickWriter(LakeLayout lake, string writerId, LakeWriterOptions? options = null, string dataset = LakeDatasets.Ticks) =>
        _writer = new(lake, writerId, new TickFormat(LakeSchemas.IsTickDataset(dataset)
            ? dataset
            : throw new ArgumentException($"'{dataset}' is not a tick dataset.", nameof(dataset))), options);

    /// <summary>Rows appended and not yet committed.</summary>
    public long BufferedRows => _writer.BufferedRows;

    /// <summary>Buffers one tick in the partition of its UTC date.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The price does not fit DECIMAL(18,8) (|price| ≥ 10^10).</exception>
    public void Append(in TradeTick tick)
    {
        if (tick.Price.Raw is > LakeSchemas.MaxDecimalRaw or < -LakeSchemas.MaxDecimalRaw)
        {
            throw new ArgumentOutOfRangeException(nameof(tick), tick.Price, $"Price of {tick.Symbol} #{tick.Sequence} does not fit DECIMAL(18,8).");
        }

        _writer.Add(tick, tick.Time.UnixNanoseconds);
    }

    /// <summary>Writes every buffered partition to the lake and clears the buffer.</summary>
    /// <remarks>Each file is atomic. If the commit fails part way, the files already published stay and their rows
    /// are no longer buffered; the remaining partitions stay buffered, so a retry neither loses nor duplicates rows.</remarks>
    public LakeCommit Commit(CancellationToken ct = default) => _writer.Commit(ct);

    /// <summary><see cref="Commit"/> on the thread pool (Parquet encoding and file I/O are synchronous and CPU-heavy).</summary>
    public Task<LakeCommit> CommitAsync(CancellationToken ct = default) => Task.Run(() => _writer.Commit(ct), ct);

    private sealed class TickFormat(string dataset) : IParquetRowFormat<TradeTick>
    {
        private string[] _symbols = [];
        private string?[] _exchanges = [];
        private long[] _longs = [];

        public string Dataset => dataset;

        public int Compare(in TradeTick a, in TradeTick b)
        {
            var c = a.Symbol.CompareTo(b.Symbol);
            if (c != 0)
            {
                return c;
            }

            c = a.Time.CompareTo(b.Time);
            return c != 0 ? c : a.Sequence.CompareTo(b.Sequence);
        }

        public GroupNode CreateSchema()
        {
            Node[] fields =
            [
                ParquetColumns.String("symbol"),
                ParquetColumns.TimestampNanos("time"),
                ParquetColumns.Decimal18x8("price"),
                ParquetColumns.Int64("size"),
                ParquetColumns.Int64("sequence"),
                ParquetColumns.String("exchange", optional: true),
            ];
            try
            {
                return new GroupNode("schema", Repetition.Required, fields);
            }
            finally
            {
                foreach (var f in fields)
                {
                    f.Dispose();
                }
            }
        }

        public void WriteColumns(RowGroupWriter rowGroup, ReadOnlySpan<TradeTick> rows)
        {
            var n = rows.Length;
            if (_longs.Length < n)
            {
                _symbols = new string[n];
                _exchanges = new string?[n];
                _longs = new long[n];
            }

            for (var i = 0; i < n; i++)
            {
                _symbols[i] = rows[i].Symbol.Value;
            }

            ParquetColumns.WriteRequiredStrings(rowGroup, _symbols.AsSpan(0, n));
            var longs = _longs.AsSpan(0, n);
            for (var i = 0; i < n; i++)
            {
                longs[i] = rows[i].Time.UnixNanoseconds;
            }

            ParquetColumns.WriteInt64(rowGroup, longs);
            for (var i = 0; i < n; i++)
            {
                longs[i] = rows[i].Price.Raw;
            }

            ParquetColumns.WriteInt64(rowGroup, longs);
            for (var i = 0; i < n; i++)
            {
                longs[i] = rows[i].Size;
            }

            ParquetColumns.WriteInt64(rowGroup, longs);
            for (var i = 0; i < n; i++)
            {
                longs[i] = rows[i].Sequence;
            }

            ParquetColumns.WriteInt64(rowGroup, longs);
            for (var i = 0; i < n; i++)
            {
                _exchanges[i] = ParquetColumns.CharToString(rows[i].Exchange);
            }

            ParquetColumns.WriteStrings(rowGroup, _exchanges.AsSpan(0, n));
        }
    }
}
