namespace BigDataTrading.Fix;

/// <summary>
/// When and how often a <see cref="ReconnectingFixInitiator"/> tries again after a lost connection or a failed Logon.
/// Immutable; <see cref="Validate"/> names the first setting out of range.
/// </summary>
/// <remarks>
/// The delay before retry <c>n</c> (1-based) is <c>min(MaxDelay, InitialDelay × Multiplier^(n−1))</c>, then reduced by
/// a random fraction of up to <see cref="JitterFraction"/> of itself, so many clients dropped by one venue outage do not
/// reconnect in lock step; the delay never exceeds <see cref="MaxDelay"/>. QuickFIX's <c>ReconnectInterval</c> is the
/// special case Multiplier = 1, no jitter. All delays run on the session's <see cref="FixSessionSettings.TimeProvider"/>.
/// </remarks>
public sealed record FixReconnectOptions
{
    /// <summary>Delay before the first retry. Default 100 ms; must be positive.</summary>
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Cap on any one delay. Default 30 s; must be ≥ <see cref="InitialDelay"/>.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Growth factor from one delay to the next. Default 2; must be ≥ 1.</summary>
    public double Multiplier { get; init; } = 2.0;

    /// <summary>Largest fraction by which a delay is randomly shortened, 0 (exact delays) to below 1. Default 0.2.</summary>
    public double JitterFraction { get; init; } = 0.2;

    /// <summary>
    /// Consecutive failed attempts after which the initiator gives up (counted from the last successful Logon); null
    /// (default) retries for as long as the process runs, as a trading session should.
    /// </summary>
    public int? MaxAttempts { get; init; }

    /// <summary>
    /// Consecutive Logons the venue answered with a Logout (or TLS refusals) before giving up with the venue's reason.
    /// A refusal is usually configuration (CompID, credentials) that retrying cannot fix, but a venue also refuses for a
    /// moment while it still holds a dead connection of ours; default 3, must be ≥ 1.
    /// </summary>
    public int MaxLogonRefusals { get; init; } = 3;

    /// <summary>
    /// Start-up only: stop retrying the first connection after this long and throw its last failure; null (default)
    /// retries start-up like any reconnect (bounded by <see cref="MaxAttempts"/> and <see cref="MaxLogonRefusals"/>).
    /// </summary>
    public TimeSpan? InitialConnectTimeout { get; init; }

    /// <summary>Defaults: 100 ms doubling to 30 s, 20 % jitter, unlimited attempts, 3 logon refusals.</summary>
    public static FixReconnectOptions Default { get; } = new();

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (InitialDelay <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(InitialDelay), InitialDelay, "Must be positive.");
        }

        if (MaxDelay < InitialDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDelay), MaxDelay, $"Must be at least InitialDelay ({InitialDelay}).");
        }

        if (!(Multiplier >= 1.0) || double.IsInfinity(Multiplier))
        {
            throw new ArgumentOutOfRangeException(nameof(Multiplier), Multiplier, "Must be a finite number ≥ 1.");
        }

        if (!(JitterFraction is >= 0.0 and < 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(JitterFraction), JitterFraction, "Must be in [0, 1).");
        }

        if (MaxAttempts is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "Must be ≥ 1, or null for unlimited.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxLogonRefusals, 1);
        if (InitialConnectTimeout is { } timeout && timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(InitialConnectTimeout), timeout, "Must be positive, or null.");
        }
    }

    /// <summary>
    /// The delay before retry <paramref name="attempt"/> (1-based) given a uniform random number
    /// <paramref name="unitRandom"/> in [0, 1): in [(1 − <see cref="JitterFraction"/>) × d, d] where
    /// d = min(<see cref="MaxDelay"/>, <see cref="InitialDelay"/> × <see cref="Multiplier"/>^(attempt − 1)).
    /// </summary>
    public TimeSpan DelayFor(int attempt, double unitRandom)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        var ceiling = InitialDelay.Ticks * Math.Pow(Multiplier, attempt - 1);
        var capped = double.IsFinite(ceiling) ? Math.Min(ceiling, MaxDelay.Ticks) : MaxDelay.Ticks;
        var jittered = capped * (1.0 - (JitterFraction * Math.Clamp(unitRandom, 0.0, 1.0)));
        return TimeSpan.FromTicks(Math.Max(1, (long)jittered));
    }
}

/// <summary>Where a <see cref="ReconnectingFixInitiator"/> stands.</summary>
public enum FixConnectionState
{
    /// <summary>Not started, or connecting for the first time.</summary>
    Connecting,

    /// <summary>Logged on: messages can be sent.</summary>
    Connected,

    /// <summary>The connection ended; a reconnect follows unless the cause rules it out.</summary>
    Disconnected,

    /// <summary>Waiting <see cref="FixConnectionStateChange.RetryIn"/> before the next attempt.</summary>
    Reconnecting,

    /// <summary>Final: stopped by Logout/dispose, or given up (<see cref="FixConnectionStateChange.Error"/> says why).</summary>
    Stopped,
}

/// <summary>One change of a <see cref="ReconnectingFixInitiator"/>'s state.</summary>
/// <param name="State">The new state.</param>
/// <param name="Reason">Why, in words (the disconnect reason, the last failure, "logged on").</param>
/// <param name="Attempt">For <see cref="FixConnectionState.Reconnecting"/>: the 1-based retry number; else 0.</param>
/// <param name="RetryIn">For <see cref="FixConnectionState.Reconnecting"/>: the delay before that retry.</param>
/// <param name="At">When, on the session's clock.</param>
/// <param name="Error">For a <see cref="FixConnectionState.Stopped"/> that was not asked for: what made the initiator give up.</param>
public sealed record FixConnectionStateChange(
    FixConnectionState State,
    string Reason,
    int Attempt,
    TimeSpan? RetryIn,
    DateTimeOffset At,
    Exception? Error = null);
