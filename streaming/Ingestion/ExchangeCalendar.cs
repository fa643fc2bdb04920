using BigDataTrading.Core.Time;

namespace BigDataTrading.Streaming.Ingestion;

/// <summary>Which part of the trading day counts as "in session" for the session rule.</summary>
public enum TradingSession
{
    /// <summary>Regular hours only (NYSE: 09:30–16:00 New York, 13:00 on early-close days).</summary>
    Regular = 0,

    /// <summary>Pre-market through after-hours (04:00–20:00 New York; 17:00 on early-close days).</summary>
    Extended = 1,

    /// <summary>No time-of-day check, but the day must still be a trading day.</summary>
    TradingDay = 2,

    /// <summary>No session rule at all.</summary>
    Always = 3,
}

/// <summary>
/// The NYSE/Nasdaq calendar in America/New_York: weekends, the full-day holidays (New Year's Day, Martin Luther King Jr.
/// Day, Washington's Birthday, Good Friday, Memorial Day, Juneteenth from 2022, Independence Day, Labor Day,
/// Thanksgiving, Christmas, with the exchange's Saturday→Friday / Sunday→Monday observance) and the 13:00 early closes
/// (July 3, the day after Thanksgiving, Christmas Eve). Rule-based, so it covers any year the rules held; one-off
/// closures (e.g. 2012-10-29/30 Hurricane Sandy, national days of mourning) are listed explicitly.
/// </summary>
/// <remarks>Immutable and thread-safe. Times are converted with the tz database, so DST is exact.</remarks>
public sealed class ExchangeCalendar
{
    private readonly HashSet<DateOnly> _specialClosures =
    [
        new(2012, 10, 29), new(2012, 10, 30), new(2018, 12, 5), new(2025, 1, 9),
    ];

    /// <summary>The NYSE calendar in America/New_York.</summary>
    public static ExchangeCalendar Nyse { get; } = new(TimeZoneInfo.FindSystemTimeZoneById("America/New_York"));

    private ExchangeCalendar(TimeZoneInfo zone) => TimeZone = zone;

    /// <summary>The exchange's zone.</summary>
    public TimeZoneInfo TimeZone { get; }

    /// <summary>True when the exchange trades on the local date.</summary>
    public bool IsTradingDay(DateOnly date) =>
        date.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday) && !IsHoliday(date) && !_specialClosures.Contains(date);

    /// <summary>True when the local date closes early (13:00 regular close).</summary>
    public static bool IsEarlyClose(DateOnly date)
    {
        if (date.Month == 7 && date.Day == 3 && date.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday))
        {
            return true;
        }

        if (date.Month == 12 && date.Day == 24 && date.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday))
        {
            return true;
        }

        return date.Month == 11 && date == Nth(date.Year, 11, DayOfWeek.Thursday, 4).AddDays(1);
    }

    /// <summary>True when the instant is inside <paramref name="session"/> of its local trading day.</summary>
    public bool IsInSession(Timestamp time, TradingSession session)
    {
        if (session == TradingSession.Always)
        {
            return true;
        }

        var local = TimeZoneInfo.ConvertTime(time.ToDateTimeOffset(), TimeZone);
        var date = DateOnly.FromDateTime(local.DateTime);
        if (!IsTradingDay(date))
        {
            return false;
        }

        var tod = local.TimeOfDay;
        var early = IsEarlyClose(date);
        return session switch
        {
            TradingSession.Regular => tod >= new TimeSpan(9, 30, 0) && tod < (early ? new TimeSpan(13, 0, 0) : new TimeSpan(16, 0, 0)),
            TradingSession.Extended => tod >= new TimeSpan(4, 0, 0) && tod < (early ? new TimeSpan(17, 0, 0) : new TimeSpan(20, 0, 0)),
            _ => true,
        };
    }

    /// <summary>True for a full-day exchange holiday (observed date).</summary>
    public static bool IsHoliday(DateOnly date)
    {
        var y = date.Year;
        if (date == Observed(new DateOnly(y, 1, 1)))
        {
            return true;
        }

        return date == Nth(y, 1, DayOfWeek.Monday, 3)
            || date == Nth(y, 2, DayOfWeek.Monday, 3)
            || date == Easter(y).AddDays(-2)
            || date == Last(y, 5, DayOfWeek.Monday)
            || (y >= 2022 && date == Observed(new DateOnly(y, 6, 19)))
            || date == Observed(new DateOnly(y, 7, 4))
            || date == Nth(y, 9, DayOfWeek.Monday, 1)
            || date == Nth(y, 11, DayOfWeek.Thursday, 4)
            || date == Observed(new DateOnly(y, 12, 25));
    }

    // NYSE rule: a Saturday holiday is observed on Friday, a Sunday one on Monday — except New Year's Day, whose
    // Saturday case is not moved into the previous year (NYSE Rule 7.2), handled by the caller comparing in-year.
    private static DateOnly Observed(DateOnly d) => d.DayOfWeek switch
    {
        DayOfWeek.Saturday when !(d.Month == 1 && d.Day == 1) => d.AddDays(-1),
        DayOfWeek.Sunday => d.AddDays(1),
        _ => d,
    };

    private static DateOnly Nth(int year, int month, DayOfWeek day, int n)
    {
        var first = new DateOnly(year, month, 1);
        var offset = ((int)day - (int)first.DayOfWeek + 7) % 7;
        return first.AddDays(offset + (7 * (n - 1)));
    }

    private static DateOnly Last(int year, int month, DayOfWeek day)
    {
        var last = new DateOnly(year, month, DateTime.DaysInMonth(year, month));
        return last.AddDays(-(((int)last.DayOfWeek - (int)day + 7) % 7));
    }

    /// <summary>Gregorian Easter Sunday (anonymous Gregorian algorithm).</summary>
    private static DateOnly Easter(int y)
    {
        int a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3;
        int h = ((19 * a) + b - d - g + 15) % 30, i = c / 4, k = c % 4, l = (32 + (2 * e) + (2 * i) - h - k) % 7;
        int m = (a + (11 * h) + (22 * l)) / 451, month = (h + l - (7 * m) + 114) / 31, day = ((h + l - (7 * m) + 114) % 31) + 1;
        return new DateOnly(y, month, day);
    }
}
