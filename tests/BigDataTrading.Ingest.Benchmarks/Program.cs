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

    // Which brokers lead the partitions the keys hash to: the mock cluster places a new topic's leaders per topic, so
    // one run may send everything to one broker and the next spread it over three (printed to explain the spread).
    using var admin = kafka.Clients.CreateAdminClient("bench-admin");
    var keyPartitions = new HashSet<int>();
    var leaders = new List<string>();
    async Task<string> Topic()
    {
        var name = "bench-" + runs++;
        await kafka.Topics.EnsureTopicsAsync(KafkaTopology.Of(new TopicSpec(name, 4), new TopicSpec(name + ".dlq", 4)));
        if (keyPartitions.Count == 0)
        {
            using var probe = kafka.Clients.CreateProducer("probe");
            foreach (var key in keys.Select(k => Encoding.ASCII.GetString(k)).Distinct())
            {
                var r = await probe.ProduceAsync(name, new Message<byte[]?, byte[]> { Key = Encoding.ASCII.GetBytes(key), Value = [0] });
                keyPartitions.Add(r.Partition.Value);
            }
        }

        var meta = admin.GetMetadata(name, TimeSpan.FromSeconds(10)).Topics.Single();
        leaders.Add(string.Join(',', meta.Partitions.Where(p => keyPartitions.Contains(p.PartitionId)).OrderBy(p => p.PartitionId).Select(p => p.Leader)));
        return name;
    }

    // Bare Confluent.Kafka: the same payloads and keys through a producer of the same configuration (idempotent,
    // acks=all, linger 5 ms, LZ4; see KafkaClientFactory), no validation, no delivery handler.
    async Task<double> Bare()
    {
        var topic = await Topic();
        using var producer = kafka.Clients.CreateProducer("bare");
        var sw = Stopwatch.StartNew();
        for (var j = 0; j < payloads.Length; j++)
        {
            // The local queue holds 1,000,000 messages, more than one run sends: never full here.
            producer.Produce(topic, new Message<byte[]?, byte[]> { Key = keys[j], Value = payloads[j] });
        }

        producer.Flush(TimeSpan.FromMinutes(1));
        return payloads.Length / sw.Elapsed.TotalSeconds;
    }

    var process = System.Diagnostics.Process.GetCurrentProcess();
    async Task<(double Rate, double CpuUs, int Gen0)> Measure(Func<Task<double>> run)
    {
        process.Refresh();
        var cpu0 = process.TotalProcessorTime;
        var gc0 = GC.CollectionCount(0);
        var rate = await run();
        process.Refresh();
        return (rate, (process.TotalProcessorTime - cpu0).TotalMicroseconds / payloads.Length, GC.CollectionCount(0) - gc0);
    }

    // Bare plus the least a lossless producer needs: a delivery handler counting successes (Confluent.Kafka allocates a
    // handler shim per message and a report per delivery; the ingest core needs them to count accepted/rejected).
    async Task<double> BareHandler()
    {
        var topic = await Topic();
        using var producer = kafka.Clients.CreateProducer("bare");
        long delivered = 0;
        Action<DeliveryReport<byte[]?, byte[]>> handler = r => { if (!r.Error.IsError) Interlocked.Increment(ref delivered); };
        var sw = Stopwatch.StartNew();
        for (var j = 0; j < payloads.Length; j++)
        {
            producer.Produce(topic, new Message<byte[]?, byte[]> { Key = keys[j], Value = payloads[j] }, handler);
        }

        producer.Flush(TimeSpan.FromMinutes(1));
        return payloads.Length / sw.Elapsed.TotalSeconds;
    }

    // Ours: bdt ingest's core (validate every rule, encode, produce with a delivery handler per reason, count).
    async Task<double> Ours()
    {
        var topic = await Topic();
        using var producer = kafka.Clients.CreateProducer("ingest");
        var ingestor = new MarketDataIngestor(producer, new IngestValidator(new IngestValidationOptions()), new IngestTopics(topic, topic + ".dlq", 4, WriteEndOfStream: false));
        var sw = Stopwatch.StartNew();
        var report = await ingestor.IngestTradesAsync(ToAsync(ticks), CancellationToken.None);
        var rate = ticks.Count / sw.Elapsed.TotalSeconds;
        if (report.In != ticks.Count || report.Accepted != ticks.Count)
        {
            throw new InvalidOperationException($"ingest lost or rejected records: {report}");
        }

        return rate;
    }

    // Interleaved rounds in one process on one embedded cluster: each round runs bare, bare+handler and ours, in a
    // rotating order (so none always runs on a cluster another has just loaded); 2 warm-up rounds, then 10 measured.
    // Each run gets a fresh 4-partition topic and starts after a full GC, so none pays for another's garbage.
    // Besides wall-clock rates, the process CPU time per record (all threads, the mock brokers included) is reported:
    // on a shared machine it is far less sensitive to other processes than wall time.
    Func<Task<double>>[] sides = [Bare, BareHandler, Ours];
    var rounds = new List<(double Rate, double CpuUs, int Gen0)[]>();
    for (var i = 0; i < 12; i++)
    {
        var results = new (double Rate, double CpuUs, int Gen0)[3];
        for (var k = 0; k < 3; k++)
        {
            var side = (i + k) % 3;
            GC.Collect();
            GC.WaitForPendingFinalizers();
            results[side] = await Measure(sides[side]);
        }

        if (i >= 2)
        {
            rounds.Add(results);
        }
    }

    static double Mid(IEnumerable<double> xs)
    {
        var a = xs.Order().ToArray();
        return (a[(a.Length - 1) / 2] + a[a.Length / 2]) / 2;
    }

    static string List(IEnumerable<double> xs) => string.Join(' ', xs.Select(x => x.ToString("F2", CultureInfo.InvariantCulture)));

    var vsBare = rounds.Select(r => r[2].Rate / r[0].Rate).ToArray();
    var vsHandler = rounds.Select(r => r[2].Rate / r[1].Rate).ToArray();
    Console.WriteLine($"ingest leaders of the partitions the keys use, per topic (broker ids): {string.Join(' ', leaders.Distinct())}");
    Console.WriteLine($"ingest M rec/s per round: bare {List(rounds.Select(r => r[0].Rate / 1e6))}");
    Console.WriteLine($"ingest M rec/s per round: bare+handler {List(rounds.Select(r => r[1].Rate / 1e6))}");
    Console.WriteLine($"ingest M rec/s per round: ours {List(rounds.Select(r => r[2].Rate / 1e6))}");
    Console.WriteLine($"ingest CPU us/record, median: bare {Mid(rounds.Select(r => r[0].CpuUs)):F2}, bare+handler {Mid(rounds.Select(r => r[1].CpuUs)):F2}, ours {Mid(rounds.Select(r => r[2].CpuUs)):F2}; " +
        $"gen0 GCs per run, median: {Mid(rounds.Select(r => (double)r[0].Gen0)):F0} / {Mid(rounds.Select(r => (double)r[1].Gen0)):F0} / {Mid(rounds.Select(r => (double)r[2].Gen0)):F0}");
    Console.WriteLine($"ingest ratio ours/bare per round: {List(vsBare.Order())}; median {Mid(vsBare):F2} (goal >= 0.8); CPU ratio bare/ours median {Mid(rounds.Select(r => r[0].CpuUs / r[2].CpuUs)):F2}");
    Console.WriteLine($"ingest ratio ours/bare+handler per round: {List(vsHandler.Order())}; median {Mid(vsHandler):F2}; CPU ratio median {Mid(rounds.Select(r => r[1].CpuUs / r[2].CpuUs)):F2}");
}

