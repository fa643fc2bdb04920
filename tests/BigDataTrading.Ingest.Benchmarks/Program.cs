using System.Diagnostics;
using System.Globalization;
using System.Text;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Wire;
using BigDataTrading.Infra.Kafka;
using BigDataTrading.Sources;
using BigDataTrading.Streaming.Ingestion;
using BigDataTrading.Warehouse;
using Confluent.Kafka;
using DuckDB.NET.Data;
using Google.Protobuf;

// Ingestion benchmarks, each a ratio against a baseline measured in the same run; medians of 5.
// Run: dotnet run -c Release --project tests/BigDataTrading.Ingest.Benchmarks [-- [trades-per-symbol] [codec|ingest|lake]...]
var perSymbol = args.Where(a => a.All(char.IsAsciiDigit)).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).DefaultIfEmpty(100_000).First();
var sections = args.Where(a => !a.All(char.IsAsciiDigit)).ToHashSet(StringComparer.OrdinalIgnoreCase);
bool Run(string section) => sections.Count == 0 || sections.Contains(section);
var ticks = new List<TradeTick>();
await foreach (var t in new SyntheticMarketSource(new SyntheticMarketOptions { TradesPerSymbol = perSymbol, BadTickRate = 0 }).ReadTradesAsync())
{
    ticks.Add(t);
}

Console.WriteLine($"{ticks.Count:N0} synthetic trades ({perSymbol:N0} per symbol), {(Debugger.IsAttached ? "debugger" : "no debugger")}");
if (Run("codec"))
{
    Codec(ticks);
}

if (Run("ingest"))
{
    await Ingest(ticks);
}

if (Run("lake"))
{
    Lake(ticks);
}

return 0;

static double Median(Func<double> run)
{
    _ = run(); // warm-up
    var xs = Enumerable.Range(0, 5).Select(_ => run()).Order().ToArray();
    return xs[2];
}

static void Codec(List<TradeTick> ticks)
{
    var buffer = new byte[MarketDataCodec.MaxRecordLength];
    var pbuf = new byte[128];
    var symbols = new SymbolCache();
    long v1Bytes = 0, pbBytes = 0;
    var v1Enc = Median(() =>
    {
        var sw = Stopwatch.StartNew();
        v1Bytes = 0;
        foreach (var t in ticks)
        {
            v1Bytes += MarketDataCodec.Encode(t, buffer);
        }

        return sw.Elapsed.TotalNanoseconds / ticks.Count;
    });
    var n = MarketDataCodec.Encode(ticks[0], buffer);
    var v1Dec = Median(() =>
    {
        var sw = Stopwatch.StartNew();
        long sum = 0;
        for (var i = 0; i < ticks.Count; i++)
        {
            sum += MarketDataCodec.DecodeTrade(buffer.AsSpan(0, n), symbols).Size;
        }

        GC.KeepAlive(sum);
        return sw.Elapsed.TotalNanoseconds / ticks.Count;
    });
    var pbEnc = Median(() =>
    {
        var sw = Stopwatch.StartNew();
        pbBytes = 0;
        foreach (var t in ticks)
        {
            pbBytes += ProtoTrade.Encode(t, pbuf);
        }

        return sw.Elapsed.TotalNanoseconds / ticks.Count;
    });
    var pn = ProtoTrade.Encode(ticks[0], pbuf);
    var pbDec = Median(() =>
    {
        var sw = Stopwatch.StartNew();
        long sum = 0;
        for (var i = 0; i < ticks.Count; i++)
        {
            sum += ProtoTrade.Decode(pbuf.AsSpan(0, pn), symbols).Size;
        }

        GC.KeepAlive(sum);
        return sw.Elapsed.TotalNanoseconds / ticks.Count;
    });
    Console.WriteLine($"codec  v1 fixed: encode {v1Enc:F1} ns, decode {v1Dec:F1} ns, {v1Bytes / (double)ticks.Count:F1} B/trade");
    Console.WriteLine($"codec  protobuf: encode {pbEnc:F1} ns, decode {pbDec:F1} ns, {pbBytes / (double)ticks.Count:F1} B/trade  (v1 is {pbEnc / v1Enc:F1}x / {pbDec / v1Dec:F1}x faster)");
}

