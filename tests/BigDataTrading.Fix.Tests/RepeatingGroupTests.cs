using System.Globalization;
using System.Text;
using BigDataTrading.Fix.Tests.Conformance;

namespace BigDataTrading.Fix.Tests;

/// <summary>
/// Repeating groups: encoding with the builder (exact bytes), decoding instance by instance, validation against a
/// loaded data dictionary with the FIX SessionRejectReason for each violation, and the session-level Reject on the wire.
/// </summary>
public sealed class RepeatingGroupTests
{
    private static readonly DateTimeOffset Time = new(2025, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);
    private static readonly FixHeader Header = new("BDT", "BDTX", 1, Time);

    /// <summary>
    /// A complete FIX 4.4 dictionary in QuickFIX's XML format, cut down to the admin messages, NewOrderSingle with the
    /// Parties component (NoPartyIDs 453 with nested NoPartySubIDs 802) and MarketDataSnapshotFullRefresh with
    /// NoMDEntries (268), as in FIX44.xml (checked against the shared copy by the last test).
    /// </summary>
    internal const string SpecXml = """
        <fix type='FIX' major='4' minor='4'>
         <header>
          <field name='BeginString' required='Y' /><field name='BodyLength' required='Y' /><field name='MsgType' required='Y' />
          <field name='SenderCompID' required='Y' /><field name='TargetCompID' required='Y' /><field name='MsgSeqNum' required='Y' />
          <field name='PossDupFlag' required='N' /><field name='PossResend' required='N' /><field name='SendingTime' required='Y' />
          <field name='OrigSendingTime' required='N' />
         </header>
         <trailer><field name='CheckSum' required='Y' /></trailer>
         <messages>
          <message name='Heartbeat' msgtype='0' msgcat='admin'><field name='TestReqID' required='N' /></message>
          <message name='TestRequest' msgtype='1' msgcat='admin'><field name='TestReqID' required='Y' /></message>
          <message name='ResendRequest' msgtype='2' msgcat='admin'><field name='BeginSeqNo' required='Y' /><field name='EndSeqNo' required='Y' /></message>
          <message name='Reject' msgtype='3' msgcat='admin'>
           <field name='RefSeqNum' required='Y' /><field name='RefTagID' required='N' /><field name='RefMsgType' required='N' />
           <field name='SessionRejectReason' required='N' /><field name='Text' required='N' />
          </message>
          <message name='SequenceReset' msgtype='4' msgcat='admin'><field name='GapFillFlag' required='N' /><field name='NewSeqNo' required='Y' /></message>
          <message name='Logout' msgtype='5' msgcat='admin'><field name='Text' required='N' /></message>
          <message name='Logon' msgtype='A' msgcat='admin'>
           <field name='EncryptMethod' required='Y' /><field name='HeartBtInt' required='Y' /><field name='ResetSeqNumFlag' required='N' />
          </message>
          <message name='NewOrderSingle' msgtype='D' msgcat='app'>
           <field name='ClOrdID' required='Y' /><component name='Parties' required='N' /><field name='Symbol' required='Y' />
           <field name='Side' required='Y' /><field name='TransactTime' required='Y' /><field name='OrderQty' required='N' />
           <field name='OrdType' required='Y' /><field name='Price' required='N' />
          </message>
          <message name='MarketDataSnapshotFullRefresh' msgtype='W' msgcat='app'>
           <field name='MDReqID' required='N' /><field name='Symbol' required='Y' />
           <group name='NoMDEntries' required='Y'>
            <field name='MDEntryType' required='Y' /><field name='MDEntryPx' required='N' /><field name='MDEntrySize' required='N' />
           </group>
          </message>
         </messages>
         <components>
          <component name='Parties'>
           <group name='NoPartyIDs' required='N'>
            <field name='PartyID' required='N' /><field name='PartyIDSource' required='N' /><field name='PartyRole' required='N' />
            <component name='PtysSubGrp' required='N' />
           </group>
          </component>
          <component name='PtysSubGrp'>
           <group name='NoPartySubIDs' required='N'><field name='PartySubID' required='N' /><field name='PartySubIDType' required='N' /></group>
          </component>
         </components>
         <fields>
          <field number='7' name='BeginSeqNo' type='SEQNUM' /><field number='8' name='BeginString' type='STRING' />
          <field number='9' name='BodyLength' type='LENGTH' /><field number='10' name='CheckSum' type='STRING' />
          <field number='11' name='ClOrdID' type='STRING' /><field number='16' name='EndSeqNo' type='SEQNUM' />
          <field number='34' name='MsgSeqNum' type='SEQNUM' /><field number='35' name='MsgType' type='STRING' />
          <field number='36' name='NewSeqNo' type='SEQNUM' /><field number='38' name='OrderQty' type='QTY' />
          <field number='40' name='OrdType' type='CHAR'><value enum='1' description='MARKET' /><value enum='2' description='LIMIT' /></field>
          <field number='43' name='PossDupFlag' type='BOOLEAN' /><field number='44' name='Price' type='PRICE' />
          <field number='45' name='RefSeqNum' type='SEQNUM' /><field number='49' name='SenderCompID' type='STRING' />
          <field number='52' name='SendingTime' type='UTCTIMESTAMP' />
          <field number='54' name='Side' type='CHAR'><value enum='1' description='BUY' /><value enum='2' description='SELL' /></field>
          <field number='55' name='Symbol' type='STRING' /><field number='56' name='TargetCompID' type='STRING' />
          <field number='58' name='Text' type='STRING' /><field number='60' name='TransactTime' type='UTCTIMESTAMP' />
          <field number='97' name='PossResend' type='BOOLEAN' /><field number='98' name='EncryptMethod' type='INT' />
          <field number='108' name='HeartBtInt' type='INT' /><field number='112' name='TestReqID' type='STRING' />
          <field number='122' name='OrigSendingTime' type='UTCTIMESTAMP' /><field number='123' name='GapFillFlag' type='BOOLEAN' />
          <field number='141' name='ResetSeqNumFlag' type='BOOLEAN' /><field number='262' name='MDReqID' type='STRING' />
          <field number='268' name='NoMDEntries' type='NUMINGROUP' />
          <field number='269' name='MDEntryType' type='CHAR'><value enum='0' description='BID' /><value enum='1' description='OFFER' /><value enum='2' description='TRADE' /></field>
          <field number='270' name='MDEntryPx' type='PRICE' /><field number='271' name='MDEntrySize' type='QTY' />
          <field number='371' name='RefTagID' type='INT' /><field number='372' name='RefMsgType' type='STRING' />
          <field number='373' name='SessionRejectReason' type='INT' />
          <field number='447' name='PartyIDSource' type='CHAR' /><field number='448' name='PartyID' type='STRING' />
          <field number='452' name='PartyRole' type='INT' /><field number='453' name='NoPartyIDs' type='NUMINGROUP' />
          <field number='523' name='PartySubID' type='STRING' /><field number='802' name='NoPartySubIDs' type='NUMINGROUP' />
          <field number='803' name='PartySubIDType' type='INT' />
         </fields>
        </fix>
        """;

