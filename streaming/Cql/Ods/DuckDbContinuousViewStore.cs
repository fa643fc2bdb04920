using System.Data.Common;
using DuckDB.NET.Data;
using DuckDB.NET.Native;

namespace BigDataTrading.Streaming.Cql.Ods;

/// <summary>
/// Continuous views in a DuckDB file (the embedded default of the ODS): window bounds as TIMESTAMP_NS (exact
/// nanoseconds), prices DECIMAL(18,8). One process at a time may open the file (DuckDB's lock), so a scale-out over
/// several processes needs <see cref="PostgresContinuousViewStore"/>. Not thread-safe.
/// </summary>
public sealed class DuckDbContinuousViewStore : ContinuousViewStore
{
    private readonly DuckDBConnection _connection;

    /// <summary>Opens (creating if missing) the file and its instruments table.</summary>
    /// <param name="path">DuckDB file; its folder is created if needed.</param>
    public DuckDbContinuousViewStore(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Location = Path.GetFullPath(path);
        if (Path.GetDirectoryName(Location) is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
        }

        _connection = new DuckDBConnection($"DataSource={Location}");
        try
        {
            _connection.Open();
            CreateInstrumentsTable();
        }
        catch
        {
            _connection.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public override string Location { get; }

    /// <inheritdoc />
    protected override string TextType => "VARCHAR";

    /// <inheritdoc />
    protected override string TimeType => "TIMESTAMP_NS";

    /// <inheritdoc />
    protected override string SqlType(CqlType type) => type switch
    {
        CqlType.BigInt => "BIGINT",
        CqlType.Double => "DOUBLE",
        CqlType.Price => "DECIMAL(18,8)",
        CqlType.Timestamp => "TIMESTAMP_NS",
        CqlType.Boolean => "BOOLEAN",
        _ => "VARCHAR",
    };

    /// <inheritdoc />
    protected override string Placeholder(int index, CqlType type) => type switch
    {
        CqlType.Timestamp => "make_timestamp_ns(?)",
        CqlType.Price => "CAST(? AS DECIMAL(18,8))",
        _ => "?",
    };

    /// <inheritdoc />
    protected override object? ToParameter(object? value, CqlType type) => ConvertValue(value, t => t.UnixNanoseconds);

    /// <inheritdoc />
    protected override DbConnection Acquire() => _connection;

    /// <inheritdoc />
    protected override void Release(DbConnection connection)
    {
        // One connection for the store's lifetime.
    }

    /// <inheritdoc />
    protected override string? ViolatedConstraint(DbException error, ContinuousViewSchema view)
    {
        if (error is not DuckDBException { ErrorType: DuckDBErrorType.Constraint } duck)
        {
            return null;
        }

        // DuckDB does not report constraint names: recognise the rule by its expression in the message.
        var message = Normalize(duck.Message);
        if (message.Contains("foreignkey", StringComparison.Ordinal))
        {
            return view.InstrumentConstraint;
        }

        if (message.Contains("primarykey", StringComparison.Ordinal) || message.Contains("duplicatekey", StringComparison.Ordinal))
        {
            return view.KeyConstraint;
        }

        foreach (var rule in view.Rules.OrderByDescending(r => r.Check.Length))
        {
            if (message.Contains(Normalize(rule.Check), StringComparison.Ordinal))
            {
                return rule.Name;
            }
        }

        return message.Contains("notnull", StringComparison.Ordinal) ? view.Name + "_not_null" : view.Name + "_constraint";
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _connection.Dispose();
        }
    }

    private static string Normalize(string text) =>
        new(text.Where(c => c is not ('(' or ')' or ' ' or '"' or '\n')).Select(char.ToLowerInvariant).ToArray());
}
