using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace BigDataTrading.Infra.Embedded;

/// <summary>
/// A real PostgreSQL server for tests and local runs: a fresh cluster (<c>initdb</c>) in a temporary folder, started
/// with <c>pg_ctl</c> on 127.0.0.1 and a free port, with its socket inside that folder, and deleted on dispose.
/// </summary>
/// <remarks>
/// Uses the server binaries of Debian's <c>postgresql</c> package (<c>/usr/lib/postgresql/&lt;version&gt;/bin</c>).
/// <c>initdb</c> refuses to run as root, so when the process is root the folder is handed to the <c>postgres</c> user
/// and the binaries run through <c>runuser</c>. Trust authentication on loopback only: for tests, never production.
/// </remarks>
public sealed class ThrowawayPostgres : IDisposable
{
    private readonly string _binDirectory;
    private readonly string _root;
    private readonly bool _asPostgresUser;
    private bool _disposed;

    private ThrowawayPostgres(string binDirectory, string root, bool asPostgresUser, int port)
    {
        _binDirectory = binDirectory;
        _root = root;
        _asPostgresUser = asPostgresUser;
        Port = port;
    }

    /// <summary>TCP port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>Connection string of the superuser <c>bdt</c> to database <c>postgres</c>.</summary>
    public string ConnectionString => string.Create(CultureInfo.InvariantCulture, $"Host=127.0.0.1;Port={Port};Username=bdt;Database=postgres;Pooling=true");

    /// <summary>The folder of the server binaries, or null when PostgreSQL is not installed.</summary>
    public static string? FindBinDirectory() =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
                .OrderByDescending(d => d, StringComparer.Ordinal)
                .FirstOrDefault()
            : null;

    /// <summary>Creates and starts a cluster; returns once it accepts connections.</summary>
    /// <exception cref="InvalidOperationException">PostgreSQL is not installed, or initdb/pg_ctl failed (their output is in the message).</exception>
    public static ThrowawayPostgres Start()
    {
        var bin = FindBinDirectory() ?? throw new InvalidOperationException(
            "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin. Install them: apt-get install -y postgresql");
        var root = Directory.CreateTempSubdirectory("bdt-pg-").FullName;
        var asPostgres = Environment.UserName == "root";
        if (asPostgres)
        {
            Run("chown", ["-R", "postgres:postgres", root], "hand the cluster folder to the postgres user");
        }

        var server = new ThrowawayPostgres(bin, root, asPostgres, FreePort());
        try
        {
            server.RunServerTool("initdb", ["-D", Path.Combine(root, "data"), "-U", "bdt", "--auth=trust", "-E", "UTF8", "--no-sync"]);
            server.RunServerTool("pg_ctl", [
                "-D", Path.Combine(root, "data"), "-l", Path.Combine(root, "server.log"), "-w", "-t", "60",
                "-o", string.Create(CultureInfo.InvariantCulture, $"-p {server.Port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"),
                "start",
            ]);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>Stops the server immediately and deletes its folder. Idempotent.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            if (File.Exists(Path.Combine(_root, "data", "postmaster.pid")))
            {
                RunServerTool("pg_ctl", ["-D", Path.Combine(_root, "data"), "-m", "immediate", "-w", "stop"]);
            }
        }
        finally
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private void RunServerTool(string tool, IReadOnlyList<string> arguments)
    {
        var path = Path.Combine(_binDirectory, tool);
        if (_asPostgresUser)
        {
            Run("runuser", ["-u", "postgres", "--", path, .. arguments], tool);
        }
        else
        {
            Run(path, arguments, tool);
        }
    }

    private static void Run(string file, IReadOnlyList<string> arguments, string what)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file} ({what}).");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(90)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{what} did not finish within 90 s.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{what} failed with exit code {process.ExitCode}: {stderr.Result}{stdout.Result}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
