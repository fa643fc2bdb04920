using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.Orders;
using BigDataTrading.Core.Positions;

namespace BigDataTrading.Trading.Positions;

/// <summary>
/// Positions per symbol built only from fills (never from intents), de-duplicated by execution id so a resent
/// execution report cannot double count. Thread-safe: fills arrive on the FIX reader while risk reads positions.
/// </summary>
public sealed class PositionBook
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Symbol, Position> _positions = [];
    private readonly HashSet<string> _executionIds = new(StringComparer.Ordinal);

    /// <summary>Applies a fill; returns false (and changes nothing) when its execution id was already applied.</summary>
    public bool Apply(Fill fill)
    {
        lock (_gate)
        {
            if (!_executionIds.Add(fill.ExecutionId))
            {
                return false;
            }

            var current = _positions.GetValueOrDefault(fill.Symbol) ?? Position.Flat(fill.Symbol);
            _positions[fill.Symbol] = current.Apply(fill);
            return true;
        }
    }

    /// <summary>Signed quantity held in a symbol (0 when none).</summary>
    public long QuantityOf(Symbol symbol)
    {
        lock (_gate)
        {
            return _positions.GetValueOrDefault(symbol)?.Quantity ?? 0;
        }
    }

    /// <summary>A consistent copy of every position, ordered by symbol.</summary>
    public IReadOnlyList<Position> Snapshot()
    {
        lock (_gate)
        {
            return _positions.Values.OrderBy(p => p.Symbol).ToList();
        }
    }
}
