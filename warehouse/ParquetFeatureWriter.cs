using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;
using ParquetSharp;
using ParquetSharp.Schema;

namespace BigDataTrading.Warehouse;

/// <summary>The features of one bar of one symbol: one row of a feature dataset. Immutable.</summary>
/// <param name="Symbol">Instrument.</param>
/// <param name="Start">Bar start (UTC, inclusive).</param>
/// <param name="PeriodNanos">Bar length in nanoseconds.</param>
/// <param name="Close">Last trade price of the bar.</param>
/// <param name="LogReturn">ln(close / previous bar's close) of the same symbol and day; null for the symbol's first bar of the day.</param>
/// <param name="RealizedVolatility">sqrt of the sum of squared log returns of the last N bars (this one included); null when none of them has a return.</param>
/// <param name="QuoteCount">Two-sided quotes (bid and ask price and size all positive) timed inside the bar.</param>
/// <param name="Spread">Mean of ask − bid over those quotes, in price units; null without quotes.</param>
/// <param name="SpreadBps">Mean of (ask − bid) / mid × 10^4 over those quotes; null without quotes.</param>
/// <param name="Imbalance">Mean of (bid_size − ask_size) / (bid_size + ask_size) over those quotes, in [−1, 1]; null without quotes.</param>
public readonly record struct BarFeatures(
    Symbol Symbol,
    Timestamp Start,
    long PeriodNanos,
    Price Close,
    double? LogReturn,
    double? RealizedVolatility,
    int QuoteCount,
    double? Spread,
    double? SpreadBps,
    double? Imbalance);

/// <summary>
/// Writes <see cref="BarFeatures"/> into a feature dataset (<c>features_1s</c>, <c>features_1m</c>, <c>features_1d</c>),
/// one Parquet file per UTC date partition (of the bar start) per commit.
/// </summary>
/// <remarks>
/// <para>Schema: <see cref="LakeSchemas.FeaturesColumns"/>; the DOUBLE columns are OPTIONAL (NULL where undefined, never
/// NaN). Rows sorted by (symbol, start).</para>
/// <para>Same commit protocol as <see cref="ParquetTickWriter"/>. Not thread-safe: one owner appends and commits.</para>
/// </remarks>
public sealed class ParquetFeatureWriter
{
    private readonly PartitionedParquetWriter<BarFeatures, FeatureFormat> _writer;

    /// <summary>Creates a writer.</summary>
    /// <param name="lake">Lake to write into.</param>
    /// <param name="writerId">This writer's identity in file names (letters, digits, '_' and '-').</param>
    /// <param name="dataset">Target feature dataset.</param>
    /// <param name="options">Writer settings, or the defaults.</param>
    /// <exception cref="ArgumentException"><paramref name="dataset"/> is not a feature dataset.</exception>
    public ParquetFeatureWriter(LakeLayout lake, string writerId, string dataset, LakeWriterOptions? options = null) =>
        _writer = new(lake, writerId, new FeatureFormat(dataset), options);

    /// <summary>Buffers one row in the partition of the UTC date of its bar start.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The close does not fit DECIMAL(18,8).</exception>
    public void Append(in BarFeatures row)
    {
        if (row.Close.Raw is > LakeSchemas.MaxDecimalRaw or < -LakeSchemas.MaxDecimalRaw)
        {
            throw new ArgumentOutOfRangeException(nameof(row), $"The close of the {row.Symbol} bar at {row.Start} does not fit DECIMAL(18,8).");
        }

        _writer.Add(row, row.Start.UnixNanoseconds);
    }

    /// <summary>Writes every buffered partition to the lake and clears the buffer.</summary>
    public LakeCommit Commit(CancellationToken ct = default) => _writer.Commit(ct);

    private sealed class FeatureFormat(string dataset) : IParquetRowFormat<BarFeatures>
    {
        private string[] _symbols = [];
        private long[] _longs = [];
        private int[] _ints = [];
        private double[] _doubles = [];
        private short[] _levels = [];

        public string Dataset { get; } = LakeSchemas.IsFeatureDataset(dataset)
            ? dataset
            : throw new ArgumentException($"'{dataset}' is not a feature dataset.", nameof(dataset));

        public string SymbolOf(in BarFeatures row) => row.Symbol.Value;

        public int CompareWithinSymbol(in BarFeatures a, in BarFeatures b) => a.Start.CompareTo(b.Start);

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
                ParquetColumns.Decimal18x8("close"),
                OptionalDouble("log_return"),
                OptionalDouble("realized_vol"),
                ParquetColumns.Int32("quote_count"),
                OptionalDouble("spread"),
                OptionalDouble("spread_bps"),
                OptionalDouble("imbalance"),
            ];
            return ParquetColumns.Schema(fields);
        }

        public void WriteColumns(RowGroupWriter rowGroup, BarFeatures[] rows, ArraySegment<int> order)
        {
            var n = order.Count;
            if (_longs.Length < n)
            {
                _symbols = new string[n];
                _longs = new long[n];
                _ints = new int[n];
                _doubles = new double[n];
                _levels = new short[n];
            }

            for (var i = 0; i < n; i++)
            {
                _symbols[i] = rows[order[i]].Symbol.Value;
            }

            ParquetColumns.WriteRequiredStrings(rowGroup, 0, _symbols.AsSpan(0, n));
            for (var column = 1; column <= 3; column++)
            {
                for (var i = 0; i < n; i++)
                {
                    ref readonly var r = ref rows[order[i]];
                    _longs[i] = column switch
                    {
                        1 => r.Start.UnixNanoseconds,
                        2 => r.PeriodNanos,
                        _ => r.Close.Raw,
                    };
                }

                ParquetColumns.WriteInt64(rowGroup, column, _longs.AsSpan(0, n));
            }

            WriteOptional(rowGroup, 4, rows, order, static r => r.LogReturn);
            WriteOptional(rowGroup, 5, rows, order, static r => r.RealizedVolatility);
            for (var i = 0; i < n; i++)
            {
                _ints[i] = rows[order[i]].QuoteCount;
            }

            ParquetColumns.WriteInt32(rowGroup, 6, _ints.AsSpan(0, n));
            WriteOptional(rowGroup, 7, rows, order, static r => r.Spread);
            WriteOptional(rowGroup, 8, rows, order, static r => r.SpreadBps);
            WriteOptional(rowGroup, 9, rows, order, static r => r.Imbalance);
        }

        private static PrimitiveNode OptionalDouble(string name) => new(name, Repetition.Optional, LogicalType.None(), PhysicalType.Double);

        // Bars are few (≤ 86,400 per symbol and day), so a delegate per column costs nothing measurable.
        private void WriteOptional(RowGroupWriter rowGroup, int index, BarFeatures[] rows, ArraySegment<int> order, Func<BarFeatures, double?> select)
        {
            var present = 0;
            for (var i = 0; i < order.Count; i++)
            {
                var value = select(rows[order[i]]);
                _levels[i] = value.HasValue ? (short)1 : (short)0;
                if (value.HasValue)
                {
                    _doubles[present++] = value.Value;
                }
            }

            using var column = (ColumnWriter<double>)rowGroup.Column(index);
            column.WriteBatch(order.Count, _levels.AsSpan(0, order.Count), default, _doubles.AsSpan(0, present));
        }
    }
}
