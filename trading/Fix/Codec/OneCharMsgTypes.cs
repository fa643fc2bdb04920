namespace BigDataTrading.Fix;

/// <summary>
/// Interned strings for every one-character MsgType (market data W/X/V, status H, ...), so parsing a message whose
/// type has no named constant still allocates nothing; the interned instances are the same as the string literals
/// of <see cref="FixMsgType"/>.
/// </summary>
internal static class OneCharMsgTypes
{
    public static readonly string[] Strings = [.. Enumerable.Range(0, 128).Select(c => string.Intern(((char)c).ToString()))];
}
