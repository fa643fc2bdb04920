namespace BigDataTrading.Core.Orders;

/// <summary>Order side. Values equal FIX tag 54 codes.</summary>
public enum Side
{
    /// <summary>Buy (FIX '1').</summary>
    Buy = 1,

    /// <summary>Sell (FIX '2').</summary>
    Sell = 2,
}

/// <summary>Order type. Values equal FIX tag 40 codes.</summary>
public enum OrderType
{
    /// <summary>Market (FIX '1').</summary>
    Market = 1,

    /// <summary>Limit (FIX '2').</summary>
    Limit = 2,
}

/// <summary>Time in force. Values equal FIX tag 59 codes.</summary>
public enum TimeInForce
{
    /// <summary>Day (FIX '0').</summary>
    Day = 0,

    /// <summary>Good till cancel (FIX '1').</summary>
    GoodTillCancel = 1,

    /// <summary>Immediate or cancel (FIX '3').</summary>
    ImmediateOrCancel = 3,

    /// <summary>Fill or kill (FIX '4').</summary>
    FillOrKill = 4,
}

/// <summary>
/// Order status, as FIX tag 39 describes it, plus the trader's own <see cref="LostNeverSent"/>: one value per state of
/// the trader's order state machine, so the warehouse and the <c>executions</c> topic record the exact state. Stored
/// and published by name; new values are only ever appended.
/// </summary>
public enum OrderStatus
{
    /// <summary>Created and journaled, not yet acknowledged by the venue.</summary>
    PendingNew,

    /// <summary>Acknowledged, nothing filled.</summary>
    New,

    /// <summary>Some quantity filled, rest working.</summary>
    PartiallyFilled,

    /// <summary>Fully filled (final).</summary>
    Filled,

    /// <summary>Canceled (final).</summary>
    Canceled,

    /// <summary>Rejected by the venue (final).</summary>
    Rejected,

    /// <summary>A cancel was requested and not yet answered (FIX '6').</summary>
    PendingCancel,

    /// <summary>A cancel/replace was requested and not yet answered (FIX 'E').</summary>
    PendingReplace,

    /// <summary>Replaced by a newer client order id (final for this id; FIX '5').</summary>
    Replaced,

    /// <summary>Expired by the venue, e.g. a Day order at the close (final; FIX 'C').</summary>
    Expired,

    /// <summary>Journaled but never reached the venue, and recovery decided not to send it any more (final; no FIX code).</summary>
    LostNeverSent,
}

/// <summary>Helpers for <see cref="Side"/> and <see cref="OrderStatus"/>.</summary>
public static class OrderEnumExtensions
{
    /// <summary>+1 for buys, -1 for sells: multiply a quantity by it to get the signed position change.</summary>
    public static int Sign(this Side side) => side == Side.Buy ? 1 : -1;

    /// <summary>True for statuses after which no more executions can arrive.</summary>
    public static bool IsFinal(this OrderStatus status) =>
        status is OrderStatus.Filled or OrderStatus.Canceled or OrderStatus.Rejected or OrderStatus.Replaced or OrderStatus.Expired or OrderStatus.LostNeverSent;
}
