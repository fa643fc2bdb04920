using System.Text;
using BigDataTrading.Fix;

namespace BigDataTrading.Fix.Tests;

public sealed class FixFrameReaderTests
{
    private static byte[] Heartbeat(int seq) =>
        new FixMessageBuilder(FixMsgType.Heartbeat).Build(new FixHeader("A", "B", seq, new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero)));

    private static List<FixFrameResult> Drain(FixFrameReader reader)
    {
        var results = new List<FixFrameResult>();
        while (reader.TryReadNext(out var result))
        {
            results.Add(result);
        }

        return results;
    }

    [Fact]
    public void A_frame_arriving_one_byte_at_a_time_is_returned_only_when_complete()
    {
        var frame = Heartbeat(7);
        var reader = new FixFrameReader(initialCapacity: 16);

        for (var i = 0; i < frame.Length - 1; i++)
        {
            reader.Append(frame.AsSpan(i, 1));
            Assert.Empty(Drain(reader));
        }

        reader.Append(frame.AsSpan(frame.Length - 1));
        var result = Assert.Single(Drain(reader));
        Assert.Equal(7, result.Message!.MsgSeqNum);
        Assert.Equal(0, reader.BufferedBytes);
    }

    [Fact]
    public void Two_messages_and_the_start_of_a_third_in_one_read_yield_two_then_the_third_after_the_rest()
    {
        var third = Heartbeat(3);
        var reader = new FixFrameReader();
        reader.Append([.. Heartbeat(1), .. Heartbeat(2), .. third.AsSpan(0, 20)]);

        Assert.Equal([1, 2], Drain(reader).Select(r => r.Message!.MsgSeqNum));

        reader.Append(third.AsSpan(20));
        Assert.Equal(3, Assert.Single(Drain(reader)).Message!.MsgSeqNum);
    }

    [Fact]
    public void A_bad_checksum_is_reported_and_the_frame_discarded_and_the_next_message_still_read()
    {
        var bad = Heartbeat(1);
        bad[^2] = bad[^2] == (byte)'9' ? (byte)'0' : (byte)(bad[^2] + 1);
        var reader = new FixFrameReader();
        reader.Append([.. bad, .. Heartbeat(2)]);

        var results = Drain(reader);

        Assert.Equal(2, results.Count);
        Assert.Equal(FixFrameErrorKind.ChecksumMismatch, results[0].Error!.Kind);
        Assert.Equal(bad.Length, results[0].Error!.DiscardedBytes);
        Assert.Equal(2, results[1].Message!.MsgSeqNum);
    }

    private static byte[] WithBodyLengthOff(byte[] good, int delta)
    {
        var text = Encoding.ASCII.GetString(good);
        var declared = int.Parse(text.Split('\u0001')[1][2..], System.Globalization.CultureInfo.InvariantCulture);
        return Encoding.ASCII.GetBytes(text.Replace($"\u00019={declared}\u0001", $"\u00019={declared + delta}\u0001", StringComparison.Ordinal));
    }

    [Fact]
    public void A_body_length_too_short_discards_only_its_own_message_through_its_checksum_field()
    {
        var bad = WithBodyLengthOff(Heartbeat(1), -3);
        var reader = new FixFrameReader();
        reader.Append([.. bad, .. Heartbeat(2), .. Heartbeat(3)]);

        var results = Drain(reader);

        Assert.Equal(FixFrameErrorKind.BodyLengthMismatch, results[0].Error!.Kind);
        Assert.Equal(bad.Length, results[0].Error!.DiscardedBytes);
        Assert.Equal([2, 3], results.Skip(1).Select(r => r.Message!.MsgSeqNum));
    }

    [Fact]
    public void A_body_length_too_long_runs_through_the_next_checksum_field_and_swallows_the_message_it_reaches_into()
    {
        // QuickFIX's framing, which the FIX session test case 2m (acceptance script 2m_BodyLengthValueNotCorrect)
        // expects: the garbled frame ends at the first CheckSum field after its declared length.
        var bad = WithBodyLengthOff(Heartbeat(1), +3);
        var swallowed = Heartbeat(2);
        var reader = new FixFrameReader();
        reader.Append([.. bad, .. swallowed.AsSpan(0, 2)]);
        Assert.Empty(Drain(reader)); // the declared length ends inside bytes not received yet

        reader.Append([.. swallowed.AsSpan(2), .. Heartbeat(3)]);
        var results = Drain(reader);

        Assert.Equal(FixFrameErrorKind.BodyLengthMismatch, results[0].Error!.Kind);
        Assert.Equal(bad.Length + swallowed.Length, results[0].Error!.DiscardedBytes);
        Assert.Equal(3, Assert.Single(results.Skip(1)).Message!.MsgSeqNum);
    }

    [Fact]
    public void A_body_length_mismatch_waits_for_the_checksum_field_that_ends_the_frame()
    {
        var bad = WithBodyLengthOff(Heartbeat(1), -3);
        var reader = new FixFrameReader();
        reader.Append(bad.AsSpan(0, bad.Length - 2));
        Assert.Empty(Drain(reader));

        reader.Append(bad.AsSpan(bad.Length - 2));
        Assert.Equal(FixFrameErrorKind.BodyLengthMismatch, Assert.Single(Drain(reader)).Error!.Kind);
        Assert.Equal(0, reader.BufferedBytes);
    }

    [Fact]
    public void Garbage_before_a_message_is_reported_once_then_the_message_is_read()
    {
        var reader = new FixFrameReader();
        reader.Append([.. "hello\r\nnoise 8=FIX"u8, .. Heartbeat(1)]);

        var results = Drain(reader);

        Assert.Equal(2, results.Count);
        Assert.Equal(FixFrameErrorKind.Garbage, results[0].Error!.Kind);
        Assert.Equal("hello\r\nnoise 8=FIX"u8.Length, results[0].Error!.DiscardedBytes);
        Assert.Equal(1, results[1].Message!.MsgSeqNum);
    }

    [Fact]
    public void Garbage_ending_in_a_partial_prefix_keeps_the_prefix_bytes_for_the_next_read()
    {
        var frame = Heartbeat(1);
        var reader = new FixFrameReader();
        reader.Append([.. "junk"u8, .. frame.AsSpan(0, 6)]);

        var garbage = Assert.Single(Drain(reader));
        Assert.Equal(4, garbage.Error!.DiscardedBytes);

        reader.Append(frame.AsSpan(6));
        Assert.Equal(1, Assert.Single(Drain(reader)).Message!.MsgSeqNum);
    }

    [Fact]
    public void A_fix42_frame_is_read_and_reports_its_begin_string()
    {
        var reader = new FixFrameReader();
        reader.Append(new FixMessageBuilder(FixMsgType.Heartbeat).Build(new FixHeader("A", "B", 1, DateTimeOffset.UnixEpoch, BeginString: FixVersions.Fix42)));

        var message = Assert.Single(Drain(reader)).Message!;

        Assert.Equal(FixVersions.Fix42, message.BeginString);
        Assert.Same(FixVersions.Fix42, message.BeginString);
    }

    [Fact]
    public void A_begin_string_that_is_not_fix_is_garbage()
    {
        var reader = new FixFrameReader();
        reader.Append(Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(Heartbeat(1)).Replace("FIX.4.4", "FOO.4.4", StringComparison.Ordinal)));

        var results = Drain(reader);

        Assert.All(results, r => Assert.Equal(FixFrameErrorKind.Garbage, r.Error!.Kind));
        Assert.DoesNotContain(results, r => r.Message is not null);
    }

    [Fact]
    public void Empty_values_and_signed_tags_are_indexed_for_the_session_to_reject_but_a_non_numeric_tag_is_garbled()
    {
        static byte[] Frame(string body)
        {
            var head = $"8=FIX.4.4\u00019={body.Length}\u0001";
            var sum = Encoding.ASCII.GetBytes(head + body).Sum(b => b) % 256;
            return Encoding.ASCII.GetBytes($"{head}{body}10={sum:000}\u0001");
        }

        var reader = new FixFrameReader();
        reader.Append(Frame("35=0\u000149=A\u000156=\u0001-1=X\u00010=Y\u0001"));
        reader.Append(Frame("35=0\u00014garbled9=A\u0001"));

        var results = Drain(reader);

        var message = results[0].Message!;
        Assert.True(message.TryGetValue(FixTag.TargetCompId, out var empty) && empty.IsEmpty);
        Assert.Equal([-1, 0], [message.GetTagAt(5), message.GetTagAt(6)]);
        Assert.Equal(FixFrameErrorKind.MalformedField, results[1].Error!.Kind);
    }

    [Fact]
    public void MsgType_not_third_is_reported_as_malformed()
    {
        // Hand-built: 49 before 35 with correct length and checksum.
        var body = "49=A\u000135=0\u000156=B\u000134=1\u0001";
        var head = $"8=FIX.4.4\u00019={body.Length}\u0001";
        var sum = Encoding.ASCII.GetBytes(head + body).Sum(b => b) % 256;
        var reader = new FixFrameReader();
        reader.Append(Encoding.ASCII.GetBytes($"{head}{body}10={sum:000}\u0001"));

        Assert.Equal(FixFrameErrorKind.MalformedField, Assert.Single(Drain(reader)).Error!.Kind);
    }
}
