using BigDataTrading.Core.MarketData;
using ParquetSharp;
using ParquetSharp.Schema;

namespace BigDataTrading.Warehouse;

/// <summary>
/// Writes quote ticks into the lake's <c>quotes</c> dataset, one Parquet file per UTC date partition per commit.
/// </summary>
/// <remarks>
/// <para>Schema (see <see cref="LakeSchemas.QuotesColumns"/>): symbol VARCHAR, time TIMESTAMP_NS (UTC), bid_price
/// DECIMAL(18,8), bid_size BIGINT, ask_price DECIMAL(18,8), ask_size BIGINT, sequence BIGINT. A side the quote does not
/// carry (LEAN's one-sided quote rows) is price 0 and size 0, as in <see cref="QuoteTick"/>. Rows sorted by (symbol,
/// time, sequence).</para>
/// <para>Same commit protocol as <see cref="ParquetTickWriter"/>: buffered until commit, each file staged as a hidden
/// <c>.tmp</c> and renamed when complete. Not thread-safe: one owner appends and commits.</para>
/// </remarks>
public sealed class ParquetQuoteWriter
{
    private readonly PartitionedParquetWriter<QuoteTick, QuoteFormat> _writer;

    /// <summary>Creates a writer.</summary>
    /// <param name="lake">Lake to write into.</param>
    /// <param name="writerId">This writer's identity in file names (letters, digits, '_' and '-'); concurrent writers need distinct ids.</param>
    /// <param name="options">Writer settings, or the defaults.</param>
    public ParquetQuoteWriter(LakeLayout lake, string writerId, LakeWriterOptions? options = null) =>
        _writer = new(lake, writerId, new QuoteFormat(), options);

    /// <summary>Rows appended and not yet committed.</summary>
    public long BufferedRows => _writer.BufferedRows;

    /// <summary>Buffers one quote in the partition of its UTC date.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A price does not fit DECIMAL(18,8) (|price| ≥ 10^10).</exception>
    public void Append(in QuoteTick quote)
    {
        if (quote.BidPrice.Raw is > LakeSchemas.MaxDecimalRaw or < -LakeSchemas.MaxDecimalRaw
            || quote.AskPrice.Raw is > LakeSchemas.MaxDecimalRaw or < -LakeSchemas.MaxDecimalRaw)
        {
            throw new ArgumentOutOfRangeException(nameof(quote), $"A price of the {quote.Symbol} quote #{quote.Sequence} does not fit DECIMAL(18,8).");
        }

        _writer.Add(quote, quote.Time.UnixNanoseconds);
    }

    /// <summary>Writes every buffered partition to the lake and clears the buffer (same guarantees as
    /// <see cref="ParquetTickWriter.Commit"/>).</summary>
    public LakeCommit Commit(CancellationToken ct = default) => _writer.Commit(ct);

    private sealed class QuoteFormat : IParquetRowFormat<QuoteTick>
    {
        private readonly Utf8Strings _strings = new();
        private ByteArray[] _symbols = [];
        private long[] _longs = [];

        public string Dataset => LakeDatasets.Quotes;

        public string SymbolOf(in QuoteTick row) => row.Symbol.Value;

        public int CompareWithinSymbol(in QuoteTick a, in QuoteTick b)
        {
            var c = a.Time.UnixNanoseconds.CompareTo(b.Time.UnixNanoseconds);
            return c != 0 ? c : a.Sequence.CompareTo(b.Sequence);
        }

        public GroupNode CreateSchema()
        {
            Node[] fields =
            [
                ParquetColumns.String("symbol"),
                ParquetColumns.TimestampNanos("time"),
                ParquetColumns.Decimal18x8("bid_price"),
                ParquetColumns.Int64("bid_size"),
                ParquetColumns.Decimal18x8("ask_price"),
                ParquetColumns.Int64("ask_size"),
                ParquetColumns.Int64("sequence"),
            ];
            return ParquetColumns.Schema(fields);
        }

        // As ticks: dictionaries where values repeat (symbol, prices, sizes), delta for the ascending time and sequence.
        public void Configure(WriterPropertiesBuilder properties) => ParquetColumns.DeltaEncode(properties, "time", "sequence");

        public void WriteColumns(RowGroupWriter rowGroup, QuoteTick[] rows, ArraySegment<int> order)
        {
            var n = order.Count;
            if (_longs.Length < n)
            {
                _symbols = new ByteArray[n];
                _longs = new long[n];
            }

            _strings.Trim();
            var symbols = _symbols.AsSpan(0, n);
            for (var i = 0; i < n; i++)
            {
                symbols[i] = _strings.Get(rows[order[i]].Symbol.Value);
            }

            using (var symbol = rowGroup.Column(0))
            {
                ParquetColumns.WriteByteArrays(symbol, symbols);
            }

            // One column at a time through one buffer: a quote has six numeric fields, none worth a delegate per row.
            for (var column = 1; column <= 6; column++)
            {
                var longs = _longs.AsSpan(0, n);
                for (var i = 0; i < n; i++)
                {
                    ref readonly var q = ref rows[order[i]];
                    longs[i] = column switch
                    {
                        1 => q.Time.UnixNanoseconds,
                        2 => q.BidPrice.Raw,
                        3 => q.BidSize,
                        4 => q.AskPrice.Raw,
                        5 => q.AskSize,
                        _ => q.Sequence,
                    };
                }

                ParquetColumns.WriteInt64(rowGroup, column, longs);
            }
        }
    }
}
