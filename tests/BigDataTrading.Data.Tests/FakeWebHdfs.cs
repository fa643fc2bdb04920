using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace BigDataTrading.Data.Tests;

/// <summary>One request the fake cluster received.</summary>
/// <param name="Node">"namenode" or "datanode".</param>
/// <param name="Method">HTTP method.</param>
/// <param name="Path">Decoded HDFS path (after /webhdfs/v1).</param>
/// <param name="Op">The op parameter, upper case.</param>
/// <param name="Query">Decoded query parameters.</param>
/// <param name="BodyLength">Bytes of request body (after de-chunking).</param>
internal sealed record RecordedRequest(string Node, string Method, string Path, string Op, IReadOnlyDictionary<string, string> Query, int BodyLength)
{
    public bool HadBody => BodyLength > 0;
}

/// <summary>
/// An in-memory HDFS behind the WebHDFS REST API, over raw HTTP/1.1 on two loopback ports: a namenode that answers
/// CREATE, APPEND and OPEN with 307 redirects to a datanode on another port, and that datanode, which takes and serves
/// the data. Follows the Apache Hadoop WebHDFS documentation: FileStatus/FileStatuses/boolean JSON, RemoteException JSON
/// with 404 for missing paths, 403 for permission and "already exists" errors, HDFS RENAME semantics (false when the
/// destination exists or its parent is missing; into an existing directory).
/// </summary>
internal sealed class FakeWebHdfs : IDisposable
{
    private readonly TcpListener _namenode = new(IPAddress.Loopback, 0);
    private readonly TcpListener _datanode = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly SortedDictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _dirs = new(StringComparer.Ordinal) { "/" };
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly ConcurrentDictionary<string, byte> _denied = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<TcpClient> _clients = [];
    private long _clock = 1_700_000_000_000;

    public FakeWebHdfs()
    {
        _namenode.Start();
        _datanode.Start();
        NamenodePort = ((IPEndPoint)_namenode.LocalEndpoint).Port;
        DatanodePort = ((IPEndPoint)_datanode.LocalEndpoint).Port;
        _ = AcceptLoopAsync(_namenode, "namenode");
        _ = AcceptLoopAsync(_datanode, "datanode");
    }

    public int NamenodePort { get; }

    public int DatanodePort { get; }

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    /// <summary>The <c>webhdfs://</c> URI of an HDFS path on this cluster.</summary>
    public string Uri(string path) => string.Create(CultureInfo.InvariantCulture, $"webhdfs://127.0.0.1:{NamenodePort}{path}");

    /// <summary>Every request on <paramref name="pathPrefix"/> or below gets 403 AccessControlException.</summary>
    public void Deny(string pathPrefix) => _denied[pathPrefix] = 0;

    /// <summary>Absolute paths of every stored file.</summary>
    public IReadOnlyList<string> FilePaths
    {
        get
        {
            lock (_gate)
            {
                return [.. _files.Keys];
            }
        }
    }

    public byte[]? FileBytes(string path)
    {
        lock (_gate)
        {
            return _files.TryGetValue(path, out var bytes) ? bytes : null;
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _namenode.Stop();
        _datanode.Stop();
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        // The listeners are closed, so the accept loops end by themselves; blocking on them here would tie up a
        // thread-pool thread their continuations may need (measured: ~0.9 s on 2 cores).
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync(TcpListener listener, string node)
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _clients.Add(client);
            _ = Task.Run(() => ServeAsync(client, node));
        }
    }

