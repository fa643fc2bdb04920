using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;
using BigDataTrading.Sources;
using BigDataTrading.Warehouse;
using Xunit;

namespace BigDataTrading.Data.Tests;

public sealed class ParquetLakeTests : IDisposable
{
    private static readonly DateOnly s_day1 = new(2024, 3, 12);
    private static readonly DateOnly s_day2 = new(2024, 3, 13);
    private readonly TempDirectory _temp = new();
    private readonly LakeLayout _lake;

    public ParquetLakeTests() => _lake = new LakeLayout(Path.Combine(_temp.Path, "lake"));

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Ticks_round_trip_through_DuckDB_with_exact_counts_sums_times_and_hive_dates()
    {
        var ticks = TwoDaysOfTicks();
        var writer = new ParquetTickWriter(_lake, "w1");
        foreach (var t in ticks)
        {
            writer.Append(t);
        }

        var commit = writer.Commit();
        using var sql = new LakeSql(_lake);

        Assert.Equal(0, writer.BufferedRows);
        Assert.Equal(ticks.Count, commit.TotalRows);
        Assert.Equal([s_day1, s_day2], commit.RowsByPartition.Keys.Order());
        Assert.Equal(ticks.Count(t => t.Time.UtcDate == s_day2), commit.RowsByPartition[s_day2]);
        Assert.Equal(ticks.Count, sql.QueryScalar<long>("SELECT count(*) FROM ticks"));
        Assert.Equal(ticks.Sum(t => t.Size), sql.QueryScalar<long>("SELECT sum(size) FROM ticks"));
        // DECIMAL(18,8) sums exactly: equal to the sum of the decimals, to the last 10^-8.
        Assert.Equal(ticks.Sum(t => t.Price.ToDecimal()), sql.QueryScalar<decimal>("SELECT sum(price) FROM ticks"));
        // Nanoseconds survive: the time column is TIMESTAMP_NS.
        Assert.Equal(ticks.Min(t => t.Time.UnixNanoseconds), sql.QueryScalar<long>("SELECT epoch_ns(min(time)) FROM ticks"));
        Assert.Equal(ticks.Max(t => t.Time.UnixNanoseconds), sql.QueryScalar<long>("SELECT epoch_ns(max(time)) FROM ticks"));
        Assert.Equal("TIMESTAMP_NS", sql.QueryScalar<string>("SELECT typeof(time) FROM ticks LIMIT 1"));
        Assert.Equal("DATE", sql.QueryScalar<string>("SELECT typeof(date) FROM ticks LIMIT 1"));
        Assert.Equal(0, sql.QueryScalar<long>("SELECT count(*) FROM ticks WHERE date <> CAST(time AS DATE)"));
        Assert.Equal(ticks.Count(t => t.Time.UtcDate == s_day2), sql.QueryScalar<long>("SELECT count(*) FROM ticks WHERE date = DATE '2024-03-13'"));
        Assert.Equal(ticks.Count(t => t.Exchange == '\0'), sql.QueryScalar<long>("SELECT count(*) FROM ticks WHERE exchange IS NULL"));
    }

