using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using BigDataTrading.Fix.Logging;

namespace BigDataTrading.Fix.Tests.Conformance;

/// <summary>The outcome of one script: passed, or the first failing line with expected/received.</summary>
internal sealed record ScriptResult(string Version, string Name, bool Passed, string Detail, TimeSpan Elapsed);

/// <summary>
/// Runs one QuickFIX acceptance script (<c>.def</c>, format in the suite's FORMAT.md) against a fresh
/// <see cref="FixAcceptor"/> configured like QuickFIX's test acceptor (SenderCompID ISLD, FIX.4.2 and FIX.4.4, the
/// suite's data dictionaries, an echo application). The harness side is written from the format description, not
/// from QuickFIX's Ruby code: I lines are "fixified" (BodyLength/CheckSum added when absent) and sent; E lines are
/// fixified the same way and compared field by field with the next received frame (tags in fields.fmt by regex);
/// eDISCONNECT waits up to 10 s for the engine to close and fails on data.
/// </summary>
internal static partial class AcceptanceScriptRunner
{
    private static readonly TimeSpan ExpectTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan DisconnectTimeout = TimeSpan.FromSeconds(10);
    private static readonly ConcurrentDictionary<string, FixDataDictionary> s_dictionaries = new(StringComparer.Ordinal);
    private static readonly Lazy<IReadOnlyDictionary<int, Regex>> s_fieldFormats = new(LoadFieldFormats);

    public static async Task<ScriptResult> RunAsync(string version, string name)
    {
        var started = DateTime.UtcNow;
        using var logs = new TestDirectory();
        var application = new EchoApplication();
        var acceptor = new FixAcceptor(
            new FixAcceptorSettings
            {
                SenderCompId = "ISLD",
                BeginStrings = new HashSet<string>(StringComparer.Ordinal) { FixVersions.Fix42, FixVersions.Fix44 },
                DataDictionaries = new Dictionary<string, FixDataDictionary>(StringComparer.Ordinal)
                {
                    [FixVersions.Fix42] = Dictionary("fix42"),
                    [FixVersions.Fix44] = Dictionary("fix44"),
                },
                AllowedTargetCompIds = new HashSet<string>(StringComparer.Ordinal) { "TW", "TW42", "TW44" },
                // QuickFIX drops connections whose Logon it refuses; the scripts expect exactly that.
                SendLogoutOnRejectedLogon = false,
                LogoutTimeout = TimeSpan.FromSeconds(2),
                LogDirectory = logs.Path,
            },
            application);
        acceptor.Start();
        var connections = new Dictionary<int, HarnessConnection>();
        string detail;
        var passed = false;
        try
        {
            detail = await ExecuteAsync(Path.Combine(SharedFixData.ScriptDirectory(version), name + ".def"), acceptor.EndPoint, connections);
            passed = detail.Length == 0;
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or InvalidOperationException or TimeoutException)
        {
            detail = $"{ex.GetType().Name}: {ex.Message}";
        }
        finally
        {
            foreach (var connection in connections.Values)
            {
                connection.Dispose();
            }

            await acceptor.StopAsync();
        }

        if (!passed)
        {
            detail += Environment.NewLine + EngineLog(logs.Path);
        }

        return new ScriptResult(version, name, passed, passed ? "passed" : detail, DateTime.UtcNow - started);
    }

    private static FixDataDictionary Dictionary(string version) =>
        s_dictionaries.GetOrAdd(version, v => FixDataDictionary.Load(SharedFixData.SpecPath(v)));

