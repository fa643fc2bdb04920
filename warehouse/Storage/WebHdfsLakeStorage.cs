using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace BigDataTrading.Warehouse.Storage;

/// <summary>
/// <see cref="ILakeStorage"/> on HDFS through the WebHDFS REST API (Apache Hadoop, <c>/webhdfs/v1</c>), rooted at
/// <c>webhdfs://namenode:port/path</c> (<c>swebhdfs://</c> for HTTPS; default ports 9870 and 9871).
/// </summary>
/// <remarks>
/// <para>Operations: <c>CREATE</c> (PUT) and <c>APPEND</c> (POST) in the documented two steps — a request without a body
/// to the namenode, answered 307 with the datanode's <c>Location</c>, then the data to that location; the client never
/// follows redirects by itself, because an automatic follow would send the data to the namenode or nothing at all to the
/// datanode. <c>OPEN</c> follows the namenode's redirect to a datanode and streams the response. <c>RENAME</c> (atomic
/// on HDFS), <c>DELETE</c>, <c>MKDIRS</c>, <c>LISTSTATUS</c> and <c>GETFILESTATUS</c> are single requests. Every
/// request carries <c>user.name</c> (pseudo authentication).</para>
/// <para>Errors: a Hadoop <c>RemoteException</c> body with <c>FileNotFoundException</c> (HTTP 404) becomes a
/// <see cref="FileNotFoundException"/> naming the <c>webhdfs://</c> path; anything else a <see cref="WebHdfsException"/>
/// with the operation, path, HTTP status, the server's exception name and message, and a hint.</para>
/// <para>Not supported: Kerberos/SPNEGO and delegation tokens (a secured cluster answers 401), high-availability
/// namenode failover (point the root at the active namenode; a standby answers 403 StandbyException), and
/// <c>LISTSTATUS_BATCH</c> paging (one <c>LISTSTATUS</c> per directory; fine for partition folders).</para>
/// <para>Thread-safe: one <see cref="HttpClient"/> shared by all calls. Dispose to release its connections.</para>
/// </remarks>
public sealed class WebHdfsLakeStorage : ILakeStorage
{
    private const string ApiPrefix = "/webhdfs/v1";
    private const int MaxErrorBodyChars = 64 * 1024;

    private readonly HttpClient _http;
    private readonly string _baseAddress;
    private readonly string _rootPath;
    private readonly string _userName;

    /// <summary>Creates a client for the lake rooted at <paramref name="root"/>.</summary>
    /// <param name="root"><c>webhdfs://host[:port]/path</c> or <c>swebhdfs://…</c>; the path is the lake root in HDFS.</param>
    /// <param name="options">User name, timeout and handler; defaults when null.</param>
    /// <exception cref="ArgumentException">The URI is not a webhdfs/swebhdfs URI with a host.</exception>
    public WebHdfsLakeStorage(Uri root, WebHdfsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        options ??= new WebHdfsOptions();
        var secure = root.Scheme.Equals("swebhdfs", StringComparison.OrdinalIgnoreCase);
        if (!root.IsAbsoluteUri || !(secure || root.Scheme.Equals("webhdfs", StringComparison.OrdinalIgnoreCase)) || root.Host.Length == 0)
        {
            throw new ArgumentException($"'{root}' is not a WebHDFS root: expected webhdfs://host:port/path or swebhdfs://host:port/path.", nameof(root));
        }

        var port = root.IsDefaultPort || root.Port < 0 ? (secure ? 9871 : 9870) : root.Port;
        var host = root.HostNameType == UriHostNameType.IPv6 ? "[" + root.DnsSafeHost + "]" : root.Host;
        _baseAddress = string.Create(CultureInfo.InvariantCulture, $"{(secure ? "https" : "http")}://{host}:{port}");
        _rootPath = "/" + LakeStorage.NormalizePath(Uri.UnescapeDataString(root.AbsolutePath));
        Root = string.Create(CultureInfo.InvariantCulture, $"{(secure ? "swebhdfs" : "webhdfs")}://{host}:{port}{_rootPath}");
        _userName = options.ResolveUserName();
        var handler = options.Handler ?? new SocketsHttpHandler
        {
            // The two-step CREATE/APPEND needs to see the 307 (see the class remarks).
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        };
        _http = new HttpClient(handler, disposeHandler: true) { Timeout = options.RequestTimeout };
    }

    /// <summary>The root as <c>webhdfs://host:port/path</c> (port made explicit).</summary>
    public string Root { get; }

    /// <summary>The HDFS user sent as <c>user.name</c>.</summary>
    public string UserName => _userName;

