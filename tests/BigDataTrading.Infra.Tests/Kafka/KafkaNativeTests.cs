using BigDataTrading.Infra.Kafka;
using Xunit;
using Xunit.Abstractions;

namespace BigDataTrading.Infra.Tests.Kafka;

public sealed class KafkaNativeTests(ITestOutputHelper output)
{
    [Fact]
    public void Loads_a_working_librdkafka_from_the_app_output_and_hands_it_to_Confluent()
    {
        KafkaNative.EnsureLoaded();
        KafkaNative.EnsureLoaded();

        Assert.True(File.Exists(KafkaNative.LibraryPath));
        Assert.StartsWith(
            Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory),
            KafkaNative.LibraryPath,
            StringComparison.Ordinal);
        Assert.True(Confluent.Kafka.Library.IsLoaded);
        Assert.StartsWith("2.", Confluent.Kafka.Library.VersionString, StringComparison.Ordinal);
    }

    [Fact]
    public void Searches_the_output_root_and_the_nuget_runtimes_layout()
    {
        var folders = KafkaNative.CandidateFolders();
        var root = Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory);

        Assert.Contains(root, folders);
        Assert.Contains(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native"), folders);
        Assert.Contains("centos8-librdkafka.so", KafkaNative.CandidateFileNames());
    }

    [Fact]
    public void A_build_that_fails_to_load_is_skipped_for_the_next_candidate()
    {
        using var folder = new TempFolder();
        File.WriteAllText(Path.Combine(folder.Path, "librdkafka.so"), "not a shared library");

        var loaded = KafkaNative.Locate(null, [folder.Path, AppContext.BaseDirectory], KafkaNative.CandidateFileNames());

        // Same choice as the process-wide load, so the same handle: the process holds one librdkafka.
        Assert.Equal(KafkaNative.LibraryPath, loaded.Path);
        Assert.Equal(KafkaNative.Handle, loaded.Handle);
    }

    [Fact]
    public void When_nothing_loads_the_error_says_what_was_looked_for_where_and_how_to_fix_it()
    {
        using var folder = new TempFolder();
        var garbage = Path.Combine(folder.Path, "librdkafka.so");
        File.WriteAllText(garbage, "not a shared library");

        var e = Assert.Throws<KafkaSetupException>(
            () => KafkaNative.Locate(null, [folder.Path], ["librdkafka.so", "centos8-librdkafka.so"]));
        output.WriteLine(e.Message);

        Assert.Contains(garbage, e.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(folder.Path, "centos8-librdkafka.so"), e.Message, StringComparison.Ordinal);
        Assert.Contains("Load attempts", e.Message, StringComparison.Ordinal);
        Assert.Contains("RuntimeIdentifier", e.Message, StringComparison.Ordinal);
        Assert.Contains(KafkaNative.PathEnvironmentVariable, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_explicit_library_path_that_does_not_exist_is_an_error_not_a_fallback()
    {
        var e = Assert.Throws<KafkaSetupException>(
            () => KafkaNative.Locate("/nonexistent/librdkafka.so", [AppContext.BaseDirectory], KafkaNative.CandidateFileNames()));

        Assert.Contains(KafkaNative.PathEnvironmentVariable, e.Message, StringComparison.Ordinal);
        Assert.Contains("/nonexistent/librdkafka.so", e.Message, StringComparison.Ordinal);
    }

    private sealed class TempFolder : IDisposable
    {
        public TempFolder()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "bdt-native-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
