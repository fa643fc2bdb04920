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
    /// <exception cref="VenueDisconnectedException">The venue is not connected (or dropped during the send).</exception>
    Task SendAsync(Order order, CancellationToken ct);

    /// <summary>
    /// Asks the venue to cancel what is left of an order. Thread-safe. The outcome arrives on <see cref="Executions"/>
    /// (a Canceled report for the order, or nothing if it filled first).
    /// </summary>
    /// <exception cref="VenueDisconnectedException">The venue is not connected.</exception>
    Task CancelAsync(Order order, CancellationToken ct);

    /// <summary>
    /// Asks the venue for the order's current state (FIX OrderStatusRequest). The answer arrives on
    /// <see cref="Executions"/> with <see cref="VenueExecution.IsStatusAnswer"/> set (and
    /// <see cref="VenueExecution.IsUnknownOrder"/> when the venue never saw the order).
    /// </summary>
    /// <exception cref="VenueDisconnectedException">The venue is not connected.</exception>
    Task RequestStatusAsync(Order order, CancellationToken ct);

    /// <summary>Ends the session cleanly (e.g. FIX Logout) once no more orders will be sent.</summary>
    Task CloseAsync(CancellationToken ct);

    /// <summary>True while orders can be sent (a send may still lose the race with a disconnect and throw).</summary>
    bool IsConnected { get; }

    /// <summary>
    /// Raised when the venue connection drops, is being retried, comes back or is given up, in order. Handlers run on
    /// the venue's connection task: they must be quick (start work elsewhere) and must not throw.
    /// </summary>
    event Action<VenueConnectionChange>? ConnectionChanged;
}

/// <summary>Where a venue's connection stands.</summary>
public enum VenueConnectionState
{
    /// <summary>Logged on again after an outage: open orders need reconciling.</summary>
    Reconnected,

    /// <summary>The connection is gone; orders cannot be sent.</summary>
    Disconnected,

    /// <summary>Waiting before the next connection attempt.</summary>
    Reconnecting,

    /// <summary>Given up (or closed): the venue will not come back in this process.</summary>
    Stopped,
}

/// <summary>One change of a venue's connection.</summary>
/// <param name="State">The new state.</param>
/// <param name="Reason">Why, in words (the disconnect reason, the last failed attempt).</param>
/// <param name="At">When, on the venue's clock.</param>
/// <param name="Attempt">For <see cref="VenueConnectionState.Reconnecting"/>: the 1-based attempt number, else 0.</param>
/// <param name="RetryIn">For <see cref="VenueConnectionState.Reconnecting"/>: the wait before that attempt.</param>
public sealed record VenueConnectionChange(VenueConnectionState State, string Reason, DateTimeOffset At, int Attempt = 0, TimeSpan? RetryIn = null);

/// <summary>
/// A request could not be written because the venue connection is down (reconnecting or given up). Whether a message
/// written just before the drop reached the venue is only known after the reconnect: reconcile, do not resend blindly.
/// </summary>
public sealed class VenueDisconnectedException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public VenueDisconnectedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public VenueDisconnectedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public VenueDisconnectedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
