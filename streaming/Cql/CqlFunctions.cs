using System.Runtime.CompilerServices;
using BigDataTrading.Core.Instruments;

namespace BigDataTrading.Streaming.Cql;

/// <summary>Helpers the compiled expressions call (Int128 arithmetic is simpler to call than to build as trees).</summary>
internal static class CqlFunctions
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Int128 AddWide(Int128 a, long b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Int128 AddProduct(Int128 a, long x, long y) => a + ((Int128)x * y);

    /// <summary>VWAP in raw price units, rounded half up as <c>BarBuilder</c> does; 0 when no volume.</summary>
    public static long Vwap(Int128 notional, long volume) => volume == 0 ? 0 : (long)((notional + (volume / 2)) / volume);

    public static long WideToLong(Int128 value) => (long)value;

    public static double WideToDouble(Int128 value) => (double)value;

    /// <summary>Sample standard deviation from Welford's M2; NaN (CQL's stand-in for NULL) below two values.</summary>
    public static double StdDev(long n, double m2) => n < 2 ? double.NaN : Math.Sqrt(m2 / (n - 1));

    public static long DoubleBits(double value) => BitConverter.DoubleToInt64Bits(value);

    public static double PriceToDouble(long raw) => raw / (double)Price.Scale;

    public static bool StringEquals(string? a, string? b) => string.Equals(a, b, StringComparison.Ordinal);

    public static int CompareOrdinal(string? a, string? b) => string.CompareOrdinal(a, b);

    /// <summary>A non-string table value; 0 when a LEFT join found no row.</summary>
    public static long TableLong(CqlTableRow? row, int ordinal) => row is null ? 0 : row.Longs[ordinal];

    /// <summary>A string table value; empty when a LEFT join found no row.</summary>
    public static string TableString(CqlTableRow? row, int ordinal) => row?.Strings[ordinal] ?? string.Empty;
}
