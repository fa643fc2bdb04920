namespace BigDataTrading.Warehouse.Storage;

/// <summary>Settings of a <see cref="WebHdfsLakeStorage"/>. Immutable once passed in.</summary>
public sealed record WebHdfsOptions
{
    /// <summary>
    /// The HDFS user sent as <c>user.name</c> (pseudo authentication, what a cluster without Kerberos expects). Null: the
    /// <c>HADOOP_USER_NAME</c> environment variable, else the process's user name, as Hadoop's own clients do.
    /// </summary>
    public string? UserName { get; init; }

    /// <summary>Time limit of one HTTP request, including a whole file's upload or download (default 10 minutes).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The handler under the client, for proxies, TLS settings or tests; null: a <see cref="SocketsHttpHandler"/>. It must
    /// not follow redirects itself (the two-step CREATE/APPEND relies on seeing the 307), and the storage disposes it.
    /// </summary>
    public HttpMessageHandler? Handler { get; init; }

    internal string ResolveUserName() =>
        UserName is { Length: > 0 } u ? u
        : Environment.GetEnvironmentVariable("HADOOP_USER_NAME") is { Length: > 0 } e ? e
        : Environment.UserName;
}

/// <summary>
/// A WebHDFS request failed: the HTTP status, and for a Hadoop <c>RemoteException</c> its Java exception name and message.
/// </summary>
/// <remarks>Missing paths are reported as <see cref="FileNotFoundException"/> instead, so callers handle both backends
/// alike. Immutable.</remarks>
public sealed class WebHdfsException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Full message: operation, path, status, server message and what to do.</param>
    /// <param name="statusCode">HTTP status of the failed response.</param>
    /// <param name="remoteException">Hadoop exception simple name (e.g. <c>AccessControlException</c>), or null when the
    /// body was not a RemoteException.</param>
    /// <param name="remoteMessage">The server's message, or null.</param>
    public WebHdfsException(string message, int statusCode, string? remoteException, string? remoteMessage)
        : base(message)
    {
        StatusCode = statusCode;
        RemoteException = remoteException;
        RemoteMessage = remoteMessage;
    }

    /// <summary>Creates an exception with a message only (status 0).</summary>
    public WebHdfsException()
    {
    }

    /// <summary>Creates an exception with a message only (status 0).</summary>
    public WebHdfsException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and cause (status 0).</summary>
    public WebHdfsException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>HTTP status code of the failed response (0 when there was no response).</summary>
    public int StatusCode { get; }

    /// <summary>Hadoop exception simple name from the RemoteException JSON, or null.</summary>
    public string? RemoteException { get; }

    /// <summary>The server's message from the RemoteException JSON, or null.</summary>
    public string? RemoteMessage { get; }
}
