using BigDataTrading.Core.Instruments;

namespace BigDataTrading.Tests.Core;

public class PriceTests
{
    [Fact]
    public void Summing_a_cent_a_million_times_is_exact()
    {
        var cent = Price.FromDecimal(0.01m);
        var total = Price.Zero;
        for (var i = 0; i < 1_000_000; i++)
        {
            total += cent;
        }

        Assert.Equal(10_000m, total.ToDecimal());
    }

    [Fact]
    public void Lean_deci_cents_convert_exactly()
    {
        var price = Price.FromScaled(1674200, 10_000);
        Assert.Equal(167.42m, price.ToDecimal());
        Assert.Equal("167.42", price.ToString());
    }

    [Theory]
    [InlineData(10.004, 10.00)]
    [InlineData(10.005, 10.01)]
    [InlineData(-10.005, -10.01)]
    public void Rounding_to_a_tick_is_half_away_from_zero(double value, double expected)
    {
        var tick = Price.FromDecimal(0.01m);
        Assert.Equal(Price.FromDouble(expected), Price.FromDecimal((decimal)value).RoundTo(tick));
    }

    [Fact]
    public void Non_finite_doubles_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Price.FromDouble(double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => Price.FromDouble(double.PositiveInfinity));
    }

    [Fact]
    public void More_than_eight_decimals_round_half_away_from_zero()
    {
        Assert.Equal(1L, Price.FromDecimal(0.000000005m).Raw);
        Assert.Equal(0L, Price.FromDecimal(0.000000004m).Raw);
    }
}
