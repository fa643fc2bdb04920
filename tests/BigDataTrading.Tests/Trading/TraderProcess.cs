using System.Diagnostics;
using System.Text;
using System.Threading.Channels;

namespace BigDataTrading.Tests.Trading;

/// <summary>
/// <c>bdt trader</c> as a real child process (the CLI assembly built next to the tests), with its standard output
/// as a stream of lines to wait on and its standard error kept for failure messages. <see cref="KillAsync"/> is a
/// SIGKILL: no finally blocks, no flushes, no logout.
/// </summary>
internal sealed class TraderProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _stderr = new();
    private readonly List<string> _stdout = [];

    private TraderProcess(Process process) => _process = process;

    public IReadOnlyList<string> Output
    {
        get
        {
            lock (_stdout)
            {
                return [.. _stdout];
            }
        }
    }

    public string Errors
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static TraderProcess Start(string workingDirectory, IEnumerable<string> args)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "bdt.dll");
        Assert.True(File.Exists(cli), $"{cli} is missing: the CLI project builds it next to the tests.");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(cli);
        start.ArgumentList.Add("trader");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("BDT_TRADER_TOKEN");
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var child = new TraderProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                child._lines.Writer.TryComplete();
                return;
            }

            lock (child._stdout)
            {
                child._stdout.Add(e.Data);
            }

            child._lines.Writer.TryWrite(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (child._stderr)
                {
                    child._stderr.AppendLine(e.Data);
                }
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits for a standard-output line starting with <paramref name="prefix"/>; fails with the child's output if it exits or the deadline passes.</summary>
    public async Task<string> WaitForLineAsync(string prefix, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (await _lines.Reader.WaitToReadAsync(cts.Token))
            {
                while (_lines.Reader.TryRead(out var line))
                {
                    if (line.StartsWith(prefix, StringComparison.Ordinal))
                    {
                        return line;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        throw new Xunit.Sdk.XunitException($"bdt trader printed no '{prefix}' line (exited: {_process.HasExited}).\nstdout:\n{string.Join('\n', Output)}\nstderr:\n{Errors}");
    }

    /// <summary>Kills the child with SIGKILL and waits for it to be gone.</summary>
    public async Task KillAsync()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }

        await _process.WaitForExitAsync();
    }

    /// <summary>Waits for the child to exit by itself.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"bdt trader did not exit within {timeout.TotalSeconds} s.\nstdout:\n{string.Join('\n', Output)}\nstderr:\n{Errors}");
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        _process.Dispose();
    }
}
