namespace BigDataTrading.Fix;

/// <summary>SessionRejectReason (373) values, as sent on a session-level Reject (35=3).</summary>
public enum FixSessionRejectReason
{
    /// <summary>0: the tag number is not defined in the data dictionary.</summary>
    InvalidTagNumber = 0,

    /// <summary>1: a required field is missing.</summary>
    RequiredTagMissing = 1,

    /// <summary>2: the tag is valid but not allowed in this message type.</summary>
    TagNotDefinedForThisMessageType = 2,

    /// <summary>3: undefined tag.</summary>
    UndefinedTag = 3,

    /// <summary>4: <c>tag=</c> with an empty value.</summary>
    TagSpecifiedWithoutAValue = 4,

    /// <summary>5: the value is not one of the field's enumerated values, or is out of range.</summary>
    ValueIsIncorrect = 5,

    /// <summary>6: the value does not match the field's data type.</summary>
    IncorrectDataFormat = 6,

    /// <summary>7: decryption problem.</summary>
    DecryptionProblem = 7,

    /// <summary>8: signature problem.</summary>
    SignatureProblem = 8,

    /// <summary>9: SenderCompID/TargetCompID do not match the session.</summary>
    CompIdProblem = 9,

    /// <summary>10: SendingTime is too far from our clock, or OrigSendingTime is after SendingTime.</summary>
    SendingTimeAccuracyProblem = 10,

    /// <summary>11: MsgType is not defined.</summary>
    InvalidMsgType = 11,

    /// <summary>13: a non-repeating tag appears more than once.</summary>
    TagAppearsMoreThanOnce = 13,

    /// <summary>14: a header field after a body field (or similar ordering violation).</summary>
    TagSpecifiedOutOfRequiredOrder = 14,

    /// <summary>15: repeating group fields out of order.</summary>
    RepeatingGroupFieldsOutOfOrder = 15,

    /// <summary>16: NumInGroup does not match the number of group instances.</summary>
    IncorrectNumInGroupCountForRepeatingGroup = 16,
}

/// <summary>Why a message failed validation: the reason code, the offending tag (371) when there is one, and the text (58).</summary>
/// <param name="Reason">SessionRejectReason (373).</param>
/// <param name="RefTagId">RefTagID (371), or null when the problem is not about one field.</param>
public readonly record struct FixValidationError(FixSessionRejectReason Reason, int? RefTagId)
{
    /// <summary>The standard text for <see cref="Reason"/> (the wording QuickFIX uses, so peers' tooling recognises it).</summary>
    public string Text => TextFor(Reason);

    /// <summary>The standard text for a reason code.</summary>
    public static string TextFor(FixSessionRejectReason reason) => reason switch
    {
        FixSessionRejectReason.InvalidTagNumber => "Invalid tag number",
        FixSessionRejectReason.RequiredTagMissing => "Required tag missing",
        FixSessionRejectReason.TagNotDefinedForThisMessageType => "Tag not defined for this message type",
        FixSessionRejectReason.UndefinedTag => "Undefined Tag",
        FixSessionRejectReason.TagSpecifiedWithoutAValue => "Tag specified without a value",
        FixSessionRejectReason.ValueIsIncorrect => "Value is incorrect (out of range) for this tag",
        FixSessionRejectReason.IncorrectDataFormat => "Incorrect data format for value",
        FixSessionRejectReason.DecryptionProblem => "Decryption problem",
        FixSessionRejectReason.SignatureProblem => "Signature problem",
        FixSessionRejectReason.CompIdProblem => "CompID problem",
        FixSessionRejectReason.SendingTimeAccuracyProblem => "SendingTime accuracy problem",
        FixSessionRejectReason.InvalidMsgType => "Invalid MsgType",
        FixSessionRejectReason.TagAppearsMoreThanOnce => "Tag appears more than once",
        FixSessionRejectReason.TagSpecifiedOutOfRequiredOrder => "Tag specified out of required order",
        FixSessionRejectReason.RepeatingGroupFieldsOutOfOrder => "Repeating group fields out of order",
        FixSessionRejectReason.IncorrectNumInGroupCountForRepeatingGroup => "Incorrect NumInGroup count for repeating group",
        _ => "Other",
    };
}
