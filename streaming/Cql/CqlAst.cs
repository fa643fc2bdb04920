using System.Collections.Immutable;

namespace BigDataTrading.Streaming.Cql;

/// <summary>A place in CQL source text: 1-based line and column (columns count UTF-16 characters; a tab is one).</summary>
/// <param name="Line">1-based line.</param>
/// <param name="Column">1-based column.</param>
public readonly record struct CqlPosition(int Line, int Column)
{
    /// <summary><c>line:column</c>.</summary>
    public override string ToString() => $"{Line}:{Column}";
}

/// <summary>A parsed CQL script: its statements in source order. Immutable and thread-safe, as is every AST node.</summary>
/// <param name="Statements">The statements.</param>
public sealed record CqlScript(ImmutableArray<CqlStatement> Statements);

/// <summary>Base of every CQL statement.</summary>
/// <param name="Position">Where the statement starts.</param>
/// <param name="Name">The name the statement defines.</param>
public abstract record CqlStatement(CqlPosition Position, string Name)
{
    /// <summary>A short description of the statement's kind, e.g. <c>CREATE STREAM</c>.</summary>
    public abstract string Kind { get; }
}

/// <summary>A declared column of a stream.</summary>
/// <param name="Name">Column name (case-insensitive).</param>
/// <param name="Type">Declared type.</param>
/// <param name="Position">Where the column is declared.</param>
public sealed record CqlColumnDefinition(string Name, CqlType Type, CqlPosition Position);

/// <summary>A <c>WITH (name='value')</c> property.</summary>
/// <param name="Name">Property name, lower-cased.</param>
/// <param name="Value">The string value.</param>
/// <param name="Position">Where the property is written.</param>
public sealed record CqlProperty(string Name, string Value, CqlPosition Position);

/// <summary><c>CREATE STREAM name (col type, ...) WITH (topic='...', key='...', timestamp='...')</c>.</summary>
/// <param name="Position">Where the statement starts.</param>
/// <param name="Name">Stream name.</param>
/// <param name="Columns">Declared columns.</param>
/// <param name="Properties">The WITH properties.</param>
public sealed record CreateStreamStatement(CqlPosition Position, string Name, ImmutableArray<CqlColumnDefinition> Columns, ImmutableArray<CqlProperty> Properties)
    : CqlStatement(Position, Name)
{
    /// <inheritdoc />
    public override string Kind => "CREATE STREAM";

    /// <summary>The value of a WITH property, or null.</summary>
    public string? Property(string name) =>
        Properties.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))?.Value;
}

/// <summary>Whether a windowed query emits once per window (when the watermark passes its end) or on every update.</summary>
public enum CqlEmitMode
{
    /// <summary>One row per window and key, when the watermark passes the window's end (the default).</summary>
    Final,

    /// <summary>One row per window and key on every event that updates it.</summary>
    Changes,
}

/// <summary><c>CREATE [CONTINUOUS] VIEW|QUERY name AS SELECT ...</c>.</summary>
/// <param name="Position">Where the statement starts.</param>
/// <param name="Name">Query name.</param>
/// <param name="IsView">True for VIEW, false for QUERY.</param>
/// <param name="Select">The query.</param>
public sealed record CreateQueryStatement(CqlPosition Position, string Name, bool IsView, CqlSelect Select) : CqlStatement(Position, Name)
{
    /// <inheritdoc />
    public override string Kind => IsView ? "CREATE VIEW" : "CREATE QUERY";
}

/// <summary>A SELECT.</summary>
/// <param name="Items">Projected items (a single <see cref="CqlStar"/> for <c>*</c>).</param>
/// <param name="From">Source stream name.</param>
/// <param name="FromPosition">Where the source name is written.</param>
/// <param name="Where">Filter, or null.</param>
/// <param name="GroupBy">Grouping expressions (without the window).</param>
/// <param name="Window">Window, or null.</param>
/// <param name="Having">Filter on groups, or null.</param>
/// <param name="Emit">Emit mode (<see cref="CqlEmitMode.Final"/> unless written).</param>
/// <param name="EmitWritten">True when an EMIT clause was written.</param>
/// <param name="Into">Target topic of <c>INTO '...'</c>, or null.</param>
/// <param name="FromAlias">The alias of the source (<c>FROM trades t</c>), or null.</param>
/// <param name="Joins">As-of and table joins, in source order (default or empty when none).</param>
/// <param name="Pattern">The pattern of a <c>FROM PATTERN (...)</c> query, or null.</param>
public sealed record CqlSelect(
    ImmutableArray<CqlSelectItem> Items,
    string From,
    CqlPosition FromPosition,
    CqlExpr? Where,
    ImmutableArray<CqlExpr> GroupBy,
    CqlWindow? Window,
    CqlExpr? Having,
    CqlEmitMode Emit,
    bool EmitWritten,
    string? Into,
    string? FromAlias = null,
    ImmutableArray<CqlJoin> Joins = default,
    CqlPattern? Pattern = null)
{
    /// <summary>The joins, never default.</summary>
    public ImmutableArray<CqlJoin> JoinList => Joins.IsDefault ? [] : Joins;

    /// <summary>Target continuous view of <c>INTO VIEW name</c> (a table in the ODS upserted by window key), or null.</summary>
    public string? IntoView { get; init; }
}

