using System.Text;
using BigDataTrading.Fix;
using BigDataTrading.Fix.Logging;

namespace BigDataTrading.Fix.Tests;

public sealed class FixLogReaderTests
{
    private static byte[] Message(int seq, string text) =>
        new FixMessageBuilder(FixMsgType.Heartbeat).Set(FixTag.Text, text)
            .Build(new FixHeader("A", "B", seq, new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero)));

    [Fact]
    public void Each_line_is_returned_with_its_direction_and_whether_body_length_and_checksum_verify()
    {
        var good = Message(1, "ok");
        var badChecksum = Message(2, "tampered");
        badChecksum[Array.IndexOf(badChecksum, (byte)'t')] = (byte)'T';
        var badLength = Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(Message(3, "x")).Replace("\u00019=", "\u00019=1", StringComparison.Ordinal));
        using var content = new MemoryStream();
        void Line(string prefix, byte[] raw)
        {
            content.Write(Encoding.ASCII.GetBytes(prefix));
            content.Write(raw);
            content.WriteByte((byte)'\n');
        }

        Line("2025-01-02T03:04:05.0000000Z OUT ", good);
        Line("2025-01-02T03:04:06.0000000Z IN ", badChecksum);
        Line("2025-01-02T03:04:07.0000000Z IN ", badLength);
        Line("2025-01-02T03:04:08.0000000Z ERR ", "ChecksumMismatch: something"u8.ToArray());

        var entries = FixLogReader.Parse(content.ToArray());

        Assert.Equal(4, entries.Count);
        Assert.Equal((FixLogDirection.Out, true, true), (entries[0].Direction, entries[0].BodyLengthValid, entries[0].ChecksumValid));
        Assert.Equal(1, entries[0].Message!.MsgSeqNum);
        Assert.Equal(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero), entries[0].Timestamp);
        Assert.Equal((FixLogDirection.In, true, false), (entries[1].Direction, entries[1].BodyLengthValid, entries[1].ChecksumValid));
        Assert.Null(entries[1].Message);
        Assert.False(entries[2].BodyLengthValid);
        Assert.False(entries[2].ChecksumValid); // the checksum also covers the edited length digit
        Assert.Equal((FixLogDirection.Error, "ChecksumMismatch: something"), (entries[3].Direction, entries[3].Text));
        Assert.False(entries[3].IsValid);
    }

    [Fact]
    public void A_text_value_containing_a_newline_does_not_split_the_message()
    {
        // The builder refuses newlines, so build the frame by hand; the reader uses BodyLength to find the end.
        var body = "35=0\u000149=A\u000156=B\u000134=1\u000152=20250102-03:04:05.000\u000158=two\nlines\u0001";
        var head = $"8=FIX.4.4\u00019={body.Length}\u0001";
        var sum = Encoding.ASCII.GetBytes(head + body).Sum(b => b) % 256;
        var line = $"2025-01-02T03:04:05.0000000Z IN {head}{body}10={sum:000}\u0001\n";

        var entry = Assert.Single(FixLogReader.Parse(Encoding.ASCII.GetBytes(line)));

        Assert.True(entry.IsValid);
        Assert.Equal("two\nlines", entry.Message!.GetString(FixTag.Text));
    }
}
