using System.CommandLine;
using BigDataTrading.Warehouse;
using BigDataTrading.Warehouse.Catalog;
using BigDataTrading.Warehouse.Storage;

namespace BigDataTrading.Cli.Commands;

/// <summary>The <c>--lake webhdfs://host:port/path</c> form shared by the lake commands (<c>sql</c>, <c>catalog</c>,
/// <c>hive ddl</c>, <c>etl</c>, <c>lake-writer</c>).</summary>
internal static class RemoteLakeRoot
{
    public const string LakeHelp = " Or a WebHDFS root, webhdfs://namenode:9870/path, read and written through the WebHDFS REST API with a local cache.";

    public static Option<string?> CacheOption() =>
        new("--cache") { Description = "Local cache folder of a webhdfs:// lake root (Parquet encoded before upload, copies read by SQL). Default: <temp>/bdt-lake-cache/<root>." };

    /// <summary>The storage (caller disposes) and the remote lake over it, or (null, null) for a local root.</summary>
    public static (ILakeStorage? Storage, RemoteLake? Remote) Open(string? root, string? cache)
    {
        if (!RemoteLake.IsRemote(root))
        {
            return (null, null);
        }

        var storage = LakeStorage.Open(root!);
        return (storage, new RemoteLake(storage, cache ?? RemoteLake.DefaultCacheFolder(root!)));
    }

    /// <summary>
    /// The local folder a reading command works on: a local <paramref name="lake"/> as <see cref="LakeLocator"/> finds
    /// it, or for a <c>webhdfs://</c> root its cache, refreshed from the root (new or changed files downloaded, files
    /// the root no longer has dropped) with the cache's catalog rebuilt from those files.
    /// </summary>
    /// <returns>The folder, or null with the problem to print; <c>RemoteRoot</c> is the root URI for a remote lake.</returns>
    public static async Task<(string? Root, string? Problem, string? RemoteRoot)> ResolveForReadingAsync(string? lake, string? cache, CancellationToken ct)
    {
        if (!RemoteLake.IsRemote(lake))
        {
            var root = LakeLocator.Resolve(lake, out var problem);
            return (root, problem, null);
        }

        try
        {
            using var storage = LakeStorage.Open(lake!);
            var remote = new RemoteLake(storage, cache ?? RemoteLake.DefaultCacheFolder(lake!));
            await remote.PullAsync(null, ct);
            await Task.Run(() => new LakeCatalog(remote.Local, TimeProvider.System).Rebuild(ct), ct);
            return (remote.Local.Root, null, lake);
        }
        catch (Exception e) when (e is IOException or HttpRequestException or InvalidDataException)
        {
            return (null, $"reading the lake at {lake}: {e.Message}", null);
        }
    }
}
