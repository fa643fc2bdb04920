namespace BigDataTrading.Fix.Tests;

/// <summary>Application messages the session tests send: what they carry does not matter, only that each is distinct.</summary>
internal static class TestOrders
{
    /// <summary>A 10-share AAPL limit buy at 1.50 with the given ClOrdID.</summary>
    public static NewOrderSingle Limit(string clOrdId) => new()
    {
        ClOrdId = clOrdId,
        Symbol = "AAPL",
        Side = FixSide.Buy,
        TransactTime = DateTimeOffset.UtcNow,
        OrderQty = 10m,
        OrdType = FixOrdType.Limit,
        Price = 1.5m,
    };
}