    /// <summary>Returns an empty string when every line passed, otherwise why the first failing line failed.</summary>
    private static async Task<string> ExecuteAsync(string path, IPEndPoint endPoint, Dictionary<int, HarnessConnection> connections)
    {
        var lines = File.ReadAllText(path, Encoding.Latin1).Split('\n');
        for (var number = 1; number <= lines.Length; number++)
        {
            var line = lines[number - 1].TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var kind = line[0];
            var rest = line[1..];
            var id = 1;
            if (rest.Length >= 2 && char.IsAsciiDigit(rest[0]) && rest[1] == ',')
            {
                id = rest[0] - '0';
                rest = rest[2..];
            }

            var where = string.Create(CultureInfo.InvariantCulture, $"line {number} ({Show(line)})");
            switch (kind, rest)
            {
                case ('i', "CONNECT"):
                    connections[id] = await HarnessConnection.ConnectAsync(endPoint);
                    break;
                case ('i', "DISCONNECT"):
                    if (connections.Remove(id, out var closing))
                    {
                        closing.Dispose();
                    }

                    break;
                case ('e', "DISCONNECT"):
                {
                    var data = await connections[id].ExpectDisconnectAsync(DisconnectTimeout);
                    if (data is not null)
                    {
                        return $"{where}: expected a disconnect but received {data}";
                    }

                    break;
                }

                case ('I', _):
                    await connections[id].SendAsync(Encoding.Latin1.GetBytes(Fixify(SubstituteTimes(rest))));
                    break;
                case ('E', _):
                {
                    var expected = Fixify(SubstituteTimes(rest));
                    var received = await connections[id].ReadFrameAsync(ExpectTimeout);
                    if (received is null)
                    {
                        return $"{where}: connection closed or timed out, expected {Show(expected)}";
                    }

                    if (Compare(expected, received) is { } mismatch)
                    {
                        return $"{where}: {mismatch}{Environment.NewLine}  expected {Show(expected)}{Environment.NewLine}  received {Show(received)}";
                    }

                    break;
                }

                default:
                    return $"{where}: unsupported line type";
            }
        }

        return string.Empty;
    }

    /// <summary>Replaces &lt;TIME&gt; and &lt;TIME±N&gt; (seconds) with the UTC time as yyyyMMdd-HH:mm:ss.</summary>
    internal static string SubstituteTimes(string text) => TimePlaceholder().Replace(text, m =>
    {
        var offset = m.Groups[1].Success ? int.Parse(m.Groups[1].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : 0;
        return DateTime.UtcNow.AddSeconds(offset).ToString("yyyyMMdd-HH:mm:ss", CultureInfo.InvariantCulture);
    });

    /// <summary>Adds BodyLength (after 8=) and CheckSum when the line does not carry them; otherwise leaves them as written.</summary>
    internal static string Fixify(string message)
    {
        var fields = message.Split('\u0001').Where(f => f.Length > 0).ToList();
        if (!fields.Any(f => f.StartsWith("9=", StringComparison.Ordinal)))
        {
            var checksumIndex = fields.FindIndex(f => f.StartsWith("10=", StringComparison.Ordinal));
            var bodyFields = fields.Skip(1).Take((checksumIndex < 0 ? fields.Count : checksumIndex) - 1);
            var length = bodyFields.Sum(f => Encoding.Latin1.GetByteCount(f) + 1);
            fields.Insert(1, string.Create(CultureInfo.InvariantCulture, $"9={length}"));
        }

        var text = string.Concat(fields.Select(f => f + "\u0001"));
        if (!fields.Any(f => f.StartsWith("10=", StringComparison.Ordinal)))
        {
            var sum = Encoding.Latin1.GetBytes(text).Sum(b => b) % 256;
            text += string.Create(CultureInfo.InvariantCulture, $"10={sum:000}\u0001");
        }

        return text;
    }

    /// <summary>Null when equal: same number of fields, same tags in the same order, values equal (or matching fields.fmt).</summary>
    internal static string? Compare(string expected, string received)
    {
        var e = expected.Split('\u0001', StringSplitOptions.RemoveEmptyEntries);
        var r = received.Split('\u0001', StringSplitOptions.RemoveEmptyEntries);
        if (e.Length != r.Length)
        {
            return string.Create(CultureInfo.InvariantCulture, $"field count {r.Length}, expected {e.Length}");
        }

        for (var i = 0; i < e.Length; i++)
        {
            var (eTag, eValue) = SplitField(e[i]);
            var (rTag, rValue) = SplitField(r[i]);
            if (eTag != rTag)
            {
                return string.Create(CultureInfo.InvariantCulture, $"field {i + 1} has tag {rTag}, expected {eTag}");
            }

            var matches = int.TryParse(eTag, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var tag) && s_fieldFormats.Value.TryGetValue(tag, out var format)
                ? format.IsMatch(rValue)
                : eValue == rValue;
            if (!matches)
            {
                return $"tag {eTag} is '{rValue}', expected '{eValue}'";
            }
        }

        return null;
    }

    private static (string Tag, string Value) SplitField(string field)
    {
        var eq = field.IndexOf('=', StringComparison.Ordinal);
        return eq < 0 ? (field, string.Empty) : (field[..eq], field[(eq + 1)..]);
    }

    private static Dictionary<int, Regex> LoadFieldFormats()
    {
        var formats = new Dictionary<int, Regex>();
        foreach (var line in File.ReadAllLines(SharedFixData.FieldsFormatPath))
        {
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && int.TryParse(line.AsSpan(0, eq), NumberStyles.None, CultureInfo.InvariantCulture, out var tag))
            {
                // Unanchored, like a Ruby =~ match: 122's pattern has no milliseconds yet the BodyLength the scripts
                // expect counts them, so the value only has to contain a match.
                formats[tag] = new Regex(line[(eq + 1)..], RegexOptions.CultureInvariant);
            }
        }

        return formats;
    }

