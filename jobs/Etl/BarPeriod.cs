using BigDataTrading.Core.Time;
using BigDataTrading.Warehouse;

namespace BigDataTrading.Jobs.Etl;

/// <summary>Bar lengths the batch bar job builds; each has its own dataset.</summary>
public enum BarPeriod
{
    /// <summary>One second, dataset <c>bars_1s</c>.</summary>
    OneSecond,

    /// <summary>One minute, dataset <c>bars_1m_etl</c> (the stream's own 1-minute bars stay in <c>bars_1m</c>).</summary>
    OneMinute,

    /// <summary>One UTC day, dataset <c>bars_1d</c>.</summary>
    OneDay,
}

/// <summary>Properties of <see cref="BarPeriod"/> values.</summary>
public static class BarPeriods
{
    /// <summary>Length in nanoseconds.</summary>
    public static long Nanos(this BarPeriod period) => period switch
    {
        BarPeriod.OneSecond => Timestamp.NanosPerSecond,
        BarPeriod.OneMinute => Timestamp.NanosPerMinute,
        BarPeriod.OneDay => Timestamp.NanosPerDay,
        _ => throw new ArgumentOutOfRangeException(nameof(period), period, "Unknown bar period."),
    };

    /// <summary>The dataset the bar job writes this period to.</summary>
    public static string Dataset(this BarPeriod period) => period switch
    {
        BarPeriod.OneSecond => LakeDatasets.Bars1s,
        BarPeriod.OneMinute => LakeDatasets.Bars1mEtl,
        BarPeriod.OneDay => LakeDatasets.Bars1d,
        _ => throw new ArgumentOutOfRangeException(nameof(period), period, "Unknown bar period."),
    };

    /// <summary>The dataset the feature job writes this period's features to.</summary>
    public static string FeatureDataset(this BarPeriod period) => period switch
    {
        BarPeriod.OneSecond => LakeDatasets.Features1s,
        BarPeriod.OneMinute => LakeDatasets.Features1m,
        BarPeriod.OneDay => LakeDatasets.Features1d,
        _ => throw new ArgumentOutOfRangeException(nameof(period), period, "Unknown bar period."),
    };

    /// <summary>The short name used on the command line: <c>1s</c>, <c>1m</c>, <c>1d</c>.</summary>
    public static string ShortName(this BarPeriod period) => period switch
    {
        BarPeriod.OneSecond => "1s",
        BarPeriod.OneMinute => "1m",
        BarPeriod.OneDay => "1d",
        _ => throw new ArgumentOutOfRangeException(nameof(period), period, "Unknown bar period."),
    };

    /// <summary>Parses <c>1s</c>, <c>1m</c> or <c>1d</c>.</summary>
    public static bool TryParse(string? text, out BarPeriod period)
    {
        (var ok, period) = text switch
        {
            "1s" => (true, BarPeriod.OneSecond),
            "1m" => (true, BarPeriod.OneMinute),
            "1d" => (true, BarPeriod.OneDay),
            _ => (false, default),
        };
        return ok;
    }
}