/// <summary>Kinds of join.</summary>
public enum CqlJoinKind
{
    /// <summary><c>ASOF JOIN quotes</c>: each event with the latest quote of its symbol at or before its time.</summary>
    AsOf,

    /// <summary><c>JOIN table ON s.symbol = t.key</c>: each event with its reference-data row.</summary>
    Table,
}

/// <summary>A join clause.</summary>
/// <param name="Position">Where the join is written.</param>
/// <param name="Kind">As-of (stream) or table.</param>
/// <param name="Left">True for LEFT (keep unmatched events, the other side reads as 0/''/NaN and <c>matched(alias)</c> is false); false for inner (drop them, counted in <see cref="CqlQuery.Unmatched"/>).</param>
/// <param name="Source">The joined stream or table.</param>
/// <param name="SourcePosition">Where the source name is written.</param>
/// <param name="Alias">The alias, or null.</param>
/// <param name="MaxStalenessNanos">As-of joins: the oldest quote accepted (<c>WITHIN</c>), or null for any age.</param>
/// <param name="On">The ON condition, or null.</param>
public sealed record CqlJoin(CqlPosition Position, CqlJoinKind Kind, bool Left, string Source, CqlPosition SourcePosition, string? Alias, long? MaxStalenessNanos, CqlExpr? On);

/// <summary>One step of a pattern: <c>[NOT] name = stream [(condition)]</c>.</summary>
/// <param name="Position">Where the step is written.</param>
/// <param name="Name">The step's name (used to refer to its event, e.g. <c>a.price</c>).</param>
/// <param name="Stream">The stream the step reads.</param>
/// <param name="Absent">True for <c>NOT</c>: the match completes when no such event arrives within the time bound.</param>
/// <param name="Condition">The step's condition, or null for any event.</param>
public sealed record CqlPatternStep(CqlPosition Position, string Name, string Stream, bool Absent, CqlExpr? Condition);

/// <summary><c>PATTERN ([EVERY] a = s(...) -> b = s(...) [-> NOT c = s(...)]) WITHIN d [ALLOWED LATENESS d] [MAX PENDING n]</c>.</summary>
/// <param name="Position">Where PATTERN is written.</param>
/// <param name="Every">True: every first-step event starts a match; false: one pending match per key at a time.</param>
/// <param name="Steps">The steps in order (an absent step may only be last).</param>
/// <param name="WithinNanos">Time bound from the first event to the last (or to the end of the absence).</param>
/// <param name="AllowedLatenessNanos">Allowed lateness, or null for the engine default.</param>
/// <param name="MaxPending">Maximum pending partial matches per key, or null for the default (16).</param>
public sealed record CqlPattern(CqlPosition Position, bool Every, ImmutableArray<CqlPatternStep> Steps, long WithinNanos, long? AllowedLatenessNanos, int? MaxPending);

/// <summary>One projected item.</summary>
/// <param name="Expr">The expression.</param>
/// <param name="Alias">The <c>AS</c> name, or null.</param>
public sealed record CqlSelectItem(CqlExpr Expr, string? Alias);

/// <summary>Kinds of window.</summary>
public enum CqlWindowKind
{
    /// <summary>Fixed-size, non-overlapping, aligned to the epoch.</summary>
    Tumbling,

    /// <summary>Fixed-size, overlapping, starting every advance (aligned to the epoch).</summary>
    Hopping,

    /// <summary>Per key: events closer than the gap belong to one session.</summary>
    Session,

    /// <summary>Per key, on every event: the events of the last SIZE (event time in (t − size, t]).</summary>
    Sliding,
}

/// <summary>A window clause; durations in nanoseconds.</summary>
/// <param name="Kind">Window kind.</param>
/// <param name="SizeNanos">Size (tumbling, hopping) or gap (session), in nanoseconds.</param>
/// <param name="AdvanceNanos">Advance of a hopping window (equals the size for tumbling, 0 for session).</param>
/// <param name="AllowedLatenessNanos">Allowed lateness from <c>ALLOWED LATENESS</c>/<c>GRACE PERIOD</c>, or null when not written.</param>
/// <param name="Position">Where the window is written.</param>
public sealed record CqlWindow(CqlWindowKind Kind, long SizeNanos, long AdvanceNanos, long? AllowedLatenessNanos, CqlPosition Position);

