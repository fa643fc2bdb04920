using BigDataTrading.Core.Orders;
using BigDataTrading.Core.Time;
using BigDataTrading.Trading.Orders;

namespace BigDataTrading.Trading.Journal;

/// <summary>Kind byte of a journal record (the first payload byte). Stable: part of the frozen journal format.</summary>
public enum JournalRecordKind : byte
{
    /// <summary>An order intent with its risk decision, written (and fsync'd) before the order is sent: <see cref="OrderIntentRecord"/>.</summary>
    Intent = 1,

    /// <summary>A venue event applied to an order: <see cref="VenueExecution"/>.</summary>
    Execution = 2,

    /// <summary>A decision of the trader itself about an order (cancel requested, lost, re-sent): <see cref="OrderAction"/>.</summary>
    Action = 3,
}

/// <summary>One state change of one order, as journaled and published on the <c>orders</c> topic.</summary>
/// <param name="ClientOrderId">The order.</param>
/// <param name="From">State before.</param>
/// <param name="To">State after.</param>
/// <param name="Cause">What caused it (an execution id, <c>CancelRequested</c>, <c>Recovery: ...</c>).</param>
/// <param name="Time">When the trader applied it (injected clock).</param>
public sealed record OrderStateChange(ClientOrderId ClientOrderId, OrderState From, OrderState To, string Cause, Timestamp Time);

/// <summary>A trader decision journaled for an order (not a venue event).</summary>
/// <param name="ClientOrderId">The order.</param>
/// <param name="Action"><c>CancelRequested</c>, <c>Lost</c> or <c>Resent</c>.</param>
/// <param name="Detail">Why, for people reading the journal.</param>
/// <param name="Time">When (injected clock).</param>
public sealed record OrderAction(ClientOrderId ClientOrderId, string Action, string Detail, Timestamp Time);

/// <summary>What a journal holds after <see cref="OrderJournal.Open"/> read it back, in append order.</summary>
/// <param name="Records">Every intact record: <see cref="OrderIntentRecord"/>, <see cref="VenueExecution"/> or <see cref="OrderAction"/>.</param>
/// <param name="TruncatedBytes">Bytes of a torn last record removed (0 when the file ended cleanly).</param>
public sealed record JournalReplay(IReadOnlyList<object> Records, long TruncatedBytes);

/// <summary>The journal file is damaged in a way a crash cannot explain (a bad record followed by more data, a wrong header).</summary>
public sealed class JournalCorruptException : Exception
{
    /// <summary>Creates the exception.</summary>
    public JournalCorruptException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public JournalCorruptException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public JournalCorruptException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
