using System.CommandLine;
using System.Text.Json;
using BigDataTrading.Cli.Commands;
using BigDataTrading.Warehouse;
using BigDataTrading.Warehouse.Catalog;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace BigDataTrading.Data.Tests;

/// <summary>The bdt lake commands, run in-process through System.CommandLine exactly as <c>bdt</c> would run them.</summary>
public sealed class LakeCommandsTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly LakeLayout _lake;

    public LakeCommandsTests()
    {
        _lake = new LakeLayout(Path.Combine(_temp.Path, "lake"));
        LakeCatalogTests.WriteTicksAndBars(_lake, null); // a lake as bdt demo writes it: no catalog
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Sql_queries_every_dataset_as_a_table_in_each_format()
    {
        var ticks = LakeCatalogTests.TwoDaysOfTicks();

        var table = await RunAsync(SqlCommand.Create(), "SELECT date, count(*) AS n FROM ticks GROUP BY date ORDER BY date", "--lake", _lake.Root);
        var csv = await RunAsync(SqlCommand.Create(), "SELECT symbol, sum(volume) AS v FROM bars_1m GROUP BY symbol ORDER BY symbol", "--lake", _lake.Root, "--format", "csv");
        var json = await RunAsync(SqlCommand.Create(), "SELECT count(*) AS n FROM ticks WHERE exchange IS NULL", "--lake", _lake.Root, "--format", "json");

        Assert.Equal(0, table.ExitCode);
        Assert.Contains($"2024-03-12 | {ticks.Count(t => t.Time.UtcDate == LakeCatalogTests.Day1)}", table.Output, StringComparison.Ordinal);
        Assert.Contains("(2 rows)", table.Output, StringComparison.Ordinal);
        Assert.Equal(0, csv.ExitCode);
        var expectedCsv = "symbol,v\r\n" + string.Concat(ticks.GroupBy(t => t.Symbol.Value).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key},{g.Sum(t => t.Size)}\r\n"));
        Assert.Equal(expectedCsv, csv.Output);
        using var doc = JsonDocument.Parse(json.Output);
        Assert.Equal(ticks.Count(t => t.Exchange == '\0'), doc.RootElement[0].GetProperty("n").GetInt64());
    }

    [Fact]
    public async Task A_failing_query_prints_the_error_the_query_and_a_hint_and_exits_1()
    {
        var result = await RunAsync(SqlCommand.Create(), "SELECT nope FROM ticks", "--lake", _lake.Root);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: ", result.Error, StringComparison.Ordinal);
        Assert.Contains("nope", result.Error, StringComparison.Ordinal);
        Assert.Contains("query: SELECT nope FROM ticks", result.Error, StringComparison.Ordinal);
        Assert.Contains("hint: tables in", result.Error, StringComparison.Ordinal);
        Assert.Contains("ticks", result.Error, StringComparison.Ordinal);
        Assert.Empty(result.Output);
    }

    [Fact]
    public async Task Catalog_lists_datasets_shows_one_and_rebuild_saves_it()
    {
        var list = await RunAsync(CatalogCommand.Create(), "--lake", _lake.Root);
        var rebuild = await RunAsync(CatalogCommand.Create(), "rebuild", "--lake", _lake.Root);
        var show = await RunAsync(CatalogCommand.Create(), "show", "ticks", "--lake", _lake.Root);
        var missing = await RunAsync(CatalogCommand.Create(), "show", "nope", "--lake", _lake.Root);

        Assert.Equal(0, list.ExitCode);
        Assert.Contains("has no catalog", list.Error, StringComparison.Ordinal);
        Assert.Contains("bars_1m", list.Output, StringComparison.Ordinal);
        Assert.Contains("ticks", list.Output, StringComparison.Ordinal);
        Assert.Equal(0, rebuild.ExitCode);
        Assert.True(new LakeCatalog(_lake, new FakeTimeProvider()).Exists);
        Assert.Equal(0, show.ExitCode);
        Assert.Empty(show.Error);
        Assert.Contains("price      | INT64 DECIMAL(18,8)", show.Output, StringComparison.Ordinal);
        Assert.Matches(@"conditions \| INT64 +\| BIGINT +\| BIGINT", show.Output);
        Assert.Contains("2024-03-13", show.Output, StringComparison.Ordinal);
        Assert.Contains("lineage", show.Output, StringComparison.Ordinal);
        Assert.Equal(1, missing.ExitCode);
    }

    [Fact]
    public async Task Hive_ddl_prints_checked_HiveQL_for_every_dataset()
    {
        var result = await RunAsync(HiveCommand.Create(), "ddl", "--lake", _lake.Root, "--database", "bdt");

        Assert.Equal(0, result.ExitCode);
        var script = HiveQlChecker.Parse(result.Output);
        Assert.Equal(["bars_1m", "ticks"], script.Tables.Select(t => t.Name));
        Assert.Equal(_lake.ListPartitions("ticks").Count + _lake.ListPartitions("bars_1m").Count, script.Partitions.Count);
        Assert.Equal(4, script.Partitions.Count); // both datasets have a partition on each side of UTC midnight
    }

    [Fact]
    public async Task Etl_bars_replaces_partitions_registers_lineage_and_reports_rows()
    {
        var result = await RunAsync(EtlCommand.Create(), "bars", "--lake", _lake.Root, "--period", "1s");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("bars_1s/date=2024-03-12", result.Output, StringComparison.Ordinal);
        var catalog = new LakeCatalog(_lake, new FakeTimeProvider()).Load();
        var bars = catalog.Dataset(LakeDatasets.Bars1s)!;
        Assert.Equal(2, bars.Partitions.Count);
        Assert.All(bars.Partitions, p => Assert.Equal("etl-bars-1s", Assert.Single(p.Lineage).Job));
        Assert.NotNull(catalog.Dataset(LakeDatasets.Ticks)); // the lake had no catalog: it was rebuilt first
    }

    [Fact]
    public async Task Commands_without_a_lake_explain_how_to_get_one()
    {
        var result = await RunAsync(SqlCommand.Create(), "SELECT 1", "--lake", Path.Combine(_temp.Path, "missing"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("does not exist", result.Error, StringComparison.Ordinal);
    }

    internal static async Task<(int ExitCode, string Output, string Error)> RunAsync(Command command, params string[] args)
    {
        var root = new RootCommand { command };
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await root.Parse([command.Name, .. args]).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }
}
