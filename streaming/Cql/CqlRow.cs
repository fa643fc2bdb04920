using System.Collections.Immutable;
using System.Globalization;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;

namespace BigDataTrading.Streaming.Cql;

/// <summary>An output column of a query.</summary>
/// <param name="Name">Column name (the alias, or the expression's text).</param>
/// <param name="Type">Value type.</param>
public sealed record CqlColumn(string Name, CqlType Type);

/// <summary>
/// One output row of a query, handed to <see cref="ICqlSink.OnRow"/>. The query reuses one instance for every row so
/// the hot path does not allocate: a row is valid only during the callback; keep <see cref="ToValues"/> (or the typed
/// values you need) if you want it later. Not thread-safe.
/// </summary>
public sealed class CqlRow
{
    internal CqlRow(string query, ImmutableArray<CqlColumn> columns)
    {
        Query = query;
        Columns = columns;
        Longs = new long[columns.Length];
        Strings = new string?[columns.Length];
    }

    /// <summary>Name of the query that produced the row.</summary>
    public string Query { get; }

    /// <summary>The output schema.</summary>
    public ImmutableArray<CqlColumn> Columns { get; }

    /// <summary>The group key (the symbol's text) of a grouped query or the input symbol of a stateless one; empty for a global window.</summary>
    public string Key { get; internal set; } = string.Empty;

    /// <summary>Inclusive window start (Unix ns) of a windowed query; 0 for stateless queries.</summary>
    public Timestamp WindowStart { get; internal set; }

    /// <summary>
    /// Window end (Unix ns): exclusive for tumbling and hopping windows; for a session, the time of its last event
    /// (inclusive); 0 for stateless queries.
    /// </summary>
    public Timestamp WindowEnd { get; internal set; }

    /// <summary>True when the row is the final value of its window (EMIT FINAL), false for an update (EMIT CHANGES) or a stateless row.</summary>
    public bool IsFinal { get; internal set; }

    // Every non-string value lives in one long per column (DOUBLE as its IEEE bits), so projections write to one array.
    internal long[] Longs { get; }

    internal string?[] Strings { get; }

    /// <summary>A BIGINT column (or the raw value of PRICE, TIMESTAMP, CHAR, BOOLEAN columns).</summary>
    public long GetInt64(int ordinal) => Longs[ordinal];

    /// <summary>A DOUBLE column; a BIGINT or PRICE column converted.</summary>
    public double GetDouble(int ordinal) => Columns[ordinal].Type switch
    {
        CqlType.Double => BitConverter.Int64BitsToDouble(Longs[ordinal]),
        CqlType.Price => Longs[ordinal] / (double)Price.Scale,
        _ => Longs[ordinal],
    };

    /// <summary>A PRICE column.</summary>
    public Price GetPrice(int ordinal) => new(Longs[ordinal]);

    /// <summary>A TIMESTAMP column.</summary>
    public Timestamp GetTimestamp(int ordinal) => new(Longs[ordinal]);

    /// <summary>A BOOLEAN column.</summary>
    public bool GetBoolean(int ordinal) => Longs[ordinal] != 0;

    /// <summary>A STRING column.</summary>
    public string GetString(int ordinal) => Strings[ordinal] ?? string.Empty;

