using System.Globalization;
using Spectre.Console;

namespace BigDataTrading.Cli.Demo;

/// <summary>Progress and summary output of <c>bdt demo</c>: live progress on a terminal, plain lines otherwise.</summary>
public static class DemoConsole
{
    /// <summary>Runs the pipeline, refreshing a progress line twice a second until it finishes.</summary>
    public static async Task<DemoReport> RunWithProgressAsync(DemoPipeline pipeline, CancellationToken ct)
    {
        var run = pipeline.RunAsync(ct);
        var c = pipeline.Counters;
        string Line() => string.Create(
            CultureInfo.InvariantCulture,
            $"source {c.SourceTicks:N0} | published {c.Published:N0} | processed {c.Processed:N0} (accepted {c.Accepted:N0}, rejected {c.Rejected:N0}) | bars {c.Bars:N0} | signals {c.Signals:N0} | orders {c.OrdersSent:N0} | fills {c.Fills:N0}");

        if (AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected)
        {
            await AnsiConsole.Status().StartAsync("replaying…", async ctx =>
            {
                while (await Task.WhenAny(run, Task.Delay(250, ct)) != run)
                {
                    ctx.Status(Markup.Escape(Line()));
                }
            });
        }
        else
        {
            // Not a terminal (CI, a pipe): one plain progress line every two seconds.
            while (await Task.WhenAny(run, Task.Delay(2000, ct)) != run)
            {
                Console.WriteLine("progress: " + Line());
            }
        }

        return await run;
    }

    /// <summary>Prints the end-of-run summary.</summary>
    public static void PrintSummary(DemoReport r)
    {
        if (Console.IsOutputRedirected)
        {
            // Logs and CI capture: wide enough that the notes column does not wrap.
            AnsiConsole.Profile.Width = 160;
        }

        var inv = CultureInfo.InvariantCulture;
        var stages = new Table().Title("bdt demo — summary").AddColumn("stage").AddColumn(new TableColumn("in").RightAligned()).AddColumn(new TableColumn("out").RightAligned()).AddColumn(new TableColumn("rejected").RightAligned()).AddColumn("notes");
        stages.AddRow("source", r.SourceTicks.ToString("N0", inv), r.Published.ToString("N0", inv), r.SourceErrors.ToString("N0", inv), Markup.Escape(r.Source));
        var reasons = string.Join(", ", r.RejectionsByReason.Select(kv => $"{kv.Key} {kv.Value.ToString("N0", inv)}"));
        stages.AddRow("quality filter", r.Processor.Consumed.ToString("N0", inv), r.Processor.Accepted.ToString("N0", inv), r.Processor.Rejected.ToString("N0", inv), Markup.Escape(reasons.Length == 0 ? "-" : reasons));
        stages.AddRow("dead-letter topic", r.Processor.Rejected.ToString("N0", inv), r.DeadLettersByReason.Values.Sum().ToString("N0", inv), "0", "md.ticks.rejected read back, each with its reason header");
        stages.AddRow("bars 1m", r.Processor.Accepted.ToString("N0", inv), r.Processor.Bars.ToString("N0", inv), "0", $"late trades merged {r.Processor.LateTradesMerged.ToString("N0", inv)}");
        stages.AddRow("lake", r.Processor.Accepted.ToString("N0", inv), $"{r.LakeTickRows.ToString("N0", inv)} ticks, {r.LakeBarRows.ToString("N0", inv)} bars", "0", "rows counted back through DuckDB");
        if (r.Cql is { } cql)
        {
            var busiest = string.Join(", ", cql.RowsOut.Where(kv => kv.Value > 0).OrderByDescending(kv => kv.Value).Take(4).Select(kv => $"{kv.Key} {kv.Value.ToString("N0", inv)}"));
            stages.AddRow("cql trading pack", cql.EventsIn.ToString("N0", inv), $"{cql.RowsOut.Values.Sum().ToString("N0", inv)} rows", cql.LateEvents.ToString("N0", inv), Markup.Escape($"rows by query: {busiest}; late events to cql.late"));
        }

        stages.AddRow("strategy", r.Processor.Bars.ToString("N0", inv), r.Processor.Signals.ToString("N0", inv), "0", "signals");
        var riskReasons = string.Join(", ", r.Trader.RiskRejected.Select(kv => $"{kv.Key} {kv.Value.ToString("N0", inv)}"));
        stages.AddRow("trader risk", r.Trader.Signals.ToString("N0", inv), r.Trader.OrdersSent.ToString("N0", inv), r.Trader.RiskRejected.Values.Sum().ToString("N0", inv), Markup.Escape(riskReasons.Length == 0 ? "-" : riskReasons));
        stages.AddRow("FIX exchange", r.Trader.OrdersSent.ToString("N0", inv), $"{r.Trader.Fills.ToString("N0", inv)} fills", "0", $"{r.Trader.ExecutionReports.ToString("N0", inv)} execution reports, {r.Trader.OpenOrders} open");
        AnsiConsole.Write(stages);

        var positions = new Table().Title("final positions").AddColumn("symbol").AddColumn(new TableColumn("quantity").RightAligned()).AddColumn(new TableColumn("avg price").RightAligned()).AddColumn(new TableColumn("mark").RightAligned()).AddColumn(new TableColumn("realized").RightAligned()).AddColumn(new TableColumn("unrealized").RightAligned());
        foreach (var p in r.Trader.Positions)
        {
            var mark = r.Trader.Marks.TryGetValue(p.Symbol, out var m) ? m : default;
            positions.AddRow(p.Symbol.Value, p.Quantity.ToString("N0", inv), p.AveragePrice.ToString("0.0000", inv), mark.ToString(), p.RealizedPnl.ToString("N2", inv), p.UnrealizedPnl(mark).ToString("N2", inv));
        }

        AnsiConsole.Write(positions);
        AnsiConsole.WriteLine(string.Create(inv, $"P&L (realized + unrealized): {r.TotalPnl:N2}"));
        AnsiConsole.WriteLine(string.Create(inv, $"wall time {r.Elapsed.TotalSeconds:0.00} s, {r.TicksPerSecond:N0} ticks/s"));
        AnsiConsole.WriteLine("lake:      " + r.LakeRoot);
        AnsiConsole.WriteLine("warehouse: " + r.WarehousePath);
        AnsiConsole.WriteLine("FIX logs:  " + r.FixLogDirectory);
    }
}
