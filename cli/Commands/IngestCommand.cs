using System.CommandLine;
using System.Globalization;
using BigDataTrading.Infra.Kafka;
using BigDataTrading.Sources;
using BigDataTrading.Streaming.Ingestion;
using BigDataTrading.Streaming.LakeWriter;
using BigDataTrading.Warehouse;
using BigDataTrading.Warehouse.Catalog;

namespace BigDataTrading.Cli.Commands;

/// <summary>
/// <c>bdt ingest</c>: source → validation (reason-coded rules) → Kafka (<c>md.ticks</c> + dead-letter topic). On the
/// embedded cluster, whose data dies with the process, the Kafka → lake writer runs alongside into <c>--lake</c>.
/// </summary>
public static class IngestCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var kind = new Option<string>("--source") { Description = "lean-trades | lean-quotes | lean-minute-bars | csv-bars | csv-trades | lake (replay the lake's ticks).", Required = true };
        var path = new Option<string>("--path") { Description = "The file (LEAN zip, CSV or .csv.gz) or, for --source lake, the lake root.", Required = true };
        var map = new Option<string?>("--map") { Description = "CSV column map: 'sp500-daily', or key=Column pairs, e.g. 'symbol=Sym,time=Ts,price=Px,size=Qty' (keys: symbol, fixed-symbol, time, price, size, open, high, low, close, volume)." };
        var timeFormat = new Option<string?>("--time-format") { Description = "CSV time format (.NET exact format, unix-ms or unix-ns); date-only formats mean UTC midnight." };
        var timeZone = new Option<string>("--time-zone") { Description = "IANA zone of CSV local times.", DefaultValueFactory = _ => "UTC" };
        var session = new Option<string>("--session") { Description = "Session rule: regular (09:30–16:00 New York), extended (04:00–20:00), trading-day, always.", DefaultValueFactory = _ => "regular" };
        var outlierK = new Option<double>("--outlier-k") { Description = "k of the outlier rule |price − median| > k·MAD.", DefaultValueFactory = _ => 10 };
        var tolerance = new Option<double>("--out-of-order-ms") { Description = "Out-of-order tolerance in milliseconds.", DefaultValueFactory = _ => 1000 };
        var topic = new Option<string>("--topic") { Description = "Accepted records' topic.", DefaultValueFactory = _ => BigDataTrading.Core.Topics.Ticks };
        var deadLetter = new Option<string>("--dead-letter") { Description = "Dead-letter topic.", DefaultValueFactory = _ => BigDataTrading.Core.Topics.RejectedTicks };
        var noEos = new Option<bool>("--no-end-of-stream") { Description = "Do not close the topics with end-of-stream markers (another source feeds them too)." };
        var lake = new Option<string?>("--lake") { Description = "Embedded cluster only: lake root the writer fills alongside (default bdt-out/ingest-<time>/lake)." };
        var bootstrap = new Option<string?>("--kafka") { Description = "Kafka bootstrap servers of a real cluster. Default: the embedded cluster, with the lake writer in-process." };
        var command = new Command("ingest", "Ingest a source into Kafka: validation rules with reason codes, accepted → md.ticks (key = symbol), rejected → dead-letter topic.")
        {
            kind, path, map, timeFormat, timeZone, session, outlierK, tolerance, topic, deadLetter, noEos, lake, bootstrap,
        };

        command.SetAction(async (parse, ct) =>
        {
            var kafkaOptions = KafkaOptions.FromConfiguration(BdtConfiguration.Load());
            if (parse.GetValue(bootstrap) is { Length: > 0 } servers)
            {
                kafkaOptions = kafkaOptions with { BootstrapServers = servers };
            }

            IngestValidationOptions validation;
            try
            {
                validation = new IngestValidationOptions
                {
                    Session = ParseSession(parse.GetValue(session)!),
                    OutlierK = parse.GetValue(outlierK),
                    OutOfOrderToleranceNanos = checked((long)(parse.GetValue(tolerance) * 1_000_000)),
                };
                validation.Validate();
            }
            catch (Exception ex) when (ex is ArgumentException or OverflowException)
            {
                await Console.Error.WriteLineAsync("error: " + ex.Message);
                return 2;
            }

            await using var kafka = KafkaEndpoint.Start(kafkaOptions);
            var partitions = kafkaOptions.DefaultPartitions;
            var topics = new IngestTopics(parse.GetValue(topic)!, parse.GetValue(deadLetter)!, partitions, !parse.GetValue(noEos));
            await kafka.Topics.EnsureTopicsAsync(KafkaTopology.Of(new TopicSpec(topics.Accepted, partitions), new TopicSpec(topics.DeadLetter, partitions)), ct);
            using var producer = kafka.Clients.CreateProducer("ingest");

            // Embedded: run the lake writer alongside (the topic vanishes with this process) and let the source wait
            // for it, since the mock broker keeps only 5 MB per partition.
            KafkaLakeWriter? writer = null;
            Task<KafkaLakeWriterReport>? writerTask = null;
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            string? lakeRoot = null;
            if (kafka.IsEmbedded)
            {
                lakeRoot = Path.GetFullPath(parse.GetValue(lake) ?? Path.Combine("bdt-out", "ingest-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture), "lake"));
                var layout = new LakeLayout(lakeRoot);
                writer = new KafkaLakeWriter(kafka.Clients, layout, new LakeCatalog(layout, TimeProvider.System),
                    new KafkaLakeWriterOptions { Topic = topics.Accepted, Partitions = partitions }, TimeProvider.System);
                writerTask = Task.Factory.StartNew(() => writer.Run(stop.Token), stop.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }

            var ingestor = new MarketDataIngestor(producer, new IngestValidator(validation), topics,
                writer is null ? null : new ReplayFlowControl(() => writer.Consumed, ReplayFlowControl.EmbeddedClusterMaxInFlight));
            var errors = new DeadLetterSourceErrorSink(ingestor);
            var finished = false;
            try
            {
                var report = await RunSourceAsync(parse.GetValue(kind)!, parse.GetValue(path)!, parse.GetValue(map), parse.GetValue(timeFormat), parse.GetValue(timeZone)!, errors, ingestor, ct);
                Console.WriteLine($"in {report.In:N0} = accepted {report.Accepted:N0} + rejected {report.Rejected:N0}  ({topics.Accepted}, {topics.DeadLetter})");
                foreach (var (reason, count) in report.RejectedByReason)
                {
                    Console.WriteLine($"  {reason,-22} {count,12:N0}");
                }

                if (writerTask is not null)
                {
                    var written = await writerTask;
                    Console.WriteLine($"lake {lakeRoot}: {written.Rows:N0} rows ({written.DescribeRows()}) in {written.Commits} commits");
                }

                finished = true;
                return report.In == report.Accepted + report.Rejected ? 0 : 1;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync("ingest cancelled.");
                return 130;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                await Console.Error.WriteLineAsync($"error: ingest failed: {ex.GetType().Name}: {ex.Message}");
                return ex is ArgumentException ? 2 : 1;
            }
            finally
            {
                if (!finished)
                {
                    // The writer waits for end-of-stream markers that will not come now.
                    await stop.CancelAsync();
                }
            }
        });
        return command;
    }

    private static Task<IngestReport> RunSourceAsync(string kind, string path, string? map, string? timeFormat, string timeZone, ISourceErrorSink errors, MarketDataIngestor ingestor, CancellationToken ct) => kind switch
    {
        "lean-trades" => ingestor.IngestTradesAsync(new LeanTickTradeZipSource(path, errors).ReadTradesAsync(ct), ct),
        "lean-quotes" => ingestor.IngestQuotesAsync(new LeanTickQuoteZipSource(path, errors).ReadQuotesAsync(ct), ct),
        "lean-minute-bars" => ingestor.IngestBarsAsync(new LeanMinuteBarZipSource(path, errors).ReadBarsAsync(ct), ct),
        "csv-bars" => ingestor.IngestBarsAsync(new CsvMarketDataSource(path, ParseMap(map, timeFormat, timeZone), errors).ReadBarsAsync(ct), ct),
        "csv-trades" => ingestor.IngestTradesAsync(new CsvMarketDataSource(path, ParseMap(map, timeFormat, timeZone), errors).ReadTradesAsync(ct), ct),
        "lake" => ingestor.IngestTradesAsync(new LakeParquetTickSource(path, errors).ReadTradesAsync(ct), ct),
        _ => throw new ArgumentException($"--source '{kind}' is not one of lean-trades, lean-quotes, lean-minute-bars, csv-bars, csv-trades, lake."),
    };

    private static TradingSession ParseSession(string text) => text switch
    {
        "regular" => TradingSession.Regular,
        "extended" => TradingSession.Extended,
        "trading-day" => TradingSession.TradingDay,
        "always" => TradingSession.Always,
        _ => throw new ArgumentException($"--session '{text}' is not one of regular, extended, trading-day, always."),
    };

    private static CsvColumnMap ParseMap(string? text, string? timeFormat, string timeZone)
    {
        var map = text is null or "sp500-daily" ? CsvColumnMap.Sp500Daily : new CsvColumnMap();
        if (text is not null && text != "sp500-daily")
        {
            foreach (var pair in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    throw new ArgumentException($"--map entry '{pair}' is not key=Column.");
                }

                var value = pair[(eq + 1)..];
                map = pair[..eq].ToUpperInvariant() switch
                {
                    "SYMBOL" => map with { Symbol = value },
                    "FIXED-SYMBOL" => map with { FixedSymbol = value },
                    "TIME" => map with { Time = value },
                    "PRICE" => map with { Price = value },
                    "SIZE" => map with { Size = value },
                    "OPEN" => map with { Open = value },
                    "HIGH" => map with { High = value },
                    "LOW" => map with { Low = value },
                    "CLOSE" => map with { Close = value },
                    "VOLUME" => map with { Volume = value },
                    _ => throw new ArgumentException($"--map key '{pair[..eq]}' is unknown."),
                };
            }
        }

        return map with { TimeFormat = timeFormat ?? map.TimeFormat, TimeZone = timeZone };
    }
}
