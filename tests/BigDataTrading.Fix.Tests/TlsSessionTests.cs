using System.Threading.Channels;
using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace BigDataTrading.Fix.Tests;

/// <summary>
/// FIX over TLS between our initiator and acceptor on loopback, with a throwaway self-signed certificate made in the
/// test: logon and an order round trip, certificate and host-name refusals, and the two plaintext/TLS mismatches.
/// </summary>
public sealed class TlsSessionTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    // One certificate for "localhost" (and 127.0.0.1) that only these tests trust.
    private readonly X509Certificate2 _certificate = SelfSigned("CN=bdt-fix-test", "localhost");

    public void Dispose() => _certificate.Dispose();

    internal static X509Certificate2 SelfSigned(string subject, string dnsName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(dnsName);
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var now = DateTimeOffset.UtcNow;
        using var created = request.CreateSelfSigned(now.AddMinutes(-5), now.AddHours(1));
        // A PKCS#12 round trip gives a certificate whose private key every platform's TLS stack can use.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
    }

    private FixAcceptor StartAcceptor(Channel<Exception>? refused = null)
    {
        var acceptor = new FixAcceptor(
            new FixAcceptorSettings
            {
                SenderCompId = "VENUE",
                Tls = new FixTlsServerOptions { ServerCertificate = _certificate, HandshakeTimeout = Timeout },
                OnConnectionRefused = (_, error) => refused?.Writer.TryWrite(error),
            },
            new FillingApplication());
        acceptor.Start();
        return acceptor;
    }

    private static FixSessionSettings ClientSettings(FixTlsClientOptions? tls) => new()
    {
        SenderCompId = "TRADER",
        TargetCompId = "VENUE",
        LogonTimeout = Timeout,
        Tls = tls,
    };

    private FixTlsClientOptions TrustingClient(string? targetHost = "localhost") => new()
    {
        TargetHost = targetHost,
        TrustedRoots = [_certificate],
        RevocationMode = X509RevocationMode.NoCheck,
        HandshakeTimeout = Timeout,
    };

    [Fact]
    public async Task Initiator_logs_on_and_gets_an_order_filled_over_tls()
    {
        await using var acceptor = StartAcceptor();
        await using var initiator = await FixInitiator.ConnectAsync("127.0.0.1", acceptor.Port, ClientSettings(TrustingClient()));

        await initiator.SendAsync(new NewOrderSingle
        {
            ClOrdId = "TLS-1",
            Symbol = "AAPL",
            Side = FixSide.Buy,
            TransactTime = DateTimeOffset.UtcNow,
            OrderQty = 100m,
            OrdType = FixOrdType.Limit,
            Price = 187.25m,
        });
        using var cts = new CancellationTokenSource(Timeout);
        var message = await initiator.ApplicationMessages.ReadAsync(cts.Token);

        Assert.True(ExecutionReport.TryParse(message, out var report, out var error), error);
        Assert.Equal(("TLS-1", FixOrdStatus.Filled, 100m, 187.25m), (report.ClOrdId, report.OrdStatus, report.CumQty, report.LastPx));
        Assert.True(initiator.Session.TlsProtocol is SslProtocols.Tls12 or SslProtocols.Tls13, $"protocol {initiator.Session.TlsProtocol}");
        Assert.Equal(initiator.Session.TlsProtocol, Assert.Single(acceptor.Sessions).TlsProtocol);

        // Logout exchange and TLS close_notify, then both ends close.
        await initiator.LogoutAsync();
        await initiator.Session.Completion.WaitAsync(Timeout);
        Assert.Equal((4, 4), (initiator.Session.NextSenderMsgSeqNum, initiator.Session.NextTargetMsgSeqNum)); // 1-3 each way: Logon, order / report, Logout
    }

    [Fact]
    public async Task Plaintext_initiator_against_a_tls_acceptor_is_refused_with_a_logout_saying_tls_is_required()
    {
        var refused = Channel.CreateUnbounded<Exception>();
        await using var acceptor = StartAcceptor(refused);

        var error = await Assert.ThrowsAsync<FixSessionException>(() => FixInitiator.ConnectAsync("127.0.0.1", acceptor.Port, ClientSettings(tls: null)));

        Assert.Contains("logon refused: This acceptor requires TLS", error.Message, StringComparison.Ordinal);
        var reported = Assert.IsType<FixTlsException>(await OnlyRefusal(refused));
        Assert.Contains("Plaintext connection", reported.Message, StringComparison.Ordinal);
        Assert.Contains("requires TLS", reported.Message, StringComparison.Ordinal);
        Assert.Empty(acceptor.Sessions);
    }

    [Fact]
    public async Task Tls_initiator_against_a_plaintext_acceptor_fails_with_a_tls_error_naming_the_endpoint()
    {
        await using var acceptor = new FixAcceptor(new FixAcceptorSettings { SenderCompId = "VENUE" }, new FillingApplication());
        acceptor.Start();

        var error = await Assert.ThrowsAsync<FixTlsException>(() => FixInitiator.ConnectAsync("127.0.0.1", acceptor.Port, ClientSettings(TrustingClient())));

        Assert.Contains($"127.0.0.1:{acceptor.Port}", error.Message, StringComparison.Ordinal);
        Assert.Contains("listening with TLS", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Certificate_issued_to_another_host_name_is_refused_unless_the_name_check_is_off()
    {
        await using var acceptor = StartAcceptor();

        var error = await Assert.ThrowsAsync<FixTlsException>(() => FixInitiator.ConnectAsync("127.0.0.1", acceptor.Port, ClientSettings(TrustingClient("venue.example"))));
        await using var lenient = await FixInitiator.ConnectAsync("127.0.0.1", acceptor.Port, ClientSettings(TrustingClient("venue.example") with { CheckCertificateName = false }));

        Assert.Contains("RemoteCertificateNameMismatch", error.Message, StringComparison.Ordinal);
        Assert.Contains("'venue.example'", error.Message, StringComparison.Ordinal);
        Assert.True(lenient.Session.IsLoggedOn);
    }

    [Fact]
    public async Task Certificate_from_an_untrusted_issuer_is_refused_with_the_chain_status()
    {
        await using var acceptor = StartAcceptor();
        using var other = SelfSigned("CN=someone-else", "localhost");

        var error = await Assert.ThrowsAsync<FixTlsException>(() => FixInitiator.ConnectAsync("127.0.0.1", acceptor.Port, ClientSettings(TrustingClient() with { TrustedRoots = [other] })));

        Assert.Contains("RemoteCertificateChainErrors", error.Message, StringComparison.Ordinal);
        Assert.Contains("CN=bdt-fix-test", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mutual_tls_acceptor_logs_on_a_client_with_a_trusted_certificate_and_refuses_one_without()
    {
        using var client = SelfSigned("CN=bdt-trader", "trader.local");
        var refused = Channel.CreateUnbounded<Exception>();
        await using var acceptor = new FixAcceptor(
            new FixAcceptorSettings
            {
                SenderCompId = "VENUE",
                Tls = new FixTlsServerOptions
                {
                    ServerCertificate = _certificate,
                    RequireClientCertificate = true,
                    TrustedClientRoots = [client],
                    RevocationMode = X509RevocationMode.NoCheck,
                },
                OnConnectionRefused = (_, error) => refused.Writer.TryWrite(error),
            },
            new FillingApplication());
        acceptor.Start();

        await using var withCertificate = await FixInitiator.ConnectAsync("127.0.0.1", acceptor.Port, ClientSettings(TrustingClient() with { ClientCertificate = client }));
        var error = await Assert.ThrowsAnyAsync<Exception>(() => FixInitiator.ConnectAsync("127.0.0.1", acceptor.Port, ClientSettings(TrustingClient())));

        Assert.True(withCertificate.Session.IsLoggedOn);
        Assert.True(error is FixTlsException or FixSessionException, error.ToString());
        Assert.Contains("no certificate sent", Assert.IsType<FixTlsException>(await OnlyRefusal(refused)).Message, StringComparison.Ordinal);
    }

    // The acceptor reports a refusal from its accept loop, after the client already saw the outcome: await it.
    private static async Task<Exception> OnlyRefusal(Channel<Exception> refused)
    {
        var first = await refused.Reader.ReadAsync().AsTask().WaitAsync(Timeout);
        Assert.False(refused.Reader.TryRead(out var second), $"a second refusal was reported: {second}");
        return first;
    }

    /// <summary>Fills every NewOrderSingle at its limit with one ExecutionReport.</summary>
    private sealed class FillingApplication : IFixApplication
    {
        public async ValueTask OnMessageAsync(FixSession session, FixMessage message, CancellationToken cancellationToken)
        {
            if (!NewOrderSingle.TryParse(message, out var order, out _))
            {
                return;
            }

            await session.SendAsync(
                new ExecutionReport
                {
                    OrderId = "O-" + order.ClOrdId,
                    ClOrdId = order.ClOrdId,
                    ExecId = "E-" + order.ClOrdId,
                    ExecType = FixExecType.Trade,
                    OrdStatus = FixOrdStatus.Filled,
                    Symbol = order.Symbol,
                    Side = order.Side,
                    OrderQty = order.OrderQty,
                    Price = order.Price,
                    LastQty = order.OrderQty,
                    LastPx = order.Price ?? 0m,
                    LeavesQty = 0m,
                    CumQty = order.OrderQty,
                    AvgPx = order.Price ?? 0m,
                    TransactTime = DateTimeOffset.UtcNow,
                },
                cancellationToken);
        }
    }
}
