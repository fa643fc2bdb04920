namespace BigDataTrading.Warehouse;

/// <summary>Finds lakes written by <c>bdt demo</c> (<c>&lt;out&gt;/run-&lt;yyyyMMdd-HHmmss-fff&gt;/lake</c>). Stateless.</summary>
public static class LakeLocator
{
    /// <summary>The lake of the newest demo run under <paramref name="outputFolder"/> (run folder names sort by time),
    /// or null when there is none.</summary>
    /// <param name="outputFolder">The demo's output folder (default of <c>bdt demo --out</c> is <c>bdt-out</c>).</param>
    public static string? NewestDemoLake(string outputFolder)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputFolder);
        if (!Directory.Exists(outputFolder))
        {
            return null;
        }

        return Directory.EnumerateDirectories(outputFolder, "run-*")
            .Select(run => Path.Combine(run, "lake"))
            .Where(Directory.Exists)
            .Order(StringComparer.Ordinal)
            .Select(Path.GetFullPath)
            .LastOrDefault();
    }

    /// <summary>The lake a command should use: <paramref name="explicitLake"/> when given (it must exist), otherwise the
    /// newest demo lake under <c>./bdt-out</c>.</summary>
    /// <param name="explicitLake">The <c>--lake</c> value, or null.</param>
    /// <param name="error">Why no lake was found (for the user), or null.</param>
    /// <returns>The absolute lake root, or null with <paramref name="error"/> set.</returns>
    public static string? Resolve(string? explicitLake, out string? error)
    {
        error = null;
        if (!string.IsNullOrWhiteSpace(explicitLake))
        {
            if (Directory.Exists(explicitLake))
            {
                return Path.GetFullPath(explicitLake);
            }

            error = $"--lake: folder '{Path.GetFullPath(explicitLake)}' does not exist.";
            return null;
        }

        var newest = NewestDemoLake("bdt-out");
        if (newest is null)
        {
            error = $"No --lake given and no bdt-out/run-*/lake under {Directory.GetCurrentDirectory()}; run 'bdt demo' first or pass --lake DIR.";
        }

        return newest;
    }
}
