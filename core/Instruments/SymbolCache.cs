using System.Text;

namespace BigDataTrading.Core.Instruments;

/// <summary>
/// Maps symbol text in ASCII bytes to <see cref="Symbol"/> values without allocating after the first sighting of a
/// symbol, so decoders on hot paths stay allocation-free in steady state. Not thread-safe: give each decoder its own.
/// </summary>
public sealed class SymbolCache
{
    private readonly Dictionary<string, Symbol> _symbols = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Symbol>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    /// <summary>Creates an empty cache.</summary>
    public SymbolCache() => _lookup = _symbols.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Number of distinct symbols seen.</summary>
    public int Count => _symbols.Count;

    /// <summary>Returns the symbol for ASCII text, parsing and caching it the first time.</summary>
    /// <exception cref="FormatException">The bytes are not a valid symbol.</exception>
    public Symbol Get(ReadOnlySpan<byte> ascii)
    {
        if (ascii.Length is 0 or > Symbol.MaxLength)
        {
            throw new FormatException($"Symbol length {ascii.Length} is outside 1..{Symbol.MaxLength}.");
        }

        Span<char> chars = stackalloc char[ascii.Length];
        for (var i = 0; i < ascii.Length; i++)
        {
            chars[i] = (char)ascii[i];
        }

        if (_lookup.TryGetValue(chars, out var symbol))
        {
            return symbol;
        }

        var text = Encoding.ASCII.GetString(ascii);
        symbol = Symbol.Parse(text);
        _symbols[text] = symbol;
        return symbol;
    }
}
