using System.Text;
using BigDataTrading.Core.Instruments;

namespace BigDataTrading.Tests.Core;

public class SymbolTests
{
    [Fact]
    public void Parsing_normalizes_to_upper_case_and_interns()
    {
        var a = Symbol.Parse("spy");
        var b = Symbol.Parse("SPY");
        Assert.Equal(a, b);
        Assert.Same(a.Value, b.Value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("SP Y")]
    [InlineData("THIS-SYMBOL-IS-FAR-TOO-LONG-TO-BE-REAL")]
    public void Invalid_text_is_refused_with_the_reason(string text)
    {
        var ex = Assert.Throws<FormatException>(() => Symbol.Parse(text));
        Assert.Contains("Invalid symbol", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Symbol_cache_returns_the_same_symbol_for_the_same_bytes()
    {
        var cache = new SymbolCache();
        var first = cache.Get(Encoding.ASCII.GetBytes("AAPL"));
        var second = cache.Get(Encoding.ASCII.GetBytes("AAPL"));
        Assert.Equal(first, second);
        Assert.Equal(1, cache.Count);
    }
}
