namespace BigDataTrading.Core.Orders;

/// <summary>
/// The client order id (FIX tag 11): unique per trading day and session, chosen by us, idempotent across restarts
/// because it is derived from the signal id.
/// </summary>
public readonly record struct ClientOrderId
{
    /// <summary>Longest id accepted, in characters (many venues cap ClOrdID near this).</summary>
    public const int MaxLength = 40;

    /// <summary>Wraps and validates an id: 1..<see cref="MaxLength"/> printable ASCII characters, no '|' or SOH.</summary>
    /// <exception cref="ArgumentException">The id is empty, too long or has a forbidden character.</exception>
    public ClientOrderId(string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        if (value.Length > MaxLength)
        {
            throw new ArgumentException($"Client order id '{value}' is longer than {MaxLength} characters.", nameof(value));
        }

        foreach (var c in value)
        {
            if (c is < '!' or > '~' or '|')
            {
                throw new ArgumentException($"Client order id '{value}' has a character that is not printable ASCII.", nameof(value));
            }
        }

        Value = value;
    }

    /// <summary>The id text.</summary>
    public string Value { get; }

    /// <inheritdoc />
    public override string ToString() => Value;
}
