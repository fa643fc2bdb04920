using Xunit;

namespace BigDataTrading.TestSupport;

/// <summary>
/// Locates the shared test data folder: <c>../shared</c> next to the folder holding BigDataTrading.sln. The data is
/// vendor data that must not be committed, so it is never copied into the repository.
/// </summary>
public static class SharedData
{
    private static readonly Lazy<string?> s_root = new(FindRoot);

    /// <summary>Absolute path of the shared folder, or null when it is absent.</summary>
    public static string? Root => s_root.Value;

    /// <summary>The LEAN sample's SPY tick trade zip, relative to the shared folder.</summary>
    public const string SpyTradeZip = "data/market/lean-sample/Data/equity/usa/tick/spy/20131008_trade.zip";

    /// <summary>Absolute path of a file under the shared folder, or null when the folder or the file is absent.</summary>
    public static string? Find(string relativePath)
    {
        if (Root is null)
        {
            return null;
        }

        var path = Path.Combine(Root, relativePath);
        return File.Exists(path) ? path : null;
    }

    /// <summary>Absolute path of a file under the shared folder; throws when absent (guarded by <see cref="SharedDataFactAttribute"/>).</summary>
    public static string Require(string relativePath) =>
        Find(relativePath) ?? throw new FileNotFoundException($"Shared test data '{relativePath}' is missing.");

    /// <summary>Why a test needing <paramref name="relativePath"/> is skipped, or null when the file is present.</summary>
    public static string? SkipReason(string relativePath) =>
        Find(relativePath) is not null ? null
        : Root is null ? $"Shared test data folder not found (expected '../shared' next to the folder of BigDataTrading.sln); needs {relativePath}."
        : $"Shared test data file '{relativePath}' not found under {Root}.";

    private static string? FindRoot()
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
    }
}

/// <summary>
/// A fact that needs a file from the shared test data; it is reported as skipped, with the reason, when the file is
/// absent (xunit 2 has no dynamic skip, so the decision is made when the attribute is constructed).
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class SharedDataFactAttribute : FactAttribute
{
    public SharedDataFactAttribute(string relativePath)
    {
        RelativePath = relativePath;
        Skip = SharedData.SkipReason(relativePath);
    }

    public string RelativePath { get; }
}

/// <summary>A theory over shared test data; skipped with the reason when the file is absent, as <see cref="SharedDataFactAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class SharedDataTheoryAttribute : TheoryAttribute
{
    public SharedDataTheoryAttribute(string relativePath)
    {
        RelativePath = relativePath;
        Skip = SharedData.SkipReason(relativePath);
    }

    public string RelativePath { get; }
}
