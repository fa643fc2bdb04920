namespace BigDataTrading.Tests.Trading;

/// <summary><c>bdt trader</c>'s start-up validation, as a real process: a bad limit stops it before it connects anywhere.</summary>
public sealed class TraderCommandTests
{
    [Theory]
    [InlineData("--max-order-qty", "0", "--max-order-qty = 0")]
    [InlineData("--max-open-orders", "-1", "--max-open-orders = -1")]
    [InlineData("--price-collar", "1.5", "--price-collar = 1.5")]
    [InlineData("--volatility-window", "1", "--volatility-window = 1")]
    public async Task A_risk_limit_out_of_range_stops_the_trader_at_start_up_naming_the_option(string option, string value, string expected)
    {
        var folder = Directory.CreateTempSubdirectory("bdt-trader-cli-").FullName;
        try
        {
            // Nothing listens on these endpoints: validation must fail first, or the process would hang connecting.
            await using var trader = TraderProcess.Start(folder, ["--kafka", "127.0.0.1:1", "--fix", "127.0.0.1:1", option, value]);
            var exitCode = await trader.WaitForExitAsync(TimeSpan.FromSeconds(60));

            Assert.Equal(2, exitCode);
            Assert.Contains($"error: {expected}", trader.Errors, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(folder, "bdt-out", "trader", "orders.journal")), "the journal must not be created for a refused start");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
