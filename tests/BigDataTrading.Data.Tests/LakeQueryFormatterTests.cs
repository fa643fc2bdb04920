using System.Text.Json;
using BigDataTrading.Warehouse;
using BigDataTrading.Warehouse.Sql;
using Xunit;

namespace BigDataTrading.Data.Tests;

public sealed class LakeQueryFormatterTests
{
    private static readonly LakeQueryResult s_result = new(
        ["symbol", "note", "price", "n", "at"],
        [
            ["SPY", "plain", 167.42m, 12L, new DateTime(2013, 10, 8, 13, 30, 0, 123, DateTimeKind.Unspecified)],
            ["A,B", "say \"hi\"\r\nbye", -0.00000001m, null, new DateTime(2013, 10, 8, 0, 0, 0, DateTimeKind.Unspecified)],
        ]);

    [Fact]
    public void Csv_follows_RFC_4180_quoting_with_CRLF_records_and_empty_nulls()
    {
        var text = Format(LakeOutputFormat.Csv);

        Assert.Equal(
            "symbol,note,price,n,at\r\n" +
            "SPY,plain,167.42,12,2013-10-08 13:30:00.123\r\n" +
            "\"A,B\",\"say \"\"hi\"\"\r\nbye\",-0.00000001,,2013-10-08 00:00:00\r\n",
            text);
    }

    [Fact]
    public void Json_is_an_array_of_objects_with_exact_numbers_and_nulls()
    {
        using var doc = JsonDocument.Parse(Format(LakeOutputFormat.Json));

        var rows = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal(2, rows.Count);
        Assert.Equal("A,B", rows[1].GetProperty("symbol").GetString());
        Assert.Equal("say \"hi\"\r\nbye", rows[1].GetProperty("note").GetString());
        Assert.Equal(167.42m, rows[0].GetProperty("price").GetDecimal());
        Assert.Equal(-0.00000001m, rows[1].GetProperty("price").GetDecimal());
        Assert.Equal(JsonValueKind.Null, rows[1].GetProperty("n").ValueKind);
        Assert.Equal("2013-10-08T13:30:00.123", rows[0].GetProperty("at").GetString());
    }

    [Fact]
    public void Table_aligns_columns_right_aligns_numbers_and_counts_rows()
    {
        var result = new LakeQueryResult(["symbol", "volume"], [["SPY", 5L], ["AAPL", 12345L], ["X", null]]);
        using var writer = new StringWriter();
        LakeQueryFormatter.Write(result, writer, LakeOutputFormat.Table);

        Assert.Equal(
            [
                "symbol | volume",
                "-------+-------",
                "SPY    |      5",
                "AAPL   |  12345",
                "X      |   NULL",
                "(3 rows)",
            ],
            writer.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    private static string Format(LakeOutputFormat format)
    {
        using var writer = new StringWriter();
        LakeQueryFormatter.Write(s_result, writer, format);
        return writer.ToString();
    }
}
