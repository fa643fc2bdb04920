namespace BigDataTrading.Core.MarketData;

/// <summary>Why a tick was refused by the quality filter. Values are stable: they are stored in the lake and counted.</summary>
public enum TickRejectReason
{
    /// <summary>Accepted (not a rejection).</summary>
    None = 0,

    /// <summary>Price is zero or negative.</summary>
    NonPositivePrice = 1,

    /// <summary>Size is zero or negative.</summary>
    NonPositiveSize = 2,

    /// <summary>Event time is earlier than the last accepted tick of the symbol by more than the tolerance.</summary>
    OutOfOrder = 3,

    /// <summary>Same source sequence number as an already accepted tick.</summary>
    Duplicate = 4,

    /// <summary>Price jumped further from the recent reference price than the allowed fraction.</summary>
    PriceOutlier = 5,

    /// <summary>The message could not be decoded.</summary>
    Undecodable = 6,
}
