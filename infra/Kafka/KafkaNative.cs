using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using Confluent.Kafka;

namespace BigDataTrading.Infra.Kafka;

/// <summary>
/// Finds a librdkafka build that loads on this machine and hands it to Confluent.Kafka, once per process, before
/// any client is created. The embedded cluster resolves librdkafka's mock API from the same library handle.
/// Thread-safe: the first caller loads, concurrent callers wait for it, a failure is cached and rethrown.
/// </summary>
/// <remarks>
/// Why not let Confluent.Kafka find the library itself: the redist's default <c>librdkafka.so</c> needs
/// <c>libsasl2.so.3</c>, which Debian lacks, and <see cref="Library.Load(string)"/> on Linux P/Invokes an unversioned
/// <c>libdl</c> (absent on glibc 2.34+ systems without development packages) and then binds its entry points to the
/// name <c>librdkafka</c>, which the runtime would resolve to that same default build. A DllImport resolver on the
/// Confluent.Kafka assembly points both names at what was actually loaded, so every part of the process uses one
/// librdkafka.
/// </remarks>
internal static class KafkaNative
{
    /// <summary>Environment variable that names a librdkafka shared library to use instead of searching.</summary>
    public const string PathEnvironmentVariable = "BDT_LIBRDKAFKA_PATH";