    /// <inheritdoc />
    public Task CreateAsync(string path, Stream content, bool overwrite = true, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        return SendDataAsync(HttpMethod.Put, "CREATE", path, "&overwrite=" + (overwrite ? "true" : "false"), content, ct);
    }

    /// <inheritdoc />
    public Task AppendAsync(string path, Stream content, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        return SendDataAsync(HttpMethod.Post, "APPEND", path, "", content, ct);
    }

    /// <inheritdoc />
    public async Task<Stream> OpenReadAsync(string path, CancellationToken ct = default)
    {
        var rel = LakeStorage.NormalizePath(path);
        var response = await SendAsync(HttpMethod.Get, OperationUri("OPEN", rel, ""), null, "OPEN", rel, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        try
        {
            if (response.StatusCode is HttpStatusCode.TemporaryRedirect or HttpStatusCode.Redirect or HttpStatusCode.RedirectKeepVerb)
            {
                var location = RedirectTarget(response, "OPEN", rel);
                response.Dispose();
                response = await SendAsync(HttpMethod.Get, location, null, "OPEN", rel, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            }

            // A gateway such as HttpFS answers OPEN with the data directly (200); a namenode redirects first.
            var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            return new ResponseStream(response, body);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    /// <remarks>HDFS moves a source <em>into</em> an existing destination directory, so the destination is checked first;
    /// a destination created between the check and the rename by another client is not detected.</remarks>
    public async Task<bool> RenameAsync(string source, string destination, CancellationToken ct = default)
    {
        var from = LakeStorage.NormalizePath(source);
        var to = LakeStorage.NormalizePath(destination);
        if (await GetStatusAsync(to, ct).ConfigureAwait(false) is not null)
        {
            return false;
        }

        var renamed = await BooleanAsync(HttpMethod.Put, "RENAME", from, "&destination=" + Uri.EscapeDataString(AbsolutePath(to)), ct).ConfigureAwait(false);
        if (renamed)
        {
            return true;
        }

        // RENAME answers a bare false for every refusal: find out which, to raise something precise.
        if (await GetStatusAsync(to, ct).ConfigureAwait(false) is not null)
        {
            return false;
        }

        if (await GetStatusAsync(from, ct).ConfigureAwait(false) is null)
        {
            throw new FileNotFoundException($"WebHDFS RENAME of '{Display(from)}' to '{Display(to)}' failed: the source does not exist.", Display(from));
        }

        throw new WebHdfsException(
            $"WebHDFS RENAME of '{Display(from)}' to '{Display(to)}' was refused (HTTP 200, boolean false): check that the destination's parent directory exists and is not inside the source.",
            200, null, null);
    }

    /// <inheritdoc />
    public Task<bool> DeleteAsync(string path, bool recursive = true, CancellationToken ct = default) =>
        BooleanAsync(HttpMethod.Delete, "DELETE", LakeStorage.NormalizePath(path), "&recursive=" + (recursive ? "true" : "false"), ct);

    /// <inheritdoc />
    public async Task CreateDirectoryAsync(string path, CancellationToken ct = default)
    {
        var rel = LakeStorage.NormalizePath(path);
        if (!await BooleanAsync(HttpMethod.Put, "MKDIRS", rel, "", ct).ConfigureAwait(false))
        {
            throw new WebHdfsException($"WebHDFS MKDIRS of '{Display(rel)}' was refused (HTTP 200, boolean false): check that no parent is a file.", 200, null, null);
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<LakeFileStatus>> ListAsync(string path, CancellationToken ct = default)
    {
        var rel = LakeStorage.NormalizePath(path);
        using var json = await JsonAsync(HttpMethod.Get, "LISTSTATUS", rel, ct).ConfigureAwait(false);
        var list = new List<LakeFileStatus>();
        if (!json.RootElement.TryGetProperty("FileStatuses", out var statuses) || !statuses.TryGetProperty("FileStatus", out var array) || array.ValueKind != JsonValueKind.Array)
        {
            throw Malformed("LISTSTATUS", rel, "FileStatuses.FileStatus");
        }

        foreach (var entry in array.EnumerateArray())
        {
            list.Add(ParseStatus(entry, rel, "LISTSTATUS"));
        }

        list.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return list;
    }

    /// <inheritdoc />
    public async Task<LakeFileStatus?> GetStatusAsync(string path, CancellationToken ct = default)
    {
        var rel = LakeStorage.NormalizePath(path);
        try
        {
            using var json = await JsonAsync(HttpMethod.Get, "GETFILESTATUS", rel, ct).ConfigureAwait(false);
            return json.RootElement.TryGetProperty("FileStatus", out var status)
                ? ParseStatus(status, rel, "GETFILESTATUS")
                : throw Malformed("GETFILESTATUS", rel, "FileStatus");
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Releases the HTTP client and its connections.</summary>
    public void Dispose() => _http.Dispose();

    private async Task SendDataAsync(HttpMethod method, string op, string path, string extraQuery, Stream content, CancellationToken ct)
    {
        var rel = LakeStorage.NormalizePath(path);
        if (rel.Length == 0)
        {
            throw new ArgumentException($"WebHDFS {op} needs a file path, not the root '{Root}'.", nameof(path));
        }

        // Step 1: no body. The namenode answers 307 with the datanode that will take the data.
        Uri location;
        using (var redirect = await SendAsync(method, OperationUri(op, rel, extraQuery), null, op, rel, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false))
        {
            location = redirect.StatusCode is HttpStatusCode.TemporaryRedirect or HttpStatusCode.Redirect or HttpStatusCode.RedirectKeepVerb
                ? RedirectTarget(redirect, op, rel)
                : throw new WebHdfsException(
                    $"WebHDFS {op} of '{Display(rel)}': the namenode answered HTTP {(int)redirect.StatusCode} instead of the 307 redirect to a datanode; if a custom handler follows redirects, disable that (AllowAutoRedirect = false).",
                    (int)redirect.StatusCode, null, null);
        }

        // Step 2: the data, to the datanode.
        using var body = new UploadContent(content);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var _ = await SendAsync(method, location, body, op, rel, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
    }

    private async Task<bool> BooleanAsync(HttpMethod method, string op, string rel, string extraQuery, CancellationToken ct)
    {
        using var response = await SendAsync(method, OperationUri(op, rel, extraQuery), null, op, rel, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        using var json = await ParseJsonAsync(response, op, rel, ct).ConfigureAwait(false);
        return json.RootElement.TryGetProperty("boolean", out var value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? value.GetBoolean()
            : throw Malformed(op, rel, "boolean");
    }

    private async Task<JsonDocument> JsonAsync(HttpMethod method, string op, string rel, CancellationToken ct)
    {
        using var response = await SendAsync(method, OperationUri(op, rel, ""), null, op, rel, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        return await ParseJsonAsync(response, op, rel, ct).ConfigureAwait(false);
    }

    private async Task<JsonDocument> ParseJsonAsync(HttpResponseMessage response, string op, string rel, CancellationToken ct)
    {
        try
        {
            using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            return await JsonDocument.ParseAsync(stream, default, ct).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw new WebHdfsException($"WebHDFS {op} of '{Display(rel)}': the response (HTTP {(int)response.StatusCode}) is not JSON; is the root's port the namenode's HTTP port?", e);
        }
    }

    /// <summary>Sends one request; success and redirect statuses are returned, anything else is raised as an exception.</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri uri, HttpContent? content, string op, string rel, HttpCompletionOption completion, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, uri) { Content = content };
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, completion, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new WebHdfsException($"WebHDFS {op} of '{Display(rel)}': no response from {uri.GetLeftPart(UriPartial.Authority)} ({e.Message}); check that the namenode/datanode is up and reachable.", e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new WebHdfsException($"WebHDFS {op} of '{Display(rel)}': no response from {uri.GetLeftPart(UriPartial.Authority)} within {_http.Timeout}; raise WebHdfsOptions.RequestTimeout for large files.", e);
        }

        if (response.IsSuccessStatusCode || (int)response.StatusCode is >= 300 and < 400)
        {
            return response;
        }

        using (response)
        {
            throw await ErrorAsync(response, op, rel, ct).ConfigureAwait(false);
        }
    }

    private async Task<Exception> ErrorAsync(HttpResponseMessage response, string op, string rel, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        string body;
        try
        {
            body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            body = "";
        }

        string? name = null;
        string? message = null;
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("RemoteException", out var remote) && remote.ValueKind == JsonValueKind.Object)
            {
                name = remote.TryGetProperty("exception", out var e) ? e.GetString() : null;
                message = remote.TryGetProperty("message", out var m) ? m.GetString() : null;
            }
        }
        catch (JsonException)
        {
            // Not a RemoteException (a proxy's or servlet container's page): the raw body goes into the message.
        }

        var display = Display(rel);
        var detail = name is not null
            ? $"{name}: {message}"
            : body.Length == 0 ? response.ReasonPhrase ?? "no body" : body.Length > MaxErrorBodyChars ? body[..MaxErrorBodyChars] : body;
        if (name == "FileNotFoundException")
        {
            return new FileNotFoundException($"WebHDFS {op} of '{display}' failed with HTTP {status} ({detail}): the path does not exist.", display);
        }

        var hint = (status, name) switch
        {
            (404, null) => "the server is not a WebHDFS endpoint; point the root at the namenode's HTTP port (9870 by default) with dfs.webhdfs.enabled",
            (401, _) => "the cluster requires authentication (Kerberos/SPNEGO or a delegation token), which this client does not support",
            (_, "AccessControlException") => $"check the HDFS permissions of the path for user '{_userName}' (set WebHdfsOptions.UserName or HADOOP_USER_NAME)",
            (_, "StandbyException") => "this namenode is in standby; point the root at the active namenode",
            (_, "SafeModeException" or "RetriableException") => "the namenode is in safe mode or busy; retry later",
            (_, "FileAlreadyExistsException") => "the path already exists; delete it or create with overwrite",
            (_, "PathIsNotEmptyDirectoryException") => "the directory is not empty; delete recursively",
            _ => "see the namenode and datanode logs",
        };
        return new WebHdfsException($"WebHDFS {op} of '{display}' failed with HTTP {status} ({detail}): {hint}.", status, name, message);
    }

    private Uri RedirectTarget(HttpResponseMessage response, string op, string rel)
    {
        var location = response.Headers.Location
            ?? throw new WebHdfsException($"WebHDFS {op} of '{Display(rel)}': HTTP {(int)response.StatusCode} redirect without a Location header.", (int)response.StatusCode, null, null);
        return location.IsAbsoluteUri ? location : new Uri(response.RequestMessage!.RequestUri!, location);
    }

    private Uri OperationUri(string op, string rel, string extraQuery) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{_baseAddress}{ApiPrefix}{EscapePath(AbsolutePath(rel))}?op={op}&user.name={Uri.EscapeDataString(_userName)}{extraQuery}"));

    private string AbsolutePath(string rel) =>
        rel.Length == 0 ? _rootPath : _rootPath.Length == 1 ? "/" + rel : _rootPath + "/" + rel;

    private string Display(string rel) => rel.Length == 0 ? Root : Root.TrimEnd('/') + "/" + rel;

    private WebHdfsException Malformed(string op, string rel, string member) =>
        new($"WebHDFS {op} of '{Display(rel)}': the response lacks '{member}'; is the root's port the namenode's WebHDFS HTTP port?");

    private LakeFileStatus ParseStatus(JsonElement status, string rel, string op)
    {
        try
        {
            var suffix = status.GetProperty("pathSuffix").GetString() ?? "";
            var path = suffix.Length == 0 ? rel : LakeStorage.Combine(rel, suffix);
            var type = status.GetProperty("type").GetString() == "DIRECTORY" ? LakeEntryType.Directory : LakeEntryType.File;
            var length = status.TryGetProperty("length", out var l) ? l.GetInt64() : 0;
            var modified = status.TryGetProperty("modificationTime", out var m) ? DateTimeOffset.FromUnixTimeMilliseconds(m.GetInt64()) : DateTimeOffset.UnixEpoch;
            return new LakeFileStatus(path, path.Length == 0 ? "" : LakeStorage.NameOf(path), type, length, modified);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new WebHdfsException($"WebHDFS {op} of '{Display(rel)}': a FileStatus lacks pathSuffix/type or has non-numeric length/modificationTime ({e.Message}).", e);
        }
    }

    /// <summary>Percent-encodes each segment, keeping '/' and the characters HDFS names commonly use (letters, digits,
    /// "-._~=,"); ';', '+', '%' and the like are encoded so servlet containers do not treat them as path syntax.</summary>
    private static string EscapePath(string absolutePath)
    {
        var sb = new StringBuilder(absolutePath.Length + 16);
        foreach (var b in Encoding.UTF8.GetBytes(absolutePath))
        {
            var c = (char)b;
            if (b < 128 && (char.IsAsciiLetterOrDigit(c) || c is '/' or '-' or '.' or '_' or '~' or '=' or ','))
            {
                sb.Append(c);
            }
            else
            {
                sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return sb.ToString();
    }

    /// <summary>The caller's stream as a request body, with a Content-Length when it can seek. Unlike StreamContent it
    /// does not dispose the stream: the caller owns it.</summary>
    private sealed class UploadContent(Stream content) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            content.CopyToAsync(stream);

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
            content.CopyToAsync(stream, cancellationToken);

        protected override bool TryComputeLength(out long length)
        {
            length = content.CanSeek ? content.Length - content.Position : -1;
            return content.CanSeek;
        }
    }

    /// <summary>The body of an OPEN response; disposing it releases the response and its connection.</summary>
    private sealed class ResponseStream(HttpResponseMessage response, Stream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override int Read(Span<byte> buffer) => inner.Read(buffer);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.ReadAsync(buffer, cancellationToken);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                response.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
