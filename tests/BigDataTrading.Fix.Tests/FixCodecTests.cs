using System.Text;
using BigDataTrading.Fix;

namespace BigDataTrading.Fix.Tests;

public sealed class FixCodecTests
{
    private static readonly DateTimeOffset Time = new(2025, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);

    private static readonly FixHeader Header = new("BDT", "BDTX", 1, Time);

    private static readonly NewOrderSingle LimitBuy = new()
    {
        ClOrdId = "ORD1",
        Symbol = "AAPL",
        Side = FixSide.Buy,
        TransactTime = Time,
        OrderQty = 100m,
        OrdType = FixOrdType.Limit,
        Price = 150.25m,
        TimeInForce = FixTimeInForce.Day,
    };

    internal static byte[] Soh(string pipeDelimited) => Encoding.ASCII.GetBytes(pipeDelimited.Replace('|', '\u0001'));

    [Fact]
    public void NewOrderSingle_encodes_to_the_exact_bytes_with_hand_computed_body_length_and_checksum()
    {
        // BodyLength: the 13 fields from "35=D|" through "59=0|" are 123 bytes
        // (5+7+8+5+25 header, 8+8+5+25+7+5+10+5 body); CheckSum: byte sum of everything before "10=" mod 256 = 254
        // (computed independently of this codebase).
        // Header after 35 in ascending tag order (34, 49, 52, 56), as QuickFIX writes it.
        var expected = "8=FIX.4.4|9=123|35=D|34=1|49=BDT|52=20250102-03:04:05.678|56=BDTX|"
            + "11=ORD1|55=AAPL|54=1|60=20250102-03:04:05.678|38=100|40=2|44=150.25|59=0|10=254|";

        var bytes = LimitBuy.Encode(Header);

        Assert.Equal(expected, Encoding.ASCII.GetString(bytes).Replace('\u0001', '|'));
    }

    [Fact]
    public void SendingTime_is_written_in_utc_with_milliseconds_whatever_the_offset()
    {
        var local = new DateTimeOffset(2025, 1, 2, 5, 4, 5, 678, TimeSpan.FromHours(2));

        var message = FixMessage.Parse(new FixMessageBuilder(FixMsgType.Heartbeat).Build(Header with { SendingTime = local }));

        Assert.Equal("20250102-03:04:05.678", message.GetString(FixTag.SendingTime));
    }

    [Fact]
    public void NewOrderSingle_round_trips_through_bytes()
    {
        var market = LimitBuy with { ClOrdId = "ORD2", OrdType = FixOrdType.Market, Price = null, Side = FixSide.Sell, OrderQty = 0.125m, TimeInForce = FixTimeInForce.ImmediateOrCancel };

        foreach (var order in new[] { LimitBuy, market })
        {
            var parsed = FixMessage.Parse(order.Encode(Header));

            Assert.True(NewOrderSingle.TryParse(parsed, out var decoded, out var error), error);
            Assert.Equal(order, decoded);
        }
    }

    [Fact]
    public void ExecutionReport_round_trips_with_and_without_optional_fields()
    {
        var fill = new ExecutionReport
        {
            OrderId = "X-O1",
            ClOrdId = "ORD1",
            ExecId = "X-E2",
            ExecType = FixExecType.Trade,
            OrdStatus = FixOrdStatus.Filled,
            Symbol = "AAPL",
            Side = FixSide.Buy,
            OrderQty = 100m,
            Price = 150.25m,
            LastQty = 100m,
            LastPx = 150.25m,
            LeavesQty = 0m,
            CumQty = 100m,
            AvgPx = 150.25m,
            TransactTime = Time,
        };
        var reject = fill with { ExecType = FixExecType.Rejected, OrdStatus = FixOrdStatus.Rejected, Price = null, LastQty = 0, LastPx = 0, CumQty = 0, AvgPx = 0, Text = "OrderQty must be positive" };

        foreach (var report in new[] { fill, reject })
        {
            var parsed = FixMessage.Parse(report.Encode(Header));

            Assert.True(ExecutionReport.TryParse(parsed, out var decoded, out var error), error);
            Assert.Equal(report, decoded);
        }
    }

    [Fact]
    public void OrderCancelRequest_round_trips_through_bytes()
    {
        var cancel = new OrderCancelRequest { OrigClOrdId = "ORD1", ClOrdId = "CXL1", Symbol = "AAPL", Side = FixSide.Buy, TransactTime = Time, OrderQty = 100m };

        Assert.True(OrderCancelRequest.TryParse(FixMessage.Parse(cancel.Encode(Header)), out var decoded, out var error), error);
        Assert.Equal(cancel, decoded);
    }

