using System.Globalization;
using BigDataTrading.Core;
using BigDataTrading.Core.Diagnostics;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Exchange;
using BigDataTrading.Infra.Embedded;
using BigDataTrading.Infra.Kafka;
using BigDataTrading.Infra.Messaging;
using BigDataTrading.Sources;
using BigDataTrading.Streaming.Bars;
using BigDataTrading.Streaming.Cql;
using BigDataTrading.Streaming.Cql.Kafka;
using BigDataTrading.Streaming.Cql.Packs;
using BigDataTrading.Streaming.Ingestion;
using BigDataTrading.Streaming.Processing;
using BigDataTrading.Streaming.Quality;
using BigDataTrading.Streaming.Strategies;
using BigDataTrading.Trading;
using BigDataTrading.Trading.Venues;
using BigDataTrading.Warehouse;
using BigDataTrading.Warehouse.Catalog;

namespace BigDataTrading.Cli.Demo;

/// <summary>
/// Runs one trading day through every layer, each as its own component talking over Kafka:
/// source → <c>md.ticks.raw</c> → stream processor (filter, bars, lake, strategy) → <c>signals</c> → trader
/// (risk, FIX to the exchange simulator, positions, warehouse). Components run concurrently, exactly as they would as
/// separate processes; the replay ends when end-of-stream markers have flowed through every topic.
/// </summary>
public sealed class DemoPipeline(DemoOptions options, TimeProvider clock)
{
    /// <summary>Live counters, for progress display while <see cref="RunAsync"/> runs.</summary>
    public PipelineCounters Counters { get; } = new();

