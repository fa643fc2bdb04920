using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace BigDataTrading.Fix.Benchmarks;

/// <summary>One measured way of parsing and re-encoding a message: returns a value so the work cannot be optimised away.</summary>
internal delegate long CodecCase(byte[] frame);

/// <summary>
/// Parse + encode throughput on one thread and bytes allocated per message, for ExecutionReport and NewOrderSingle,
/// three ways: the allocation-free path (<see cref="FixMessageView"/> + a reused <see cref="FixMessageBuilder"/>
/// writing into a reused buffer), the convenience path (<see cref="FixMessage"/> + typed records + Build), and a naive
/// string.Split baseline. Each round runs every case back to back; medians over the rounds are reported.
/// </summary>
internal static class CodecBenchmark
{
    private static readonly DateTimeOffset Time = new(2025, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);

    /// <summary>The ExecutionReport and NewOrderSingle frames every codec case parses.</summary>
    internal static (byte[] ExecutionReport, byte[] NewOrderSingle) Frames()
    {
        var header = new FixHeader("BDTX", "BDT", 12345, Time);
        var report = new ExecutionReport
        {
            OrderId = "X20250102-O123456",
            ClOrdId = "BDT-000123456",
            ExecId = "X20250102-E987654",
            ExecType = FixExecType.Trade,
            OrdStatus = FixOrdStatus.PartiallyFilled,
            Symbol = "AAPL",
            Side = FixSide.Buy,
            OrderQty = 1000m,
            Price = 187.25m,
            LastQty = 250m,
            LastPx = 187.25m,
            LeavesQty = 750m,
            CumQty = 250m,
            AvgPx = 187.25m,
            TransactTime = Time,
        };
        var order = new NewOrderSingle
        {
            ClOrdId = "BDT-000123456",
            Symbol = "AAPL",
            Side = FixSide.Buy,
            TransactTime = Time,
            OrderQty = 1000m,
            OrdType = FixOrdType.Limit,
            Price = 187.25m,
        };
        return (report.Encode(header), order.Encode(header));
    }

    public static void Run(int rounds, int messages)
    {
        var (erFrame, nosFrame) = Frames();

        Console.WriteLine($"Codec: parse + encode per message, {messages:N0} messages x {rounds} rounds, one thread (medians)");
        Console.WriteLine($"{"message",-16} {"case",-34} {"msg/s",14} {"msg/CPU-s",14} {"bytes/msg",10} {"x baseline",11}");
        foreach (var (name, frame, cases) in new[]
        {
            ("ExecutionReport", erFrame, Cases(isReport: true)),
            ("NewOrderSingle", nosFrame, Cases(isReport: false)),
        })
        {
            var results = cases.ToDictionary(c => c.Name, _ => (Rates: new List<double>(), Bytes: new List<double>(), CpuRates: new List<double>()));
            foreach (var (caseName, run) in cases)
            {
                Measure(run, frame, Math.Max(messages / 10, 1000)); // warm-up: tiering and PGO
            }

            for (var round = 0; round < rounds; round++)
            {
                foreach (var (caseName, run) in cases)
                {
                    var (rate, bytes, cpuRate) = Measure(run, frame, messages);
                    results[caseName].Rates.Add(rate);
                    results[caseName].Bytes.Add(bytes);
                    results[caseName].CpuRates.Add(cpuRate);
                }
            }

            var baseline = Median(results[cases[^1].Name].Rates);
            foreach (var (caseName, _) in cases)
            {
                var rate = Median(results[caseName].Rates);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-16} {caseName,-34} {rate,14:N0} {Median(results[caseName].CpuRates),14:N0} {Median(results[caseName].Bytes),10:N1} {rate / baseline,10:N2}x"));
            }
        }

