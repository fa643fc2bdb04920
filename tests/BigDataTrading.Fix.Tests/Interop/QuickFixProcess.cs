using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;

namespace BigDataTrading.Fix.Tests.Interop;

/// <summary>
/// A QuickFIX C++ example acceptor (<c>executor</c> or <c>ordermatch</c> from Debian's libquickfix-doc, run with
/// libquickfix17) started for one test: unpacked into a temp folder, configured with <c>UseDataDictionary=N</c>, a
/// free port on 127.0.0.1 and a file store in the temp folder; killed on dispose whatever happened.
/// </summary>
internal sealed class QuickFixProcess : IAsyncDisposable
{
    private const string Examples = "/usr/share/doc/libquickfix-doc/examples";
    private static readonly string[] LibraryPaths = ["/usr/lib/x86_64-linux-gnu/libquickfix.so.17", "/lib/x86_64-linux-gnu/libquickfix.so.17"];
    private readonly Process _process;
    private readonly TestDirectory _directory;
    private readonly ConcurrentQueue<string> _output = new();

    private QuickFixProcess(Process process, TestDirectory directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    /// <summary>The acceptor's port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>Everything the program printed so far (its screen log), for assertion messages.</summary>
    public string Output => string.Join(Environment.NewLine, _output);

    public static string ArchivePath(string program) => program switch
    {
        "executor" => $"{Examples}/executor/C++/.libs/executor.gz",
        "ordermatch" => $"{Examples}/ordermatch/.libs/ordermatch.gz",
        _ => throw new ArgumentOutOfRangeException(nameof(program), program, "executor or ordermatch"),
    };

    /// <summary>Why the program cannot run here, or null.</summary>
    public static string? MissingReason(string program) =>
        !OperatingSystem.IsLinux() ? "QuickFIX example binaries are Linux x64 builds."
        : !File.Exists(ArchivePath(program)) ? $"{ArchivePath(program)} not found: apt-get install -y libquickfix-doc"
        : !LibraryPaths.Any(File.Exists) ? "libquickfix.so.17 not found: apt-get install -y libquickfix17"
        : null;

    /// <summary>Starts <paramref name="program"/> as an acceptor for one session and waits until it accepts connections.</summary>
    public static async Task<QuickFixProcess> StartAsync(string program, string beginString, string senderCompId, string targetCompId)
    {
        var directory = new TestDirectory();
        try
        {
            var binary = Path.Combine(directory.Path, program);
            await using (var gz = new GZipStream(File.OpenRead(ArchivePath(program)), CompressionMode.Decompress))
            await using (var file = File.Create(binary))
            {
                await gz.CopyToAsync(file);
            }

            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(binary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            var port = FreePort();
            var config = Path.Combine(directory.Path, "acceptor.cfg");
            await File.WriteAllTextAsync(config, $"""
                [DEFAULT]
                ConnectionType=acceptor
                SocketAcceptPort={port}
                SocketAcceptHost=127.0.0.1
                SocketReuseAddress=Y
                StartTime=00:00:00
                EndTime=00:00:00
                UseDataDictionary=N
                ResetOnLogon=Y
                FileStorePath={Path.Combine(directory.Path, "store")}

                [SESSION]
                BeginString={beginString}
                SenderCompID={senderCompId}
                TargetCompID={targetCompId}
                """);
            var process = new Process
            {
                StartInfo = new ProcessStartInfo(binary, [config])
                {
                    RedirectStandardInput = true, // ordermatch reads commands from stdin; an open, silent stdin keeps it idle
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                    WorkingDirectory = directory.Path,
                },
            };
            var peer = new QuickFixProcess(process, directory, port);
            process.OutputDataReceived += (_, e) => peer.Record(e.Data);
            process.ErrorDataReceived += (_, e) => peer.Record(e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                await peer.WaitUntilListeningAsync(TimeSpan.FromSeconds(15));
            }
            catch
            {
                await peer.DisposeAsync();
                throw;
            }

            return peer;
        }
        catch
        {
            directory.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                try
                {
                    // ordermatch stops on "#quit"; executor only sleeps, so it is killed without waiting.
                    await _process.StandardInput.WriteLineAsync("#quit");
                    await _process.StandardInput.FlushAsync();
                }
                catch (IOException)
                {
                    // Already gone.
                }

                using var cts = new CancellationTokenSource(Path.GetFileName(_process.StartInfo.FileName) == "executor" ? TimeSpan.Zero : TimeSpan.FromSeconds(2));
                try
                {
                    await _process.WaitForExitAsync(cts.Token);
                }
                catch (OperationCanceledException)
                {
                    // executor never exits by itself: kill it (and only it, by process id).
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync();
                }
            }
        }
        finally
        {
            _process.Dispose();
            _directory.Dispose();
        }
    }

    private void Record(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line.Replace('\u0001', '|'));
        }
    }

    private async Task WaitUntilListeningAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{_process.StartInfo.FileName} exited with {_process.ExitCode}: {Output}");
            }

            using var probe = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                // Not listening yet: poll again shortly.
                await Task.Delay(50);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A fact that needs a QuickFIX example program; skipped with the reason when it is not installed.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class QuickFixFactAttribute : FactAttribute
{
    public QuickFixFactAttribute(string program)
    {
        if (QuickFixProcess.MissingReason(program) is { } reason)
        {
            Skip = reason;
        }
    }
}
