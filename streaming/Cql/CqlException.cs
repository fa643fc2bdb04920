namespace BigDataTrading.Streaming.Cql;

/// <summary>
/// A CQL script that cannot be parsed or compiled: says where (<see cref="Position"/>), what (<see cref="Problem"/>)
/// and how to fix it (<see cref="Hint"/>). The message reads <c>line:column: problem (hint: ...)</c>.
/// </summary>
public sealed class CqlException : Exception
{
    /// <summary>Creates the error.</summary>
    public CqlException(CqlPosition position, string problem, string? hint = null)
        : base(Format(position, problem, hint))
    {
        Position = position;
        Problem = problem;
        Hint = hint;
    }

    /// <summary>Not supported: a CQL error always has a position.</summary>
    public CqlException()
        : this(default, "CQL error")
    {
    }

    /// <summary>Not supported: a CQL error always has a position.</summary>
    public CqlException(string message)
        : this(default, message)
    {
    }

    /// <summary>Not supported: a CQL error always has a position.</summary>
    public CqlException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problem = message;
    }

    /// <summary>Where the problem is (1-based line and column).</summary>
    public CqlPosition Position { get; }

    /// <summary>What is wrong.</summary>
    public string Problem { get; }

    /// <summary>How to fix it, or null when there is nothing useful to add.</summary>
    public string? Hint { get; }

    private static string Format(CqlPosition position, string problem, string? hint) =>
        hint is null ? $"{position}: {problem}" : $"{position}: {problem} (hint: {hint})";
}