        RunMarketData(rounds, messages);
    }

    /// <summary>
    /// A MarketDataSnapshotFullRefresh with 5 NoMDEntries (bid/offer levels): group read in place by the view, every
    /// entry's type, price and size parsed, re-encoded through BeginGroup/EndGroup into a reused buffer.
    /// </summary>
    private static void RunMarketData(int rounds, int messages)
    {
        var entries = new FixGroupDefinition(268, [269, 270, 271]);
        var source = new FixMessageBuilder("W").Set(FixTag.Symbol, "AAPL").BeginGroup(entries, 5);
        for (var level = 0; level < 5; level++)
        {
            source.Set(269, level % 2 == 0 ? '0' : '1').Set(270, 187.25m + (level * 0.01m)).Set(271, 100m * (level + 1));
        }

        var frame = source.EndGroup().Build(new FixHeader("BDTX", "BDT", 12345, Time));
        var view = new FixMessageView();
        var builder = new FixMessageBuilder("W");
        var buffer = new byte[1024];
        var header = new FixHeader("BDT", "BDTX", 1, Time);
        CodecCase run = f => ViewMarketData(f, entries, view, builder, buffer, header);
        Measure(run, frame, Math.Max(messages / 10, 1000));
        var rates = new List<double>();
        var cpuRates = new List<double>();
        var bytes = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            var (rate, allocated, cpuRate) = Measure(run, frame, messages);
            rates.Add(rate);
            cpuRates.Add(cpuRate);
            bytes.Add(allocated);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"MarketData W x5",-16} {"view groups + reused builder",-34} {Median(rates),14:N0} {Median(cpuRates),14:N0} {Median(bytes),10:N1}"));
    }

    private static long ViewMarketData(byte[] frame, FixGroupDefinition entries, FixMessageView view, FixMessageBuilder builder, byte[] buffer, FixHeader header)
    {
        if (!view.TryLoad(frame, out _) || !view.TryGetValue(FixTag.Symbol, out var symbol) || !view.TryGetGroup(entries, out var levels, out _))
        {
            throw new InvalidOperationException("benchmark frame did not parse");
        }

        builder.Clear();
        builder.Set(FixTag.Symbol, symbol).BeginGroup(entries, levels.Length);
        foreach (var level in levels)
        {
            if (!level.TryGetChar(269, out var type) || !level.TryGetDecimal(270, out var price) || !level.TryGetDecimal(271, out var size))
            {
                throw new InvalidOperationException("benchmark entry did not parse");
            }

            builder.Set(269, type).Set(270, price).Set(271, size);
        }

        builder.EndGroup().TryWrite(header, buffer, out var written);
        return written;
    }

    private static (string Name, CodecCase Run)[] Cases(bool isReport)
    {
        var view = new FixMessageView();
        var builder = new FixMessageBuilder(isReport ? FixMsgType.ExecutionReport : FixMsgType.NewOrderSingle);
        var buffer = new byte[1024];
        var header = new FixHeader("BDT", "BDTX", 1, Time);
        return
        [
            ("view + reused builder (zero-alloc)", frame => isReport ? ViewReport(frame, view, builder, buffer, header) : ViewOrder(frame, view, builder, buffer, header)),
            ("FixMessage + typed record + Build", frame => isReport ? TypedReport(frame, header) : TypedOrder(frame, header)),
            ("baseline: string.Split + Dictionary", frame => NaiveBaseline.ParseAndEncode(frame)),
        ];
    }

    /// <summary>Runs <paramref name="run"/> <paramref name="messages"/> times: wall-clock rate, bytes allocated per message, rate per second of this thread's CPU time.</summary>
    internal static (double Rate, double BytesPerMessage, double CpuRate) Measure(CodecCase run, byte[] frame, int messages)
    {
        long sink = 0;
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var cpu = ThreadCpuTime.NowSeconds();
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < messages; i++)
        {
            sink += run(frame);
        }

        watch.Stop();
        var cpuSeconds = ThreadCpuTime.NowSeconds() - cpu;
        var bytes = GC.GetAllocatedBytesForCurrentThread() - allocated;
        if (sink == 42)
        {
            Console.WriteLine(); // keeps 'sink' observable
        }

        return (messages / watch.Elapsed.TotalSeconds, (double)bytes / messages, messages / cpuSeconds);
    }

    internal static long ViewReport(byte[] frame, FixMessageView view, FixMessageBuilder builder, byte[] buffer, FixHeader header)
    {
        if (!view.TryLoad(frame, out _) || !view.TryGetValue(FixTag.ClOrdId, out var clOrdId) || !view.TryGetValue(FixTag.OrderId, out var orderId)
            || !view.TryGetValue(FixTag.ExecId, out var execId) || !view.TryGetValue(FixTag.Symbol, out var symbol)
            || !view.TryGetChar(FixTag.ExecType, out var execType) || !view.TryGetChar(FixTag.OrdStatus, out var status) || !view.TryGetChar(FixTag.Side, out var side)
            || !view.TryGetDecimal(FixTag.OrderQty, out var qty) || !view.TryGetDecimal(FixTag.LastQty, out var lastQty) || !view.TryGetDecimal(FixTag.LastPx, out var lastPx)
            || !view.TryGetDecimal(FixTag.LeavesQty, out var leaves) || !view.TryGetDecimal(FixTag.CumQty, out var cum) || !view.TryGetDecimal(FixTag.AvgPx, out var avg)
            || !view.TryGetTimestamp(FixTag.TransactTime, out var transactTime))
        {
            throw new InvalidOperationException("benchmark frame did not parse");
        }

        builder.Clear();
        builder.Set(FixTag.OrderId, orderId).Set(FixTag.ClOrdId, clOrdId).Set(FixTag.ExecId, execId).Set(FixTag.ExecType, execType)
            .Set(FixTag.OrdStatus, status).Set(FixTag.Symbol, symbol).Set(FixTag.Side, side).Set(FixTag.OrderQty, qty)
            .Set(FixTag.LastQty, lastQty).Set(FixTag.LastPx, lastPx).Set(FixTag.LeavesQty, leaves).Set(FixTag.CumQty, cum)
            .Set(FixTag.AvgPx, avg).SetTimestamp(FixTag.TransactTime, transactTime);
        builder.TryWrite(header, buffer, out var written);
        return written;
    }

    private static long ViewOrder(byte[] frame, FixMessageView view, FixMessageBuilder builder, byte[] buffer, FixHeader header)
    {
        if (!view.TryLoad(frame, out _) || !view.TryGetValue(FixTag.ClOrdId, out var clOrdId) || !view.TryGetValue(FixTag.Symbol, out var symbol)
            || !view.TryGetChar(FixTag.Side, out var side) || !view.TryGetTimestamp(FixTag.TransactTime, out var transactTime)
            || !view.TryGetDecimal(FixTag.OrderQty, out var qty) || !view.TryGetChar(FixTag.OrdType, out var ordType)
            || !view.TryGetDecimal(FixTag.Price, out var price) || !view.TryGetChar(FixTag.TimeInForce, out var tif))
        {
            throw new InvalidOperationException("benchmark frame did not parse");
        }

        builder.Clear();
        builder.Set(FixTag.ClOrdId, clOrdId).Set(FixTag.Symbol, symbol).Set(FixTag.Side, side).SetTimestamp(FixTag.TransactTime, transactTime)
            .Set(FixTag.OrderQty, qty).Set(FixTag.OrdType, ordType).Set(FixTag.Price, price).Set(FixTag.TimeInForce, tif);
        builder.TryWrite(header, buffer, out var written);
        return written;
    }

    private static long TypedReport(byte[] frame, FixHeader header)
    {
        if (!ExecutionReport.TryParse(FixMessage.Parse(frame), out var report, out _))
        {
            throw new InvalidOperationException("benchmark frame did not parse");
        }

        return report.Encode(header).Length;
    }

    private static long TypedOrder(byte[] frame, FixHeader header)
    {
        if (!NewOrderSingle.TryParse(FixMessage.Parse(frame), out var order, out _))
        {
            throw new InvalidOperationException("benchmark frame did not parse");
        }

        return order.Encode(header).Length;
    }

    internal static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}