    private static readonly Lazy<LoadedLibrary> Library =
        new(LoadOnce, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Full path of the librdkafka build in use.</summary>
    public static string LibraryPath => Library.Value.Path;

    /// <summary>OS handle of the loaded library, for <see cref="NativeLibrary.GetExport"/>.</summary>
    public static nint Handle => Library.Value.Handle;

    /// <summary>Loads librdkafka if no earlier call did; throws <see cref="KafkaSetupException"/> if nothing loads.</summary>
    public static void EnsureLoaded() => _ = Library.Value;

    /// <summary>File names tried in each folder, best first, for the current OS.</summary>
    internal static IReadOnlyList<string> CandidateFileNames()
    {
        if (OperatingSystem.IsWindows())
        {
            return ["librdkafka.dll"];
        }

        if (OperatingSystem.IsMacOS())
        {
            return ["librdkafka.dylib"];
        }

        // The default build has the most features (SASL/GSSAPI) but needs libsasl2.so.3; the centos8 build is
        // self-contained for glibc; the alpine build is for musl and simply fails to load elsewhere.
        return ["librdkafka.so", "centos8-librdkafka.so", "alpine-librdkafka.so"];
    }

    /// <summary>Folders searched, in order: the app folder and the folders of the assemblies involved, each
    /// directly (RID-specific builds copy natives there) and under <c>runtimes/&lt;rid&gt;/native</c>
    /// (portable builds keep the NuGet layout).</summary>
    internal static IReadOnlyList<string> CandidateFolders()
    {
        var roots = new List<string> { AppContext.BaseDirectory };
        AddAssemblyFolder(roots, typeof(KafkaNative).Assembly);
        AddAssemblyFolder(roots, typeof(Confluent.Kafka.Library).Assembly);

        var rids = new List<string> { RuntimeInformation.RuntimeIdentifier };
        var arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        var os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        rids.Add($"{os}-{arch}");

        var folders = new List<string>();
        foreach (var root in roots)
        {
            folders.Add(Path.TrimEndingDirectorySeparator(root));
            foreach (var rid in rids)
            {
                folders.Add(Path.Combine(root, "runtimes", rid, "native"));
            }
        }

        return folders.Distinct(StringComparer.Ordinal).ToList();
    }

    private static void AddAssemblyFolder(List<string> roots, Assembly assembly)
    {
        // Location is empty for single-file apps; AppContext.BaseDirectory covers that case.
        var folder = string.IsNullOrEmpty(assembly.Location) ? null : Path.GetDirectoryName(assembly.Location);
        if (!string.IsNullOrEmpty(folder))
        {
            roots.Add(folder);
        }
    }

    private static LoadedLibrary LoadOnce()
    {
        var loaded = Locate(
            Environment.GetEnvironmentVariable(PathEnvironmentVariable), CandidateFolders(), CandidateFileNames());
        HandToConfluent(loaded);
        return loaded;
    }

    /// <summary>
    /// Loads <paramref name="overridePath"/> if given (no fallback: an explicit choice that is wrong must not be
    /// papered over), else the first of <paramref name="fileNames"/> in <paramref name="folders"/> that loads.
    /// </summary>
    /// <exception cref="KafkaSetupException">Nothing loads; the message lists what was tried and how to fix it.</exception>
    internal static LoadedLibrary Locate(string? overridePath, IReadOnlyList<string> folders, IReadOnlyList<string> fileNames)
    {
        var failures = new List<string>();
        if (!string.IsNullOrWhiteSpace(overridePath))
        {
            if (!File.Exists(overridePath))
            {
                throw new KafkaSetupException(
                    $"{PathEnvironmentVariable} names '{overridePath}', which does not exist. Point it at a librdkafka " +
                    "shared library (for example the app folder's centos8-librdkafka.so) or unset it to search the " +
                    "app folder.");
            }

            return TryLoad(overridePath, failures) ?? throw NothingLoaded([overridePath], failures);
        }

        foreach (var folder in folders)
        {
            foreach (var name in fileNames)
            {
                var path = Path.Combine(folder, name);
                if (File.Exists(path) && TryLoad(path, failures) is { } loaded)
                {
                    return loaded;
                }
            }
        }

        throw NothingLoaded(folders.SelectMany(f => fileNames.Select(n => Path.Combine(f, n))).ToList(), failures);
    }

    private static LoadedLibrary? TryLoad(string path, List<string> failures)
    {
        try
        {
            return new LoadedLibrary(path, NativeLibrary.Load(path));
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            // The runtime's message ends with the loader's reason, e.g. "libsasl2.so.3: cannot open shared object
            // file"; the generic advice before it would only bury that.
            var reason = e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
            failures.Add($"{path} ({reason})");
            return null;
        }
    }

    private static void HandToConfluent(LoadedLibrary loaded)
    {
        if (Confluent.Kafka.Library.IsLoaded)
        {
            // A client was created before infra was asked; Confluent already bound its own choice, which works
            // (it falls back through the same builds). The mock API still uses our handle; they talk over TCP.
            return;
        }

        try
        {
            NativeLibrary.SetDllImportResolver(typeof(Confluent.Kafka.Library).Assembly, (name, _, _) =>
                name switch
                {
                    "libdl" => LoadLibDl(),
                    _ when name.Contains("librdkafka", StringComparison.Ordinal) => loaded.Handle,
                    _ => 0,
                });
        }
        catch (InvalidOperationException)
        {
            // Someone else registered a resolver for Confluent.Kafka; theirs stays in charge.
        }

        try
        {
            Confluent.Kafka.Library.Load(loaded.Path);
        }
        catch (Exception e)
        {
            throw new KafkaSetupException(
                $"librdkafka at '{loaded.Path}' loads, but Confluent.Kafka could not bind to it: {e.Message}. " +
                $"Check that the librdkafka.redist and Confluent.Kafka package versions match, or set " +
                $"{PathEnvironmentVariable} to another librdkafka build.",
                e);
        }
    }

    private static nint LoadLibDl()
    {
        // dlopen lives in libc since glibc 2.34; libdl.so.2 remains as a compatibility stub.
        return NativeLibrary.TryLoad("libdl.so.2", out var handle) || NativeLibrary.TryLoad("libc.so.6", out handle)
            ? handle
            : 0;
    }

    private static KafkaSetupException NothingLoaded(IReadOnlyList<string> lookedFor, List<string> failures)
    {
        var message = new StringBuilder()
            .Append("No librdkafka native library could be loaded. Looked for: ")
            .AppendJoin(", ", lookedFor)
            .Append('.');
        message.Append(failures.Count > 0 ? " Load attempts: " : " None of these files exists.")
            .AppendJoin("; ", failures);
        message.Append(" To fix: reference the librdkafka.redist package and build with a RuntimeIdentifier ")
            .Append("(e.g. linux-x64) so its natives are copied next to the app; or install the shared libraries ")
            .Append("the load attempts name as missing; or set ")
            .Append(PathEnvironmentVariable)
            .Append(" to a librdkafka shared library that loads on this machine.");
        return new KafkaSetupException(message.ToString());
    }

    /// <summary>A loaded librdkafka: where it came from and its OS handle.</summary>
    internal sealed record LoadedLibrary(string Path, nint Handle);
}
