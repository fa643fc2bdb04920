using BigDataTrading.Cli.Demo;
using BigDataTrading.Fix.Logging;
using BigDataTrading.Infra.Kafka;
using BigDataTrading.Streaming.Quality;
using BigDataTrading.Streaming.Strategies;
using BigDataTrading.Trading;
using DuckDB.NET.Data;
using Xunit.Abstractions;

namespace BigDataTrading.Tests.EndToEnd;

/// <summary>
/// Runs the whole demo pipeline on real components (embedded Kafka, Parquet lake, FIX over TCP, DuckDB warehouse) and
/// checks conservation: nothing is lost or duplicated between any two stages.
/// </summary>
public sealed class DemoPipelineTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _out = Directory.CreateTempSubdirectory("bdt-e2e-").FullName;

    [SharedDataFact(SharedData.SpyTradeZip)]
    public async Task Real_SPY_day_is_conserved_through_every_stage()
    {
        var report = await RunAsync(SharedData.Find(SharedData.SpyTradeZip));
        Assert.Equal(451_545, report.SourceTicks);
        AssertConservation(report);
    }

    [Fact]
    public async Task Synthetic_day_is_conserved_through_every_stage()
    {
        var report = await RunAsync(ticksPath: null);
        Assert.Equal(3 * 20_000, report.SourceTicks);
        Assert.True(report.Processor.Rejected > 0, "the synthetic market injects bad ticks, so the filter must reject some");
        AssertConservation(report);
    }

    private async Task<DemoReport> RunAsync(string? ticksPath)
    {
        var options = new DemoOptions(
            _out,
            ticksPath,
            new DateOnly(2024, 3, 15),
            ["SPY", "AAPL", "MSFT"],
            20_000,
            7,
            new KafkaOptions(),
            new TickQualityOptions(),
            new MovingAverageCrossOptions(),
            TraderOptions.Default);
        var report = await new DemoPipeline(options, TimeProvider.System).RunAsync(CancellationToken.None);
        output.WriteLine($"{report.Source}: {report.SourceTicks} ticks in {report.Elapsed.TotalSeconds:0.0} s; accepted {report.Processor.Accepted}, rejected {report.Processor.Rejected}, bars {report.Processor.Bars}, signals {report.Processor.Signals}, fills {report.Trader.Fills}");
        return report;
    }

    private static void AssertConservation(DemoReport r)
    {
        // Source → Kafka → processor: every tick read was published and consumed once.
        Assert.Equal(0, r.SourceErrors);
        Assert.Equal(r.SourceTicks, r.Published);
        Assert.Equal(r.Published, r.Processor.Consumed);
        Assert.Equal(r.Processor.Consumed, r.Processor.Accepted + r.Processor.Rejected);

        // Every rejection is counted under a reason, and the dead-letter topic holds each rejected tick with that reason.
        Assert.Equal(r.Processor.Rejected, r.RejectionsByReason.Sum(kv => kv.Value));
        Assert.Equal(r.RejectionsByReason.ToDictionary(kv => kv.Key, kv => kv.Value), r.DeadLettersByReason);

        // Every accepted tick is in the lake exactly once.
        using (var lake = new BigDataTrading.Warehouse.LakeSql(r.LakeRoot))
        {
            Assert.Equal(r.Processor.Accepted, lake.QueryScalar<long>("SELECT count(*) FROM ticks"));
            Assert.Equal(r.Processor.Accepted, lake.QueryScalar<long>("SELECT count(*) FROM (SELECT DISTINCT symbol, sequence FROM ticks)"));
            Assert.Equal(r.Processor.Bars, lake.QueryScalar<long>("SELECT count(*) FROM bars_1m"));
            Assert.Equal(r.Processor.Accepted, lake.QueryScalar<long>("SELECT sum(trade_count) FROM bars_1m"));
            Assert.Equal(lake.QueryScalar<long>("SELECT sum(size) FROM ticks"), lake.QueryScalar<long>("SELECT sum(volume) FROM bars_1m"));
        }

        // The shipped CQL trading pack ran over every accepted tick, and its 1-minute OHLCV has one row per processor bar.
        Assert.NotNull(r.Cql);
        Assert.Equal(r.Processor.Accepted, r.Cql.EventsIn);
        Assert.Equal(0, r.Cql.Undecodable);
        Assert.Equal(r.Processor.Bars, r.Cql.RowsOut["ohlcv_1m"]);

        // The catalog knows what was written: rows per dataset, and the filter's rejections by reason.
        var catalog = new BigDataTrading.Warehouse.Catalog.LakeCatalog(new BigDataTrading.Warehouse.LakeLayout(r.LakeRoot), TimeProvider.System).Load();
        var ticks = catalog.Datasets.Single(d => d.Name == "ticks");
        Assert.Equal(r.Processor.Accepted, ticks.Partitions.Sum(p => p.Rows));
        Assert.Equal(r.Processor.Rejected, ticks.Partitions.Sum(p => p.Quality.Values.Sum()));
        Assert.All(ticks.Partitions, p => Assert.Equal("demo-stream-processor", Assert.Single(p.Lineage).Job));

        Assert.True(r.Processor.Signals > 0, "the strategy should trade on a full day");
        using var db = new DuckDBConnection($"Data Source={r.WarehousePath};ACCESS_MODE=READ_ONLY");
        db.Open();

        // Every signal led to exactly one order row: sent, or rejected by risk with a reason.
        Assert.Equal(r.Processor.Signals, r.Trader.Signals);
        Assert.Equal(r.Trader.Signals, Scalar(db, "SELECT count(*) FROM orders"));
        Assert.Equal(r.Trader.OrdersSent, Scalar(db, "SELECT count(*) FROM orders WHERE risk_decision = 'Accepted'"));
        Assert.Equal(0, Scalar(db, "SELECT count(*) FROM orders WHERE risk_decision = 'Rejected' AND (risk_reason IS NULL OR risk_reason = '')"));

        // Every sent order is completely filled (the simulator fills at the limit) and nothing is left open.
        Assert.Equal(0, r.Trader.OpenOrders);
        Assert.Equal(0, Scalar(db, """
            SELECT count(*) FROM orders o
            WHERE o.risk_decision = 'Accepted'
              AND o.quantity <> (SELECT coalesce(sum(e.last_qty), 0) FROM executions e WHERE e.client_order_id = o.client_order_id AND e.kind = 'Trade')
            """));
        Assert.Equal(r.Trader.Fills, Scalar(db, "SELECT count(*) FROM executions WHERE kind = 'Trade'"));

        // Positions equal the signed sum of fills.
        foreach (var position in r.Trader.Positions)
        {
            var signed = Scalar(db, $"SELECT coalesce(sum(CASE side WHEN 'Buy' THEN last_qty ELSE -last_qty END), 0) FROM executions WHERE kind = 'Trade' AND symbol = '{position.Symbol}'");
            Assert.Equal(signed, position.Quantity);
        }

        // The FIX logs of both ends parse and every checksum and body length verifies.
        var logs = Directory.GetFiles(r.FixLogDirectory, "*.log");
        Assert.Equal(2, logs.Length);
        foreach (var log in logs)
        {
            var messages = FixLogReader.Read(log);
            Assert.NotEmpty(messages);
            Assert.All(messages, m => Assert.True(m.BodyLengthValid && m.ChecksumValid, $"{log}: {m}"));
        }
    }

    private static long Scalar(DuckDBConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar() switch
        {
            System.Numerics.BigInteger big => (long)big,
            var value => Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_out, recursive: true);
        }
        catch (IOException)
        {
            // Leave the folder for inspection if something still holds a file.
        }
    }
}
