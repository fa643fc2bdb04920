using System.Globalization;
using BigDataTrading.Core.Instruments;

namespace BigDataTrading.Sources;

/// <summary>Settings of <see cref="SyntheticMarketSource"/>. Immutable; validated by the source's constructor.</summary>
public sealed record SyntheticMarketOptions
{
    /// <summary>Symbols to generate (1..64 distinct). Default SPY, AAPL, MSFT.</summary>
    public IReadOnlyList<Symbol> Symbols { get; init; } = [Symbol.Parse("SPY"), Symbol.Parse("AAPL"), Symbol.Parse("MSFT")];

    /// <summary>Trading date; the session is 09:30–16:00 America/New_York on it. Default 2024-03-12 (a Tuesday, EDT).
    /// Weekends and holidays are not refused: the generator has no exchange calendar.</summary>
    public DateOnly Date { get; init; } = new(2024, 3, 12);

    /// <summary>Seed: the same seed and options give the same ticks, bit for bit.</summary>
    public long Seed { get; init; } = 42;

    /// <summary>Prints per symbol, bad ones included (1..10,000,000). Default 20,000 (a liquid name's pace scaled down).</summary>
    public int TradesPerSymbol { get; init; } = 20_000;

    /// <summary>Fraction of prints replaced by a deliberately bad one, in [0, 0.5]. Default 0.001.</summary>
    public double BadTickRate { get; init; } = 0.001;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (Symbols is null || Symbols.Count is 0 or > 64)
        {
            throw new ArgumentException("Symbols must list 1 to 64 symbols.", nameof(Symbols));
        }

        if (Symbols.Any(s => s.Value is null))
        {
            throw new ArgumentException("Symbols must be parsed symbols, not default(Symbol).", nameof(Symbols));
        }

        if (Symbols.Distinct().Count() != Symbols.Count)
        {
            throw new ArgumentException("Symbols must be distinct.", nameof(Symbols));
        }

        if (TradesPerSymbol is < 1 or > 10_000_000)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"TradesPerSymbol must be in 1..10,000,000, was {TradesPerSymbol}."), nameof(TradesPerSymbol));
        }

        if (!(BadTickRate is >= 0 and <= 0.5))
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"BadTickRate must be in [0, 0.5], was {BadTickRate}."), nameof(BadTickRate));
        }
    }
}