/// <summary>
/// The baseline: how FIX is often handled without an engine — decode to a string, Split on SOH, a Dictionary of
/// tag → string, decimal.Parse; encode with a StringBuilder, then compute BodyLength and CheckSum over the string.
/// </summary>
internal static class NaiveBaseline
{
    public static long ParseAndEncode(byte[] frame)
    {
        var text = Encoding.ASCII.GetString(frame);
        var fields = new Dictionary<int, string>();
        foreach (var part in text.Split('\u0001', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            fields[int.Parse(part[..eq], CultureInfo.InvariantCulture)] = part[(eq + 1)..];
        }

        var sum = 0m;
        foreach (var tag in new[] { FixTag.OrderQty, FixTag.Price, FixTag.LastQty, FixTag.LastPx, FixTag.CumQty, FixTag.LeavesQty, FixTag.AvgPx })
        {
            if (fields.TryGetValue(tag, out var value))
            {
                sum += decimal.Parse(value, CultureInfo.InvariantCulture);
            }
        }

        var body = new StringBuilder();
        foreach (var (tag, value) in fields)
        {
            if (tag is not (FixTag.BeginString or FixTag.BodyLength or FixTag.CheckSum))
            {
                body.Append(tag.ToString(CultureInfo.InvariantCulture)).Append('=').Append(value).Append('\u0001');
            }
        }

        var head = $"8=FIX.4.4\u00019={body.Length}\u0001";
        var message = head + body;
        var checksum = Encoding.ASCII.GetBytes(message).Sum(b => b) % 256;
        var bytes = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{message}10={checksum:000}\u0001"));
        return bytes.Length + (long)sum;
    }
}
