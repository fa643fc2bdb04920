using System.Collections.Immutable;
using System.Linq.Expressions;
using BigDataTrading.Core.MarketData;

namespace BigDataTrading.Streaming.Cql;

/// <summary>What a name in a query can refer to: a stream's trade or quote, a joined quote, a table row.</summary>
internal enum BindingKind
{
    Trade,
    Quote,
    Table,
}

/// <summary>One named source of columns in a query: the FROM stream, a joined stream or table, or a pattern step.</summary>
/// <param name="Name">The name qualifiers use: the alias, else the source's name (pattern steps: the step name).</param>
/// <param name="Source">The stream or table name.</param>
/// <param name="Kind">What it reads.</param>
/// <param name="Columns">The columns it declares.</param>
/// <param name="Step">Pattern step index, or −1.</param>
internal sealed record CqlBinding(string Name, string Source, BindingKind Kind, ImmutableArray<CqlColumnDefinition> Columns, int Step = -1);

/// <summary>
/// The shape of the event a compiled delegate receives and how each binding is read from it: a plain trade or quote, a
/// <see cref="Joined{TLeft}"/> (left, quote, row), or a pattern's current event plus its captured events.
/// </summary>
internal sealed class CqlFrame
{
    public required Type EventType { get; init; }

    /// <summary>Bindings; [0] is the driving stream (or the first pattern step).</summary>
    public required ImmutableArray<CqlBinding> Bindings { get; init; }

    /// <summary>The event is a <see cref="Joined{TLeft}"/>.</summary>
    public bool Joined { get; init; }

    /// <summary>Pattern frames: the step being matched (its binding reads the current event), or −1 in the SELECT.</summary>
    public int CurrentStep { get; init; } = -1;

    public bool Pattern { get; init; }

    public static CqlFrame ForStream(CreateStreamStatement stream, string? alias)
    {
        var kind = CqlCompiler.KindOf(stream);
        return new CqlFrame
        {
            EventType = kind == CqlStreamKind.Quotes ? typeof(QuoteTick) : typeof(TradeTick),
            Bindings = [new CqlBinding(alias ?? stream.Name, stream.Name, kind == CqlStreamKind.Quotes ? BindingKind.Quote : BindingKind.Trade, stream.Columns)],
        };
    }

    /// <summary>The expression that reads a binding's struct (trade or quote) or row (table) from the event <paramref name="e"/> (pattern frames: or the captured events).</summary>
    public Expression Access(CqlBinding binding, ParameterExpression e, ParameterExpression captured, ParameterExpression b)
    {
        if (Pattern)
        {
            return binding.Step == CurrentStep ? e : Expression.ArrayAccess(captured, Expression.Add(b, Expression.Constant(binding.Step)));
        }

        if (!Joined)
        {
            return e;
        }

        if (binding == Bindings[0])
        {
            return Expression.Field(e, "Left");
        }

        return binding.Kind == BindingKind.Table ? Expression.Field(e, "Row") : Expression.Field(e, "Quote");
    }

    /// <summary>
    /// Resolves a column: a qualified name must name a binding; an unqualified one reads the default binding (the FROM
    /// stream, or the pattern step being matched) when it has the column, else the one other binding that has it.
    /// </summary>
    public (CqlBinding Binding, CqlColumnDefinition Column) Resolve(CqlColumnRef c)
    {
        if (c.Qualifier is { } qualifier)
        {
            var binding = Bindings.FirstOrDefault(b => string.Equals(b.Name, qualifier, StringComparison.OrdinalIgnoreCase));
            if (binding is null)
            {
                throw new CqlException(c.Position, $"unknown name '{qualifier}'", $"qualify columns with {string.Join(", ", Bindings.Select(b => b.Name))}" + CqlParser.Suggest(qualifier, Bindings.Select(b => b.Name)));
            }

            return (binding, Find(binding, c) ?? throw Unknown(c, binding));
        }

        var first = Pattern && CurrentStep >= 0 ? Bindings[CurrentStep] : Bindings[0];
        if (Find(first, c) is { } own)
        {
            return (first, own);
        }

        var others = Bindings.Where(b => b != first && Find(b, c) is not null).ToList();
        if (others.Count == 1)
        {
            return (others[0], Find(others[0], c)!);
        }

        if (others.Count > 1)
        {
            throw new CqlException(c.Position, $"column '{c.Name}' is ambiguous: {string.Join(", ", others.Select(o => o.Name))} all have it", $"qualify it, e.g. {others[0].Name}.{c.Name}");
        }

        throw Unknown(c, first);
    }

    private CqlColumnDefinition? Find(CqlBinding binding, CqlColumnRef c)
    {
        if (Pattern && binding.Step > CurrentStep && CurrentStep >= 0)
        {
            return null;
        }

        var declared = binding.Columns.FirstOrDefault(d => string.Equals(d.Name, c.Name, StringComparison.OrdinalIgnoreCase));
        if (declared is null && c.Position == default && binding.Kind != BindingKind.Table)
        {
            // The engine's own reads (event time) need not be declared.
            var fields = binding.Kind == BindingKind.Quote ? StreamColumns.Quote : StreamColumns.Trade;
            return fields.TryGetValue(c.Name, out var type) ? new CqlColumnDefinition(c.Name, type, default) : null;
        }

        return declared;
    }

    private CqlException Unknown(CqlColumnRef c, CqlBinding binding)
    {
        if (Pattern && c.Qualifier is not null && binding.Step > CurrentStep && CurrentStep >= 0)
        {
            return new CqlException(c.Position, $"step '{binding.Name}' comes after this one, so its event is not known yet", "a step's condition may refer to itself and to earlier steps");
        }

        var hint = c.Name.StartsWith("window_", StringComparison.OrdinalIgnoreCase)
            ? $"{c.Name} exists only in the SELECT and HAVING of a windowed query"
            : $"{binding.Name} has columns {string.Join(", ", binding.Columns.Select(d => d.Name))}" + CqlParser.Suggest(c.Name, binding.Columns.Select(d => d.Name));
        return new CqlException(c.Position, $"unknown column '{c.Name}'", hint);
    }
}