    /// <summary>The ordinal of a column by name (case-insensitive), or -1.</summary>
    public int Ordinal(string name)
    {
        for (var i = 0; i < Columns.Length; i++)
        {
            if (string.Equals(Columns[i].Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>A column's value boxed as its natural CLR type (long, double, <see cref="Price"/>, string, char, <see cref="Timestamp"/>, bool). Allocates.</summary>
    public object GetValue(int ordinal) => Columns[ordinal].Type switch
    {
        CqlType.BigInt => Longs[ordinal],
        CqlType.Double => BitConverter.Int64BitsToDouble(Longs[ordinal]),
        CqlType.Price => new Price(Longs[ordinal]),
        CqlType.String => GetString(ordinal),
        CqlType.Char => (char)Longs[ordinal],
        CqlType.Timestamp => new Timestamp(Longs[ordinal]),
        _ => Longs[ordinal] != 0,
    };

    /// <summary>A copy of every value (see <see cref="GetValue"/>). Allocates.</summary>
    public object[] ToValues()
    {
        var values = new object[Columns.Length];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = GetValue(i);
        }

        return values;
    }

    /// <summary><c>name=value</c> pairs, invariant culture. Allocates.</summary>
    public override string ToString() =>
        string.Join(", ", Columns.Select((c, i) => c.Name + "=" + Convert.ToString(GetValue(i), CultureInfo.InvariantCulture)));
}

/// <summary>Why an event went to the side output instead of a window.</summary>
public enum CqlLateReason
{
    /// <summary>Its event time is behind the query's watermark (max event time seen − allowed lateness), so every window it belongs to may already be closed.</summary>
    BehindWatermark,
}

/// <summary>An event rejected as late, with the watermark it was judged against.</summary>
/// <param name="Query">The query that rejected it.</param>
/// <param name="Tick">The event.</param>
/// <param name="Watermark">The query's watermark when it arrived.</param>
/// <param name="AllowedLatenessNanos">The query's allowed lateness in nanoseconds.</param>
/// <param name="Reason">Why it was rejected.</param>
public readonly record struct CqlLateEvent(string Query, TradeTick Tick, Timestamp Watermark, long AllowedLatenessNanos, CqlLateReason Reason)
{
    /// <summary>The late quote when <see cref="IsQuote"/> (then <see cref="Tick"/> is <c>default</c>).</summary>
    public QuoteTick Quote { get; init; }

    /// <summary>True when the late event is a quote (a query over a quote stream), false for a trade.</summary>
    public bool IsQuote { get; init; }

    /// <summary>A sentence for logs and dead-letter headers. Allocates.</summary>
    public string Describe()
    {
        var (symbol, time, kind) = IsQuote ? (Quote.Symbol, Quote.Time, "quote") : (Tick.Symbol, Tick.Time, "event");
        return string.Create(CultureInfo.InvariantCulture,
            $"{Query}: {symbol} {kind} at {time} is {(Watermark.UnixNanoseconds - time.UnixNanoseconds) / 1e9:0.#########} s behind the watermark {Watermark} (max event time − allowed lateness {AllowedLatenessNanos / 1e9:0.#########} s)");
    }
}

/// <summary>Receives a query's output rows and its late events. Called on the thread that feeds the query.</summary>
public interface ICqlSink
{
    /// <summary>A row; valid only during the call (see <see cref="CqlRow"/>).</summary>
    void OnRow(CqlRow row);

    /// <summary>An event rejected as late (the side output).</summary>
    void OnLate(in CqlLateEvent late);
}

/// <summary>A sink that keeps nothing (useful for validation and benchmarks).</summary>
public sealed class NullCqlSink : ICqlSink
{
    /// <summary>The shared instance.</summary>
    public static NullCqlSink Instance { get; } = new();

    /// <inheritdoc />
    public void OnRow(CqlRow row)
    {
    }

    /// <inheritdoc />
    public void OnLate(in CqlLateEvent late)
    {
    }
}

/// <summary>A row copied out of a <see cref="CqlRow"/>.</summary>
/// <param name="Query">Query name.</param>
/// <param name="Key">Group key.</param>
/// <param name="WindowStart">Window start.</param>
/// <param name="WindowEnd">Window end.</param>
/// <param name="IsFinal">Final window value.</param>
/// <param name="Columns">Schema.</param>
/// <param name="Values">Values (see <see cref="CqlRow.GetValue"/>).</param>
public sealed record CqlRecord(string Query, string Key, Timestamp WindowStart, Timestamp WindowEnd, bool IsFinal, ImmutableArray<CqlColumn> Columns, object[] Values)
{
    /// <summary>A value by column name (case-insensitive).</summary>
    public object this[string column]
    {
        get
        {
            for (var i = 0; i < Columns.Length; i++)
            {
                if (string.Equals(Columns[i].Name, column, StringComparison.OrdinalIgnoreCase))
                {
                    return Values[i];
                }
            }

            throw new KeyNotFoundException($"No column '{column}' in {Query}; columns: {string.Join(", ", Columns.Select(c => c.Name))}.");
        }
    }
}

/// <summary>A sink that copies every row and late event into lists (tests, small tools). Allocates per row. Not thread-safe.</summary>
public sealed class CollectingCqlSink : ICqlSink
{
    /// <summary>Rows in emission order.</summary>
    public List<CqlRecord> Rows { get; } = [];

    /// <summary>Late events in arrival order.</summary>
    public List<CqlLateEvent> Late { get; } = [];

    /// <inheritdoc />
    public void OnRow(CqlRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        Rows.Add(new CqlRecord(row.Query, row.Key, row.WindowStart, row.WindowEnd, row.IsFinal, row.Columns, row.ToValues()));
    }

    /// <inheritdoc />
    public void OnLate(in CqlLateEvent late) => Late.Add(late);
}
