using System.CommandLine;
using System.Diagnostics;
using BigDataTrading.Cli.Commands;

namespace BigDataTrading.Streaming.Tests.Kafka;

/// <summary>
/// Entry point of the test assembly when it is started as a program (<c>dotnet BigDataTrading.Streaming.Tests.dll stream ...</c>):
/// runs the real <c>bdt stream</c> command, so scale-out tests use separate OS processes without building the whole CLI.
/// The test runner never calls it.
/// </summary>
public static class StreamProcessHost
{
    /// <summary>Runs <c>bdt stream</c> with the given arguments.</summary>
    public static Task<int> Main(string[] args) => new RootCommand { StreamCommand.Create() }.Parse(args).InvokeAsync();

    /// <summary>Starts this assembly as a <c>bdt stream</c> process with stdout and stderr redirected.</summary>
    public static Process Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(typeof(StreamProcessHost).Assembly.Location);
        info.ArgumentList.Add("stream");
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        return Process.Start(info) ?? throw new InvalidOperationException("Could not start the stream process.");
    }
}
