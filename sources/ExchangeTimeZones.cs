namespace BigDataTrading.Sources;

/// <summary>Time zones of the venues whose data the sources read, resolved from the system's IANA database.</summary>
/// <remarks>Why IANA ids and <see cref="TimeZoneInfo"/>: exchange data is stamped in local exchange time, and fixed
/// offsets are wrong for half the year (EST/EDT). Requires the tz database (Debian package <c>tzdata</c>), which .NET reads
/// directly, so it works with invariant globalization. Thread-safe.</remarks>
public static class ExchangeTimeZones
{
    private static readonly Lazy<TimeZoneInfo> s_newYork = new(() => Find("America/New_York"));

    /// <summary>US equity and options venues (NYSE, Nasdaq, ...): America/New_York.</summary>
    public static TimeZoneInfo NewYork => s_newYork.Value;

    /// <summary>Finds a zone by IANA id.</summary>
    /// <exception cref="TimeZoneNotFoundException">The id is unknown; the message says how to fix a missing tz database.</exception>
    public static TimeZoneInfo Find(string ianaId)
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(ianaId);
        }
        catch (TimeZoneNotFoundException e)
        {
            throw new TimeZoneNotFoundException(
                $"Time zone '{ianaId}' was not found. Install the IANA tz database (Debian: apt-get install tzdata) or set TZDIR.", e);
        }
    }

    /// <summary>Converts a local exchange date and time of day to UTC nanoseconds since the Unix epoch.</summary>
    /// <remarks>Local times that fall in a spring-forward gap or a fall-back overlap are read with the zone's standard
    /// offset (what <see cref="TimeZoneInfo.GetUtcOffset(DateTime)"/> returns for them).</remarks>
    public static long LocalToUnixNanoseconds(TimeZoneInfo zone, DateOnly date, TimeSpan timeOfDay)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var local = DateTime.SpecifyKind(date.ToDateTime(TimeOnly.MinValue) + timeOfDay, DateTimeKind.Unspecified);
        var offset = zone.GetUtcOffset(local);
        return (local.Ticks - offset.Ticks - DateTime.UnixEpoch.Ticks) * 100;
    }
}
