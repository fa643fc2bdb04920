using System.Collections.Concurrent;
using System.Globalization;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace BigDataTrading.Fix.Tests.Conformance;

/// <summary>Results of one version's scripts, shared by its theory cases and its summary test.</summary>
public sealed class AcceptanceResults
{
    internal ConcurrentDictionary<string, ScriptResult> Results { get; } = new(StringComparer.Ordinal);
}

/// <summary>Scripts that fail for a reason we accept, with that reason (reported, not hidden).</summary>
internal static class KnownFailures
{
    public static readonly IReadOnlyDictionary<string, string> Reasons = new Dictionary<string, string>(StringComparer.Ordinal)
    {
    };
}

/// <summary>Shared body of the per-version acceptance test classes.</summary>
public abstract class AcceptanceTestsBase
{
    private readonly AcceptanceResults _results;
    private readonly ITestOutputHelper _output;

    private protected AcceptanceTestsBase(AcceptanceResults results, ITestOutputHelper output)
    {
        _results = results;
        _output = output;
    }

    protected abstract string Version { get; }

    protected async Task RunScriptAsync(string name)
    {
        var result = await AcceptanceScriptRunner.RunAsync(Version, name);
        _results.Results[name] = result;
        var key = $"{Version}/{name}";
        if (KnownFailures.Reasons.TryGetValue(key, out var reason))
        {
            Assert.False(result.Passed, $"{key} now passes: remove it from KnownFailures.");
            _output.WriteLine($"known failure ({reason}):{Environment.NewLine}{result.Detail}");
            return;
        }

        Assert.True(result.Passed, result.Detail);
        _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"passed in {result.Elapsed.TotalMilliseconds:0} ms"));
    }

    /// <summary>Runs any script not run yet (e.g. when only this test was selected), prints the pass count, requires 90%.</summary>
    protected async Task SummarizeAsync()
    {
        var scripts = SharedFixData.Scripts(Version);
        foreach (var name in scripts.Where(n => !_results.Results.ContainsKey(n)))
        {
            _results.Results[name] = await AcceptanceScriptRunner.RunAsync(Version, name);
        }

        var passed = scripts.Count(n => _results.Results[n].Passed);
        var line = string.Create(CultureInfo.InvariantCulture, $"QuickFIX acceptance {Version}: {passed}/{scripts.Count} scripts passed ({100.0 * passed / scripts.Count:0.0}%)");
        _output.WriteLine(line);
        Console.WriteLine(line);
        foreach (var failed in scripts.Where(n => !_results.Results[n].Passed))
        {
            var reason = KnownFailures.Reasons.TryGetValue($"{Version}/{failed}", out var known) ? known : "unexpected";
            _output.WriteLine($"  FAILED {failed}: {reason}");
        }

        Assert.True(passed * 10 >= scripts.Count * 9, line);
    }
}

/// <summary>QuickFIX acceptance scripts for FIX 4.4 (server/fix44) against our acceptor.</summary>
[TestCaseOrderer("BigDataTrading.Fix.Tests.Conformance.SummaryLastOrderer", "BigDataTrading.Fix.Tests")]
public sealed class Fix44AcceptanceTests(AcceptanceResults results, ITestOutputHelper output) : AcceptanceTestsBase(results, output), IClassFixture<AcceptanceResults>
{
    public static TheoryData<string> Scripts => ScriptData("fix44");

    protected override string Version => "fix44";

    [AcceptanceTheory("fix44")]
    [MemberData(nameof(Scripts))]
    public Task Script_passes(string script) => RunScriptAsync(script);

    [AcceptanceFact("fix44")]
    public Task Summary_at_least_90_percent_of_the_scripts_pass() => SummarizeAsync();

    internal static TheoryData<string> ScriptData(string version)
    {
        var data = new TheoryData<string>();
        var scripts = SharedFixData.Scripts(version);
        // A placeholder keeps discovery valid when the data is absent; the attribute reports the skip reason.
        foreach (var script in scripts.Count == 0 ? ["(shared data missing)"] : scripts)
        {
            data.Add(script);
        }

        return data;
    }
}

/// <summary>QuickFIX acceptance scripts for FIX 4.2 (server/fix42) against our acceptor.</summary>
[TestCaseOrderer("BigDataTrading.Fix.Tests.Conformance.SummaryLastOrderer", "BigDataTrading.Fix.Tests")]
public sealed class Fix42AcceptanceTests(AcceptanceResults results, ITestOutputHelper output) : AcceptanceTestsBase(results, output), IClassFixture<AcceptanceResults>
{
    public static TheoryData<string> Scripts => Fix44AcceptanceTests.ScriptData("fix42");

    protected override string Version => "fix42";

    [AcceptanceTheory("fix42")]
    [MemberData(nameof(Scripts))]
    public Task Script_passes(string script) => RunScriptAsync(script);

    [AcceptanceFact("fix42")]
    public Task Summary_at_least_90_percent_of_the_scripts_pass() => SummarizeAsync();
}

/// <summary>Runs the scripts in name order and the summary last, so the summary sees every script's result.</summary>
public sealed class SummaryLastOrderer : ITestCaseOrderer
{
    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases)
        where TTestCase : ITestCase =>
        testCases.OrderBy(t => t.TestMethod.Method.Name.StartsWith("Summary", StringComparison.Ordinal) ? 1 : 0)
            .ThenBy(t => t.DisplayName, StringComparer.Ordinal);
}
