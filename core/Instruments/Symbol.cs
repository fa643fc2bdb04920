namespace BigDataTrading.Core.Instruments;

/// <summary>
/// A ticker symbol as the venue knows it (for example <c>SPY</c>, <c>EURUSD</c>, <c>ES</c>).
/// Immutable value type; equality is ordinal on the normalized (upper-case) text.
/// </summary>
/// <remarks>
/// Symbols repeat on every tick, so <see cref="Parse(string)"/> interns the text: two symbols with the same
/// value share one string and hot paths compare references before characters.
/// </remarks>
public readonly record struct Symbol : IComparable<Symbol>
{
    /// <summary>Longest accepted symbol, in characters.</summary>
    public const int MaxLength = 32;

    private Symbol(string value) => Value = value;

    /// <summary>The normalized upper-case text; never null for a parsed symbol.</summary>
    public string Value { get; }

    /// <summary>Parses and normalizes a symbol: 1..<see cref="MaxLength"/> characters of A–Z, 0–9, '.', '-', '/', '_'.</summary>
    /// <exception cref="FormatException">The text is empty, too long or has another character.</exception>
    public static Symbol Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!TryParse(text, out var symbol, out var error))
        {
            throw new FormatException($"Invalid symbol '{text}': {error}");
        }

        return symbol;
    }

    /// <summary>Tries to parse a symbol; <paramref name="error"/> says why it failed.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out Symbol symbol, out string? error)
    {
        symbol = default;
        if (text.IsEmpty || text.Length > MaxLength)
        {
            error = $"length must be 1..{MaxLength}";
            return false;
        }

        Span<char> upper = stackalloc char[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            var c = char.ToUpperInvariant(text[i]);
            if (!(char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c) || c is '.' or '-' or '/' or '_'))
            {
                error = $"character '{text[i]}' at position {i} is not allowed";
                return false;
            }

            upper[i] = c;
        }

        symbol = new Symbol(string.Intern(new string(upper)));
        error = null;
        return true;
    }

    /// <inheritdoc />
    public int CompareTo(Symbol other) => string.CompareOrdinal(Value, other.Value);

    /// <inheritdoc />
    public bool Equals(Symbol other) => ReferenceEquals(Value, other.Value) || string.Equals(Value, other.Value, StringComparison.Ordinal);

    /// <inheritdoc />
    public override int GetHashCode() => Value is null ? 0 : StringComparer.Ordinal.GetHashCode(Value);

    /// <summary>Ordinal less than.</summary>
    public static bool operator <(Symbol a, Symbol b) => a.CompareTo(b) < 0;

    /// <summary>Ordinal greater than.</summary>
    public static bool operator >(Symbol a, Symbol b) => a.CompareTo(b) > 0;

    /// <summary>Ordinal less or equal.</summary>
    public static bool operator <=(Symbol a, Symbol b) => a.CompareTo(b) <= 0;

    /// <summary>Ordinal greater or equal.</summary>
    public static bool operator >=(Symbol a, Symbol b) => a.CompareTo(b) >= 0;

    /// <inheritdoc />
    public override string ToString() => Value ?? string.Empty;
}
