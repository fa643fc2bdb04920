using BigDataTrading.Core.Time;
using Microsoft.Extensions.Time.Testing;

namespace BigDataTrading.Tests.Core;

public class TimestampTests
{
    [Fact]
    public void Round_trips_through_DateTimeOffset_at_100ns_resolution()
    {
        var dto = new DateTimeOffset(2013, 10, 8, 13, 30, 0, 123, TimeSpan.Zero).AddTicks(4567);
        var ts = Timestamp.FromDateTimeOffset(dto);
        Assert.Equal(dto, ts.ToDateTimeOffset());
        Assert.Equal(new DateOnly(2013, 10, 8), ts.UtcDate);
    }

    [Fact]
    public void Floor_to_minute_handles_instants_before_the_epoch()
    {
        var ts = new Timestamp(-1);
        Assert.Equal(-Timestamp.NanosPerMinute, ts.FloorTo(Timestamp.NanosPerMinute).UnixNanoseconds);
        Assert.Equal(0, new Timestamp(59_999_999_999).FloorTo(Timestamp.NanosPerMinute).UnixNanoseconds);
    }

    [Fact]
    public void Now_comes_from_the_injected_clock()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2020, 1, 2, 3, 4, 5, TimeSpan.Zero));
        Assert.Equal("2020-01-02T03:04:05.0000000Z", Timestamp.Now(clock).ToString());
    }
}