static async IAsyncEnumerable<TradeTick> ToAsync(List<TradeTick> ticks)
{
    foreach (var t in ticks)
    {
        yield return t;
    }

    await Task.CompletedTask;
}

static void Lake(List<TradeTick> synthetic)
{
    // The synthetic market reports no sale conditions; give the prints the mix of a real day (the condition column of
    // the shared LEAN SPY 2013-10-08 trade file, 451,544 prints: value → prints), picked per (symbol, sequence), so the
    // conditions column holds what it will hold in production on both sides.
    (uint Value, int Count)[] mix =
    [
        (0x1, 215_448), (0x20000020, 199_974), (0x20, 22_319), (0x20002020, 5_581), (0x2000, 5_383), (0x20000001, 1_948),
        (0x20000040, 310), (0x20002000, 215), (0x20100000, 194), (0x20100200, 136), (0x102000, 14), (0x20000200, 5),
    ];
    var total = mix.Sum(m => m.Count);
    var ticks = synthetic.ConvertAll(t =>
    {
        // A fixed mix of the key (murmur3's finalizer), so every run and both sides see the same conditions.
        var h = (ulong)t.Sequence;
        foreach (var c in t.Symbol.Value)
        {
            h = (h * 31) + c;
        }

        h = (h ^ (h >> 33)) * 0xff51afd7ed558ccdUL;
        h ^= h >> 33;
        var pick = (int)(h % (ulong)total);
        var i = 0;
        while (pick >= mix[i].Count)
        {
            pick -= mix[i++].Count;
        }

        return t with { Conditions = (SaleConditions)mix[i].Value };
    });
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
        Exec(duck, "CREATE TABLE t (symbol VARCHAR, time TIMESTAMP_NS, price DECIMAL(18,8), size BIGINT, sequence BIGINT, exchange VARCHAR, conditions BIGINT)");
        using (var appender = duck.CreateAppender("t"))
        {
            foreach (var t in ticks)
            {
                appender.CreateRow().AppendValue(t.Symbol.Value).AppendValue(t.Time.ToDateTimeOffset().UtcDateTime).AppendValue(t.Price.ToDecimal())
                    .AppendValue(t.Size).AppendValue(t.Sequence).AppendValue(t.Exchange == '\0' ? null : t.Exchange.ToString())
                    .AppendValue((long)(uint)t.Conditions).EndRow();
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
