using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace BigDataTrading.Trading.Control;

/// <summary>Where the control endpoint listens and the token it requires.</summary>
/// <param name="Port">TCP port; 0 picks a free one.</param>
/// <param name="Token">Bearer token every request must carry (at least 16 characters).</param>
/// <param name="Host">Listen address: loopback by default, so only someone on the trader's VM can reach it.</param>
public sealed record TraderControlOptions(int Port, string Token, string Host = "127.0.0.1")
{
    /// <summary>Throws when a setting is unsafe or invalid, naming it.</summary>
    public void Validate()
    {
        if (Token is null || Token.Length < 16)
        {
            throw new ArgumentException("Token: the control endpoint needs a bearer token of at least 16 characters.", nameof(Token));
        }

        if (Port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(Port), Port, "Must be 0..65535.");
        }
    }
}

/// <summary>
/// The trader's HTTP control endpoint: <c>GET /status</c>, <c>POST /kill-switch</c> (engage; optional JSON body
/// <c>{"reason": "..."}</c>) and <c>DELETE /kill-switch</c> (release). Every request needs
/// <c>Authorization: Bearer &lt;token&gt;</c>; anything else is answered 401 and changes nothing.
/// </summary>
/// <remarks>Listens on loopback by default. Requests are served one at a time on a background task.</remarks>
public sealed class TraderControlServer : IAsyncDisposable
{
    private readonly HttpListener _listener;
    private readonly KillSwitch _killSwitch;
    private readonly Func<object> _status;
    private readonly byte[] _expectedAuthorization;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serve;

    private TraderControlServer(HttpListener listener, int port, KillSwitch killSwitch, Func<object> status, string token)
    {
        _listener = listener;
        Port = port;
        _killSwitch = killSwitch;
        _status = status;
        _expectedAuthorization = Encoding.UTF8.GetBytes("Bearer " + token);
        _serve = Task.Run(ServeAsync);
    }

    /// <summary>The port it listens on.</summary>
    public int Port { get; }

    /// <summary>Base address, e.g. <c>http://127.0.0.1:8089/</c>.</summary>
    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");

    /// <summary>Starts listening.</summary>
    /// <param name="options">Address, port and token.</param>
    /// <param name="killSwitch">The switch the endpoint controls.</param>
    /// <param name="status">Returns the object serialized for <c>GET /status</c> (called on the server's task).</param>
    public static TraderControlServer Start(TraderControlOptions options, KillSwitch killSwitch, Func<object> status)
    {
        options.Validate();
        var port = options.Port == 0 ? FreePort() : options.Port;
        var listener = new HttpListener();
        listener.Prefixes.Add($"http://{options.Host}:{port}/");
        listener.Start();
        return new TraderControlServer(listener, port, killSwitch, status, options.Token);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        _listener.Close();
        try
        {
            await _serve;
        }
        catch (ObjectDisposedException)
        {
            // The listener was closed under a pending GetContextAsync: that is how serving stops.
        }

        _stop.Dispose();
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpListenerException)
            {
                return;
            }

            try
            {
                await HandleAsync(context);
            }
            catch (Exception ex) when (ex is IOException or HttpListenerException)
            {
                // The client went away mid-response; nothing to undo.
            }
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        if (!IsAuthorized(request.Headers["Authorization"]))
        {
            await RespondAsync(context, HttpStatusCode.Unauthorized, new { error = "missing or wrong bearer token" });
            return;
        }

        var by = "http " + request.RemoteEndPoint.Address;
        switch (request.HttpMethod, request.Url?.AbsolutePath)
        {
            case ("GET", "/status"):
                await RespondAsync(context, HttpStatusCode.OK, _status());
                break;
            case ("POST", "/kill-switch"):
                var reason = await ReadReasonAsync(request) ?? "engaged over HTTP";
                var engaged = _killSwitch.Engage(reason, by);
                await RespondAsync(context, HttpStatusCode.OK, new { changed = engaged, state = _killSwitch.State });
                break;
            case ("DELETE", "/kill-switch"):
                var released = _killSwitch.Release(by);
                await RespondAsync(context, HttpStatusCode.OK, new { changed = released, state = _killSwitch.State });
                break;
            default:
                await RespondAsync(context, HttpStatusCode.NotFound, new { error = "routes: GET /status, POST /kill-switch, DELETE /kill-switch" });
                break;
        }
    }

    private bool IsAuthorized(string? header) =>
        header is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header), _expectedAuthorization);

    private static async Task<string?> ReadReasonAsync(HttpListenerRequest request)
    {
        if (!request.HasEntityBody)
        {
            return null;
        }

        try
        {
            using var body = await JsonDocument.ParseAsync(request.InputStream);
            return body.RootElement.TryGetProperty("reason", out var reason) ? reason.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task RespondAsync(HttpListenerContext context, HttpStatusCode status, object body)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body, BigDataTrading.Core.Wire.JsonRecords.Options);
        context.Response.StatusCode = (int)status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();
    }

    private static int FreePort()
    {
        using var socket = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
