using System.CommandLine;
using BigDataTrading.Warehouse.Storage;

namespace BigDataTrading.Cli.Commands;

/// <summary>The <c>--lake webhdfs://host:port/path</c> form shared by <c>bdt sql</c>, <c>bdt etl</c> and <c>bdt lake-writer</c>.</summary>
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
}