    private static readonly Lazy<FixDataDictionary> s_dictionary = new(() => FixDataDictionary.Load(new MemoryStream(Encoding.UTF8.GetBytes(SpecXml))));

    internal static FixDataDictionary Dictionary => s_dictionary.Value;

    private static FixGroupDefinition Parties => Dictionary.TryGetGroup(FixMsgType.NewOrderSingle, 453, out var group) ? group : throw new InvalidOperationException("453 missing");

    private static FixGroupDefinition PartySubIds => Parties.TryGetNestedGroup(802, out var group) ? group : throw new InvalidOperationException("802 missing");

    private static FixGroupDefinition MdEntries => Dictionary.TryGetGroup("W", 268, out var group) ? group : throw new InvalidOperationException("268 missing");

    private static string Pipes(byte[] frame) => Encoding.ASCII.GetString(frame).Replace('\u0001', '|');

    /// <summary>Frames a pipe-delimited body (from 35= on) with BodyLength and CheckSum computed here, for hand-made malformed groups.</summary>
    internal static FixMessage Frame(string body)
    {
        var inner = body.Replace('|', '\u0001');
        var head = string.Create(CultureInfo.InvariantCulture, $"8=FIX.4.4\u00019={Encoding.ASCII.GetByteCount(inner)}\u0001");
        var sum = Encoding.ASCII.GetBytes(head + inner).Sum(b => b) % 256;
        return FixMessage.Parse(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{head}{inner}10={sum:000}\u0001")));
    }

    private const string NosHeader = "35=D|34=2|49=CLIENT|52=20250102-03:04:05.678|56=BDTX|";
    private const string NosTail = "55=AAPL|54=1|60=20250102-03:04:05.678|38=100|40=2|44=150.25|";

    private static FixMessageBuilder OrderWithParties()
    {
        var builder = new FixMessageBuilder(FixMsgType.NewOrderSingle).Set(FixTag.ClOrdId, "ORD1")
            .BeginGroup(Parties, 2)
            .Set(448, "BROKER1").Set(447, 'D').Set(452, 1L)
            .BeginGroup(PartySubIds, 1).Set(523, "DESK7-A").Set(803, 10L).EndGroup()
            .Set(448, "TRADER9").Set(447, 'D').Set(452, 11L)
            .EndGroup();
        return builder.Set(FixTag.Symbol, "AAPL").Set(FixTag.Side, '1').SetTimestamp(FixTag.TransactTime, Time)
            .Set(FixTag.OrderQty, 100m).Set(FixTag.OrdType, '2').Set(FixTag.Price, 150.25m);
    }

    [Fact]
    public void NoPartyIDs_with_a_nested_NoPartySubIDs_encodes_to_the_exact_bytes_of_a_FIX44_NewOrderSingle()
    {
        // BodyLength 198 and CheckSum 085 computed outside this codebase (Python: len of the body, sum of bytes % 256).
        const string expected = "8=FIX.4.4|9=198|35=D|34=1|49=BDT|52=20250102-03:04:05.678|56=BDTX|11=ORD1|453=2|448=BROKER1|447=D|452=1|"
            + "802=1|523=DESK7-A|803=10|448=TRADER9|447=D|452=11|55=AAPL|54=1|60=20250102-03:04:05.678|38=100|40=2|44=150.25|10=085|";

        var frame = OrderWithParties().Build(Header);

        Assert.Equal(expected, Pipes(frame));
        Assert.Null(Dictionary.Validate(FixMessage.Parse(frame)));
    }

    [Fact]
    public void NoMDEntries_encodes_to_the_exact_bytes_of_a_market_data_snapshot()
    {
        const string expected = "8=FIX.4.4|9=114|35=W|34=1|49=BDT|52=20250102-03:04:05.678|56=BDTX|55=AAPL|268=2|"
            + "269=0|270=187.25|271=500|269=1|270=187.26|271=300|10=024|";

        var frame = new FixMessageBuilder("W").Set(FixTag.Symbol, "AAPL")
            .BeginGroup(MdEntries, 2)
            .Set(269, '0').Set(270, 187.25m).Set(271, 500m)
            .Set(269, '1').Set(270, 187.26m).Set(271, 300m)
            .EndGroup()
            .Build(Header);

        Assert.Equal(expected, Pipes(frame));
        Assert.Null(Dictionary.Validate(FixMessage.Parse(frame)));
    }

    [Fact]
    public void Decoding_reads_each_instance_and_its_nested_group_in_wire_order()
    {
        var message = FixMessage.Parse(OrderWithParties().Build(Header));

        Assert.True(message.TryGetGroup(Parties, out var parties, out var error), error?.Text);

        Assert.Equal(["BROKER1", "TRADER9"], parties.Select(p => p.GetString(448)));
        Assert.Equal([1, 11], parties.Select(p => p.TryGetInt(452, out var role) ? role : -1));
        Assert.True(parties[0].TryGetGroup(PartySubIds, out var subIds, out error), error?.Text);
        Assert.Equal("DESK7-A", Assert.Single(subIds).GetString(523));
        Assert.True(parties[1].TryGetGroup(PartySubIds, out var none, out _));
        Assert.Empty(none);
        Assert.Equal("AAPL", message.GetString(FixTag.Symbol));
    }

    [Fact]
    public void View_reads_market_data_entries_in_place_without_allocating()
    {
        var frame = new FixMessageBuilder("W").Set(FixTag.Symbol, "AAPL")
            .BeginGroup(MdEntries, 3)
            .Set(269, '0').Set(270, 187.25m).Set(271, 500m)
            .Set(269, '1').Set(270, 187.26m).Set(271, 300m)
            .Set(269, '2').Set(270, 187.255m)
            .EndGroup()
            .Build(Header);
        var view = new FixMessageView();
        var entries = MdEntries;
        decimal Sum()
        {
            Assert.True(view.TryLoad(frame, out _));
            Assert.True(view.TryGetGroup(entries, out var instances, out _));
            var sum = 0m;
            foreach (var entry in instances)
            {
                sum += (entry.TryGetDecimal(270, out var px) ? px : 0m) + (entry.TryGetDecimal(271, out var size) ? size : 0m);
            }

            return sum;
        }

        Assert.Equal(187.25m + 500m + 187.26m + 300m + 187.255m, Sum());
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            Sum();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(view.TryGetGroup(entries, out var last, out _));
        Assert.Equal(['0', '1', '2'], last.ToArray().Select(e => e.TryGetChar(269, out var type) ? type : '?'));
        Assert.False(last[2].Contains(271));
        Assert.True(view.TryLoad(FixMessage.Parse(frame).Raw, out _) && view.TryGetGroup(Parties, out var none, out _) && none.IsEmpty);
    }

    [Fact]
    public void Decoding_an_absent_group_gives_no_instances_and_a_malformed_one_gives_the_reject_reason()
    {
        var noParties = Frame(NosHeader + "11=ORD1|" + NosTail);
        var wrongCount = Frame(NosHeader + "11=ORD1|453=3|448=A|448=B|" + NosTail);

        Assert.True(noParties.TryGetGroup(Parties, out var instances, out _));
        Assert.Empty(instances);
        Assert.False(wrongCount.TryGetGroup(Parties, out _, out var error));
        Assert.Equal(new FixValidationError(FixSessionRejectReason.IncorrectNumInGroupCountForRepeatingGroup, 453), error);
    }

    public static TheoryData<string, FixSessionRejectReason, int> MalformedGroups() => new()
    {
        // More instances declared than present, and fewer.
        { "11=ORD1|453=3|448=A|452=1|448=B|452=3|", FixSessionRejectReason.IncorrectNumInGroupCountForRepeatingGroup, 453 },
        { "11=ORD1|453=1|448=A|448=B|", FixSessionRejectReason.IncorrectNumInGroupCountForRepeatingGroup, 453 },
        // A count with no instances at all.
        { "11=ORD1|453=2|", FixSessionRejectReason.IncorrectNumInGroupCountForRepeatingGroup, 453 },
        // The first field of an instance must be the delimiter PartyID(448).
        { "11=ORD1|453=1|452=1|448=A|", FixSessionRejectReason.RepeatingGroupFieldsOutOfOrder, 452 },
        // Members in the definition's order: 447 after 452 is out of order; a member twice in one instance too.
        { "11=ORD1|453=1|448=A|452=1|447=D|", FixSessionRejectReason.RepeatingGroupFieldsOutOfOrder, 447 },
        { "11=ORD1|453=1|448=A|447=D|447=D|", FixSessionRejectReason.RepeatingGroupFieldsOutOfOrder, 447 },
        // Nested group count wrong.
        { "11=ORD1|453=1|448=A|802=2|523=X|", FixSessionRejectReason.IncorrectNumInGroupCountForRepeatingGroup, 802 },
        // A group member outside its group, and a top-level field twice.
        { "11=ORD1|448=A|", FixSessionRejectReason.TagNotDefinedForThisMessageType, 448 },
        { "11=ORD1|11=ORD2|", FixSessionRejectReason.TagAppearsMoreThanOnce, 11 },
        // NumInGroup that is not a number.
        { "11=ORD1|453=x|448=A|", FixSessionRejectReason.IncorrectDataFormat, 453 },
    };

    [Theory]
    [MemberData(nameof(MalformedGroups))]
    public void Malformed_group_fails_validation_with_the_FIX_session_reject_reason(string fields, FixSessionRejectReason reason, int refTagId)
    {
        var message = Frame(NosHeader + fields + NosTail);

        Assert.Equal(new FixValidationError(reason, refTagId), Dictionary.Validate(message));
    }

    [Fact]
    public void Instance_without_a_required_member_fails_with_required_tag_missing()
    {
        var sizes = new FixGroupDefinition(268, [269, 270, 271], requiredMembers: [269, 271]);
        var message = Frame("35=W|34=2|49=CLIENT|52=20250102-03:04:05.678|56=BDTX|55=AAPL|268=2|269=0|270=1.5|271=10|269=1|270=1.6|");

        Assert.False(message.TryGetGroup(sizes, out _, out var error));
        Assert.Equal(new FixValidationError(FixSessionRejectReason.RequiredTagMissing, 271), error);
    }

    [Fact]
    public void Instance_not_starting_with_the_required_delimiter_is_out_of_order()
    {
        var message = Frame("35=W|34=2|49=CLIENT|52=20250102-03:04:05.678|56=BDTX|55=AAPL|268=1|270=1.5|");
        var valid = Frame("35=W|34=2|49=CLIENT|52=20250102-03:04:05.678|56=BDTX|55=AAPL|268=1|269=2|270=1.5|");

        Assert.Equal(new FixValidationError(FixSessionRejectReason.RepeatingGroupFieldsOutOfOrder, 270), Dictionary.Validate(message));
        Assert.Null(Dictionary.Validate(valid));
    }

    [Fact]
    public void Group_with_a_count_of_zero_and_no_instances_is_valid()
    {
        Assert.Null(Dictionary.Validate(Frame(NosHeader + "11=ORD1|453=0|" + NosTail)));
    }

    [Fact]
    public void Builder_refuses_groups_that_would_be_rejected_by_the_peer()
    {
        static FixMessageBuilder Open(int count) => new FixMessageBuilder(FixMsgType.NewOrderSingle).BeginGroup(Parties, count);

        Assert.Contains("before the delimiter 448", Assert.Throws<InvalidOperationException>(() => Open(1).Set(452, 1L)).Message, StringComparison.Ordinal);
        Assert.Contains("out of order", Assert.Throws<InvalidOperationException>(() => Open(1).Set(448, "A").Set(452, 1L).Set(447, 'D')).Message, StringComparison.Ordinal);
        Assert.Contains("one too many", Assert.Throws<InvalidOperationException>(() => Open(1).Set(448, "A").Set(448, "B")).Message, StringComparison.Ordinal);
        Assert.Contains("declares 2 instances but 1", Assert.Throws<InvalidOperationException>(() => Open(2).Set(448, "A").EndGroup()).Message, StringComparison.Ordinal);
        Assert.Contains("still open", Assert.Throws<InvalidOperationException>(() => Open(1).Set(448, "A").Build(Header)).Message, StringComparison.Ordinal);
        Assert.Contains("not a member", Assert.Throws<InvalidOperationException>(() => Open(1).Set(448, "A").Set(FixTag.Symbol, "AAPL")).Message, StringComparison.Ordinal);
        Assert.Contains("required member 270", Assert.Throws<InvalidOperationException>(
            () => new FixMessageBuilder("W").BeginGroup(new FixGroupDefinition(268, [269, 270], [269, 270]), 1).Set(269, '0').EndGroup()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reused_builder_encodes_groups_without_allocating()
    {
        var builder = new FixMessageBuilder("W");
        var buffer = new byte[512];
        var entries = MdEntries;
        int Encode()
        {
            builder.Clear();
            builder.Set(FixTag.Symbol, "AAPL"u8).BeginGroup(entries, 2)
                .Set(269, '0').Set(270, 187.25m).Set(271, 500m)
                .Set(269, '1').Set(270, 187.26m).Set(271, 300m)
                .EndGroup();
            builder.TryWrite(Header, buffer, out var written);
            return written;
        }

        Encode();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            Encode();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public async Task Wrong_NumInGroup_gets_a_session_reject_16_and_the_session_goes_on_with_the_next_order()
    {
        var application = new CapturingApplication();
        await using var acceptor = new FixAcceptor(
            new FixAcceptorSettings
            {
                SenderCompId = "BDTX",
                DataDictionaries = new Dictionary<string, FixDataDictionary>(StringComparer.Ordinal) { [FixVersions.Fix44] = Dictionary },
            },
            application);
        acceptor.Start();
        await using var peer = await RawFixPeer.ConnectAsync(acceptor.EndPoint, "CLIENT", "BDTX");
        await peer.LogonAsync();

        var bad = Frame(NosHeader.Replace("52=20250102-03:04:05.678", "52=" + Now(), StringComparison.Ordinal) + "11=BAD|453=2|448=A|" + NosTail);
        await peer.SendRawAsync(bad.Raw.ToArray());
        var reject = await peer.ReadAsync();
        peer.NextSeqNum = 3;
        await peer.SendAsync(OrderWithParties());

        Assert.Equal(FixMsgType.Reject, reject.MsgType);
        Assert.Equal((2, 453, "D", 16), (reject.TryGetInt(FixTag.RefSeqNum, out var r) ? r : 0, reject.TryGetInt(FixTag.RefTagId, out var t) ? t : 0, reject.GetString(FixTag.RefMsgType), reject.TryGetInt(FixTag.SessionRejectReason, out var c) ? c : 0));
        Assert.Equal("Incorrect NumInGroup count for repeating group", reject.GetString(FixTag.Text));
        var order = await application.NextAsync();
        Assert.Equal(("ORD1", 3), (order.GetString(FixTag.ClOrdId), order.MsgSeqNum));
        Assert.True(order.TryGetGroup(Parties, out var parties, out _));
        Assert.Equal(2, parties.Count);
    }

    [Fact]
    public void Dictionary_whose_group_lists_a_field_twice_fails_to_load_naming_the_group()
    {
        var broken = SpecXml.Replace("<field name='PartyRole' required='N' />", "<field name='PartyRole' required='N' /><field name='PartyID' required='N' />", StringComparison.Ordinal);

        var error = Assert.Throws<FormatException>(() => FixDataDictionary.Load(new MemoryStream(Encoding.UTF8.GetBytes(broken))));

        Assert.Contains("Group 'NoPartyIDs' (453)", error.Message, StringComparison.Ordinal);
        Assert.Contains("member 448 twice", error.Message, StringComparison.Ordinal);
    }

    [AcceptanceFact("fix44")]
    public void Groups_of_the_shared_FIX44_spec_have_the_members_in_the_order_used_by_these_tests()
    {
        var spec = FixDataDictionary.Load(SharedFixData.SpecPath("fix44"));

        Assert.True(spec.TryGetGroup(FixMsgType.NewOrderSingle, 453, out var parties));
        Assert.Equal([448, 447, 452, 802], parties.Members);
        Assert.True(parties.TryGetNestedGroup(802, out var subIds));
        Assert.Equal([523, 803], subIds.Members);
        Assert.True(spec.TryGetGroup("W", 268, out var entries));
        Assert.Equal(269, entries.Delimiter);
        Assert.True(entries.PositionOf(269) < entries.PositionOf(270) && entries.PositionOf(270) < entries.PositionOf(271));
        Assert.Contains(269, entries.RequiredMembers);
        Assert.Null(spec.Validate(FixMessage.Parse(OrderWithParties().Build(Header))));
    }

    private static string Now() => DateTime.UtcNow.ToString("yyyyMMdd-HH:mm:ss.fff", CultureInfo.InvariantCulture);
}
