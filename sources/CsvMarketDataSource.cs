using System.Globalization;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;

namespace BigDataTrading.Sources;

/// <summary>
/// Which CSV columns (by header name, case-insensitive) carry which field, and how times are written. Immutable.
/// </summary>
/// <remarks>
/// Trades need <see cref="Price"/> and <see cref="Size"/>; bars need <see cref="Open"/>, <see cref="High"/>,
/// <see cref="Low"/>, <see cref="Close"/> and <see cref="Volume"/>. The symbol comes from <see cref="Symbol"/> or, when
/// that is null, from <see cref="FixedSymbol"/>.
/// </remarks>
public sealed record CsvColumnMap
{
    /// <summary>The S&amp;P 500 daily file of the shared data (<c>Symbol,SourceFile,Date,Open,High,Low,Close,Volume,OpenInt</c>).</summary>
    public static CsvColumnMap Sp500Daily { get; } = new()
    {
        Symbol = "Symbol", Time = "Date", TimeFormat = "yyyy-MM-dd",
        Open = "Open", High = "High", Low = "Low", Close = "Close", Volume = "Volume",
    };

    /// <summary>Column of the symbol, or null to use <see cref="FixedSymbol"/>.</summary>
    public string? Symbol { get; init; }

    /// <summary>Symbol of every row when the file has no symbol column.</summary>
    public string? FixedSymbol { get; init; }

    /// <summary>Column of the event time (bar start for bars). Required.</summary>
    public string Time { get; init; } = "time";

    /// <summary>
    /// How <see cref="Time"/> is written: a .NET exact format (e.g. <c>yyyy-MM-dd</c>, <c>yyyy-MM-dd HH:mm:ss.fff</c>),
    /// <c>unix-ms</c> or <c>unix-ns</c>. A date-only format means the UTC midnight of that date (a daily bar's start);
    /// a format with a time of day is local time in <see cref="TimeZone"/>.
    /// </summary>
    public string TimeFormat { get; init; } = "yyyy-MM-dd HH:mm:ss.fff";

    /// <summary>Zone of local times (IANA id); default UTC.</summary>
    public string TimeZone { get; init; } = "UTC";

    /// <summary>Trade price column.</summary>
    public string? Price { get; init; }

    /// <summary>Trade size column (whole units).</summary>
    public string? Size { get; init; }

    /// <summary>Bar open column.</summary>
    public string? Open { get; init; }

    /// <summary>Bar high column.</summary>
    public string? High { get; init; }

    /// <summary>Bar low column.</summary>
    public string? Low { get; init; }

    /// <summary>Bar close column.</summary>
    public string? Close { get; init; }

    /// <summary>Bar volume column (whole units; a fractional volume is an error).</summary>
    public string? Volume { get; init; }

    /// <summary>Bar length in nanoseconds (default one day).</summary>
    public long BarPeriodNanos { get; init; } = Timestamp.NanosPerDay;

    /// <summary>Field separator (default ',').</summary>
    public char Delimiter { get; init; } = ',';
}

/// <summary>
/// Reads ticks or bars from a CSV file (plain or <c>.gz</c>) through a <see cref="CsvColumnMap"/>. The first line is the
/// header. Rows are emitted in file order (a row earlier than its predecessor reaches ingestion's out-of-order rule
/// rather than being hidden here).
/// </summary>
/// <remarks>
/// A row that cannot be read is reported to the <see cref="ISourceErrorSink"/> as <c>file:line</c> with the failing
/// column and skipped; reading carries on. NaN or infinite prices and sizes are reported with
/// <see cref="SourceErrorKind.NonFinitePrice"/> / <see cref="SourceErrorKind.NonFiniteSize"/> so ingestion can count
/// them under their own reason. <see cref="TradeTick.Sequence"/> is the 1-based line number (header = line 1). Bars carry
/// no trade count or VWAP (both 0: the file does not have them). A missing file or a header without a mapped column
/// throws. Immutable and thread-safe; each enumeration reads the file anew.
/// </remarks>
public sealed class CsvMarketDataSource : IMarketDataSource, IBarSource
{
    private readonly ISourceErrorSink _errors;
    private readonly TimeZoneInfo _zone;
    private readonly bool _dateOnly;

