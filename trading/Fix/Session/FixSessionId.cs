namespace BigDataTrading.Fix;

/// <summary>
/// Identity of a FIX session seen from our side: the BeginString and the CompIDs we send as SenderCompID (49) and
/// TargetCompID (56). Two connections with the same identity are the same FIX session (same sequence numbers).
/// Immutable.
/// </summary>
/// <param name="BeginString">BeginString (8), e.g. <see cref="FixVersions.Fix44"/>.</param>
/// <param name="SenderCompId">Our CompID.</param>
/// <param name="TargetCompId">The peer's CompID.</param>
public readonly record struct FixSessionId(string BeginString, string SenderCompId, string TargetCompId)
{
    /// <summary>A file-name-safe form (<see cref="FileSequenceStore.SessionName"/>): <c>BeginString-Sender-Target</c>.</summary>
    public string FileName => FileSequenceStore.SessionName(BeginString, SenderCompId, TargetCompId);

    /// <summary><c>FIX.4.4:US-&gt;PEER</c>.</summary>
    public override string ToString() => $"{BeginString}:{SenderCompId}->{TargetCompId}";
}
