using System.CommandLine;
using BigDataTrading.Cli.Commands;

namespace BigDataTrading.Streaming.Tests;

public sealed class CqlCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bdt-cql-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<(int Code, string Output, string Error)> Check(string text)
    {
        var path = Path.Combine(_dir, "pack.cql");
        await File.WriteAllTextAsync(path, text);
        var root = new RootCommand { CqlCommand.Create() };
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await root.Parse(["cql", "check", path]).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task A_valid_file_prints_each_statement_kind_and_exits_0()
    {
        var (code, output, error) = await Check(CqlTestKit.TradesStream + "CREATE VIEW bars AS SELECT symbol, count(*) FROM trades WINDOW TUMBLING(1 MINUTE) GROUP BY symbol;\n");
        Assert.Equal(0, code);
        Assert.Empty(error);
        Assert.Contains("pack.cql:1:1 CREATE STREAM trades", output, StringComparison.Ordinal);
        Assert.Contains("pack.cql:2:1 CREATE VIEW bars from trades: tumbling 1min by symbol", output, StringComparison.Ordinal);
        Assert.Contains("ok: 2 statements", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_file_prints_line_column_hint_and_a_caret_and_exits_1()
    {
        var (code, _, error) = await Check(CqlTestKit.TradesStream + "CREATE VIEW bars AS\n  SELECT symbol, count(*) FROM trades\n  WINDOW TUMBLING(1 MINUTE) GROUP BY symbol\n  HAVING cnt(*) > 1");
        Assert.Equal(1, code);
        Assert.Contains("pack.cql:5:10: error: unknown function 'cnt'", error, StringComparison.Ordinal);
        Assert.Contains("hint: ", error, StringComparison.Ordinal);
        Assert.Contains("  |   HAVING cnt(*) > 1\n  |          ^", error.Replace("\r", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_shipped_trading_pack_passes_check_with_eleven_queries()
    {
        var text = await File.ReadAllTextAsync(CqlTestKit.PackPath);
        var (code, output, error) = await Check(text);
        Assert.Equal(0, code);
        Assert.Empty(error);
        Assert.Contains("ok: 14 statements", output, StringComparison.Ordinal);
        Assert.Contains("CREATE QUERY trade_through from trades asof join quotes within 5s: stateless", output, StringComparison.Ordinal);
        Assert.Contains("CREATE QUERY no_follow_through from trades: pattern every a -> not b within 30s by symbol, lateness 2s, max pending 16", output, StringComparison.Ordinal);
        Assert.Contains("CREATE QUERY trade_burst from trades: sliding 10s by symbol, lateness 2s, emit changes", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_table_file_resolves_next_to_the_script()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "ref.csv"), "symbol,lot\nSPY,100\n");
        var (code, output, error) = await Check(CqlTestKit.TradesStream + "CREATE TABLE ref (symbol STRING, lot BIGINT) FROM 'ref.csv';\nCREATE QUERY q AS SELECT symbol, r.lot FROM trades JOIN ref r");
        Assert.Equal(0, code);
        Assert.Empty(error);
        Assert.Contains("pack.cql:2:1 CREATE TABLE ref (symbol STRING, lot BIGINT) key symbol, from 'ref.csv'", output, StringComparison.Ordinal);
    }
}
