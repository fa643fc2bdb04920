namespace BigDataTrading.Infra.Kafka;

/// <summary>
/// A fault while setting up Kafka plumbing: the native librdkafka library could not be loaded, the embedded
/// cluster could not be started or changed, or topics could not be provisioned. The message says what failed and
/// how to fix it. These faults are not transient: retrying the same call with the same inputs fails the same way.
/// </summary>
public sealed class KafkaSetupException : Exception
{
    /// <summary>Creates the exception with a message that says what failed and how to fix it.</summary>
    public KafkaSetupException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the underlying cause.</summary>
    public KafkaSetupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic message; prefer the overloads that say what failed.</summary>
    public KafkaSetupException()
        : base("Kafka setup failed.")
    {
    }
}
