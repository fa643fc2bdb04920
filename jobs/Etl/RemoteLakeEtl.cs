using BigDataTrading.Warehouse.Catalog;
using BigDataTrading.Warehouse.Storage;

namespace BigDataTrading.Jobs.Etl;

/// <summary>
/// Runs an ETL job against a lake whose root is a <see cref="RemoteLake"/> (e.g. WebHDFS): pulls the source dataset
/// into the local cache, runs the job there (idempotent per partition, in parallel, as locally), then replaces each
/// output partition on the storage (<see cref="RemoteLake.ReplacePartitionAsync"/>). A re-run replaces the same
/// partitions again, so the job stays idempotent on the remote root.
/// </summary>
public static class RemoteLakeEtl
{
    /// <summary>Runs <paramref name="job"/> on <paramref name="remote"/>'s cache and publishes its output partitions.</summary>
    /// <param name="remote">The remote lake.</param>
    /// <param name="sourceDataset">The dataset the job reads (pulled first).</param>
    /// <param name="clock">Wall time for run ids and catalog stamps.</param>
    /// <param name="job">The job, given jobs over the cache.</param>
    /// <param name="ct">Cancels between steps.</param>
    /// <param name="sideDatasets">Further datasets the job reads (e.g. <c>quotes</c> for the feature job), pulled too;
    /// one the storage lacks pulls as empty.</param>
    /// <returns>The job's result (output files are the cache's copies; the storage holds the same names).</returns>
    public static async Task<EtlResult> RunAsync(RemoteLake remote, string sourceDataset, TimeProvider clock, Func<LakeEtl, Task<EtlResult>> job, CancellationToken ct, IReadOnlyList<string>? sideDatasets = null)
    {
        ArgumentNullException.ThrowIfNull(remote);
        ArgumentNullException.ThrowIfNull(job);
        await remote.PullAsync([sourceDataset, .. sideDatasets ?? []], ct).ConfigureAwait(false);
        var catalog = new LakeCatalog(remote.Local, clock);
        catalog.Rebuild(ct);
        var result = await job(new LakeEtl(remote.Local, clock, catalog)).ConfigureAwait(false);
        foreach (var partition in result.Partitions)
        {
            await remote.ReplacePartitionAsync(result.TargetDataset, partition.Date, result.RunId, ct).ConfigureAwait(false);
        }

        return result;
    }
}
