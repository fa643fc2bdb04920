using System.Globalization;

namespace BigDataTrading.Fix.Benchmarks;

/// <summary>
/// Where the time of the zero-alloc ExecutionReport parse + encode goes: each stage measured alone on the same frame
/// (nanoseconds per message, medians), so an optimisation can be aimed at the stage that costs most.
/// </summary>
internal static class CodecProfile
{
    public static void Run(int rounds, int messages)
    {
        var (frame, _) = CodecBenchmark.Frames();
        var view = new FixMessageView();
        var builder = new FixMessageBuilder(FixMsgType.ExecutionReport);
        var buffer = new byte[1024];
        var header = new FixHeader("BDT", "BDTX", 1, new DateTimeOffset(2025, 1, 2, 3, 4, 5, 678, TimeSpan.Zero));
        view.TryLoad(frame, out _);
        view.TryGetTimestamp(FixTag.TransactTime, out var time);
        CodecCase[] stages =
        [
            f => view.TryLoad(f, out _) ? 1 : 0,
            f => Lookups(view),
            f => Typed(view),
            f => Sets(builder, time),
            f => builder.TryWrite(header, buffer, out var written) ? written : 0,
            f => CodecBenchmark.ViewReport(f, view, builder, buffer, header),
        ];
        string[] names = ["TryLoad (framing, checksum, index)", "14 raw lookups", "6 decimals + 3 chars + timestamp", "builder: 14 Set calls", "TryWrite (header, checksum)", "whole parse + encode"];
        var samples = names.Select(_ => new List<double>()).ToArray();
        view.TryLoad(frame, out _);
        for (var round = -1; round < rounds; round++)
        {
            for (var s = 0; s < stages.Length; s++)
            {
                var (_, _, rate) = CodecBenchmark.Measure(stages[s], frame, round < 0 ? messages / 10 : messages);
                view.TryLoad(frame, out _);
                if (round >= 0)
                {
                    samples[s].Add(1e9 / rate);
                }
            }
        }

        Console.WriteLine($"ExecutionReport stage profile ({frame.Length} bytes), ns of thread CPU time per message, medians of {rounds}");
        for (var s = 0; s < names.Length; s++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {names[s],-40} {CodecBenchmark.Median(samples[s]),8:N1}"));
        }
    }

    private static long Lookups(FixMessageView view)
    {
        long n = 0;
        foreach (var tag in Tags)
        {
            n += view.TryGetValue(tag, out var value) ? value.Length : 0;
        }

        return n;
    }

    private static readonly int[] Tags =
    [
        FixTag.ClOrdId, FixTag.OrderId, FixTag.ExecId, FixTag.Symbol, FixTag.ExecType, FixTag.OrdStatus, FixTag.Side, FixTag.OrderQty,
        FixTag.LastQty, FixTag.LastPx, FixTag.LeavesQty, FixTag.CumQty, FixTag.AvgPx, FixTag.TransactTime,
    ];

    private static long Typed(FixMessageView view)
    {
        view.TryGetDecimal(FixTag.OrderQty, out var a);
        view.TryGetDecimal(FixTag.LastQty, out var b);
        view.TryGetDecimal(FixTag.LastPx, out var c);
        view.TryGetDecimal(FixTag.LeavesQty, out var d);
        view.TryGetDecimal(FixTag.CumQty, out var e);
        view.TryGetDecimal(FixTag.AvgPx, out var f);
        view.TryGetChar(FixTag.ExecType, out var g);
        view.TryGetChar(FixTag.OrdStatus, out var h);
        view.TryGetChar(FixTag.Side, out var i);
        view.TryGetTimestamp(FixTag.TransactTime, out var t);
        return (long)(a + b + c + d + e + f) + g + h + i + t.Ticks;
    }

    private static long Sets(FixMessageBuilder builder, DateTimeOffset time)
    {
        builder.Clear();
        builder.Set(FixTag.OrderId, "X20250102-O123456"u8).Set(FixTag.ClOrdId, "BDT-000123456"u8).Set(FixTag.ExecId, "X20250102-E987654"u8)
            .Set(FixTag.ExecType, 'F').Set(FixTag.OrdStatus, '1').Set(FixTag.Symbol, "AAPL"u8).Set(FixTag.Side, '1').Set(FixTag.OrderQty, 1000m)
            .Set(FixTag.LastQty, 250m).Set(FixTag.LastPx, 187.25m).Set(FixTag.LeavesQty, 750m).Set(FixTag.CumQty, 250m)
            .Set(FixTag.AvgPx, 187.25m).SetTimestamp(FixTag.TransactTime, time);
        return 1;
    }
}