    /// <summary>Creates a source over <paramref name="path"/> with <paramref name="map"/>.</summary>
    public CsvMarketDataSource(string path, CsvColumnMap map, ISourceErrorSink errors)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(errors);
        if (map.Symbol is null && (map.FixedSymbol is null || !Core.Instruments.Symbol.TryParse(map.FixedSymbol, out _, out _)))
        {
            throw new ArgumentException("The map needs a Symbol column or a valid FixedSymbol.", nameof(map));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(map.BarPeriodNanos);
        Path = path;
        Map = map;
        _errors = errors;
        _zone = map.TimeZone == "UTC" ? TimeZoneInfo.Utc : ExchangeTimeZones.Find(map.TimeZone);
        _dateOnly = map.TimeFormat is not ("unix-ms" or "unix-ns") && !map.TimeFormat.Contains('H', StringComparison.Ordinal)
            && !map.TimeFormat.Contains('h', StringComparison.Ordinal);
    }

    /// <summary>The file read.</summary>
    public string Path { get; }

    /// <summary>The column mapping.</summary>
    public CsvColumnMap Map { get; }

    /// <inheritdoc cref="IMarketDataSource.Description" />
    public string Description => $"CSV {Path}";

    /// <inheritdoc />
    public async IAsyncEnumerable<TradeTick> ReadTradesAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        if (Map.Price is null || Map.Size is null)
        {
            throw new InvalidOperationException("Reading trades needs the Price and Size columns in the map.");
        }

        await foreach (var (line, fields, columns) in ReadRowsAsync([Map.Price, Map.Size], ct))
        {
            if (TryRow(line, fields, columns, out var symbol, out var time) &&
                TryPrice(line, fields, columns[2], Map.Price, out var price) &&
                TryUnits(line, fields, columns[3], Map.Size, out var size))
            {
                yield return new TradeTick(symbol, time, price, size, line.Number);
            }
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<Bar> ReadBarsAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        if (Map.Open is null || Map.High is null || Map.Low is null || Map.Close is null || Map.Volume is null)
        {
            throw new InvalidOperationException("Reading bars needs the Open, High, Low, Close and Volume columns in the map.");
        }

        await foreach (var (line, fields, columns) in ReadRowsAsync([Map.Open, Map.High, Map.Low, Map.Close, Map.Volume], ct))
        {
            if (TryRow(line, fields, columns, out var symbol, out var time) &&
                TryPrice(line, fields, columns[2], Map.Open, out var open) &&
                TryPrice(line, fields, columns[3], Map.High, out var high) &&
                TryPrice(line, fields, columns[4], Map.Low, out var low) &&
                TryPrice(line, fields, columns[5], Map.Close, out var close) &&
                TryUnits(line, fields, columns[6], Map.Volume, out var volume))
            {
                yield return new Bar(symbol, time, Map.BarPeriodNanos, open, high, low, close, volume, 0, Price.Zero);
            }
        }
    }

    private async IAsyncEnumerable<(CsvLine Line, string[] Fields, int[] Columns)> ReadRowsAsync(string[] valueColumns, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var file = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: false);
        Stream stream = Path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
        await using var owned = stream;
        using var reader = new StreamReader(stream, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
        var header = await reader.ReadLineAsync(ct) ?? throw new InvalidDataException($"'{Path}' is empty; expected a header line.");
        var names = header.Split(Map.Delimiter);
        int Index(string name) => Array.FindIndex(names, n => string.Equals(n.Trim(), name, StringComparison.OrdinalIgnoreCase)) is var i and >= 0
            ? i
            : throw new InvalidDataException($"'{Path}': the header has no column '{name}' (it has: {header}).");

        // Column indexes handed on with each row: [symbol or -1, time, values...].
        var columns = new int[2 + valueColumns.Length];
        columns[0] = Map.Symbol is null ? -1 : Index(Map.Symbol);
        columns[1] = Index(Map.Time);
        for (var i = 0; i < valueColumns.Length; i++)
        {
            columns[2 + i] = Index(valueColumns[i]);
        }

        var width = names.Length;
        long number = 1;
        while (await reader.ReadLineAsync(ct) is { } text)
        {
            number++;
            var line = new CsvLine(number, text);
            var fields = text.Split(Map.Delimiter);
            if (fields.Length != width)
            {
                Report(line, "line", string.Create(CultureInfo.InvariantCulture, $"expected {width} fields like the header, found {fields.Length}"));
                continue;
            }

            yield return (line, fields, columns);
        }
    }

