using BigDataTrading.Warehouse;
using Xunit;

namespace BigDataTrading.Data.Tests;

public sealed class LakeLocatorTests
{
    [Fact]
    public void The_newest_demo_run_with_a_lake_is_chosen()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(temp.Path, "run-20240101-090000-000", "lake"));
        Directory.CreateDirectory(Path.Combine(temp.Path, "run-20240301-090000-000", "lake"));
        Directory.CreateDirectory(Path.Combine(temp.Path, "run-20240401-090000-000")); // a run that failed before writing a lake

        Assert.Equal(Path.Combine(temp.Path, "run-20240301-090000-000", "lake"), LakeLocator.NewestDemoLake(temp.Path));
        Assert.Null(LakeLocator.NewestDemoLake(Path.Combine(temp.Path, "absent")));
    }

    [Fact]
    public void Replacing_a_partition_swaps_in_the_staged_folder_and_leaves_no_staging_behind()
    {
        using var temp = new TempDirectory();
        var lake = new LakeLayout(temp.Path);
        var date = new DateOnly(2024, 3, 12);
        var target = Directory.CreateDirectory(lake.PartitionPath("bars_1s", date)).FullName;
        File.WriteAllText(Path.Combine(target, "part-old-00000.parquet"), "old");
        var staging = LakePartitionSwap.StagingLake(lake, "run-1");
        var staged = Directory.CreateDirectory(staging.PartitionPath("bars_1s", date)).FullName;
        File.WriteAllText(Path.Combine(staged, "part-new-00000.parquet"), "new");

        Assert.True(LakePartitionSwap.Replace(lake, "bars_1s", date, staged));
        LakePartitionSwap.DeleteStaging(staging);

        Assert.Equal([Path.Combine(target, "part-new-00000.parquet")], lake.ListPartFiles("bars_1s"));
        Assert.False(Directory.Exists(Path.Combine(temp.Path, "_staging")));
        Assert.Equal(["bars_1s"], lake.ListDatasets());
        // No output at all deletes the partition.
        Assert.True(LakePartitionSwap.Replace(lake, "bars_1s", date, null));
        Assert.Empty(lake.ListPartitions("bars_1s"));
    }
}
