using System.Text.Json;
using System.Text.Json.Serialization;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Orders;
using BigDataTrading.Core.Signals;
using BigDataTrading.Core.Time;

namespace BigDataTrading.Core.Wire;

/// <summary>
/// JSON (UTF-8) encoding of the low-volume business records on Kafka: signals, orders and executions. Low volume and
/// read by people and other languages, so readability beats compactness here. Prices are decimal strings-as-numbers,
/// times are ISO-8601 UTC, enums are names. Thread-safe.
/// </summary>
public static class JsonRecords
{
    /// <summary>Options used for every record: camelCase, enum names, converters for the domain primitives.</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    /// <summary>Serializes a record to UTF-8 JSON.</summary>
    public static byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Options);

    /// <summary>Deserializes a record from UTF-8 JSON.</summary>
    /// <exception cref="FormatException">The bytes are not valid JSON for <typeparamref name="T"/>.</exception>
    public static T Deserialize<T>(ReadOnlySpan<byte> utf8)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(utf8, Options) ?? throw new FormatException($"JSON null where a {typeof(T).Name} was expected.");
        }
        catch (JsonException ex)
        {
            throw new FormatException($"Invalid {typeof(T).Name} JSON: {ex.Message}", ex);
        }
    }

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        options.Converters.Add(new JsonStringEnumConverter());
        options.Converters.Add(new SymbolConverter());
        options.Converters.Add(new PriceConverter());
        options.Converters.Add(new TimestampConverter());
        options.Converters.Add(new ClientOrderIdConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    private sealed class SymbolConverter : JsonConverter<Symbol>
    {
        public override Symbol Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            Symbol.Parse(reader.GetString() ?? throw new JsonException("Symbol is null."));

        public override void Write(Utf8JsonWriter writer, Symbol value, JsonSerializerOptions options) => writer.WriteStringValue(value.Value);
    }

    private sealed class PriceConverter : JsonConverter<Price>
    {
        public override Price Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => Price.FromDecimal(reader.GetDecimal());

        public override void Write(Utf8JsonWriter writer, Price value, JsonSerializerOptions options) => writer.WriteNumberValue(value.ToDecimal());
    }

    private sealed class TimestampConverter : JsonConverter<Timestamp>
    {
        public override Timestamp Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            Timestamp.FromDateTimeOffset(reader.GetDateTimeOffset());

        public override void Write(Utf8JsonWriter writer, Timestamp value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToDateTimeOffset());
    }

    private sealed class ClientOrderIdConverter : JsonConverter<ClientOrderId>
    {
        public override ClientOrderId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            new(reader.GetString() ?? throw new JsonException("Client order id is null."));

        public override void Write(Utf8JsonWriter writer, ClientOrderId value, JsonSerializerOptions options) => writer.WriteStringValue(value.Value);
    }
}

