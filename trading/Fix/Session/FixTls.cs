using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace BigDataTrading.Fix;

/// <summary>
/// TLS for an initiator (<see cref="FixSessionSettings.Tls"/>): the acceptor's certificate must chain to a trusted root
/// and, unless <see cref="CheckCertificateName"/> is off, be issued to <see cref="TargetHost"/>. Immutable.
/// </summary>
public sealed record FixTlsClientOptions
{
    /// <summary>
    /// The name the acceptor's certificate must carry (also sent as SNI); null uses the host given to
    /// <see cref="FixInitiator.ConnectAsync"/>. Set it when connecting by IP address to a certificate issued to a name.
    /// </summary>
    public string? TargetHost { get; init; }

    /// <summary>Check the certificate's name against <see cref="TargetHost"/> (default true). Off only for test rigs: the chain is still checked.</summary>
    public bool CheckCertificateName { get; init; } = true;

    /// <summary>
    /// When set, the acceptor's chain must end at one of these certificates instead of the system's root store
    /// (a venue's private CA, or a self-signed certificate shared out of band).
    /// </summary>
    public X509Certificate2Collection? TrustedRoots { get; init; }

    /// <summary>Our certificate (with private key) for acceptors that require mutual TLS; null sends none.</summary>
    public X509Certificate2? ClientCertificate { get; init; }

    /// <summary>Allowed protocol versions; default <see cref="SslProtocols.None"/> lets the OS choose (TLS 1.2/1.3).</summary>
    public SslProtocols EnabledProtocols { get; init; } = SslProtocols.None;

    /// <summary>Revocation checking of the acceptor's chain; default <see cref="X509RevocationMode.Online"/>.</summary>
    public X509RevocationMode RevocationMode { get; init; } = X509RevocationMode.Online;

    /// <summary>Longest TLS handshake; default 10 s.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// TLS for an acceptor (<see cref="FixAcceptorSettings.Tls"/>): every connection must open with a TLS handshake; a
/// plaintext FIX peer gets a plaintext Logout saying TLS is required and is disconnected. Immutable.
/// </summary>
public sealed record FixTlsServerOptions
{
    /// <summary>Our certificate, with its private key.</summary>
    public required X509Certificate2 ServerCertificate { get; init; }

    /// <summary>Require initiators to present a certificate (mutual TLS); default false.</summary>
    public bool RequireClientCertificate { get; init; }

    /// <summary>When set, client certificates must chain to one of these instead of the system's root store.</summary>
    public X509Certificate2Collection? TrustedClientRoots { get; init; }

    /// <summary>Allowed protocol versions; default <see cref="SslProtocols.None"/> lets the OS choose (TLS 1.2/1.3).</summary>
    public SslProtocols EnabledProtocols { get; init; } = SslProtocols.None;

    /// <summary>Revocation checking of client chains; default <see cref="X509RevocationMode.Online"/>.</summary>
    public X509RevocationMode RevocationMode { get; init; } = X509RevocationMode.Online;

    /// <summary>Longest TLS handshake (from accept); default 10 s.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// A TLS connection could not be established: the handshake failed, the peer's certificate was refused (the message
/// names the policy errors and chain status), or the peer does not speak TLS. A configuration problem on one side:
/// retrying without changing it fails the same way.
/// </summary>
public sealed class FixTlsException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FixTlsException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public FixTlsException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public FixTlsException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The handshakes, with certificate checks that record why a certificate was refused.</summary>
internal static class FixTls
{
    /// <summary>First byte of a TLS record carrying a handshake message (a ClientHello starts with it).</summary>
    public const byte HandshakeRecord = 0x16;

    public static async Task<SslStream> AuthenticateAsClientAsync(Stream transport, string host, int port, FixTlsClientOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        var targetHost = options.TargetHost ?? host;
        string? refusal = null;
        var ssl = new SslStream(transport, leaveInnerStreamOpen: false);
        var authentication = new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            EnabledSslProtocols = options.EnabledProtocols,
            CertificateRevocationCheckMode = options.RevocationMode,
            ClientCertificates = options.ClientCertificate is { } mine ? [mine] : null,
            CertificateChainPolicy = ChainPolicy(options.TrustedRoots, options.RevocationMode),
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                Accept(certificate, chain, errors, options.CheckCertificateName, $"acceptor {host}:{port} (expected name '{targetHost}')", out refusal),
        };
        using var timeout = new CancellationTokenSource(options.HandshakeTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await ssl.AuthenticateAsClientAsync(authentication, linked.Token);
            return ssl;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            await ssl.DisposeAsync();
            throw new FixTlsException(
                refusal ?? (timeout.IsCancellationRequested
                    ? $"TLS handshake with {host}:{port} did not complete within {options.HandshakeTimeout.TotalSeconds:0.#} s: is the acceptor listening with TLS?"
                    : $"TLS handshake with {host}:{port} failed: {ex.Message} Is the acceptor listening with TLS on this port?"),
                ex);
        }
    }

    public static async Task<SslStream> AuthenticateAsServerAsync(Stream transport, EndPoint? remote, FixTlsServerOptions options, CancellationToken cancellationToken)
    {
        string? refusal = null;
        var ssl = new SslStream(transport, leaveInnerStreamOpen: false);
        var authentication = new SslServerAuthenticationOptions
        {
            ServerCertificate = options.ServerCertificate,
            ClientCertificateRequired = options.RequireClientCertificate,
            EnabledSslProtocols = options.EnabledProtocols,
            CertificateRevocationCheckMode = options.RevocationMode,
            CertificateChainPolicy = ChainPolicy(options.TrustedClientRoots, options.RevocationMode),
            // Without mutual TLS a client certificate, if any, is not what authenticates the peer (its Logon is).
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                !options.RequireClientCertificate || Accept(certificate, chain, errors, checkName: false, $"initiator {remote}", out refusal),
        };
        try
        {
            await ssl.AuthenticateAsServerAsync(authentication, cancellationToken);
            return ssl;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            await ssl.DisposeAsync();
            throw new FixTlsException(refusal ?? $"TLS handshake with {remote} failed: {ex.Message}", ex);
        }
    }

    private static X509ChainPolicy? ChainPolicy(X509Certificate2Collection? roots, X509RevocationMode revocation)
    {
        if (roots is null)
        {
            return null;
        }

        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = revocation };
        policy.CustomTrustStore.AddRange(roots);
        return policy;
    }

    private static bool Accept(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors, bool checkName, string peer, out string? refusal)
    {
        if (!checkName)
        {
            errors &= ~SslPolicyErrors.RemoteCertificateNameMismatch;
        }

        if (errors == SslPolicyErrors.None)
        {
            refusal = null;
            return true;
        }

        var status = chain is null ? string.Empty : string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct());
        refusal = $"TLS certificate of the {peer} refused: {errors}"
            + (status.Length > 0 ? $" (chain: {status})" : string.Empty)
            + (certificate is null ? "; no certificate sent" : $"; subject '{certificate.Subject}'")
            + ". Trust its issuer (TrustedRoots) or connect with the name it was issued to (TargetHost).";
        return false;
    }
}