static async Task Ingest(List<TradeTick> ticks)
{
    await using var kafka = KafkaEndpoint.Start(new KafkaOptions());
    var runs = 0;
    var payloads = ticks.Select(t =>
    {
        var b = new byte[MarketDataCodec.MaxRecordLength];
        return b.AsSpan(0, MarketDataCodec.Encode(t, b)).ToArray();
    }).ToArray();
    var keys = ticks.Select(t => Encoding.ASCII.GetBytes(t.Symbol.Value)).ToArray();

    async Task<string> Topic()
    {
        var name = "bench-" + runs++;
        await kafka.Topics.EnsureTopicsAsync(KafkaTopology.Of(new TopicSpec(name, 4), new TopicSpec(name + ".dlq", 4)));
        return name;
    }

    double bare = 0, ours = 0;
    var bareRuns = new List<double>();
    var ourRuns = new List<double>();
    for (var i = 0; i < 6; i++)
    {
        // Bare Confluent.Kafka: same payloads, same keys, same idempotent acks=all producer configuration.
        var topic = await Topic();
        using (var producer = kafka.Clients.CreateProducer("bare"))
        {
            var sw = Stopwatch.StartNew();
            for (var j = 0; j < payloads.Length; j++)
            {
                while (true)
                {
                    try
                    {
                        producer.Produce(topic, new Message<byte[]?, byte[]> { Key = keys[j], Value = payloads[j] });
                        break;
                    }
                    catch (ProduceException<byte[]?, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                    {
                        producer.Poll(TimeSpan.FromMilliseconds(5));
                    }
                }
            }

            producer.Flush(TimeSpan.FromMinutes(1));
            bareRuns.Add(payloads.Length / sw.Elapsed.TotalSeconds);
        }

        topic = await Topic();
        using (var producer = kafka.Clients.CreateProducer("ingest"))
        {
            var ingestor = new MarketDataIngestor(producer, new IngestValidator(new IngestValidationOptions()), new IngestTopics(topic, topic + ".dlq", 4, WriteEndOfStream: false));
            var sw = Stopwatch.StartNew();
            var report = await ingestor.IngestTradesAsync(ToAsync(ticks), CancellationToken.None);
            ourRuns.Add(ticks.Count / sw.Elapsed.TotalSeconds);
            if (report.In != ticks.Count)
            {
                throw new InvalidOperationException("ingest lost records");
            }
        }
    }

    bare = bareRuns.Skip(1).Order().ElementAt(2);
    ours = ourRuns.Skip(1).Order().ElementAt(2);
    Console.WriteLine($"ingest bdt ingest core (validate+encode+produce): {ours:N0} rec/s; bare Confluent producer of the same payloads: {bare:N0} rec/s; ratio {ours / bare:F2} (goal >= 0.8)");
}

static async IAsyncEnumerable<TradeTick> ToAsync(List<TradeTick> ticks)
{
    foreach (var t in ticks)
    {
        yield return t;
    }

    await Task.CompletedTask;
}

static void Lake(List<TradeTick> ticks)
{
    var root = Path.Combine(Path.GetTempPath(), "bdt-ingest-bench-" + Environment.ProcessId);
    try
    {
        // Ours: from the ticks as they arrive, buffer, sort by (symbol, time, sequence), write, rename; durable = also
        // fsync the file before the rename (the lake's default).
        long oursBytes = 0, duckBytes = 0;
        double Ours(bool durable)
        {
            var lake = new LakeLayout(Path.Combine(root, Guid.NewGuid().ToString("N")));
            var sw = Stopwatch.StartNew();
            var writer = new ParquetTickWriter(lake, "bench", LakeWriterOptions.Default with { Durable = durable });
            foreach (var t in ticks)
            {
                writer.Append(t);
            }

            var commit = writer.Commit();
            var rate = ticks.Count / sw.Elapsed.TotalSeconds;
            oursBytes = new FileInfo(commit.Files[0].Path).Length;
            return rate;
        }

        using var duck = new DuckDBConnection("DataSource=:memory:");
        duck.Open();
        Exec(duck, "CREATE TABLE t (symbol VARCHAR, time TIMESTAMP_NS, price DECIMAL(18,8), size BIGINT, sequence BIGINT, exchange VARCHAR)");
        using (var appender = duck.CreateAppender("t"))
        {
            foreach (var t in ticks)
            {
                appender.CreateRow().AppendValue(t.Symbol.Value).AppendValue(t.Time.ToDateTimeOffset().UtcDateTime).AppendValue(t.Price.ToDecimal())
                    .AppendValue(t.Size).AppendValue(t.Sequence).AppendValue(t.Exchange == '\0' ? null : t.Exchange.ToString()).EndRow();
            }
        }

        // DuckDB: the same rows from its own table (already columnar, no parsing), the same sort, Snappy (its default,
        // named explicitly), its default threads (= cores). COPY does not fsync; the durable variant adds an fsync of the
        // written file inside the timing, as ours does before its rename. `v2` asks for PARQUET_VERSION v2, whose integer
        // columns are DELTA_BINARY_PACKED like our time and sequence columns.
        double Duck(bool durable, bool v2 = false)
        {
            var path = Path.Combine(root, Guid.NewGuid().ToString("N") + ".parquet");
            Directory.CreateDirectory(root);
            var sw = Stopwatch.StartNew();
            Exec(duck, $"COPY (SELECT * FROM t ORDER BY symbol, time, sequence) TO '{path}' (FORMAT parquet, COMPRESSION snappy{(v2 ? ", PARQUET_VERSION v2" : "")})");
            if (durable)
            {
                using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
                file.Flush(flushToDisk: true);
            }

            var rate = ticks.Count / sw.Elapsed.TotalSeconds;
            duckBytes = new FileInfo(path).Length;
            return rate;
        }

        // Interleaved A/B pairs after warm-up (until both sides' code is jitted at full optimization and the pools are
        // filled), so both sides see the same machine load; the ratio is the median of the per-pair ratios.
        void Compare(string label, Func<double> ours, Func<double> baseline)
        {
            for (var i = 0; i < 8; i++)
            {
                _ = ours();
                _ = baseline();
            }

            var pairs = Enumerable.Range(0, 9).Select(_ => (Ours: ours(), Base: baseline())).ToArray();
            var ratios = pairs.Select(p => p.Ours / p.Base).Order().ToArray();
            Console.WriteLine($"lake   {label}: ours {pairs.Select(p => p.Ours).Order().ElementAt(4) / 1e6:F2} M rows/s ({oursBytes / 1e6:F2} MB), " +
                $"DuckDB {pairs.Select(p => p.Base).Order().ElementAt(4) / 1e6:F2} M rows/s ({duckBytes / 1e6:F2} MB); median pair ratio {ratios[4]:F2} " +
                $"(pairs {string.Join(' ', ratios.Select(r => r.ToString("F2", CultureInfo.InvariantCulture)))})");
        }

        Compare("no fsync, DuckDB default (v1)", () => Ours(durable: false), () => Duck(durable: false));
        Compare("no fsync, DuckDB PARQUET_VERSION v2", () => Ours(durable: false), () => Duck(durable: false, v2: true));
        Compare("both fsync the file, DuckDB default (v1)", () => Ours(durable: true), () => Duck(durable: true));
    }
    finally
    {
        Directory.Delete(root, recursive: true);
    }
}

static void Exec(DuckDBConnection c, string sql)
{
    using var cmd = c.CreateCommand();
    cmd.CommandText = sql;
    cmd.ExecuteNonQuery();
}

/// <summary>The Protobuf alternative, field for field (see core/Wire/MARKET_DATA_SCHEMA.md), coded as protoc's output does.</summary>
internal static class ProtoTrade
{
    public static int Encode(in TradeTick t, byte[] destination)
    {
        var output = new CodedOutputStream(destination);
        output.WriteTag(1, WireFormat.WireType.LengthDelimited);
        output.WriteString(t.Symbol.Value);
        output.WriteTag(2, WireFormat.WireType.Fixed64);
        output.WriteSFixed64(t.Time.UnixNanoseconds);
        output.WriteTag(3, WireFormat.WireType.Varint);
        output.WriteInt64(t.Price.Raw);
        output.WriteTag(4, WireFormat.WireType.Varint);
        output.WriteInt64(t.Size);
        output.WriteTag(5, WireFormat.WireType.Varint);
        output.WriteInt64(t.Sequence);
        if (t.Exchange != '\0')
        {
            output.WriteTag(6, WireFormat.WireType.Varint);
            output.WriteUInt32(t.Exchange);
        }

        output.Flush();
        return (int)output.Position;
    }

    public static TradeTick Decode(ReadOnlySpan<byte> source, SymbolCache symbols)
    {
        var input = new CodedInputStream(source.ToArray());
        Symbol symbol = default;
        long time = 0, price = 0, size = 0, sequence = 0;
        char exchange = '\0';
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: symbol = symbols.Get(input.ReadBytes().Span); break;
                case 2: time = input.ReadSFixed64(); break;
                case 3: price = input.ReadInt64(); break;
                case 4: size = input.ReadInt64(); break;
                case 5: sequence = input.ReadInt64(); break;
                case 6: exchange = (char)input.ReadUInt32(); break;
                default: input.SkipLastField(); break;
            }
        }

        return new TradeTick(symbol, new BigDataTrading.Core.Time.Timestamp(time), new Price(price), size, sequence, exchange);
    }
}
