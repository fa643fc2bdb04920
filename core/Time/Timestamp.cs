using System.Globalization;

namespace BigDataTrading.Core.Time;

/// <summary>
/// An instant on the UTC time line as whole nanoseconds since the Unix epoch (NodaTime <c>Instant</c> style).
/// </summary>
/// <remarks>
/// One 64-bit integer so ticks stay small and comparisons are single instructions; range ±292 years around 1970.
/// Event time (when something happened in the market) is always taken from the data; wall-clock time only ever
/// comes from an injected <see cref="TimeProvider"/> via <see cref="Now(TimeProvider)"/>. Immutable and thread-safe.
/// </remarks>
public readonly record struct Timestamp : IComparable<Timestamp>
{
    /// <summary>Nanoseconds per .NET tick (100 ns).</summary>
    public const long NanosPerTick = 100;

    /// <summary>Nanoseconds per second.</summary>
    public const long NanosPerSecond = 1_000_000_000;

    /// <summary>Nanoseconds per minute.</summary>
    public const long NanosPerMinute = 60 * NanosPerSecond;

    /// <summary>Nanoseconds per day.</summary>
    public const long NanosPerDay = 86_400 * NanosPerSecond;

    /// <summary>Creates an instant from nanoseconds since 1970-01-01T00:00:00Z.</summary>
    public Timestamp(long unixNanoseconds) => UnixNanoseconds = unixNanoseconds;

    /// <summary>Nanoseconds since 1970-01-01T00:00:00Z.</summary>
    public long UnixNanoseconds { get; }

    /// <summary>The current wall-clock instant from the given provider (never the static clock).</summary>
    public static Timestamp Now(TimeProvider clock) => FromDateTimeOffset(clock.GetUtcNow());

    /// <summary>Converts from a <see cref="DateTimeOffset"/> (100 ns resolution).</summary>
    public static Timestamp FromDateTimeOffset(DateTimeOffset value) =>
        new((value.UtcTicks - DateTime.UnixEpoch.Ticks) * NanosPerTick);

    /// <summary>Converts a UTC calendar date and time of day.</summary>
    public static Timestamp FromUtc(DateOnly date, TimeSpan timeOfDay) =>
        FromDateTimeOffset(new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) + timeOfDay);

    /// <summary>Whole milliseconds since the epoch (truncated toward negative infinity).</summary>
    public long UnixMilliseconds => Math.DivRem(UnixNanoseconds, 1_000_000, out var r) - (r < 0 ? 1 : 0);

    /// <summary>The UTC calendar date of this instant.</summary>
    public DateOnly UtcDate => DateOnly.FromDateTime(ToDateTimeOffset().UtcDateTime);

    /// <summary>Converts to a UTC <see cref="DateTimeOffset"/> (truncates below 100 ns).</summary>
    public DateTimeOffset ToDateTimeOffset() =>
        new(DateTime.UnixEpoch.Ticks + Math.DivRem(UnixNanoseconds, NanosPerTick, out var r) - (r < 0 ? 1 : 0), TimeSpan.Zero);

    /// <summary>The start of the interval of length <paramref name="periodNanos"/> containing this instant (floor).</summary>
    public Timestamp FloorTo(long periodNanos)
    {
        if (periodNanos <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(periodNanos), "Period must be positive.");
        }

        var rem = UnixNanoseconds % periodNanos;
        if (rem < 0)
        {
            rem += periodNanos;
        }

        return new Timestamp(UnixNanoseconds - rem);
    }

    /// <summary>This instant moved by a number of nanoseconds.</summary>
    public Timestamp AddNanoseconds(long nanos) => new(checked(UnixNanoseconds + nanos));

    /// <inheritdoc />
    public int CompareTo(Timestamp other) => UnixNanoseconds.CompareTo(other.UnixNanoseconds);

    /// <summary>Earlier than.</summary>
    public static bool operator <(Timestamp a, Timestamp b) => a.UnixNanoseconds < b.UnixNanoseconds;

    /// <summary>Later than.</summary>
    public static bool operator >(Timestamp a, Timestamp b) => a.UnixNanoseconds > b.UnixNanoseconds;

    /// <summary>Not later than.</summary>
    public static bool operator <=(Timestamp a, Timestamp b) => a.UnixNanoseconds <= b.UnixNanoseconds;

    /// <summary>Not earlier than.</summary>
    public static bool operator >=(Timestamp a, Timestamp b) => a.UnixNanoseconds >= b.UnixNanoseconds;

    /// <summary>ISO-8601 UTC with 7 fractional digits, e.g. <c>2013-10-08T13:30:00.0000000Z</c>.</summary>
    public override string ToString() => ToDateTimeOffset().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
}
