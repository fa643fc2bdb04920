namespace BigDataTrading.Fix;

// Enum values are the FIX wire characters (e.g. FixSide.Buy == '1'), so encoding is a cast to char.
// Decoding casts whatever character arrived: a value outside the named members means the peer sent an
// unsupported code, which the receiver reports (see Enum.IsDefined) rather than the codec throwing.

/// <summary>Side (54).</summary>
public enum FixSide
{
    /// <summary>1 = Buy.</summary>
    Buy = '1',

    /// <summary>2 = Sell.</summary>
    Sell = '2',
}

/// <summary>OrdType (40).</summary>
public enum FixOrdType
{
    /// <summary>1 = Market.</summary>
    Market = '1',

    /// <summary>2 = Limit (Price 44 required).</summary>
    Limit = '2',
}

/// <summary>TimeInForce (59). Absent on the wire means Day.</summary>
public enum FixTimeInForce
{
    /// <summary>0 = Day.</summary>
    Day = '0',

    /// <summary>1 = Good Till Cancel.</summary>
    GoodTillCancel = '1',

    /// <summary>3 = Immediate Or Cancel.</summary>
    ImmediateOrCancel = '3',

    /// <summary>4 = Fill Or Kill.</summary>
    FillOrKill = '4',
}

/// <summary>ExecType (150), the values this engine produces or expects (FIX 4.4, plus FIX 4.2's fill codes).</summary>
public enum FixExecType
{
    /// <summary>0 = New.</summary>
    New = '0',

    /// <summary>1 = Partial fill (FIX 4.2; FIX 4.4 uses <see cref="Trade"/>).</summary>
    PartialFill = '1',

    /// <summary>2 = Fill (FIX 4.2; FIX 4.4 uses <see cref="Trade"/>).</summary>
    Fill = '2',

    /// <summary>4 = Canceled.</summary>
    Canceled = '4',

    /// <summary>5 = Replaced (an OrderCancelReplaceRequest took effect).</summary>
    Replaced = '5',

    /// <summary>6 = Pending Cancel (the venue received the cancel request and has not acted on it yet).</summary>
    PendingCancel = '6',

    /// <summary>8 = Rejected.</summary>
    Rejected = '8',

    /// <summary>A = Pending New (the venue received the order and has not accepted it yet).</summary>
    PendingNew = 'A',

    /// <summary>C = Expired.</summary>
    Expired = 'C',

    /// <summary>E = Pending Replace (the venue received the cancel/replace request and has not acted on it yet).</summary>
    PendingReplace = 'E',

    /// <summary>F = Trade (partial or full fill).</summary>
    Trade = 'F',

    /// <summary>I = Order Status: the report answers an OrderStatusRequest (35=H); it is not an event.</summary>
    OrderStatus = 'I',
}

/// <summary>OrdStatus (39).</summary>
public enum FixOrdStatus
{
    /// <summary>0 = New.</summary>
    New = '0',

    /// <summary>1 = Partially filled.</summary>
    PartiallyFilled = '1',

    /// <summary>2 = Filled.</summary>
    Filled = '2',

    /// <summary>4 = Canceled.</summary>
    Canceled = '4',

    /// <summary>5 = Replaced (FIX 4.2 and earlier; FIX 4.4 reports the replaced order's fill status instead).</summary>
    Replaced = '5',

    /// <summary>6 = Pending Cancel.</summary>
    PendingCancel = '6',

    /// <summary>8 = Rejected.</summary>
    Rejected = '8',

    /// <summary>A = Pending New.</summary>
    PendingNew = 'A',

    /// <summary>C = Expired.</summary>
    Expired = 'C',

    /// <summary>E = Pending Replace.</summary>
    PendingReplace = 'E',
}

/// <summary>OrdRejReason (103) codes this engine sends or interprets.</summary>
public static class FixOrdRejReason
{
    /// <summary>0 = Broker/exchange option (used for "too late").</summary>
    public const int BrokerOption = 0;

    /// <summary>1 = Unknown symbol.</summary>
    public const int UnknownSymbol = 1;

    /// <summary>5 = Unknown order: the answer to an OrderStatusRequest for an order the venue never saw.</summary>
    public const int UnknownOrder = 5;

    /// <summary>6 = Duplicate order (ClOrdID already used).</summary>
    public const int DuplicateOrder = 6;

    /// <summary>13 = Incorrect quantity.</summary>
    public const int IncorrectQuantity = 13;

    /// <summary>99 = Other.</summary>
    public const int Other = 99;
}

/// <summary>HandlInst (21): required on FIX 4.2 orders, optional in FIX 4.4.</summary>
public enum FixHandlInst
{
    /// <summary>1 = Automated execution, private, no broker intervention.</summary>
    AutomatedPrivate = '1',

    /// <summary>2 = Automated execution, public, broker intervention OK.</summary>
    AutomatedPublic = '2',

    /// <summary>3 = Manual order, best execution.</summary>
    Manual = '3',
}
