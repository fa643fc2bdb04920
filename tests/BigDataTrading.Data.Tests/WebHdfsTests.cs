using System.Text;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Sources;
using BigDataTrading.Warehouse;
using BigDataTrading.Warehouse.Storage;
using Xunit;

namespace BigDataTrading.Data.Tests;

/// <summary>The lake storage backends: the same contract on a local folder and on WebHDFS (an in-test cluster speaking
/// the WebHDFS REST API over loopback HTTP), and publishing committed Parquet files to WebHDFS.</summary>
public sealed class WebHdfsTests : IDisposable
{
    private static readonly WebHdfsOptions s_alice = new() { UserName = "alice" };
    private readonly TempDirectory _temp = new();
    private readonly FakeWebHdfs _hdfs = new();

    public void Dispose()
    {
        _hdfs.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task Create_is_two_steps_an_empty_PUT_to_the_namenode_then_the_data_to_the_datanode()
    {
        using var storage = LakeStorage.Open(_hdfs.Uri("/lake"), s_alice);
        var data = Encoding.UTF8.GetBytes("hello, hdfs");

        await storage.WriteAllBytesAsync("a/b.txt", data);
        await storage.AppendAllBytesAsync("a/b.txt", Encoding.UTF8.GetBytes("!"));

        var create = _hdfs.Requests.Where(r => r.Op == "CREATE").ToList();
        Assert.Equal(["namenode", "datanode"], create.Select(r => r.Node));
        Assert.All(create, r => Assert.Equal(("PUT", "/lake/a/b.txt", "alice", "true"), (r.Method, r.Path, r.Query["user.name"], r.Query["overwrite"])));
        Assert.False(create[0].HadBody);
        Assert.Equal(data.Length, create[1].BodyLength);
        var append = _hdfs.Requests.Where(r => r.Op == "APPEND").ToList();
        Assert.Equal([("namenode", "POST", 0), ("datanode", "POST", 1)], append.Select(r => (r.Node, r.Method, r.BodyLength)));
        Assert.Equal("hello, hdfs!", Encoding.UTF8.GetString(_hdfs.FileBytes("/lake/a/b.txt")!));
        Assert.Equal("hello, hdfs!", Encoding.UTF8.GetString(await storage.ReadAllBytesAsync("a/b.txt")));
        // OPEN went to the namenode, then followed the redirect to the datanode.
        Assert.Equal(["namenode", "datanode"], _hdfs.Requests.Where(r => r.Op == "OPEN").Select(r => r.Node));
    }

    [Theory]
    [InlineData("local")]
    [InlineData("webhdfs")]
    public async Task Both_backends_keep_the_same_contract(string backend)
    {
        using var s = backend == "local"
            ? LakeStorage.Open(Path.Combine(_temp.Path, "local-lake"))
            : LakeStorage.Open(_hdfs.Uri("/user/alice/lake"), s_alice);
        Assert.IsType(backend == "local" ? typeof(LocalLakeStorage) : typeof(WebHdfsLakeStorage), s);

        await s.WriteAllBytesAsync("d/x.bin", new byte[] { 1, 2, 3 });
        await s.WriteAllBytesAsync("d/x.bin", new byte[] { 4, 5 }); // overwrite
        await Assert.ThrowsAnyAsync<IOException>(() => s.WriteAllBytesAsync("d/x.bin", new byte[] { 9 }, overwrite: false));
        await s.AppendAllBytesAsync("d/x.bin", new byte[] { 6 });
        Assert.Equal(new byte[] { 4, 5, 6 }, await s.ReadAllBytesAsync("d/x.bin"));
        await s.CreateDirectoryAsync("d/sub/deeper");
        await s.CreateDirectoryAsync("d/sub/deeper"); // idempotent

        var file = await s.GetStatusAsync("/d/x.bin/");
        Assert.Equal(("d/x.bin", "x.bin", LakeEntryType.File, 3L), (file!.Path, file.Name, file.Type, file.Length));
        Assert.True((await s.GetStatusAsync("d/sub"))!.IsDirectory);
        Assert.Null(await s.GetStatusAsync("d/nope"));
        Assert.Equal([("sub", LakeEntryType.Directory, 0L), ("x.bin", LakeEntryType.File, 3L)],
            (await s.ListAsync("d")).Select(e => (e.Name, e.Type, e.Length)));
        Assert.Equal(["d/x.bin"], (await s.ListAsync("d/x.bin")).Select(e => e.Path));
        Assert.Equal(["d"], (await s.ListAsync("")).Select(e => e.Path));

        Assert.True(await s.RenameAsync("d/x.bin", "d/sub/y.bin"));
        Assert.False(await s.ExistsAsync("d/x.bin"));
        await s.WriteAllBytesAsync("d/z.bin", new byte[] { 7 });
        Assert.False(await s.RenameAsync("d/z.bin", "d/sub/y.bin")); // destination exists: nothing changes
        Assert.False(await s.RenameAsync("d/z.bin", "d/sub")); // not moved into the directory either
        Assert.Equal(new byte[] { 4, 5, 6 }, await s.ReadAllBytesAsync("d/sub/y.bin"));
        await Assert.ThrowsAsync<FileNotFoundException>(() => s.RenameAsync("d/missing", "d/other"));

        await Assert.ThrowsAnyAsync<IOException>(() => s.DeleteAsync("d/sub", recursive: false)); // not empty
        Assert.True(await s.DeleteAsync("d/sub"));
        Assert.False(await s.DeleteAsync("d/sub"));
        Assert.Equal(["z.bin"], (await s.ListAsync("d")).Select(e => e.Name));
        await Assert.ThrowsAsync<FileNotFoundException>(() => s.ListAsync("d/sub"));
        await Assert.ThrowsAsync<FileNotFoundException>(() => s.AppendAllBytesAsync("d/none", new byte[] { 1 }));
        await Assert.ThrowsAsync<ArgumentException>(() => s.GetStatusAsync("d/../../etc"));
        await Assert.ThrowsAsync<ArgumentException>(() => s.GetStatusAsync("d//x"));
    }

    [Fact]
    public async Task A_committed_Parquet_file_published_to_WebHDFS_reads_back_byte_identical_and_DuckDB_counts_the_same_rows()
    {
        var source = new LakeLayout(Path.Combine(_temp.Path, "source"));
        var writer = new ParquetTickWriter(source, "w1");
        var ticks = new SyntheticMarketSource(new SyntheticMarketOptions { Date = new DateOnly(2024, 3, 12), TradesPerSymbol = 2_000 }).ReadTrades().ToList();
        var nextDay = ticks[0] with { Time = ticks[0].Time.AddNanoseconds(86_400_000_000_000), Sequence = 9_999_999 };
        foreach (var t in ticks.Append(nextDay))
        {
            writer.Append(t);
        }

        var commit = writer.Commit();
        Assert.Equal(2, commit.Files.Count);
        using var storage = LakeStorage.Open(_hdfs.Uri("/warehouse/lake"), s_alice);

        var published = await new LakePublisher(source, storage).PublishAsync(commit);

        var expectedPaths = commit.Files.Select(f => source.RelativePath(f.Path)).ToList();
        Assert.Equal(expectedPaths, published);
        Assert.All(published, p => Assert.Matches(@"^ticks/date=\d{4}-\d{2}-\d{2}/part-w1-\d{5}\.parquet$", p));
        // Written aside under a hidden .tmp name, then renamed: no .tmp left, every file arrived by RENAME.
        Assert.Equal(expectedPaths.Select(p => "/warehouse/lake/" + p), _hdfs.FilePaths);
        var renames = _hdfs.Requests.Where(r => r.Op == "RENAME").ToList();
        Assert.Equal(expectedPaths.Select(p => "/warehouse/lake/" + p), renames.Select(r => r.Query["destination"]));
        Assert.All(renames, r => Assert.EndsWith(".parquet.tmp", r.Path, StringComparison.Ordinal));
        Assert.All(_hdfs.Requests.Where(r => r.Op == "CREATE"), r => Assert.EndsWith(".tmp", r.Path, StringComparison.Ordinal));
        Assert.Equal(expectedPaths, await storage.ListPartFilesAsync(LakeDatasets.Ticks));
        Assert.Equal(["date=2024-03-12", "date=2024-03-13"], (await storage.ListAsync("ticks")).Select(e => e.Name));

        var copy = new LakeLayout(Path.Combine(_temp.Path, "copy"));
        var downloaded = await storage.DownloadDatasetAsync(LakeDatasets.Ticks, copy);
        Assert.Equal(commit.Files.Count, downloaded.Count);
        foreach (var file in commit.Files)
        {
            Assert.Equal(await File.ReadAllBytesAsync(file.Path), await File.ReadAllBytesAsync(copy.AbsolutePath(source.RelativePath(file.Path))));
        }

        using var sourceSql = new LakeSql(source);
        using var copySql = new LakeSql(copy);
        const string Count = "SELECT count(*) FROM ticks";
        Assert.Equal(commit.TotalRows, copySql.QueryScalar<long>(Count));
        Assert.Equal(sourceSql.QueryScalar<long>(Count), copySql.QueryScalar<long>(Count));
        Assert.Equal(1, copySql.QueryScalar<long>("SELECT count(*) FROM ticks WHERE date = DATE '2024-03-13'"));
        Assert.Equal(ticks.Sum(t => t.Size) + nextDay.Size, copySql.QueryScalar<long>("SELECT sum(size) FROM ticks"));

        // Publishing again (a retry after a crash) is a no-op; a different file under a committed name is a conflict.
        Assert.Equal(expectedPaths, await new LakePublisher(source, storage).PublishAsync(commit));
        Assert.Equal(expectedPaths.Select(p => "/warehouse/lake/" + p), _hdfs.FilePaths);
        await storage.WriteAllBytesAsync(expectedPaths[1], new byte[] { 1, 2, 3 });
        var conflict = await Assert.ThrowsAsync<IOException>(() => new LakePublisher(source, storage).PublishFileAsync(commit.Files[1].Path));
        Assert.Contains(expectedPaths[1], conflict.Message, StringComparison.Ordinal);
        Assert.Contains("different content", conflict.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_hdfs.FilePaths, p => p.EndsWith(".tmp", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_missing_file_gives_FileNotFoundException_naming_the_webhdfs_path()
    {
        using var storage = LakeStorage.Open(_hdfs.Uri("/lake"), s_alice);

        var e = await Assert.ThrowsAsync<FileNotFoundException>(() => storage.OpenReadAsync("ticks/date=2024-01-02/part-w1-00000.parquet"));

        var expected = $"webhdfs://127.0.0.1:{_hdfs.NamenodePort}/lake/ticks/date=2024-01-02/part-w1-00000.parquet";
        Assert.Equal(expected, e.FileName);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Contains("HTTP 404", e.Message, StringComparison.Ordinal);
        Assert.Contains("File does not exist: /lake/ticks/date=2024-01-02/part-w1-00000.parquet", e.Message, StringComparison.Ordinal);
        Assert.Empty(await storage.ListPartFilesAsync(LakeDatasets.Ticks));
    }

    [Fact]
    public async Task A_403_RemoteException_becomes_a_WebHdfsException_with_the_servers_message()
    {
        _hdfs.Deny("/lake/secret");
        using var storage = LakeStorage.Open(_hdfs.Uri("/lake"), s_alice);

        var e = await Assert.ThrowsAsync<WebHdfsException>(() => storage.WriteAllBytesAsync("secret/x.parquet", new byte[] { 1 }));

        Assert.Equal(403, e.StatusCode);
        Assert.Equal("AccessControlException", e.RemoteException);
        Assert.Equal("Permission denied: user=alice, access=WRITE, inode=\"/lake/secret/x.parquet\":hdfs:supergroup:drwxr-xr-x", e.RemoteMessage);
        Assert.Contains(e.RemoteMessage!, e.Message, StringComparison.Ordinal);
        Assert.Contains("HTTP 403", e.Message, StringComparison.Ordinal);
        Assert.Contains("/lake/secret/x.parquet", e.Message, StringComparison.Ordinal);
        Assert.Contains("user 'alice'", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_hdfs.Requests, r => r.Node == "datanode"); // refused at the namenode, no data sent
    }

    [Fact]
    public async Task A_handler_that_follows_redirects_is_reported_instead_of_writing_an_empty_file_silently()
    {
        using var storage = LakeStorage.Open(_hdfs.Uri("/lake"), s_alice with { Handler = new SocketsHttpHandler { AllowAutoRedirect = true } });

        var e = await Assert.ThrowsAsync<WebHdfsException>(() => storage.WriteAllBytesAsync("f.bin", new byte[] { 1, 2 }));

        Assert.Contains("AllowAutoRedirect", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_picks_the_backend_from_the_root()
    {
        using (var hdfs = LakeStorage.Open("webhdfs://namenode.example/data/lake/"))
        {
            Assert.Equal("webhdfs://namenode.example:9870/data/lake", Assert.IsType<WebHdfsLakeStorage>(hdfs).Root);
        }

        using (var local = LakeStorage.Open(_temp.Path))
        {
            Assert.Equal(Path.GetFullPath(_temp.Path), Assert.IsType<LocalLakeStorage>(local).Root);
        }

        Assert.Throws<NotSupportedException>(() => LakeStorage.Open("hdfs://namenode:8020/lake"));
    }
}
