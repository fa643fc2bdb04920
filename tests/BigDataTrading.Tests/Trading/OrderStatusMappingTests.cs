using BigDataTrading.Core.Orders;
using BigDataTrading.Trading.Orders;

namespace BigDataTrading.Tests.Trading;

/// <summary>Every order state reaches the warehouse and the executions topic as its own status.</summary>
public sealed class OrderStatusMappingTests
{
    [Fact]
    public void Every_order_state_maps_to_the_order_status_of_the_same_name_and_finality()
    {
        var states = Enum.GetValues<OrderState>();

        Assert.All(states, s => Assert.Equal((s.ToString(), s.IsFinal()), (s.ToOrderStatus().ToString(), s.ToOrderStatus().IsFinal())));
        Assert.Equal(states.Length, states.Select(s => s.ToOrderStatus()).Distinct().Count());
        Assert.Equal(Enum.GetValues<OrderStatus>().Length, states.Length);
    }
}
