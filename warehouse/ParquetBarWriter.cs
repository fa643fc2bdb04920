using BigDataTrading.Core.MarketData;
using ParquetSharp;
using ParquetSharp.Schema;

namespace BigDataTrading.Warehouse;

/// <summary>
/// Writes bars into a bar dataset of the lake (default <c>bars_1m</c>), one Parquet file per UTC date partition
/// (of the bar start) per commit.
/// </summary>
/// <remarks>
/// <para>Schema (see <see cref="LakeSchemas"/>): symbol VARCHAR, start TIMESTAMP_NS (UTC), period_ns BIGINT, open/high/
/// low/close DECIMAL(18,8), volume BIGINT, trade_count INTEGER, vwap DECIMAL(18,8); rows sorted by (symbol, start,
/// period_ns).</para>
/// <para>Same commit protocol as <see cref="ParquetTickWriter"/>: buffered until commit, each file staged as a hidden
/// <c>.tmp</c> and renamed when complete. Not thread-safe: one owner appends and commits.</para>
/// </remarks>
public sealed class ParquetBarWriter
{
    private readonly PartitionedParquetWriter<Bar, BarFormat> _writer;

    /// <summary>Creates a writer.</summary>
    /// <param name="lake">Lake to write into.</param>
    /// <param name="writerId">This writer's identity in file names (letters, digits, '_' and '-'); concurrent writers need distinct ids.</param>
    /// <param name="options">Writer settings, or the defaults.</param>
    /// <param name="dataset">Target dataset; <see cref="LakeDatasets.Bars1m"/> unless another bar period gets its own.</param>
    public ParquetBarWriter(LakeLayout lake, string writerId, LakeWriterOptions? options = null, string dataset = LakeDatasets.Bars1m) =>
        _writer = new(lake, writerId, new BarFormat(dataset), options);

    /// <summary>Rows appended and not yet committed.</summary>
    public long BufferedRows => _writer.BufferedRows;

    /// <summary>Buffers one bar in the partition of the UTC date of its start.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A price does not fit DECIMAL(18,8) (|price| ≥ 10^10).</exception>
    public void Append(in Bar bar)
    {
        foreach (var p in (ReadOnlySpan<long>)[bar.Open.Raw, bar.High.Raw, bar.Low.Raw, bar.Close.Raw, bar.Vwap.Raw])
        {
            if (p is > LakeSchemas.MaxDecimalRaw or < -LakeSchemas.MaxDecimalRaw)
            {
                throw new ArgumentOutOfRangeException(nameof(bar), $"A price of the {bar.Symbol} bar at {bar.Start} does not fit DECIMAL(18,8).");
            }
        }

        _writer.Add(bar, bar.Start.UnixNanoseconds);
    }

    /// <summary>Writes every buffered partition to the lake and clears the buffer (same guarantees as
    /// <see cref="ParquetTickWriter.Commit"/>).</summary>
    public LakeCommit Commit(CancellationToken ct = default) => _writer.Commit(ct);

    /// <summary><see cref="Commit"/> on the thread pool.</summary>
    public Task<LakeCommit> CommitAsync(CancellationToken ct = default) => Task.Run(() => _writer.Commit(ct), ct);

    private sealed class BarFormat(string dataset) : IParquetRowFormat<Bar>
    {
        private string[] _symbols = [];
        private long[] _longs = [];
        private int[] _ints = [];

        public string Dataset { get; } = LakeSchemas.IsBarDataset(dataset)
            ? dataset
            : throw new ArgumentException($"'{dataset}' is not a bar dataset.", nameof(dataset));

        public string SymbolOf(in Bar row) => row.Symbol.Value;

        public int CompareWithinSymbol(in Bar a, in Bar b)
        {
            var c = a.Start.CompareTo(b.Start);
            return c != 0 ? c : a.PeriodNanos.CompareTo(b.PeriodNanos);
        }

        // ParquetSharp's defaults (dictionary encoding for every column): bars are few, their files small.
        public void Configure(WriterPropertiesBuilder properties)
        {
        }

        public GroupNode CreateSchema()
        {
            Node[] fields =
            [
                ParquetColumns.String("symbol"),
                ParquetColumns.TimestampNanos("start"),
                ParquetColumns.Int64("period_ns"),
                ParquetColumns.Decimal18x8("open"),
                ParquetColumns.Decimal18x8("high"),
                ParquetColumns.Decimal18x8("low"),
                ParquetColumns.Decimal18x8("close"),
                ParquetColumns.Int64("volume"),
                ParquetColumns.Int32("trade_count"),
                ParquetColumns.Decimal18x8("vwap"),
            ];
            return ParquetColumns.Schema(fields);
        }

        public void WriteColumns(RowGroupWriter rowGroup, Bar[] rows, ArraySegment<int> order)
        {
            var n = order.Count;
            if (_longs.Length < n)
            {
                _symbols = new string[n];
                _longs = new long[n];
                _ints = new int[n];
            }

            for (var i = 0; i < n; i++)
            {
                _symbols[i] = rows[order[i]].Symbol.Value;
            }

            ParquetColumns.WriteRequiredStrings(rowGroup, 0, _symbols.AsSpan(0, n));
            WriteLongs(rowGroup, 1, rows, order, static b => b.Start.UnixNanoseconds);
            WriteLongs(rowGroup, 2, rows, order, static b => b.PeriodNanos);
            WriteLongs(rowGroup, 3, rows, order, static b => b.Open.Raw);
            WriteLongs(rowGroup, 4, rows, order, static b => b.High.Raw);
            WriteLongs(rowGroup, 5, rows, order, static b => b.Low.Raw);
            WriteLongs(rowGroup, 6, rows, order, static b => b.Close.Raw);
            WriteLongs(rowGroup, 7, rows, order, static b => b.Volume);
            for (var i = 0; i < n; i++)
            {
                _ints[i] = rows[order[i]].TradeCount;
            }

            ParquetColumns.WriteInt32(rowGroup, 8, _ints.AsSpan(0, n));
            WriteLongs(rowGroup, 9, rows, order, static b => b.Vwap.Raw);
        }

        // Bars are ~400 per symbol and day, so a delegate per column costs nothing measurable here (unlike ticks).
        private void WriteLongs(RowGroupWriter rowGroup, int index, ReadOnlySpan<Bar> rows, ReadOnlySpan<int> order, Func<Bar, long> select)
        {
            var longs = _longs.AsSpan(0, order.Length);
            for (var i = 0; i < order.Length; i++)
            {
                longs[i] = select(rows[order[i]]);
            }

            ParquetColumns.WriteInt64(rowGroup, index, longs);
        }
    }
}