    /// <summary>Reads symbol and time; <paramref name="columns"/> is [symbol or -1, time, values...].</summary>
    private bool TryRow(CsvLine line, string[] fields, int[] columns, out Symbol symbol, out Timestamp time)
    {
        time = default;
        var symbolText = columns[0] < 0 ? Map.FixedSymbol! : fields[columns[0]].Trim();
        if (!Core.Instruments.Symbol.TryParse(symbolText, out symbol, out var error))
        {
            Report(line, Map.Symbol ?? "symbol", $"not a valid symbol: {error}");
            return false;
        }

        var text = fields[columns[1]].Trim();
        if (!TryParseTime(text, out time))
        {
            Report(line, Map.Time, $"not a time in the format '{Map.TimeFormat}'");
            return false;
        }

        return true;
    }

    private bool TryParseTime(string text, out Timestamp time)
    {
        time = default;
        switch (Map.TimeFormat)
        {
            case "unix-ns":
                if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ns))
                {
                    return false;
                }

                time = new Timestamp(ns);
                return true;
            case "unix-ms":
                if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ms) || ms is > long.MaxValue / 1_000_000 or < long.MinValue / 1_000_000)
                {
                    return false;
                }

                time = new Timestamp(ms * 1_000_000);
                return true;
        }

        if (!DateTime.TryParseExact(text, Map.TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            return false;
        }

        if (_dateOnly)
        {
            time = Timestamp.FromUtc(DateOnly.FromDateTime(local), TimeSpan.Zero);
            return true;
        }

        var unspecified = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        time = Timestamp.FromDateTimeOffset(new DateTimeOffset(unspecified, _zone.GetUtcOffset(unspecified)));
        return true;
    }

    private bool TryPrice(CsvLine line, string[] fields, int column, string name, out Price price)
    {
        price = default;
        var text = fields[column].Trim();
        if (decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            try
            {
                price = Price.FromDecimal(value);
                return true;
            }
            catch (OverflowException)
            {
                Report(line, name, "price out of the fixed-point range (±92,233,720,368)");
                return false;
            }
        }

        if (IsNonFinite(text))
        {
            Report(line, name, "price is not a finite number", SourceErrorKind.NonFinitePrice);
            return false;
        }

        Report(line, name, "not a decimal number");
        return false;
    }

    private bool TryUnits(CsvLine line, string[] fields, int column, string name, out long units)
    {
        var text = fields[column].Trim();
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out units))
        {
            return true;
        }

        if (decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == decimal.Truncate(d) && d is <= long.MaxValue and >= long.MinValue)
        {
            units = (long)d;
            return true;
        }

        if (IsNonFinite(text))
        {
            Report(line, name, "size is not a finite number", SourceErrorKind.NonFiniteSize);
            return false;
        }

        Report(line, name, "not a whole number of units");
        return false;
    }

    private static bool IsNonFinite(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && !double.IsFinite(d);

    private void Report(CsvLine line, string field, string reason, SourceErrorKind kind = SourceErrorKind.Malformed) =>
        _errors.Report(new SourceError(string.Create(CultureInfo.InvariantCulture, $"{Path}:{line.Number}"), field, reason, line.Text) { Kind = kind });

    private readonly record struct CsvLine(long Number, string Text);
}
