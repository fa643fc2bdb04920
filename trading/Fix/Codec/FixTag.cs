namespace BigDataTrading.Fix;

/// <summary>FIX tag numbers used by this engine (FIX 4.2 and 4.4).</summary>
public static class FixTag
{
    public const int AvgPx = 6;
    public const int BeginSeqNo = 7;
    public const int BeginString = 8;
    public const int BodyLength = 9;
    public const int CheckSum = 10;
    public const int ClOrdId = 11;
    public const int CumQty = 14;
    public const int EndSeqNo = 16;
    public const int ExecId = 17;
    public const int LastPx = 31;
    public const int LastQty = 32;
    public const int MsgSeqNum = 34;
    public const int MsgType = 35;
    public const int NewSeqNo = 36;
    public const int OrderId = 37;
    public const int OrderQty = 38;
    public const int OrdStatus = 39;
    public const int OrdType = 40;
    public const int OrigClOrdId = 41;
    public const int PossDupFlag = 43;
    public const int PossResend = 97;
    public const int OnBehalfOfCompId = 115;
    public const int OnBehalfOfSubId = 116;
    public const int DeliverToCompId = 128;
    public const int DeliverToSubId = 129;
    public const int ResetSeqNumFlag = 141;
    public const int OnBehalfOfLocationId = 144;
    public const int DeliverToLocationId = 145;
    public const int HandlInst = 21;
    public const int ExecTransType = 20;
    public const int Price = 44;
    public const int RefSeqNum = 45;
    public const int SenderCompId = 49;
    public const int SendingTime = 52;
    public const int Side = 54;
    public const int Symbol = 55;
    public const int TargetCompId = 56;
    public const int Text = 58;
    public const int TimeInForce = 59;
    public const int TransactTime = 60;
    public const int EncryptMethod = 98;
    public const int CxlRejReason = 102;
    public const int OrdRejReason = 103;
    public const int HeartBtInt = 108;
    public const int TestReqId = 112;
    public const int OrigSendingTime = 122;
    public const int GapFillFlag = 123;
    public const int ExecType = 150;
    public const int LeavesQty = 151;
    public const int RefTagId = 371;
    public const int RefMsgType = 372;
    public const int SessionRejectReason = 373;
    public const int BusinessRejectReason = 380;
    public const int CxlRejResponseTo = 434;
    public const int OrdStatusReqId = 790;
}

/// <summary>FIX 4.4 MsgType (35) values used by this engine.</summary>
public static class FixMsgType
{
    public const string Heartbeat = "0";
    public const string TestRequest = "1";
    public const string ResendRequest = "2";
    public const string Reject = "3";
    public const string SequenceReset = "4";
    public const string Logout = "5";
    public const string ExecutionReport = "8";
    public const string OrderCancelReject = "9";
    public const string Logon = "A";
    public const string NewOrderSingle = "D";
    public const string OrderCancelRequest = "F";
    public const string OrderCancelReplaceRequest = "G";
    public const string OrderStatusRequest = "H";
    public const string BusinessMessageReject = "j";

    /// <summary>True for the administrative (session-level) message types this engine handles itself.</summary>
    public static bool IsAdmin(string msgType) =>
        msgType is Heartbeat or TestRequest or ResendRequest or Reject or SequenceReset or Logout or Logon;

    /// <summary>Returns the constant string for a known MsgType so parsing does not allocate for common messages.</summary>
    internal static string FromSpan(ReadOnlySpan<byte> value) => value switch
    {
        [(byte)'0'] => Heartbeat,
        [(byte)'1'] => TestRequest,
        [(byte)'2'] => ResendRequest,
        [(byte)'3'] => Reject,
        [(byte)'4'] => SequenceReset,
        [(byte)'5'] => Logout,
        [(byte)'8'] => ExecutionReport,
        [(byte)'9'] => OrderCancelReject,
        [(byte)'A'] => Logon,
        [(byte)'D'] => NewOrderSingle,
        [(byte)'F'] => OrderCancelRequest,
        [(byte)'G'] => OrderCancelReplaceRequest,
        [(byte)'H'] => OrderStatusRequest,
        [(byte)'j'] => BusinessMessageReject,
        _ => value is [< 128] ? OneCharMsgTypes.Strings[value[0]] : System.Text.Encoding.ASCII.GetString(value),
    };
}
