namespace BigDataTrading.Fix;

/// <summary>
/// A typed application message that can be sent on a <see cref="FixSession"/>: it knows its MsgType and
/// writes its body fields; the session adds the standard header and trailer.
/// </summary>
public interface IFixApplicationMessage
{
    /// <summary>MsgType (35).</summary>
    string MsgType { get; }

    /// <summary>Appends the body fields (not the header) to <paramref name="builder"/>.</summary>
    void WriteBody(FixMessageBuilder builder);
}

/// <summary>Helpers for <see cref="IFixApplicationMessage"/>.</summary>
public static class FixApplicationMessageExtensions
{
    /// <summary>A builder holding this message's body fields.</summary>
    public static FixMessageBuilder ToBuilder(this IFixApplicationMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var builder = new FixMessageBuilder(message.MsgType);
        message.WriteBody(builder);
        return builder;
    }

    /// <summary>Encodes the complete frame with <paramref name="header"/> (useful for tests and tools).</summary>
    public static byte[] Encode(this IFixApplicationMessage message, in FixHeader header) => message.ToBuilder().Build(header);
}

/// <summary>Shared decoding helpers that turn a missing/invalid required field into an error text.</summary>
internal static class FieldReader
{
    public static bool String(FixMessage m, int tag, string name, ref string? value, ref string? error)
    {
        if (m.TryGetString(tag, out var s))
        {
            value = s;
            return true;
        }

        error ??= $"{name}({tag}) is missing";
        return false;
    }

    public static bool Decimal(FixMessage m, int tag, string name, ref decimal value, ref string? error)
    {
        if (m.TryGetDecimal(tag, out value))
        {
            return true;
        }

        error ??= m.Contains(tag) ? $"{name}({tag}) is not a number" : $"{name}({tag}) is missing";
        return false;
    }

    public static bool Char(FixMessage m, int tag, string name, ref char value, ref string? error)
    {
        if (m.TryGetChar(tag, out value))
        {
            return true;
        }

        error ??= m.Contains(tag) ? $"{name}({tag}) must be one character" : $"{name}({tag}) is missing";
        return false;
    }

    public static bool Timestamp(FixMessage m, int tag, string name, ref DateTimeOffset value, ref string? error)
    {
        if (m.TryGetTimestamp(tag, out value))
        {
            return true;
        }

        error ??= m.Contains(tag) ? $"{name}({tag}) is not a UTCTimestamp" : $"{name}({tag}) is missing";
        return false;
    }

    public static bool OptionalDecimal(FixMessage m, int tag, string name, ref decimal? value, ref string? error)
    {
        if (!m.Contains(tag))
        {
            value = null;
            return true;
        }

        if (m.TryGetDecimal(tag, out var d))
        {
            value = d;
            return true;
        }

        error ??= $"{name}({tag}) is not a number";
        return false;
    }

    public static void ExpectType(FixMessage m, string msgType, ref string? error)
    {
        if (m.MsgType != msgType)
        {
            error ??= $"MsgType {m.MsgType} is not {msgType}";
        }
    }
}
