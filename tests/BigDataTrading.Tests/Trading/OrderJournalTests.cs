using System.Text;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Orders;
using BigDataTrading.Core.Time;
using BigDataTrading.Trading.Journal;
using BigDataTrading.Trading.Orders;

namespace BigDataTrading.Tests.Trading;

/// <summary>The order journal's frozen format, torn-tail truncation and corruption detection, on real files.</summary>
public sealed class OrderJournalTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bdt-journal-").FullName;

    private string JournalPath => Path.Combine(_dir, "orders.journal");

    private static Order O(string id) =>
        new(new ClientOrderId(id), Symbol.Parse("SPY"), Side.Buy, 100, OrderType.Limit, Price.FromDecimal(100.05m), TimeInForce.Day, new Timestamp(1_700_000_000_000_000_000), id);

    private static VenueExecution Fill(string id, string execId) => new(
        OrderStateEvent.Trade,
        new ExecutionReport(new ClientOrderId(id), "X-O1", execId, ExecutionKind.Trade, OrderStatus.Filled, Symbol.Parse("SPY"), Side.Buy, 100, Price.FromDecimal(100.05m), 100, 0, new Timestamp(1_700_000_000_500_000_000), null),
        OrderState.Filled,
        100.05m);

    private void WriteThree()
    {
        using var journal = OrderJournal.Open(JournalPath, out var replay);
        Assert.Empty(replay.Records);
        journal.AppendIntent(new OrderIntentRecord(O("A"), "Accepted", null));
        journal.AppendExecution(Fill("A", "E1"));
        journal.AppendIntent(new OrderIntentRecord(O("B"), "Rejected", "MaxOrderQuantity: quantity 100 > limit 50"));
    }

    [Fact]
    public void Records_come_back_in_append_order_with_their_values_after_a_reopen()
    {
        WriteThree();

        using var journal = OrderJournal.Open(JournalPath, out var replay);
        Assert.Equal(0, replay.TruncatedBytes);
        Assert.Collection(
            replay.Records,
            r => Assert.Equal(new OrderIntentRecord(O("A"), "Accepted", null), r),
            r => Assert.Equal(Fill("A", "E1"), r),
            r => Assert.Equal(("B", "Rejected"), (((OrderIntentRecord)r).Order.ClientOrderId.Value, ((OrderIntentRecord)r).Decision)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(20)]
    public void A_record_torn_by_a_crash_is_truncated_and_the_journal_stays_appendable(int bytesOfLastRecordKept)
    {
        WriteThree();
        var lengthWithTwo = RecordEnd(2);
        using (var file = new FileStream(JournalPath, FileMode.Open))
        {
            file.SetLength(lengthWithTwo + bytesOfLastRecordKept);
        }

        using (var journal = OrderJournal.Open(JournalPath, out var replay))
        {
            Assert.Equal(2, replay.Records.Count);
            Assert.Equal(bytesOfLastRecordKept, replay.TruncatedBytes);
            Assert.Equal(lengthWithTwo, new FileInfo(JournalPath).Length);
            journal.AppendIntent(new OrderIntentRecord(O("C"), "Accepted", null));
        }

        using var reopened = OrderJournal.Open(JournalPath, out var again);
        Assert.Equal(["A", "A", "C"], again.Records.Select(r => r is OrderIntentRecord i ? i.Order.ClientOrderId.Value : ((VenueExecution)r).Report.ClientOrderId.Value));
    }

    [Fact]
    public void A_last_record_with_a_wrong_checksum_is_a_torn_tail()
    {
        WriteThree();
        FlipByte(new FileInfo(JournalPath).Length - 3);

        using var journal = OrderJournal.Open(JournalPath, out var replay);
        Assert.Equal(2, replay.Records.Count);
        Assert.Equal(new FileInfo(JournalPath).Length, RecordEnd(2));
    }

    [Fact]
    public void A_damaged_record_with_intact_records_after_it_is_corruption_not_a_torn_write()
    {
        WriteThree();
        var secondRecordPayload = RecordEnd(1) + 12;
        FlipByte(secondRecordPayload);

        var ex = Assert.Throws<JournalCorruptException>(() => OrderJournal.Open(JournalPath, out _));
        Assert.Contains($"record at byte {RecordEnd(1)}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("checksum mismatch", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_a_journal_is_refused()
    {
        File.WriteAllText(JournalPath, "this is somebody's notes, not an order journal");
        var ex = Assert.Throws<JournalCorruptException>(() => OrderJournal.Open(JournalPath, out _));
        Assert.Contains("not an order journal", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_record_format_is_frozen_length_crc32c_kind_json()
    {
        // CRC-32C check value from the standard ("123456789" → E3069283).
        Assert.Equal(0xE3069283u, Crc32CProbe("123456789"u8));

        var record = OrderJournal.EncodeRecord(JournalRecordKind.Action, "{}"u8);
        Assert.Equal("03000000" + Convert.ToHexString(BitConverter.GetBytes(Crc32CProbe([3, 0, 0, 0, 3, (byte)'{', (byte)'}']))) + "037B7D", Convert.ToHexString(record));

        WriteThree();
        var bytes = File.ReadAllBytes(JournalPath);
        Assert.Equal("BDTJRNL\0"u8.ToArray(), bytes[..8]);
        Assert.Equal([1, 0, 0, 0], bytes[8..12]);
        Assert.Equal((byte)JournalRecordKind.Intent, bytes[16 + 8]);
        Assert.StartsWith("{\"order\":{\"clientOrderId\":\"A\"", Encoding.UTF8.GetString(bytes, 16 + 9, 40), StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>CRC-32C computed here independently (bitwise), so the journal's table version is checked against it.</summary>
    private static uint Crc32CProbe(ReadOnlySpan<byte> data)
    {
        var crc = ~0u;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
            }
        }

        return ~crc;
    }

    /// <summary>File offset where record number <paramref name="count"/> ends (16-byte header, then length-prefixed records).</summary>
    private long RecordEnd(int count)
    {
        var bytes = File.ReadAllBytes(JournalPath);
        long offset = 16;
        for (var i = 0; i < count; i++)
        {
            offset += 8 + BitConverter.ToUInt32(bytes, (int)offset);
        }

        return offset;
    }

    private void FlipByte(long offset)
    {
        using var file = new FileStream(JournalPath, FileMode.Open);
        file.Position = offset;
        var b = file.ReadByte();
        file.Position = offset;
        file.WriteByte((byte)(b ^ 0x5A));
    }
}
