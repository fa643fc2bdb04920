namespace BigDataTrading.Fix.Tests;

/// <summary>The built-in (lenient) dictionary: structure, empty values, formats and admin fields, not venue-specific tags.</summary>
public sealed class DataDictionaryTests
{
    private static FixMessage Message(FixMessageBuilder builder, string target = "B") =>
        FixMessage.Parse(builder.Build(new FixHeader("A", target, 2, DateTimeOffset.UtcNow)));

    [Fact]
    public void Built_in_dictionary_accepts_unknown_tags_and_message_types_but_checks_admin_required_fields()
    {
        var dictionary = FixDataDictionary.Fix44;

        Assert.Null(dictionary.Validate(Message(new FixMessageBuilder("U7").Set(9999, "custom"))));
        Assert.Equal(new FixValidationError(FixSessionRejectReason.RequiredTagMissing, FixTag.TestReqId), dictionary.Validate(Message(new FixMessageBuilder(FixMsgType.TestRequest))));
        Assert.Equal(new FixValidationError(FixSessionRejectReason.IncorrectDataFormat, FixTag.OrderQty), dictionary.Validate(Message(new FixMessageBuilder(FixMsgType.NewOrderSingle).Set(FixTag.OrderQty, "+5"))));
        Assert.Equal("Incorrect data format for value", FixValidationError.TextFor(FixSessionRejectReason.IncorrectDataFormat));
    }

    [Fact]
    public void Header_field_after_a_body_field_is_out_of_order()
    {
        var body = new FixMessageBuilder(FixMsgType.Heartbeat).Set(FixTag.TestReqId, "x");
        var raw = System.Text.Encoding.ASCII.GetString(body.Build(new FixHeader("A", "B", 2, DateTimeOffset.UtcNow)));
        // Move 34 behind 112 and re-frame.
        var fields = raw.Split('\u0001', StringSplitOptions.RemoveEmptyEntries).ToList();
        var seq = fields.Single(f => f.StartsWith("34=", StringComparison.Ordinal));
        fields.Remove(seq);
        fields.Insert(fields.FindIndex(f => f.StartsWith("10=", StringComparison.Ordinal)), seq);
        var inner = string.Concat(fields.Skip(2).SkipLast(1).Select(f => f + "\u0001"));
        var head = $"8=FIX.4.4\u00019={inner.Length}\u0001";
        var sum = System.Text.Encoding.ASCII.GetBytes(head + inner).Sum(b => b) % 256;
        var message = FixMessage.Parse(System.Text.Encoding.ASCII.GetBytes($"{head}{inner}10={sum:000}\u0001"));

        Assert.Equal(new FixValidationError(FixSessionRejectReason.TagSpecifiedOutOfRequiredOrder, FixTag.MsgSeqNum), FixDataDictionary.Fix44.Validate(message));
    }
}
