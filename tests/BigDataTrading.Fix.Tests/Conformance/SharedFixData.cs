namespace BigDataTrading.Fix.Tests.Conformance;

/// <summary>
/// Locates the QuickFIX acceptance suite in the shared test data: <c>../shared/fix/quickfix-acceptance</c> next to
/// the folder holding BigDataTrading.sln. Vendor data, never copied into the repository.
/// </summary>
internal static class SharedFixData
{
    private static readonly Lazy<string?> s_acceptanceRoot = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BigDataTrading.sln")))
            {
                var root = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "fix", "quickfix-acceptance"));
                return Directory.Exists(root) ? root : null;
            }
        }

        return null;
    });

    /// <summary>The acceptance suite folder, or null when absent.</summary>
    public static string? AcceptanceRoot => s_acceptanceRoot.Value;

    /// <summary>Why the suite cannot run, or null when it can.</summary>
    public static string? MissingReason(string version) =>
        AcceptanceRoot is not { } root
            ? "Shared test data not found: expected ../shared/fix/quickfix-acceptance next to the folder of BigDataTrading.sln."
            : !Directory.Exists(ScriptDirectory(version)) || !File.Exists(Path.Combine(root, "spec", SpecFile(version)))
                ? $"The acceptance scripts or spec for {version} are missing under {root}."
                : null;

    public static string ScriptDirectory(string version) => Path.Combine(AcceptanceRoot ?? string.Empty, "definitions", "server", version);

    public static string SpecPath(string version) => Path.Combine(AcceptanceRoot ?? string.Empty, "spec", SpecFile(version));

    public static string FieldsFormatPath => Path.Combine(AcceptanceRoot ?? string.Empty, "definitions", "fields.fmt");

    /// <summary>Script names (without .def) of one version folder, sorted; empty when the data is absent.</summary>
    public static IReadOnlyList<string> Scripts(string version) =>
        MissingReason(version) is null
            ? [.. Directory.GetFiles(ScriptDirectory(version), "*.def").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal)!]
            : [];

    private static string SpecFile(string version) => version switch
    {
        "fix42" => "FIX42.xml",
        "fix44" => "FIX44.xml",
        _ => throw new ArgumentOutOfRangeException(nameof(version), version, "Only fix42 and fix44 are run."),
    };
}

/// <summary>A theory over acceptance scripts, reported as skipped with the reason when the shared data is absent.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class AcceptanceTheoryAttribute : TheoryAttribute
{
    public AcceptanceTheoryAttribute(string version)
    {
        if (SharedFixData.MissingReason(version) is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>A fact over acceptance scripts, reported as skipped with the reason when the shared data is absent.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class AcceptanceFactAttribute : FactAttribute
{
    public AcceptanceFactAttribute(string version)
    {
        if (SharedFixData.MissingReason(version) is { } reason)
        {
            Skip = reason;
        }
    }
}