    /// <summary>Runs the day and returns the report.</summary>
    public async Task<DemoReport> RunAsync(CancellationToken ct)
    {
        options.Validate();
        var started = clock.GetTimestamp();
        var runId = clock.GetUtcNow().ToString("yyyyMMdd-HHmmss-fff", CultureInfo.InvariantCulture);
        var runDir = Path.GetFullPath(Path.Combine(options.OutputRoot, "run-" + runId));
        var lakeRoot = Path.Combine(runDir, "lake");
        var fixLogs = Path.Combine(runDir, "fix");
        var warehousePath = Path.Combine(runDir, "warehouse.duckdb");
        Directory.CreateDirectory(fixLogs);

        var partitions = options.Kafka.DefaultPartitions;

        // The shipped trading pack runs over the accepted ticks as its own consumer, as `bdt stream` would.
        var cqlOptions = new CqlStreamOptions(Topics.Ticks, partitions);
        var packTopics = CqlEngine.Compile(CqlPacks.TradingPack, NullCqlSink.Instance).Queries.Select(q => q.IntoTopic).OfType<string>()
            .Append(cqlOptions.LateTopic).Append(cqlOptions.ViewDeadLetterTopic);
        var topology = KafkaTopology.Of(
            [.. new[] { Topics.RawTicks, Topics.Ticks, Topics.RejectedTicks, Topics.Bars, Topics.Signals, Topics.Orders, Topics.Executions }
                .Concat(packTopics).Distinct(StringComparer.Ordinal)
                .Select(name => new TopicSpec(name, partitions))]);
        await using var stack = await EmbeddedStack.StartAsync(
            new EmbeddedStackOptions(options.Kafka, topology, lakeRoot, new ExchangeSimulatorOptions { LogDirectory = fixLogs, RunId = runId }),
            clock,
            ct);
        var kafka = stack.Kafka;
        using IOrderWarehouse warehouse = options.WarehouseConnectionString is { Length: > 0 } pg
            ? new PostgresOrderWarehouse(pg)
            : new DuckDbOrderWarehouse(warehousePath);
        await using var venue = await FixOrderVenue.ConnectAsync(
            new FixVenueOptions("127.0.0.1", stack.Exchange.Port, SenderCompId: "BDT", TargetCompId: stack.Exchange.CompId, LogDirectory: fixLogs),
            clock,
            ct);

        var errors = new CountingSourceErrorSink();
        var source = CreateSource(errors);

        // Each component gets its own Kafka clients, as separate processes would.
        using var processorConsumer = kafka.Clients.CreateLosslessConsumer("bdt-processor-" + runId, "processor");
        using var processorProducer = kafka.Clients.CreateProducer("processor");
        var lakeLayout = new LakeLayout(lakeRoot);
        var lake = new ParquetLakeSink(lakeLayout, "processor", new LakeCatalog(lakeLayout, clock), new LakeJobRun("demo-stream-processor", runId, [source.Description]));
        var processor = new MarketDataProcessor(
            processorConsumer,
            processorProducer,
            lake,
            new TickQualityFilter(options.Quality),
            new BarBuilder(BigDataTrading.Core.Time.Timestamp.NanosPerMinute),
            new MovingAverageCrossStrategy(options.Strategy),
            Counters,
            new ProcessorTopics(Topics.RawTicks, partitions, partitions));

        using var traderConsumer = kafka.Clients.CreateLosslessConsumer("bdt-trader-" + runId, "trader");
        using var traderProducer = kafka.Clients.CreateProducer("trader");
        var trader = new TraderService(options.Trader, traderConsumer, traderProducer, venue, warehouse, Counters, clock);

        using var cqlProducer = kafka.Clients.CreateProducer("cql");
        // A short fetch wait: the replay is paced by this consumer too (see flow control below), so it must not idle.
        var cql = new CqlKafkaRunner(CqlPacks.TradingPack, kafka.Clients, "bdt-cql-" + runId, cqlProducer, cqlOptions,
            services: new CqlStreamServices { ConfigureConsumer = c => c.FetchWaitMaxMs = 10 });

        using var sourceProducer = kafka.Clients.CreateProducer("source");
        // The slowest reader bounds the replay: the processor on md.ticks.raw, the CQL pack on md.ticks (it reads the
        // accepted ticks, so its position in raw records is what it consumed plus what the filter rejected).
        var flowControl = kafka.IsEmbedded
            ? new ReplayFlowControl(() => Math.Min(Counters.Processed, cql.EventsConsumed + Counters.Rejected), ReplayFlowControl.EmbeddedClusterMaxInFlight)
            : null;
        var publisher = new TickPublisher(sourceProducer, Counters, flowControl);

        using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var processorTask = Task.Factory.StartNew(() => processor.Run(failed.Token), failed.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var traderTask = trader.RunAsync(partitions, failed.Token);
        var cqlTask = Task.Factory.StartNew(() => cql.Run(failed.Token), failed.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var publishTask = publisher.PublishAsync(source.ReadTradesAsync(failed.Token), Topics.RawTicks, partitions, failed.Token);

        // If any stage faults, stop the others instead of letting them wait for markers that will never come.
        var all = new Task[] { publishTask, processorTask, traderTask, cqlTask };
        foreach (var task in all)
        {
            _ = task.ContinueWith(_ => failed.Cancel(), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }

        try
        {
            await Task.WhenAll(all);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // Surface the stage that failed first rather than the cancellations it caused.
            var fault = all.FirstOrDefault(t => t.IsFaulted)?.Exception?.GetBaseException();
            if (fault is not null)
            {
                throw fault;
            }

            throw;
        }

        var elapsed = clock.GetElapsedTime(started);
        var processed = await processorTask;
        var traded = await traderTask;
        var queried = await cqlTask;
        var deadLetters = AuditDeadLetters(kafka, partitions, ct);

        using var sql = new LakeSql(lakeRoot);
        return new DemoReport(
            runDir,
            lakeRoot,
            warehouse.Location,
            fixLogs,
            source.Description,
            Counters.SourceTicks,
            errors.Count,
            Counters.Published,
            processed,
            Counters.RejectionsByReason,
            deadLetters,
            traded,
            sql.QueryScalar<long>("SELECT count(*) FROM ticks"),
            sql.QueryScalar<long>("SELECT count(*) FROM bars_1m"),
            elapsed)
        {
            Cql = queried,
        };
    }

    /// <summary>
    /// Reads the dead-letter topic back and counts its records by their reason header: proof that every rejected tick
    /// was kept, with its reason, where an operator can replay or inspect it.
    /// </summary>
    private static SortedDictionary<string, long> AuditDeadLetters(KafkaEndpoint kafka, int partitions, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        using var consumer = kafka.Clients.CreateConsumer("bdt-dead-letter-audit", "dead-letter-audit");
        var byReason = new SortedDictionary<string, long>(StringComparer.Ordinal);
        TopicReader.ReadToEndOfStream(consumer, Topics.RejectedTicks, partitions, record =>
        {
            var reason = record.Message.Headers.TryGetLastBytes(Topics.ReasonHeader, out var bytes) ? System.Text.Encoding.ASCII.GetString(bytes) : "(no reason header)";
            byReason[reason] = byReason.GetValueOrDefault(reason) + 1;
        }, timeout.Token);
        consumer.Close();
        return byReason;
    }

    private IMarketDataSource CreateSource(ISourceErrorSink errors)
    {
        if (options.TicksPath is { } path)
        {
            return new LeanTickTradeZipSource(path, errors);
        }

        return new SyntheticMarketSource(
            new SyntheticMarketOptions
            {
                Symbols = [.. options.Symbols.Select(Symbol.Parse)],
                Date = options.Date,
                Seed = options.Seed,
                TradesPerSymbol = options.TradesPerSymbol,
            });
    }
}
