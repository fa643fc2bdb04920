namespace BigDataTrading.Trading.Control;

/// <summary>The state of a kill switch at one moment.</summary>
/// <param name="Engaged">True while new orders are blocked.</param>
/// <param name="Reason">Why it was engaged (free text from the operator), or null.</param>
/// <param name="ChangedBy">Who changed it last (e.g. <c>cli</c>, <c>http 127.0.0.1</c>), or null.</param>
/// <param name="ChangedAt">When it last changed (from the injected clock), or null if never.</param>
public sealed record KillSwitchState(bool Engaged, string? Reason, string? ChangedBy, DateTimeOffset? ChangedAt);

/// <summary>
/// The trader's emergency stop: while engaged, every new order is refused (risk reason <c>KillSwitch</c>) and, at the
/// moment it engages, every open order is cancelled. Thread-safe; subscribers of <see cref="Engaged"/> run on the
/// thread that engaged it.
/// </summary>
public sealed class KillSwitch(TimeProvider clock)
{
    private readonly Lock _gate = new();
    private KillSwitchState _state = new(false, null, null, null);

    /// <summary>Raised once each time the switch goes from released to engaged.</summary>
    public event Action<KillSwitchState>? Engaged;

    /// <summary>The current state.</summary>
    public KillSwitchState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>True while new orders are blocked.</summary>
    public bool IsEngaged => State.Engaged;

    /// <summary>Engages the switch; returns false (and does nothing) when it already was.</summary>
    public bool Engage(string reason, string by)
    {
        KillSwitchState state;
        lock (_gate)
        {
            if (_state.Engaged)
            {
                return false;
            }

            state = _state = new KillSwitchState(true, reason, by, clock.GetUtcNow());
        }

        Engaged?.Invoke(state);
        return true;
    }

    /// <summary>Releases the switch so new orders may pass risk again; returns false when it was not engaged.</summary>
    public bool Release(string by)
    {
        lock (_gate)
        {
            if (!_state.Engaged)
            {
                return false;
            }

            _state = new KillSwitchState(false, null, by, clock.GetUtcNow());
            return true;
        }
    }
}
