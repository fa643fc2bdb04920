using BigDataTrading.Core.Orders;

namespace BigDataTrading.Trading.Orders;

/// <summary>The record published on the orders topic for every order intent: the order and risk's decision on it.</summary>
/// <param name="Order">The order intent.</param>
/// <param name="Decision"><c>Accepted</c> or <c>Rejected</c>.</param>
/// <param name="Reason">Risk reason code and explanation when rejected; null when accepted.</param>
public sealed record OrderIntentRecord(Order Order, string Decision, string? Reason);
