using BigDataTrading.Core.Instruments;
using BigDataTrading.Sources;
using Xunit;

namespace BigDataTrading.Data.Tests;

public class SyntheticSpreadTests
{
    [Fact]
    public void Roll_estimate_of_the_spread_from_the_prints_is_about_one_cent_for_SPY()
    {
        // Roll (1984): prints bouncing between bid and ask make successive price changes negatively autocorrelated,
        // with autocovariance −s²/4 for a spread s. Recovering s from the prints alone shows the spread is really there.
        var source = new SyntheticMarketSource(new SyntheticMarketOptions { Symbols = [Symbol.Parse("SPY")], TradesPerSymbol = 200_000, BadTickRate = 0 });
        var cents = source.ReadTrades().Select(t => t.Price.ToDouble() * 100).ToArray();
        var changes = cents.Zip(cents.Skip(1), (a, b) => b - a).ToArray();
        var mean = changes.Average();
        var autocovariance = changes.Zip(changes.Skip(1), (a, b) => (a - mean) * (b - mean)).Average();

        Assert.True(autocovariance < 0, $"autocovariance of price changes {autocovariance:0.###} should be negative");
        var rollSpreadCents = 2 * Math.Sqrt(-autocovariance);
        Assert.InRange(rollSpreadCents, 0.6, 2.0);
    }
}
