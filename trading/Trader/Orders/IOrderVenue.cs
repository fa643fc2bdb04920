using System.Threading.Channels;
using BigDataTrading.Core.Orders;

namespace BigDataTrading.Trading.Orders;

/// <summary>
/// A place orders are routed to (a FIX session to an exchange or broker; Interactive Brokers later). The trader
/// never knows the wire protocol: it sends <see cref="Order"/>s and receives normalized
/// <see cref="ExecutionReport"/>s from <see cref="Executions"/>.
/// </summary>
public interface IOrderVenue : IAsyncDisposable
{
    /// <summary>Human-readable venue name, for logs and summaries.</summary>
    string Name { get; }

    /// <summary>Venue events (execution reports, cancel rejects, status answers), in the order received; completes when the session ends.</summary>
    ChannelReader<VenueExecution> Executions { get; }

    /// <summary>Sends a new order. Thread-safe. Completes when the order has been written to the venue connection.</summary>
    /// <exception cref="InvalidOperationException">The venue is not connected.</exception>
    Task SendAsync(Order order, CancellationToken ct);

    /// <summary>
    /// Asks the venue to cancel what is left of an order. Thread-safe. The outcome arrives on <see cref="Executions"/>
    /// (a Canceled report for the order, or nothing if it filled first).
    /// </summary>
    Task CancelAsync(Order order, CancellationToken ct);

    /// <summary>
    /// Asks the venue for the order's current state (FIX OrderStatusRequest). The answer arrives on
    /// <see cref="Executions"/> with <see cref="VenueExecution.IsStatusAnswer"/> set (and
    /// <see cref="VenueExecution.IsUnknownOrder"/> when the venue never saw the order).
    /// </summary>
    Task RequestStatusAsync(Order order, CancellationToken ct);

    /// <summary>Ends the session cleanly (e.g. FIX Logout) once no more orders will be sent.</summary>
    Task CloseAsync(CancellationToken ct);
}
