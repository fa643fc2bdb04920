namespace BigDataTrading.Fix;

/// <summary>BeginString (8) values this engine speaks.</summary>
public static class FixVersions
{
    /// <summary>FIX 4.2.</summary>
    public const string Fix42 = "FIX.4.2";

    /// <summary>FIX 4.4 (the default for new sessions).</summary>
    public const string Fix44 = "FIX.4.4";

    /// <summary>Returns the constant string for a known BeginString so parsing does not allocate for it.</summary>
    internal static string FromSpan(ReadOnlySpan<byte> value) =>
        value.SequenceEqual("FIX.4.4"u8) ? Fix44
        : value.SequenceEqual("FIX.4.2"u8) ? Fix42
        : System.Text.Encoding.ASCII.GetString(value);
}