    private async Task ServeAsync(TcpClient client, string node)
    {
        try
        {
            client.NoDelay = true;
            var network = client.GetStream();
            var reader = new BufferedStream(network, 1 << 16);
            while (await ReadRequestAsync(reader) is { } request)
            {
                var response = Handle(request, node);
                var head = new StringBuilder()
                    .Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {response.Status} {ReasonOf(response.Status)}\r\n")
                    .Append(CultureInfo.InvariantCulture, $"Content-Length: {response.Body.Length}\r\n")
                    .Append(CultureInfo.InvariantCulture, $"Content-Type: {response.ContentType}\r\n");
                if (response.Location is not null)
                {
                    head.Append(CultureInfo.InvariantCulture, $"Location: {response.Location}\r\n");
                }

                head.Append("\r\n");

                // One write per response: a head and body in two small writes would stall on Nagle + delayed ACK (40 ms).
                await network.WriteAsync((byte[])[.. Encoding.ASCII.GetBytes(head.ToString()), .. response.Body], _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or SocketException or InvalidOperationException)
        {
            // Client went away or the server is stopping.
        }
        finally
        {
            client.Dispose();
        }
    }

    private sealed record Request(string Method, string Target, Dictionary<string, string> Headers, byte[] Body);

    private sealed record Response(int Status, byte[] Body, string ContentType = "application/json", string? Location = null);

    private static async Task<Request?> ReadRequestAsync(Stream input)
    {
        var requestLine = await ReadLineAsync(input);
        if (string.IsNullOrEmpty(requestLine))
        {
            return null;
        }

        var parts = requestLine.Split(' ');
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var line = await ReadLineAsync(input); !string.IsNullOrEmpty(line); line = await ReadLineAsync(input))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }

        byte[] body;
        if (headers.TryGetValue("Transfer-Encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            using var buffer = new MemoryStream();
            while (true)
            {
                var sizeLine = (await ReadLineAsync(input))!;
                var size = int.Parse(sizeLine.Split(';')[0].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (size == 0)
                {
                    while (!string.IsNullOrEmpty(await ReadLineAsync(input)))
                    {
                    }

                    break;
                }

                var chunk = new byte[size];
                await input.ReadExactlyAsync(chunk);
                buffer.Write(chunk);
                await ReadLineAsync(input);
            }

            body = buffer.ToArray();
        }
        else
        {
            body = new byte[headers.TryGetValue("Content-Length", out var cl) ? int.Parse(cl, CultureInfo.InvariantCulture) : 0];
            await input.ReadExactlyAsync(body);
        }

        return new Request(parts[0], parts[1], headers, body);
    }

    private static async Task<string?> ReadLineAsync(Stream input)
    {
        var bytes = new List<byte>(128);
        var one = new byte[1];
        while (true)
        {
            if (await input.ReadAsync(one) == 0)
            {
                return bytes.Count == 0 ? null : Encoding.ASCII.GetString([.. bytes]);
            }

            if (one[0] == '\n')
            {
                return Encoding.ASCII.GetString([.. bytes]).TrimEnd('\r');
            }

            bytes.Add(one[0]);
        }
    }

    private Response Handle(Request request, string node)
    {
        var query = request.Target.Split('?', 2);
        const string prefix = "/webhdfs/v1";
        if (!query[0].StartsWith(prefix, StringComparison.Ordinal))
        {
            return new Response(404, Encoding.UTF8.GetBytes("<html>not found</html>"), "text/html");
        }

        var path = System.Uri.UnescapeDataString(query[0][prefix.Length..]);
        path = path.Length > 1 ? path.TrimEnd('/') : "/";
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in (query.Length > 1 ? query[1] : "").Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            parameters[System.Uri.UnescapeDataString(kv[0])] = kv.Length > 1 ? System.Uri.UnescapeDataString(kv[1]) : "";
        }

        var op = parameters.GetValueOrDefault("op", "").ToUpperInvariant();
        _requests.Enqueue(new RecordedRequest(node, request.Method, path, op, parameters, request.Body.Length));
        var user = parameters.GetValueOrDefault("user.name", "dr.who");
        if (_denied.Keys.Any(d => path == d || path.StartsWith(d + "/", StringComparison.Ordinal)))
        {
            return Remote(403, "AccessControlException", "org.apache.hadoop.security.AccessControlException",
                $"Permission denied: user={user}, access=WRITE, inode=\"{path}\":hdfs:supergroup:drwxr-xr-x");
        }

        lock (_gate)
        {
            return node == "namenode" ? Namenode(request, op, path, parameters) : Datanode(request, op, path, parameters);
        }
    }

    private Response Namenode(Request request, string op, string path, Dictionary<string, string> parameters)
    {
        switch (request.Method, op)
        {
            case ("PUT", "CREATE"):
                return Redirect(request);
            case ("POST", "APPEND"):
            case ("GET", "OPEN"):
                return _files.ContainsKey(path) ? Redirect(request) : NotFound($"File does not exist: {path}");
            case ("GET", "GETFILESTATUS"):
                return Exists(path) ? Json(w => { w.WritePropertyName("FileStatus"); WriteStatus(w, path, ""); }) : NotFound($"File does not exist: {path}");
            case ("GET", "LISTSTATUS"):
                if (!Exists(path))
                {
                    return NotFound($"File {path} does not exist.");
                }

                return Json(w =>
                {
                    w.WriteStartObject("FileStatuses");
                    w.WriteStartArray("FileStatus");
                    if (_files.ContainsKey(path))
                    {
                        WriteStatus(w, path, "");
                    }
                    else
                    {
                        foreach (var child in Children(path))
                        {
                            WriteStatus(w, child, child[(child.LastIndexOf('/') + 1)..]);
                        }
                    }

                    w.WriteEndArray();
                    w.WriteEndObject();
                });
            case ("PUT", "MKDIRS"):
                if (Ancestors(path).Append(path).Any(_files.ContainsKey))
                {
                    return Remote(403, "ParentNotDirectoryException", "org.apache.hadoop.fs.ParentNotDirectoryException", $"{path} (is not a directory)");
                }

                MakeDirs(path);
                return Boolean(true);
            case ("PUT", "RENAME"):
                return Boolean(Rename(path, parameters.GetValueOrDefault("destination", "")));
            case ("DELETE", "DELETE"):
                if (!Exists(path) || path == "/")
                {
                    return Boolean(false);
                }

                if (_files.Remove(path))
                {
                    return Boolean(true);
                }

                if (Children(path).Count > 0 && parameters.GetValueOrDefault("recursive") != "true")
                {
                    return Remote(403, "PathIsNotEmptyDirectoryException", "org.apache.hadoop.fs.PathIsNotEmptyDirectoryException", $"`{path} is non empty': Directory is not empty");
                }

                foreach (var f in _files.Keys.Where(k => k.StartsWith(path + "/", StringComparison.Ordinal)).ToList())
                {
                    _files.Remove(f);
                }

                _dirs.RemoveWhere(d => d == path || d.StartsWith(path + "/", StringComparison.Ordinal));
                return Boolean(true);
            default:
                return Remote(400, "IllegalArgumentException", "java.lang.IllegalArgumentException", $"Invalid value for webhdfs parameter \"op\": {request.Method} {op}");
        }
    }

    private Response Datanode(Request request, string op, string path, Dictionary<string, string> parameters)
    {
        switch (request.Method, op)
        {
            case ("PUT", "CREATE"):
                if (_dirs.Contains(path) || (_files.ContainsKey(path) && parameters.GetValueOrDefault("overwrite") != "true"))
                {
                    return Remote(403, "FileAlreadyExistsException", "org.apache.hadoop.fs.FileAlreadyExistsException", $"{path} for client 127.0.0.1 already exists");
                }

                if (Ancestors(path).Any(_files.ContainsKey))
                {
                    return Remote(403, "ParentNotDirectoryException", "org.apache.hadoop.fs.ParentNotDirectoryException", $"{Parent(path)} (is not a directory)");
                }

                MakeDirs(Parent(path));
                _files[path] = request.Body;
                _clock++;
                return new Response(201, [], "application/octet-stream", string.Create(CultureInfo.InvariantCulture, $"webhdfs://127.0.0.1:{NamenodePort}{path}"));
            case ("POST", "APPEND"):
                if (!_files.TryGetValue(path, out var existing))
                {
                    return NotFound($"File does not exist: {path}");
                }

                _files[path] = [.. existing, .. request.Body];
                _clock++;
                return new Response(200, [], "application/octet-stream");
            case ("GET", "OPEN"):
                return _files.TryGetValue(path, out var bytes) ? new Response(200, bytes, "application/octet-stream") : NotFound($"File does not exist: {path}");
            default:
                return Remote(400, "IllegalArgumentException", "java.lang.IllegalArgumentException", $"Invalid datanode operation {request.Method} {op}");
        }
    }

    private Response Redirect(Request request) => new(307, [], "application/octet-stream",
        string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{DatanodePort}{request.Target}&namenoderpcaddress=127.0.0.1:8020"));

    private bool Rename(string source, string destination)
    {
        if (!Exists(source) || source == "/" || destination.Length == 0 || destination[0] != '/')
        {
            return false;
        }

        if (_dirs.Contains(destination))
        {
            destination = destination.TrimEnd('/') + "/" + source[(source.LastIndexOf('/') + 1)..];
        }

        if (Exists(destination) || !_dirs.Contains(Parent(destination)) || destination.StartsWith(source + "/", StringComparison.Ordinal))
        {
            return false;
        }

        if (_files.Remove(source, out var bytes))
        {
            _files[destination] = bytes;
            return true;
        }

        foreach (var f in _files.Keys.Where(k => k.StartsWith(source + "/", StringComparison.Ordinal)).ToList())
        {
            _files.Remove(f, out var b);
            _files[destination + f[source.Length..]] = b!;
        }

        foreach (var d in _dirs.Where(k => k == source || k.StartsWith(source + "/", StringComparison.Ordinal)).ToList())
        {
            _dirs.Remove(d);
            _dirs.Add(destination + d[source.Length..]);
        }

        return true;
    }

    private bool Exists(string path) => _files.ContainsKey(path) || _dirs.Contains(path);

    private List<string> Children(string dir)
    {
        var prefix = dir == "/" ? "/" : dir + "/";
        bool IsChild(string p) => p.Length > prefix.Length && p.StartsWith(prefix, StringComparison.Ordinal) && p.IndexOf('/', prefix.Length) < 0;
        return _files.Keys.Where(IsChild).Concat(_dirs.Where(IsChild)).Order(StringComparer.Ordinal).ToList();
    }

    private static string Parent(string path) => path.LastIndexOf('/') is var i and > 0 ? path[..i] : "/";

    private static IEnumerable<string> Ancestors(string path)
    {
        for (var p = Parent(path); p != "/"; p = Parent(p))
        {
            yield return p;
        }
    }

    private void MakeDirs(string path)
    {
        for (var p = path; p != "/"; p = Parent(p))
        {
            _dirs.Add(p);
        }
    }

    private void WriteStatus(Utf8JsonWriter w, string path, string suffix)
    {
        var isFile = _files.TryGetValue(path, out var bytes);
        w.WriteStartObject();
        w.WriteNumber("accessTime", isFile ? _clock : 0);
        w.WriteNumber("blockSize", isFile ? 134217728 : 0);
        w.WriteNumber("childrenNum", isFile ? 0 : Children(path).Count);
        w.WriteNumber("fileId", 16386 + (path.GetHashCode(StringComparison.Ordinal) & 0xffff));
        w.WriteString("group", "supergroup");
        w.WriteNumber("length", isFile ? bytes!.Length : 0);
        w.WriteNumber("modificationTime", _clock);
        w.WriteString("owner", "alice");
        w.WriteString("pathSuffix", suffix);
        w.WriteString("permission", isFile ? "644" : "755");
        w.WriteNumber("replication", isFile ? 3 : 0);
        w.WriteNumber("storagePolicy", 0);
        w.WriteString("type", isFile ? "FILE" : "DIRECTORY");
        w.WriteEndObject();
    }

    private static Response Boolean(bool value) => Json(w => w.WriteBoolean("boolean", value));

    private static Response NotFound(string message) =>
        Remote(404, "FileNotFoundException", "java.io.FileNotFoundException", message);

    private static Response Remote(int status, string exception, string javaClassName, string message) => Json(w =>
    {
        w.WriteStartObject("RemoteException");
        w.WriteString("exception", exception);
        w.WriteString("javaClassName", javaClassName);
        w.WriteString("message", message);
        w.WriteEndObject();
    }, status);

    private static Response Json(Action<Utf8JsonWriter> members, int status = 200)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            members(w);
            w.WriteEndObject();
        }

        return new Response(status, buffer.ToArray());
    }

    private static string ReasonOf(int status) => status switch
    {
        200 => "OK",
        201 => "Created",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        _ => "Status",
    };
}