    [Fact]
    public void Tick_files_delta_encode_time_and_sequence_and_DuckDB_reads_them_back_in_sorted_order_exactly()
    {
        var ticks = TwoDaysOfTicks();
        var writer = new ParquetTickWriter(_lake, "w1");
        foreach (var t in ticks)
        {
            writer.Append(t);
        }

        var file = writer.Commit().Files[0].Path;
        using var sql = new LakeSql(_lake);

        // The encodings chosen for speed and size (see ParquetTickWriter): delta for the ascending columns, dictionaries
        // for the repeating ones, Snappy everywhere.
        string Encodings(string column) => sql.QueryScalar<string>(
            $"SELECT string_agg(DISTINCT encodings, ';') FROM parquet_metadata('{file}') WHERE path_in_schema = '{column}'");
        Assert.Contains("DELTA_BINARY_PACKED", Encodings("time"), StringComparison.Ordinal);
        Assert.Contains("DELTA_BINARY_PACKED", Encodings("sequence"), StringComparison.Ordinal);
        Assert.Contains("RLE_DICTIONARY", Encodings("symbol"), StringComparison.Ordinal);
        Assert.Equal("SNAPPY", sql.QueryScalar<string>($"SELECT string_agg(DISTINCT compression, ';') FROM parquet_metadata('{file}')"));

        // Row for row, in (symbol, time, sequence) order, the values are the ticks'.
        var day = ticks.Where(t => t.Time.UtcDate == s_day1)
            .OrderBy(t => t.Symbol.Value, StringComparer.Ordinal).ThenBy(t => t.Time.UnixNanoseconds).ThenBy(t => t.Sequence).ToList();
        var rows = sql.Query($"SELECT symbol, epoch_ns(time), sequence, size FROM read_parquet('{file}')").Rows;
        Assert.Equal(
            day.Select(t => (t.Symbol.Value, t.Time.UnixNanoseconds, t.Sequence, t.Size)),
            rows.Select(r => ((string)r[0]!, (long)r[1]!, (long)r[2]!, (long)r[3]!)));
    }

    [Fact]
    public void A_commit_leaves_only_complete_part_files_named_by_the_layout()
    {
        var writer = new ParquetTickWriter(_lake, "ingest-1");
        foreach (var t in TwoDaysOfTicks())
        {
            writer.Append(t);
        }

        var commit = writer.Commit();

        Assert.Empty(_lake.ListTempFiles(LakeDatasets.Ticks));
        Assert.Equal(
            [_lake.PartFilePath(LakeDatasets.Ticks, s_day1, "ingest-1", 0), _lake.PartFilePath(LakeDatasets.Ticks, s_day2, "ingest-1", 0)],
            commit.Files.Select(f => f.Path));
        Assert.EndsWith(Path.Combine("ticks", "date=2024-03-12", "part-ingest-1-00000.parquet"), commit.Files[0].Path, StringComparison.Ordinal);
        Assert.Equal(commit.Files.Select(f => f.Path), _lake.ListPartFiles(LakeDatasets.Ticks));
        Assert.Equal([s_day1, s_day2], _lake.ListPartitions(LakeDatasets.Ticks));
    }

    [Fact]
    public void Rows_within_a_file_are_sorted_by_symbol_time_and_sequence()
    {
        // Appended in time order across symbols, as a live stream arrives; stored grouped by symbol.
        var writer = new ParquetTickWriter(_lake, "w1", new LakeWriterOptions { RowGroupRows = 10_000 });
        foreach (var t in new SyntheticMarketSource(new SyntheticMarketOptions { Date = s_day1 }).ReadTrades())
        {
            writer.Append(t);
        }

        var file = Assert.Single(writer.Commit().Files).Path;
        using var sql = new LakeSql(_lake);
        var rows = sql.Query($"SELECT symbol, epoch_ns(time), sequence FROM read_parquet('{file}', file_row_number = true) ORDER BY file_row_number").Rows;

        Assert.Equal(60_000, rows.Count);
        for (var i = 1; i < rows.Count; i++)
        {
            var previous = ((string)rows[i - 1][0]!, (long)rows[i - 1][1]!, (long)rows[i - 1][2]!);
            var current = ((string)rows[i][0]!, (long)rows[i][1]!, (long)rows[i][2]!);
            Assert.True(Compare(previous, current) <= 0, $"row {i} {current} sorts before row {i - 1} {previous}");
        }

        static int Compare((string S, long T, long Q) a, (string S, long T, long Q) b)
        {
            var c = string.CompareOrdinal(a.S, b.S);
            return c != 0 ? c : a.T != b.T ? a.T.CompareTo(b.T) : a.Q.CompareTo(b.Q);
        }
    }

