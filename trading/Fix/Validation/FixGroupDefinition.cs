using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;

namespace BigDataTrading.Fix;

/// <summary>
/// The shape of one FIX repeating group: its NumInGroup count tag, its member tags in the order the specification
/// gives them (the first one is the delimiter that starts every instance), which members each instance must carry,
/// and the groups nested inside it.
/// </summary>
/// <remarks>
/// Obtained from a loaded data dictionary (<see cref="FixDataDictionary.TryGetGroup"/>) or built by hand for a
/// venue's custom group. Used to validate (<see cref="FixDataDictionary.Validate"/>), decode
/// (<see cref="FixMessage.TryGetGroup"/>) and encode (<see cref="FixMessageBuilder.BeginGroup"/>) groups with the same
/// rules. Immutable and thread-safe.
/// </remarks>
public sealed class FixGroupDefinition
{
    private readonly int[] _members;
    private readonly int[] _required;
    private readonly FrozenDictionary<int, int> _positions;
    private readonly FrozenDictionary<int, FixGroupDefinition> _nested;

    /// <summary>Defines a group.</summary>
    /// <param name="countTag">The NumInGroup tag (e.g. 453 NoPartyIDs).</param>
    /// <param name="members">Member tags in specification order; the first is the delimiter. Count tags of nested groups are members too.</param>
    /// <param name="requiredMembers">Members every instance must contain (the delimiter always is).</param>
    /// <param name="nestedGroups">Groups whose count tag is one of <paramref name="members"/>.</param>
    /// <exception cref="ArgumentException">No members, a repeated member, or a required/nested tag that is not a member.</exception>
    public FixGroupDefinition(int countTag, IEnumerable<int> members, IEnumerable<int>? requiredMembers = null, IEnumerable<FixGroupDefinition>? nestedGroups = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(countTag);
        ArgumentNullException.ThrowIfNull(members);
        CountTag = countTag;
        _members = [.. members];
        if (_members.Length == 0)
        {
            throw new ArgumentException($"Group {countTag} has no members.", nameof(members));
        }

        var positions = new Dictionary<int, int>();
        for (var i = 0; i < _members.Length; i++)
        {
            if (!positions.TryAdd(_members[i], i))
            {
                throw new ArgumentException($"Group {countTag} lists member {_members[i]} twice.", nameof(members));
            }
        }

        _positions = positions.ToFrozenDictionary();
        _required = [.. (requiredMembers ?? []).Distinct()];
        foreach (var tag in _required)
        {
            if (!positions.ContainsKey(tag))
            {
                throw new ArgumentException($"Required tag {tag} is not a member of group {countTag}.", nameof(requiredMembers));
            }
        }

        var nested = new Dictionary<int, FixGroupDefinition>();
        foreach (var group in nestedGroups ?? [])
        {
            if (!positions.ContainsKey(group.CountTag))
            {
                throw new ArgumentException($"Nested group {group.CountTag} is not a member of group {countTag}.", nameof(nestedGroups));
            }

            nested[group.CountTag] = group;
        }

        _nested = nested.ToFrozenDictionary();
    }

    /// <summary>The NumInGroup tag that precedes the instances.</summary>
    public int CountTag { get; }

    /// <summary>The first member: every instance starts with it.</summary>
    public int Delimiter => _members[0];

    /// <summary>Member tags in specification order.</summary>
    public IReadOnlyList<int> Members => _members;

    /// <summary>Members every instance must contain.</summary>
    public IReadOnlyList<int> RequiredMembers => _required;

    /// <summary>The required members without an enumerator allocation (hot path of the builder).</summary>
    internal ReadOnlySpan<int> RequiredSpan => _required;

    /// <summary>The groups nested directly in this one.</summary>
    public IEnumerable<FixGroupDefinition> NestedGroups => _nested.Values;

    /// <summary>The position of <paramref name="tag"/> among the members (0 = delimiter), or -1 when it is not a member.</summary>
    public int PositionOf(int tag) => _positions.TryGetValue(tag, out var position) ? position : -1;

    /// <summary>The nested group whose count tag is <paramref name="countTag"/>.</summary>
    public bool TryGetNestedGroup(int countTag, [NotNullWhen(true)] out FixGroupDefinition? group) => _nested.TryGetValue(countTag, out group);

    /// <summary>
    /// Walks the instances of this group in <paramref name="message"/>, whose count field is at
    /// <paramref name="countIndex"/>, up to <paramref name="end"/> (exclusive field index). Returns the index of the
    /// first field after the group. Rules (FIX 4.4 Vol 1, "Repeating Groups"): the count is a non-negative integer;
    /// each instance starts with the delimiter; members follow in specification order, each at most once per instance;
    /// the first field that is not a member ends the group; the number of instances must equal the count; every
    /// required member is present in each instance; nested groups follow the same rules.
    /// </summary>
    internal int Walk(IFixFields message, int countIndex, int end, List<(int Start, int End)>? instances, out FixValidationError? error)
    {
        error = null;
        if (!FixValue.TryParseInt(message.GetValueAt(countIndex), out var declared) || declared < 0)
        {
            error = new FixValidationError(FixSessionRejectReason.IncorrectDataFormat, CountTag);
            return countIndex + 1;
        }

        var i = countIndex + 1;
        var count = 0;
        var last = -1;
        var start = -1;
        while (i < end)
        {
            var tag = message.GetTagAt(i);
            var position = PositionOf(tag);
            if (position < 0)
            {
                break;
            }

            if (position == 0)
            {
                if (!CloseInstance(message, start, i, instances, out error))
                {
                    return i;
                }

                count++;
                start = i;
            }
            else if (count == 0)
            {
                if (declared == 0)
                {
                    // An empty group ends at its count; this field belongs to the enclosing level.
                    break;
                }

                error = new FixValidationError(FixSessionRejectReason.RepeatingGroupFieldsOutOfOrder, tag);
                return i;
            }
            else if (position <= last)
            {
                error = new FixValidationError(FixSessionRejectReason.RepeatingGroupFieldsOutOfOrder, tag);
                return i;
            }

            last = position;
            if (_nested.TryGetValue(tag, out var nested))
            {
                i = nested.Walk(message, i, end, null, out error);
                if (error is not null)
                {
                    return i;
                }
            }
            else
            {
                i++;
            }
        }

        if (!CloseInstance(message, start, i, instances, out error))
        {
            return i;
        }

        if (count != declared)
        {
            error = new FixValidationError(FixSessionRejectReason.IncorrectNumInGroupCountForRepeatingGroup, CountTag);
        }

        return i;
    }

    private bool CloseInstance(IFixFields message, int start, int end, List<(int Start, int End)>? instances, out FixValidationError? error)
    {
        error = null;
        if (start < 0)
        {
            return true;
        }

        foreach (var required in _required.AsSpan())
        {
            var found = false;
            for (var i = start; i < end && !found; i++)
            {
                found = message.GetTagAt(i) == required;
            }

            if (!found)
            {
                error = new FixValidationError(FixSessionRejectReason.RequiredTagMissing, required);
                return false;
            }
        }

        instances?.Add((start, end));
        return true;
    }
}
