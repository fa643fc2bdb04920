using System.Reflection;

namespace BigDataTrading.Streaming.Cql.Packs;

/// <summary>
/// The query packs shipped inside the streaming assembly, so a host (e.g. <c>bdt demo</c>) runs the same text that
/// <c>streaming/Cql/Packs</c> holds without locating the source tree. Thread-safe.
/// </summary>
public static class CqlPacks
{
    private static readonly Lazy<string> s_trading = new(() => Read("trading-pack.cql"));

    /// <summary>The trading pack (<c>trading-pack.cql</c>): OHLCV, rolling VWAP, surges, spread, joins and patterns.</summary>
    public static string TradingPack => s_trading.Value;

    private static string Read(string name)
    {
        var resource = "BigDataTrading.Streaming.Cql.Packs." + name;
        using var stream = typeof(CqlPacks).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The streaming assembly lacks the embedded pack '{resource}'; rebuild it from a complete source tree.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
