using System.Runtime.InteropServices;

namespace BigDataTrading.Warehouse;

/// <summary>
/// Replaces a whole date partition of a dataset with a folder staged elsewhere in the lake: how batch jobs make a
/// re-run idempotent (the partition holds exactly the last run's output, never a mix).
/// </summary>
/// <remarks>
/// <para>Jobs write a partition completely under <see cref="StagingLake"/> (a folder under <c>&lt;root&gt;/_staging</c>,
/// which no reader's glob matches because it is outside every dataset folder), then call <see cref="Replace"/>.</para>
/// <para>On Linux the swap is one <c>renameat2(RENAME_EXCHANGE)</c> system call: readers that list the partition see
/// either every old file or every new file. Where that call is unavailable (other systems, some file systems) the swap
/// is two renames, old folder aside then new folder in, so for a moment the partition is absent (a query in that window
/// sees no rows for the date, never duplicates). A reader that listed the old files and opens them after the swap fails
/// and must retry; that is the price of deleting the old files at once rather than keeping generations.</para>
/// <para>Thread-safe for distinct partitions; two jobs replacing the same partition concurrently must be prevented by
/// the caller (the last swap wins, and both succeed).</para>
/// </remarks>
public static partial class LakePartitionSwap
{
    private const int AtFdCwd = -100;
    private const uint RenameExchange = 2;
    private const string StagingFolder = "_staging";

    /// <summary>A lake rooted at a fresh staging folder of <paramref name="lake"/>, for one job run to write into.</summary>
    /// <param name="lake">The lake the output will be published to.</param>
    /// <param name="runId">The job run (letters, digits, '_' and '-').</param>
    public static LakeLayout StagingLake(LakeLayout lake, string runId)
    {
        ArgumentNullException.ThrowIfNull(lake);
        _ = LakeLayout.PartFileName(runId, 0); // validates the id
        return new LakeLayout(Path.Combine(lake.Root, StagingFolder, runId));
    }

    /// <summary>
    /// Makes <paramref name="stagedPartition"/> the partition <paramref name="date"/> of <paramref name="dataset"/>,
    /// deleting what was there; with a null or missing staged folder, deletes the partition (the job produced no rows).
    /// </summary>
    /// <returns>True when a previous partition was replaced or deleted.</returns>
    public static bool Replace(LakeLayout lake, string dataset, DateOnly date, string? stagedPartition)
    {
        ArgumentNullException.ThrowIfNull(lake);
        var target = lake.PartitionPath(dataset, date);
        var existed = Directory.Exists(target);
        if (stagedPartition is null || !Directory.Exists(stagedPartition))
        {
            if (existed)
            {
                var aside = AsidePath(lake, dataset, date);
                Directory.Move(target, aside);
                Directory.Delete(aside, recursive: true);
            }

            return existed;
        }

        Directory.CreateDirectory(lake.DatasetPath(dataset));
        if (!existed)
        {
            Directory.Move(stagedPartition, target);
            return false;
        }

        if (TryExchange(stagedPartition, target))
        {
            // The staged path now holds the old partition.
            Directory.Delete(stagedPartition, recursive: true);
            return true;
        }

        var old = AsidePath(lake, dataset, date);
        Directory.Move(target, old);
        Directory.Move(stagedPartition, target);
        Directory.Delete(old, recursive: true);
        return true;
    }

    /// <summary>Deletes a staging lake folder and, when empty, the <c>_staging</c> folder (best effort).</summary>
    public static void DeleteStaging(LakeLayout staging)
    {
        ArgumentNullException.ThrowIfNull(staging);
        try
        {
            if (Directory.Exists(staging.Root))
            {
                Directory.Delete(staging.Root, recursive: true);
            }

            var parent = Path.GetDirectoryName(staging.Root);
            if (parent is not null && Directory.Exists(parent) && !Directory.EnumerateFileSystemEntries(parent).Any())
            {
                Directory.Delete(parent);
            }
        }
        catch (IOException)
        {
            // Another run may be using _staging; leftovers are invisible to readers.
        }
    }

    private static string AsidePath(LakeLayout lake, string dataset, DateOnly date)
    {
        var folder = Path.Combine(lake.Root, StagingFolder, "replaced-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, dataset + "-" + LakeLayout.PartitionFolderName(date));
    }

    private static bool TryExchange(string a, string b)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            return RenameAt2(AtFdCwd, a, AtFdCwd, b, RenameExchange) == 0;
        }
        catch (EntryPointNotFoundException)
        {
            return false; // glibc older than 2.28
        }
        catch (DllNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "renameat2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameAt2(int oldDirFd, string oldPath, int newDirFd, string newPath, uint flags);
}