/// <summary>Base of every expression.</summary>
/// <param name="Position">Where the expression starts.</param>
public abstract record CqlExpr(CqlPosition Position);

/// <summary>A literal. <paramref name="Value"/> is a <see cref="long"/>, <see cref="decimal"/>, <see cref="string"/> or <see cref="bool"/>.</summary>
/// <param name="Position">Where it is written.</param>
/// <param name="Value">The value.</param>
public sealed record CqlLiteral(CqlPosition Position, object Value) : CqlExpr(Position);

/// <summary>A column reference (or a pseudo-column such as <c>window_start</c>).</summary>
/// <param name="Position">Where it is written.</param>
/// <param name="Name">Column name as written.</param>
/// <param name="Qualifier">The source alias or pattern step before a dot (<c>q.bid</c>), or null.</param>
public sealed record CqlColumnRef(CqlPosition Position, string Name, string? Qualifier = null) : CqlExpr(Position);

/// <summary><c>*</c> in a select list or in <c>count(*)</c>.</summary>
/// <param name="Position">Where it is written.</param>
public sealed record CqlStar(CqlPosition Position) : CqlExpr(Position);

/// <summary>Binary operators.</summary>
public enum CqlBinaryOp
{
    /// <summary>+</summary>
    Add,
    /// <summary>&amp; (bitwise AND of two BIGINTs, e.g. sale-condition flags)</summary>
    BitAnd,
    /// <summary>-</summary>
    Subtract,
    /// <summary>*</summary>
    Multiply,
    /// <summary>/ (always DOUBLE)</summary>
    Divide,
    /// <summary>=</summary>
    Equal,
    /// <summary>&lt;&gt; or !=</summary>
    NotEqual,
    /// <summary>&lt;</summary>
    Less,
    /// <summary>&lt;=</summary>
    LessOrEqual,
    /// <summary>&gt;</summary>
    Greater,
    /// <summary>&gt;=</summary>
    GreaterOrEqual,
    /// <summary>AND</summary>
    And,
    /// <summary>OR</summary>
    Or,
}

/// <summary>A binary operation.</summary>
/// <param name="Position">Where the operator is written.</param>
/// <param name="Op">Operator.</param>
/// <param name="Left">Left operand.</param>
/// <param name="Right">Right operand.</param>
public sealed record CqlBinary(CqlPosition Position, CqlBinaryOp Op, CqlExpr Left, CqlExpr Right) : CqlExpr(Position);

/// <summary>Unary operators.</summary>
public enum CqlUnaryOp
{
    /// <summary>Arithmetic negation.</summary>
    Negate,
    /// <summary>NOT</summary>
    Not,
}

/// <summary>A unary operation.</summary>
/// <param name="Position">Where the operator is written.</param>
/// <param name="Op">Operator.</param>
/// <param name="Operand">Operand.</param>
public sealed record CqlUnary(CqlPosition Position, CqlUnaryOp Op, CqlExpr Operand) : CqlExpr(Position);

/// <summary>A function call; aggregates are function calls whose name is an aggregate.</summary>
/// <param name="Position">Where the name is written.</param>
/// <param name="Name">Lower-cased function name.</param>
/// <param name="Arguments">Arguments (a single <see cref="CqlStar"/> for <c>count(*)</c>).</param>
/// <param name="Filter">An aggregate's <c>FILTER (WHERE condition)</c>: only events meeting it feed the aggregate; null when absent.</param>
public sealed record CqlCall(CqlPosition Position, string Name, ImmutableArray<CqlExpr> Arguments, CqlExpr? Filter = null) : CqlExpr(Position);

/// <summary><c>CASE WHEN c1 THEN v1 [WHEN c2 THEN v2 ...] ELSE v END</c>: the value of the first branch whose condition holds.</summary>
/// <param name="Position">Where CASE is written.</param>
/// <param name="Branches">Conditions and their values, in order.</param>
/// <param name="Else">The value when no condition holds (required: CQL has no NULL).</param>
public sealed record CqlCase(CqlPosition Position, ImmutableArray<(CqlExpr When, CqlExpr Then)> Branches, CqlExpr Else) : CqlExpr(Position);

/// <summary>Value types of CQL.</summary>
public enum CqlType
{
    /// <summary>64-bit signed integer.</summary>
    BigInt,
    /// <summary>64-bit IEEE float.</summary>
    Double,
    /// <summary>Fixed-point price, int64 count of 10^-8 (exact; see <c>Price</c>).</summary>
    Price,
    /// <summary>Text (ordinal comparison).</summary>
    String,
    /// <summary>One character (the exchange code).</summary>
    Char,
    /// <summary>Unix nanoseconds, UTC.</summary>
    Timestamp,
    /// <summary>True or false.</summary>
    Boolean,
}
