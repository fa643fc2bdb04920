using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;

namespace BigDataTrading.Warehouse.Sql;

/// <summary>Output formats of <see cref="LakeQueryFormatter"/>.</summary>
public enum LakeOutputFormat
{
    /// <summary>Aligned text table for people: a header, a rule, numbers right-aligned, NULL spelled out, a row count.</summary>
    Table,

    /// <summary>RFC 4180 CSV: a header record, CRLF line ends, fields with comma, quote, CR or LF quoted with quotes doubled;
    /// SQL NULL is an empty field.</summary>
    Csv,

    /// <summary>A JSON array with one object per row (column name → value); numbers stay numbers (exact decimals), SQL NULL
    /// is null, times are ISO 8601 strings.</summary>
    Json,
}

/// <summary>
/// Writes a <see cref="LakeQueryResult"/> as text. Values print culture-invariantly: decimals exactly as stored,
/// timestamps as <c>yyyy-MM-dd HH:mm:ss.fffffff</c> (trailing zeros of the fraction dropped; DuckDB.NET hands
/// TIMESTAMP_NS over as <see cref="DateTime"/>, so digits beyond 100 ns are not shown — select <c>epoch_ns(col)</c>
/// for exact nanoseconds). Stateless and thread-safe.
/// </summary>
public static class LakeQueryFormatter
{
    /// <summary>Writes the result in a format.</summary>
    public static void Write(LakeQueryResult result, TextWriter output, LakeOutputFormat format)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(output);
        switch (format)
        {
            case LakeOutputFormat.Table:
                WriteTable(result, output);
                break;
            case LakeOutputFormat.Csv:
                WriteCsv(result, output);
                break;
            case LakeOutputFormat.Json:
                WriteJson(result, output);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown output format.");
        }
    }

    /// <summary>A value as text the way the table and CSV formats print it; null for SQL NULL.</summary>
    public static string? ToText(object? value) => value switch
    {
        null or DBNull => null,
        string s => s,
        bool b => b ? "true" : "false",
        DateTime t => t.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture).TrimEnd('.'),
        DateTimeOffset t => t.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        TimeOnly t => t.ToString("HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture).TrimEnd('.'),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        byte[] bytes => "\\x" + Convert.ToHexString(bytes),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    private static bool IsNumeric(object? value) =>
        value is sbyte or byte or short or ushort or int or uint or long or ulong or float or double or decimal or BigInteger or Int128 or UInt128;

    private static void WriteTable(LakeQueryResult result, TextWriter output)
    {
        var columns = result.Columns.Count;
        var cells = result.Rows.Select(r => r.Select(v => ToText(v) ?? "NULL").ToArray()).ToList();
        var widths = new int[columns];
        var numeric = new bool[columns];
        for (var c = 0; c < columns; c++)
        {
            widths[c] = result.Columns[c].Length;
            numeric[c] = result.Rows.Count > 0 && result.Rows.All(r => r[c] is null || IsNumeric(r[c]));
            foreach (var row in cells)
            {
                widths[c] = Math.Max(widths[c], row[c].Length);
            }
        }

        var line = new StringBuilder();
        void Emit(IReadOnlyList<string> values, bool header)
        {
            line.Clear();
            for (var c = 0; c < columns; c++)
            {
                if (c > 0)
                {
                    line.Append(" | ");
                }

                line.Append(numeric[c] && !header ? values[c].PadLeft(widths[c]) : values[c].PadRight(widths[c]));
            }

            output.WriteLine(line.ToString().TrimEnd());
        }

        Emit(result.Columns, header: true);
        output.WriteLine(string.Join("-+-", widths.Select(w => new string('-', w))));
        foreach (var row in cells)
        {
            Emit(row, header: false);
        }

        output.WriteLine(result.Rows.Count == 1 ? "(1 row)" : string.Create(CultureInfo.InvariantCulture, $"({result.Rows.Count} rows)"));
    }

    private static void WriteCsv(LakeQueryResult result, TextWriter output)
    {
        output.Write(string.Join(",", result.Columns.Select(Csv)));
        output.Write("\r\n");
        foreach (var row in result.Rows)
        {
            output.Write(string.Join(",", row.Select(v => Csv(ToText(v)))));
            output.Write("\r\n");
        }

        static string Csv(string? field) =>
            field is null ? string.Empty
            : field.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : field;
    }

    private static void WriteJson(LakeQueryResult result, TextWriter output)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartArray();
            foreach (var row in result.Rows)
            {
                json.WriteStartObject();
                for (var c = 0; c < result.Columns.Count; c++)
                {
                    json.WritePropertyName(result.Columns[c]);
                    WriteJsonValue(json, row[c]);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        output.WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    private static void WriteJsonValue(Utf8JsonWriter json, object? value)
    {
        switch (value)
        {
            case null or DBNull:
                json.WriteNullValue();
                break;
            case bool b:
                json.WriteBooleanValue(b);
                break;
            case sbyte or byte or short or ushort or int or uint or long:
                json.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case ulong u:
                json.WriteNumberValue(u);
                break;
            case decimal m:
                json.WriteNumberValue(m);
                break;
            case double d when double.IsFinite(d):
                json.WriteNumberValue(d);
                break;
            case float f when float.IsFinite(f):
                json.WriteNumberValue(f);
                break;
            case BigInteger or Int128 or UInt128:
                json.WriteRawValue(((IFormattable)value).ToString(null, CultureInfo.InvariantCulture));
                break;
            case DateTime t:
                json.WriteStringValue(t.ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture).TrimEnd('.'));
                break;
            default:
                json.WriteStringValue(ToText(value));
                break;
        }
    }
}
