using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace BigDataTrading.Fix;

/// <summary>
/// One instance of a repeating group in a <see cref="FixMessage"/> or <see cref="FixMessageView"/>: a window over the
/// message's fields from the group's delimiter up to the next instance (or the end of the group). Getters read the
/// bytes in place and allocate nothing (except <see cref="GetString"/>); a tag repeated in nested groups is found in
/// its first occurrence in this window.
/// </summary>
/// <remarks>Immutable; as thread-safe as the message it points into. One from a <see cref="FixMessageView"/> is valid
/// only until the view loads another message.</remarks>
public readonly struct FixGroupInstance
{
    private readonly IFixFields _message;
    private readonly int _start;
    private readonly int _end;

    internal FixGroupInstance(IFixFields message, FixGroupDefinition definition, int start, int end)
    {
        _message = message;
        Definition = definition;
        _start = start;
        _end = end;
    }

    /// <summary>The group this is an instance of.</summary>
    public FixGroupDefinition Definition { get; }

    /// <summary>Number of fields in this instance, including those of nested groups.</summary>
    public int FieldCount => _end - _start;

    /// <summary>The tag of the field at <paramref name="index"/> within this instance (wire order).</summary>
    public int GetTagAt(int index) => _message.GetTagAt(Absolute(index));

    /// <summary>The value bytes of the field at <paramref name="index"/> within this instance.</summary>
    public ReadOnlySpan<byte> GetValueAt(int index) => _message.GetValueAt(Absolute(index));

    /// <summary>True when <paramref name="tag"/> is present in this instance.</summary>
    public bool Contains(int tag) => IndexOf(tag) >= 0;

    /// <summary>The raw value bytes of <paramref name="tag"/> in this instance.</summary>
    public bool TryGetValue(int tag, out ReadOnlySpan<byte> value)
    {
        var index = IndexOf(tag);
        value = index < 0 ? default : _message.GetValueAt(index);
        return index >= 0;
    }

    /// <summary>Decodes a field as a string (allocates); null when absent.</summary>
    public string? GetString(int tag) => TryGetValue(tag, out var value) ? Encoding.UTF8.GetString(value) : null;

    /// <summary>Parses an integer field.</summary>
    public bool TryGetInt(int tag, out int value)
    {
        value = 0;
        return TryGetValue(tag, out var span) && FixValue.TryParseInt(span, out value);
    }

    /// <summary>Parses a decimal (Qty/Price/Amt) field.</summary>
    public bool TryGetDecimal(int tag, out decimal value)
    {
        value = 0;
        return TryGetValue(tag, out var span) && FixValue.TryParseDecimal(span, out value);
    }

    /// <summary>Reads a single-character field.</summary>
    public bool TryGetChar(int tag, out char value)
    {
        value = default;
        return TryGetValue(tag, out var span) && FixValue.TryParseChar(span, out value);
    }

    /// <summary>
    /// Reads a group nested in this instance (see <see cref="FixMessage.TryGetGroup"/>): true with its instances
    /// (none when its count tag is absent), false with the reason when it is malformed.
    /// </summary>
    public bool TryGetGroup(FixGroupDefinition nested, out IReadOnlyList<FixGroupInstance> instances, [NotNullWhen(false)] out FixValidationError? error) =>
        FixGroupReader.TryRead(_message, nested, _start, _end, out instances, out error);

    private int Absolute(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)FieldCount, nameof(index));
        return _start + index;
    }

    private int IndexOf(int tag)
    {
        for (var i = _start; i < _end; i++)
        {
            if (_message.GetTagAt(i) == tag)
            {
                return i;
            }
        }

        return -1;
    }
}

/// <summary>Positional access to the fields of a parsed message, shared by <see cref="FixMessage"/> and <see cref="FixMessageView"/> so groups are walked by one piece of code.</summary>
internal interface IFixFields
{
    int FieldCount { get; }

    int GetTagAt(int index);

    ReadOnlySpan<byte> GetValueAt(int index);
}

/// <summary>Finds a group's count field in a range of a message and cuts the instances that follow it.</summary>
internal static class FixGroupReader
{
    public static bool TryRead(IFixFields message, FixGroupDefinition group, int start, int end, out IReadOnlyList<FixGroupInstance> instances, [NotNullWhen(false)] out FixValidationError? error)
    {
        ArgumentNullException.ThrowIfNull(group);
        instances = [];
        error = null;
        for (var i = start; i < end; i++)
        {
            if (message.GetTagAt(i) != group.CountTag)
            {
                continue;
            }

            var ranges = new List<(int Start, int End)>();
            group.Walk(message, i, end, ranges, out var walkError);
            if (walkError is { } failure)
            {
                error = failure;
                return false;
            }

            instances = [.. ranges.Select(r => new FixGroupInstance(message, group, r.Start, r.End))];
            return true;
        }

        return true;
    }
}
