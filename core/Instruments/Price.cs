using System.Globalization;

namespace BigDataTrading.Core.Instruments;

/// <summary>
/// A price as a fixed-point number: a signed 64-bit count of 10^-8 units (<see cref="Scale"/>).
/// </summary>
/// <remarks>
/// Why fixed point: binary floating point cannot represent 0.01 exactly, so sums of prices drift and equality
/// tests lie; <see cref="decimal"/> is exact but 16 bytes and slow on hot paths. Eight decimal places cover equities
/// (cents, deci-cents), FX (pips and fractions) and crypto; the range is ±92,233,720,368.54775807.
/// Arithmetic that can grow past that (notional = price × quantity) is done in <see cref="decimal"/> via
/// <see cref="ToDecimal"/>. Immutable and thread-safe.
/// </remarks>
public readonly record struct Price : IComparable<Price>
{
    /// <summary>Raw units per 1.0 of price.</summary>
    public const long Scale = 100_000_000;

    /// <summary>Creates a price from its raw 10^-8 units.</summary>
    public Price(long raw) => Raw = raw;

    /// <summary>The price in 10^-8 units.</summary>
    public long Raw { get; }

    /// <summary>Zero.</summary>
    public static Price Zero => default;

    /// <summary>True when strictly positive, the only valid value for a traded price.</summary>
    public bool IsPositive => Raw > 0;

    /// <summary>Converts an exact decimal; more than 8 decimal places are rounded half-away-from-zero.</summary>
    /// <exception cref="OverflowException">The value is outside the representable range.</exception>
    public static Price FromDecimal(decimal value) =>
        new(decimal.ToInt64(decimal.Round(value * Scale, 0, MidpointRounding.AwayFromZero)));

    /// <summary>Converts a double (for generated data and statistics), rounding to the nearest 10^-8.</summary>
    public static Price FromDouble(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "Price must be a finite number.");
        }

        return new Price(checked((long)Math.Round(value * Scale, MidpointRounding.AwayFromZero)));
    }

    /// <summary>Builds a price from an integer count of <paramref name="unitsPerOne"/>-ths (e.g. LEAN's deci-cents: 10,000).</summary>
    public static Price FromScaled(long value, long unitsPerOne)
    {
        if (unitsPerOne <= 0 || Scale % unitsPerOne != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(unitsPerOne), unitsPerOne, "Must divide 10^8.");
        }

        return new Price(checked(value * (Scale / unitsPerOne)));
    }

    /// <summary>The exact decimal value.</summary>
    public decimal ToDecimal() => Raw / (decimal)Scale;

    /// <summary>The value as a double (inexact; for statistics and display only).</summary>
    public double ToDouble() => Raw / (double)Scale;

    /// <summary>Rounds to a multiple of <paramref name="tick"/> (half away from zero).</summary>
    public Price RoundTo(Price tick)
    {
        if (tick.Raw <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(tick), "Tick size must be positive.");
        }

        var q = Math.DivRem(Raw, tick.Raw, out var r);
        if (Math.Abs(r) * 2 >= tick.Raw)
        {
            q += Math.Sign(r);
        }

        return new Price(q * tick.Raw);
    }

    /// <inheritdoc />
    public int CompareTo(Price other) => Raw.CompareTo(other.Raw);

    /// <summary>Sum of two prices (checked).</summary>
    public static Price operator +(Price a, Price b) => new(checked(a.Raw + b.Raw));

    /// <summary>Difference of two prices (checked).</summary>
    public static Price operator -(Price a, Price b) => new(checked(a.Raw - b.Raw));

    /// <summary>Less than.</summary>
    public static bool operator <(Price a, Price b) => a.Raw < b.Raw;

    /// <summary>Greater than.</summary>
    public static bool operator >(Price a, Price b) => a.Raw > b.Raw;

    /// <summary>Less or equal.</summary>
    public static bool operator <=(Price a, Price b) => a.Raw <= b.Raw;

    /// <summary>Greater or equal.</summary>
    public static bool operator >=(Price a, Price b) => a.Raw >= b.Raw;

    /// <summary>The larger of two prices.</summary>
    public static Price Max(Price a, Price b) => a.Raw >= b.Raw ? a : b;

    /// <summary>The smaller of two prices.</summary>
    public static Price Min(Price a, Price b) => a.Raw <= b.Raw ? a : b;

    /// <summary>Invariant text without trailing zeros, e.g. <c>168.02</c>.</summary>
    public override string ToString() => ToDecimal().ToString("0.########", CultureInfo.InvariantCulture);
}