    [Fact]
    public async Task Later_commits_add_new_files_and_queries_see_them()
    {
        var writer = new ParquetTickWriter(_lake, "w1");
        using var sql = new LakeSql(_lake);
        Assert.Equal(0, sql.QueryScalar<long>("SELECT count(*) FROM ticks"));

        writer.Append(Tick(s_day1, 1));
        var first = await writer.CommitAsync();
        writer.Append(Tick(s_day1, 2));
        writer.Append(Tick(s_day1, 3));
        var second = await writer.CommitAsync();
        var third = await writer.CommitAsync();

        Assert.EndsWith("part-w1-00000.parquet", first.Files.Single().Path, StringComparison.Ordinal);
        Assert.EndsWith("part-w1-00001.parquet", second.Files.Single().Path, StringComparison.Ordinal);
        Assert.Same(LakeCommit.Empty, third);
        Assert.Equal(3, sql.QueryScalar<long>("SELECT count(*) FROM ticks"));
        Assert.Equal(6, sql.QueryScalar<long>("SELECT sum(sequence) FROM ticks"));
    }

    [Fact]
    public void Bars_round_trip_exactly_into_the_bars_1m_dataset()
    {
        var spy = Symbol.Parse("SPY");
        var start = Timestamp.FromUtc(s_day1, new TimeSpan(13, 30, 0));
        Bar[] bars =
        [
            new(spy, start.AddNanoseconds(Timestamp.NanosPerMinute), Timestamp.NanosPerMinute, P(516.01m), P(516.20m), P(515.99m), P(516.10m), 12_345, 87, P(516.07312345m)),
            new(spy, start, Timestamp.NanosPerMinute, P(516.00m), P(516.05m), P(515.90m), P(516.01m), 20_000, 120, P(515.98765432m)),
        ];
        var writer = new ParquetBarWriter(_lake, "bars");
        foreach (var b in bars)
        {
            writer.Append(b);
        }

        writer.Commit();
        using var sql = new LakeSql(_lake);
        var rows = sql.Query("SELECT symbol, epoch_ns(start), period_ns, open, high, low, close, volume, trade_count, vwap, date FROM bars_1m").Rows;

        Assert.Equal(2, rows.Count);
        Assert.Equal(["SPY", start.UnixNanoseconds, Timestamp.NanosPerMinute, 516.00m, 516.05m, 515.90m, 516.01m, 20_000L, 120, 515.98765432m, s_day1], rows[0]);
        Assert.Equal(516.07312345m, rows[1][9]);
        Assert.Equal(32_345, sql.QueryScalar<long>("SELECT sum(volume) FROM bars_1m"));
    }

    [Fact]
    public void A_price_beyond_decimal_18_8_is_refused_at_append()
    {
        var writer = new ParquetTickWriter(_lake, "w1");
        var tick = Tick(s_day1, 1) with { Price = Price.FromDecimal(10_000_000_000m) };

        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Append(tick));
        Assert.Equal(0, writer.BufferedRows);
    }

    [Fact]
    public void Writer_ids_that_could_escape_the_partition_folder_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new ParquetTickWriter(_lake, "../evil"));
        Assert.Throws<ArgumentException>(() => new ParquetTickWriter(_lake, "a.b"));
    }

    private static Price P(decimal value) => Price.FromDecimal(value);

    private static TradeTick Tick(DateOnly date, long sequence) =>
        new(Symbol.Parse("SPY"), Timestamp.FromUtc(date, TimeSpan.FromHours(14)).AddNanoseconds(sequence), P(516.01m), 100, sequence, 'P');

    /// <summary>A synthetic session plus prints on both sides of UTC midnight, one with nanoseconds and no venue.</summary>
    private static List<TradeTick> TwoDaysOfTicks()
    {
        var ticks = new SyntheticMarketSource(new SyntheticMarketOptions { Date = s_day1, TradesPerSymbol = 5_000 }).ReadTrades().ToList();
        var aapl = Symbol.Parse("AAPL");
        var midnight = Timestamp.FromUtc(s_day2, TimeSpan.Zero);
        ticks.Add(new TradeTick(aapl, midnight.AddNanoseconds(-1), P(173.01m), 10, 100_001, 'Q'));
        ticks.Add(new TradeTick(aapl, midnight, P(173.02m), 20, 100_002));
        ticks.Add(new TradeTick(aapl, midnight.AddNanoseconds(123_456_789), P(173.03m), 30, 100_003, 'K'));
        return ticks;
    }
}
