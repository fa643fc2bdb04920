using BigDataTrading.Streaming.Cql;
using BigDataTrading.Streaming.Cql.Kafka;

namespace BigDataTrading.Streaming.Tests.Kafka;

/// <summary>The checkpoint folder: owner generations fence stale writers; files of unknown versions are refused by name.</summary>
public sealed class CqlCheckpointStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bdt-ckpt-store-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_write_of_an_older_owner_generation_is_refused_and_the_newer_owners_checkpoint_stays()
    {
        // Two handles on one folder: two processes of a consumer group.
        var stale = new FileCqlCheckpointStore(_dir);
        var current = new FileCqlCheckpointStore(_dir);
        var old = stale.Claim("md.ticks", 3);
        Assert.True(stale.Save(Checkpoint(3, 10, old, [1])).Saved);

        var now = current.Claim("md.ticks", 3);
        Assert.Equal(old + 1, now);
        Assert.Equal(10, current.Load("md.ticks", 3)!.NextOffset);
        Assert.True(current.Save(Checkpoint(3, 20, now, [2])).Saved);

        var refused = stale.Save(Checkpoint(3, 15, old, [3]));
        Assert.Equal(new CqlCheckpointSave(CqlCheckpointOutcome.Fenced, now), refused);
        var kept = stale.Load("md.ticks", 3)!;
        Assert.Equal((20L, now, (byte)2), (kept.NextOffset, kept.Generation, kept.State[0]));

        // Other partitions have generations of their own.
        Assert.Equal(1, stale.Claim("md.ticks", 4));
    }

    [Fact]
    public void A_write_with_a_generation_that_was_never_claimed_is_an_error()
    {
        var store = new FileCqlCheckpointStore(_dir);
        var generation = store.Claim("md.ticks", 0);
        var error = Assert.Throws<InvalidOperationException>(() => store.Save(Checkpoint(0, 1, generation + 1, [])));
        Assert.Contains("claim the partition", error.Message, StringComparison.Ordinal);
        Assert.Null(store.Load("md.ticks", 0));
    }

    [Fact]
    public async Task Concurrent_claims_through_two_handles_get_distinct_generations()
    {
        var a = new FileCqlCheckpointStore(_dir);
        var b = new FileCqlCheckpointStore(_dir);
        using var start = new Barrier(2);
        List<long> Claims(FileCqlCheckpointStore store)
        {
            start.SignalAndWait();
            return [.. Enumerable.Range(0, 100).Select(_ => store.Claim("md.ticks", 0))];
        }

        var claims = await Task.WhenAll(Task.Run(() => Claims(a)), Task.Run(() => Claims(b)));
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), claims.SelectMany(c => c).Order());
        Assert.Equal(200, a.OwnerGeneration("md.ticks", 0));
    }

    [Fact]
    public void A_checkpoint_file_of_version_1_is_refused_with_the_file_named_and_what_to_do()
    {
        var store = new FileCqlCheckpointStore(_dir);
        var path = store.PathOf("md.ticks", 0);
        using (var writer = new BinaryWriter(File.Create(path)))
        {
            writer.Write("BDTCQLC1"u8);
            writer.Write("md.ticks");
            writer.Write(0);
            writer.Write(5L);
            writer.Write(false);
            writer.Write("ABC");
            writer.Write(0);
        }

        var error = Assert.Throws<InvalidDataException>(() => store.Load("md.ticks", 0));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("version-1", error.Message, StringComparison.Ordinal);
        Assert.Contains("Delete it", error.Message, StringComparison.Ordinal);

        File.WriteAllBytes(path, "BDTCQLC9 and more"u8.ToArray());
        error = Assert.Throws<InvalidDataException>(() => store.Load("md.ticks", 0));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    private static CqlCheckpoint Checkpoint(int partition, long offset, long generation, byte[] state) =>
        new("md.ticks", partition, offset, Completed: false, CqlSnapshots.Fingerprint("script"), state) { Generation = generation };
}
