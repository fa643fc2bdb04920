namespace BigDataTrading.Tests;

/// <summary>Locates <c>../shared</c> beside the repository (real market data, FIX scripts); tests needing it skip when absent.</summary>
internal static class SharedData
{
    private static readonly Lazy<string?> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BigDataTrading.sln")))
            {
                var shared = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared"));
                return Directory.Exists(shared) ? shared : null;
            }
        }

        return null;
    });

    /// <summary>Absolute path of a file under <c>../shared</c>, or null when it is not there.</summary>
    public static string? Find(string relative)
    {
        if (Root.Value is not { } root)
        {
            return null;
        }

        var path = Path.Combine(root, relative);
        return File.Exists(path) ? path : null;
    }

    /// <summary>SPY trades of 2013-10-08 (451,545 rows).</summary>
    public const string SpyTicks = "data/market/lean-sample/Data/equity/usa/tick/spy/20131008_trade.zip";
}

/// <summary>A fact that is skipped, with the reason, when a file it needs under <c>../shared</c> is absent.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class SharedDataFactAttribute : FactAttribute
{
    public SharedDataFactAttribute(string relativePath)
    {
        if (SharedData.Find(relativePath) is null)
        {
            Skip = $"needs ../shared/{relativePath} beside the repository; it is absent on this machine";
        }
    }
}
