using System.Globalization;
using System.Text;

namespace BigDataTrading.Fix.Tests;

/// <summary>
/// The codec's hand-written fast paths (decimal parse and format, vectorised CheckSum, direct tag lookup in the view)
/// must give exactly what the general BCL code they replace gives.
/// </summary>
public sealed class FixCodecFastPathTests
{
    private static readonly FixHeader Header = new("BDT", "BDTX", 1, new DateTimeOffset(2025, 1, 2, 3, 4, 5, 678, TimeSpan.Zero));

    public static TheoryData<string> DecimalTexts() =>
    [
        "0", "-0", "0.00", "1", "-1", "187.25", "187.250", "0.05", "-0.000123", ".5", "1.", "+5", "00012.3400",
        "9999999999999999999", "99999999999999999999", "1234567890.123456789", "79228162514264337593543950335",
        "0.0000000000000000000000000001", "1e5", "1.2.3", "-", ".", "12a", " 1",
    ];

    [Theory]
    [MemberData(nameof(DecimalTexts))]
    public void Decimal_fields_parse_to_the_same_value_and_scale_as_decimal_TryParse(string text)
    {
        var expectedOk = decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var expected);
        var view = new FixMessageView();
        Assert.True(view.TryLoad(new FixMessageBuilder(FixMsgType.Heartbeat).Set(FixTag.Price, Encoding.ASCII.GetBytes(text)).Build(Header), out var error), error);

        var ok = view.TryGetDecimal(FixTag.Price, out var actual);

        Assert.Equal(expectedOk, ok);
        Assert.Equal(expected.ToString(CultureInfo.InvariantCulture), actual.ToString(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Decimal_values_are_written_exactly_as_the_invariant_decimal_formatter_writes_them()
    {
        var random = new Random(20251124);
        var values = new List<decimal> { 0m, -0m, 0.00m, 1m, -1m, 187.25m, 187.250m, 0.05m, -0.000123m, decimal.MaxValue, decimal.MinValue, 1e-28m, 18446744073709551615m, 18446744073709551616m };
        for (var i = 0; i < 2000; i++)
        {
            var mantissa = random.NextInt64(long.MaxValue) >> random.Next(0, 63);
            values.Add(new decimal((int)mantissa, (int)(mantissa >> 32), i % 10 == 0 ? random.Next() : 0, random.Next(2) == 0, (byte)random.Next(0, 29)));
        }

        var builder = new FixMessageBuilder(FixMsgType.Heartbeat);
        foreach (var value in values)
        {
            builder.Clear();
            builder.Set(FixTag.Price, value);
            var message = FixMessage.Parse(builder.Build(Header));

            Assert.Equal(value.ToString(CultureInfo.InvariantCulture), message.GetString(FixTag.Price));
        }
    }

    [Fact]
    public void CheckSum_of_long_and_odd_length_messages_is_the_byte_sum_modulo_256()
    {
        var builder = new FixMessageBuilder(FixMsgType.Heartbeat);
        for (var length = 1; length < 300; length += 7)
        {
            builder.Clear();
            builder.Set(FixTag.Text, new string((char)('~' - (length % 90)), length));
            var frame = builder.Build(Header);
            var text = Encoding.ASCII.GetString(frame);
            var trailer = text.LastIndexOf("\u000110=", StringComparison.Ordinal) + 1;
            var expected = frame.AsSpan(0, trailer).ToArray().Sum(b => b) % 256;

            Assert.Equal(expected.ToString("000", CultureInfo.InvariantCulture), text.Substring(trailer + 3, 3));
            Assert.True(FixMessage.TryParse(frame, out _, out var error), error?.Description);
        }
    }

    [Fact]
    public void View_lookup_finds_the_first_occurrence_of_small_and_large_tags_and_forgets_the_previous_message()
    {
        var first = new FixMessageBuilder("8").Set(448, "P1").Set(448, "P2").Set(9999, "custom").Build(Header);
        var second = new FixMessageBuilder("8").Set(FixTag.Symbol, "AAPL").Build(Header);
        var view = new FixMessageView();

        Assert.True(view.TryLoad(first, out _));
        Assert.True(view.TryGetValue(448, out var party) && party.SequenceEqual("P1"u8));
        Assert.True(view.TryGetValue(9999, out var custom) && custom.SequenceEqual("custom"u8));
        Assert.False(view.Contains(FixTag.Symbol));

        Assert.True(view.TryLoad(second, out _));
        Assert.False(view.Contains(448));
        Assert.False(view.Contains(9999));
        Assert.True(view.Contains(FixTag.Symbol));

        Assert.False(view.TryLoad(second.AsMemory(1), out _));
        Assert.False(view.Contains(FixTag.Symbol));
    }
}