    [Fact]
    public void Parsed_message_reads_typed_values_straight_from_the_bytes()
    {
        var message = FixMessage.Parse(LimitBuy.Encode(Header with { MsgSeqNum = 42 }));

        Assert.Equal(FixMsgType.NewOrderSingle, message.MsgType);
        Assert.Same(FixMsgType.NewOrderSingle, message.MsgType);
        Assert.Equal(42, message.MsgSeqNum);
        Assert.True(message.TryGetDecimal(FixTag.Price, out var price));
        Assert.Equal(150.25m, price);
        Assert.True(message.TryGetLong(FixTag.OrderQty, out var qty));
        Assert.Equal(100, qty);
        Assert.True(message.TryGetChar(FixTag.Side, out var side));
        Assert.Equal('1', side);
        Assert.True(message.TryGetTimestamp(FixTag.TransactTime, out var transactTime));
        Assert.Equal(Time, transactTime);
        Assert.True(message.ValueEquals(FixTag.Symbol, "AAPL"));
        Assert.False(message.ValueEquals(FixTag.Symbol, "AAP"));
        Assert.False(message.TryGetInt(FixTag.Text, out _));
        Assert.False(message.TryGetInt(FixTag.Symbol, out _));
        Assert.Null(message.GetString(FixTag.Text));
        Assert.Equal(FixTag.BeginString, message.GetTagAt(0));
        Assert.Equal(FixTag.CheckSum, message.GetTagAt(message.FieldCount - 1));
    }

    [Fact]
    public void NewOrderSingle_missing_a_required_field_fails_to_decode_with_its_name()
    {
        var builder = new FixMessageBuilder(FixMsgType.NewOrderSingle)
            .Set(FixTag.ClOrdId, "ORD1").Set(FixTag.Side, '1').SetTimestamp(FixTag.TransactTime, Time)
            .Set(FixTag.OrderQty, 1m).Set(FixTag.OrdType, '2');

        Assert.False(NewOrderSingle.TryParse(FixMessage.Parse(builder.Build(Header)), out _, out var error));
        Assert.Equal("Symbol(55) is missing", error);
    }

    [Theory]
    [InlineData("a\u0001b")]
    [InlineData("line\nbreak")]
    [InlineData("")]
    public void Builder_refuses_values_that_would_break_framing_or_the_log(string value)
    {
        Assert.ThrowsAny<ArgumentException>(() => new FixMessageBuilder(FixMsgType.NewOrderSingle).Set(FixTag.Text, value));
    }

    [Fact]
    public void Parse_rejects_a_frame_with_trailing_bytes()
    {
        var bytes = LimitBuy.Encode(Header).Concat("x"u8.ToArray()).ToArray();

        Assert.Throws<FormatException>(() => FixMessage.Parse(bytes));
    }

    [Fact]
    public void TryWrite_into_a_reused_buffer_matches_Build_and_refuses_a_buffer_that_is_too_small()
    {
        var builder = LimitBuy.ToBuilder();
        var expected = builder.Build(Header);
        var buffer = new byte[512];

        Assert.True(builder.TryWrite(Header, buffer, out var written));
        Assert.Equal(expected, buffer[..written]);
        Assert.False(builder.TryWrite(Header, new byte[expected.Length - 1], out var none));
        Assert.Equal(0, none);
    }

    [Fact]
    public void Extra_header_fields_and_possdup_are_written_after_target_comp_id_in_tag_order()
    {
        var builder = new FixMessageBuilder(FixMsgType.Heartbeat).SetHeaderField(FixTag.DeliverToSubId, "CS").SetHeaderField(FixTag.DeliverToCompId, "JCD");

        var text = Encoding.ASCII.GetString(builder.Build(Header with { PossDupFlag = true, BeginString = FixVersions.Fix42 })).Replace('\u0001', '|');

        Assert.StartsWith("8=FIX.4.2|9=", text, StringComparison.Ordinal);
        Assert.Contains("|35=0|34=1|43=Y|49=BDT|52=20250102-03:04:05.678|56=BDTX|122=20250102-03:04:05.678|128=JCD|129=CS|10=", text, StringComparison.Ordinal);
    }

    [Fact]
    public void View_parses_and_the_reused_builder_encodes_without_allocating()
    {
        var frame = LimitBuy.Encode(Header);
        var view = new FixMessageView();
        var builder = new FixMessageBuilder(FixMsgType.NewOrderSingle);
        var buffer = new byte[512];
        long RoundTrip()
        {
            Assert.True(view.TryLoad(frame, out _));
            view.TryGetValue(FixTag.ClOrdId, out var clOrdId);
            view.TryGetDecimal(FixTag.Price, out var price);
            view.TryGetTimestamp(FixTag.TransactTime, out var time);
            builder.Clear();
            builder.Set(FixTag.ClOrdId, clOrdId).Set(FixTag.Price, price).SetTimestamp(FixTag.TransactTime, time);
            builder.TryWrite(Header, buffer, out var written);
            return written;
        }

        RoundTrip(); // first use grows nothing but JIT-compiles
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            RoundTrip();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal((FixMsgType.NewOrderSingle, 1), (view.MsgType, view.MsgSeqNum));
        Assert.False(view.TryLoad(frame.AsMemory(0, frame.Length - 1), out var error));
        Assert.NotNull(error);
    }
}