    private static string EngineLog(string directory)
    {
        var text = new StringBuilder("engine log:");
        foreach (var file in Directory.GetFiles(directory, "*.log").Order(StringComparer.Ordinal))
        {
            foreach (var entry in FixLogReader.Read(file))
            {
                text.Append(Environment.NewLine).Append("  ").Append(entry.Direction).Append(' ')
                    .Append(entry.Direction == FixLogDirection.Error ? entry.Text : Show(Encoding.Latin1.GetString(entry.Raw.Span)));
            }
        }

        return text.ToString();
    }

    internal static string Show(string fix) => fix.Replace('\u0001', '|');

    [GeneratedRegex(@"<TIME([+-]\d+)?>", RegexOptions.CultureInvariant)]
    private static partial Regex TimePlaceholder();

    /// <summary>One harness connection: raw socket, the suite's framing rule for reading.</summary>
    private sealed class HarnessConnection : IDisposable
    {
        private readonly Socket _socket;
        private readonly List<byte> _buffer = [];

        private HarnessConnection(Socket socket) => _socket = socket;

        public static async Task<HarnessConnection> ConnectAsync(IPEndPoint endPoint)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(endPoint);
            return new HarnessConnection(socket);
        }

        public async Task SendAsync(byte[] bytes)
        {
            try
            {
                await _socket.SendAsync(bytes);
            }
            catch (SocketException)
            {
                // The engine may already have closed (e.g. after its Logout); the next E/e line decides.
            }
        }

        /// <summary>Reads up to SOH 9=, the length, that many bytes, then through the next SOH; null on close or timeout.</summary>
        public async Task<string?> ReadFrameAsync(TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            while (true)
            {
                if (TryTakeFrame() is { } frame)
                {
                    return frame;
                }

                if (await ReceiveAsync(cts.Token) <= 0)
                {
                    return null;
                }
            }
        }

        /// <summary>Null when the engine closed (EOF or reset) in time; otherwise what arrived instead (or "nothing").</summary>
        public async Task<string?> ExpectDisconnectAsync(TimeSpan timeout)
        {
            if (_buffer.Count > 0)
            {
                return Show(Encoding.Latin1.GetString([.. _buffer]));
            }

            using var cts = new CancellationTokenSource(timeout);
            var read = await ReceiveAsync(cts.Token);
            return read switch
            {
                0 => null,
                < 0 => string.Create(CultureInfo.InvariantCulture, $"nothing within {timeout.TotalSeconds:0} s"),
                _ => Show(Encoding.Latin1.GetString([.. _buffer])),
            };
        }

        public void Dispose() => _socket.Dispose();

        /// <summary>Bytes received; 0 on EOF or reset, -1 on timeout.</summary>
        private async Task<int> ReceiveAsync(CancellationToken ct)
        {
            var chunk = new byte[4096];
            try
            {
                var read = await _socket.ReceiveAsync(chunk, ct);
                _buffer.AddRange(chunk.AsSpan(0, read));
                return read;
            }
            catch (OperationCanceledException)
            {
                return -1;
            }
            catch (SocketException)
            {
                return 0;
            }
        }

        private string? TryTakeFrame()
        {
            var data = _buffer.ToArray().AsSpan();
            var lengthTag = data.IndexOf("\u00019="u8);
            if (lengthTag < 0)
            {
                return null;
            }

            var lengthEnd = data[(lengthTag + 3)..].IndexOf((byte)1);
            if (lengthEnd < 0)
            {
                return null;
            }

            var bodyStart = lengthTag + 3 + lengthEnd + 1;
            if (!int.TryParse(data.Slice(lengthTag + 3, lengthEnd), NumberStyles.None, CultureInfo.InvariantCulture, out var length) || data.Length < bodyStart + length)
            {
                return null;
            }

            var trailerEnd = data[(bodyStart + length)..].IndexOf((byte)1);
            if (trailerEnd < 0)
            {
                return null;
            }

            var total = bodyStart + length + trailerEnd + 1;
            var frame = Encoding.Latin1.GetString(data[..total]);
            _buffer.RemoveRange(0, total);
            return frame;
        }
    }
}
