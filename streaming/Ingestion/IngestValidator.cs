using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;

namespace BigDataTrading.Streaming.Ingestion;

/// <summary>
/// Why ingestion refused a record. Values are stable (they are counted, stored and sent as the dead-letter
/// <c>bdt-reason</c> header by name); 1–6 keep the numbers of <see cref="TickRejectReason"/>.
/// </summary>
public enum IngestRejectReason
{
    /// <summary>Accepted (not a rejection).</summary>
    None = 0,

    /// <summary>A price is zero or negative (for quotes: a quoted side, or no side at all).</summary>
    NonPositivePrice = 1,

    /// <summary>A size is zero or negative (a trade's size, a quoted side's size, a bar's volume).</summary>
    NonPositiveSize = 2,

    /// <summary>Event time is earlier than the symbol's latest accepted one by more than the tolerance.</summary>
    OutOfOrder = 3,

    /// <summary>Sequence (bars: start time) not above the symbol's last accepted one.</summary>
    Duplicate = 4,

    /// <summary>Price further than k·MAD from the median of the symbol's recent accepted prices.</summary>
    PriceOutlier = 5,

    /// <summary>The source could not parse the record (the dead letter carries the raw line and its location).</summary>
    Malformed = 6,

    /// <summary>The source read a NaN or infinite price.</summary>
    NonFinitePrice = 7,

    /// <summary>The source read a NaN or infinite size.</summary>
    NonFiniteSize = 8,

    /// <summary>Bid at or above ask.</summary>
    CrossedOrLockedQuote = 9,

    /// <summary>Event time outside the exchange's session (or on a non-trading day).</summary>
    OutsideSession = 10,

    /// <summary>A bar's high is below its open/close/low or its low above its open/close.</summary>
    InconsistentBar = 11,
}

/// <summary>Limits of <see cref="IngestValidator"/>. Immutable.</summary>
public sealed record IngestValidationOptions
{
    /// <summary>How far (ns) a record may be earlier than the symbol's latest accepted one and pass; default 1 s (≥ 0).</summary>
    public long OutOfOrderToleranceNanos { get; init; } = 1_000_000_000;

    /// <summary>The k of the outlier rule: reject when |price − median| &gt; k·MAD; default 10 (&gt; 0).</summary>
    public double OutlierK { get; init; } = 10;

    /// <summary>Recent accepted prices per symbol forming the median and MAD (5..1001); default 51.</summary>
    public int OutlierWindow { get; init; } = 51;

    /// <summary>Accepted prices needed before the outlier rule applies (1..window); default 20.</summary>
    public int MinReferencePrices { get; init; } = 20;

    /// <summary>Floor of the MAD as a fraction of the median (default 0.0005 = 5 bp). Why: a symbol trading at one price
    /// has MAD 0, and without a floor its first one-tick move would be an "outlier".</summary>
    public double MinMadFraction { get; init; } = 0.0005;

    /// <summary>Which hours count as in session (default regular hours).</summary>
    public TradingSession Session { get; init; } = TradingSession.Regular;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(OutOfOrderToleranceNanos);
        if (!(OutlierK > 0) || !double.IsFinite(OutlierK))
        {
            throw new ArgumentOutOfRangeException(nameof(OutlierK), OutlierK, "Must be a positive number.");
        }

        if (OutlierWindow is < 5 or > 1001)
        {
            throw new ArgumentOutOfRangeException(nameof(OutlierWindow), OutlierWindow, "Must be 5..1001.");
        }

        if (MinReferencePrices < 1 || MinReferencePrices > OutlierWindow)
        {
            throw new ArgumentOutOfRangeException(nameof(MinReferencePrices), MinReferencePrices, "Must be 1..OutlierWindow.");
        }

        if (MinMadFraction is < 0 or >= 1 || double.IsNaN(MinMadFraction))
        {
            throw new ArgumentOutOfRangeException(nameof(MinMadFraction), MinMadFraction, "Must be in [0, 1).");
        }

        if (!Enum.IsDefined(Session))
        {
            throw new ArgumentOutOfRangeException(nameof(Session), Session, "Unknown session.");
        }
    }
}

/// <summary>
/// The ingestion rules, each with a reason code: non-positive price or size, crossed/locked quote, outside the
/// exchange session, duplicate, out of order beyond the tolerance, outlier against a rolling median (k·MAD), and for bars
/// OHLC consistency. Rules run in that order and the first that fails is the reason. Only accepted records update a
/// symbol's state, so a bad print never shifts the reference the next one is judged against.
/// </summary>
/// <remarks>
/// Trades, quotes and bars keep separate per-symbol state. Quotes have no outlier rule (a quote's move is judged by the
/// trades it leads to). Bars of a day or longer are in session when their UTC start date is a trading day; shorter
/// bars when their start is in session. Not thread-safe: one validator per ingesting loop.
/// </remarks>
public sealed class IngestValidator
{
    private readonly IngestValidationOptions _options;
    private readonly ExchangeCalendar _calendar;
    private readonly Dictionary<Symbol, SymbolState> _trades = [];
    private readonly Dictionary<Symbol, SymbolState> _quotes = [];
    private readonly Dictionary<Symbol, SymbolState> _bars = [];

    // The last in-session interval seen, [_sessionFrom, _sessionTo) in Unix ns: ticks arrive in time order, so nearly
    // every session check is two comparisons instead of a time-zone conversion and a holiday computation.
    private long _sessionFrom = long.MaxValue;
    private long _sessionTo = long.MinValue;

    // The last trade symbol and its state: sources emit runs of one symbol.
    private Symbol _lastTradeSymbol;
    private SymbolState? _lastTradeState;

    /// <summary>Creates a validator on the NYSE calendar (or <paramref name="calendar"/>).</summary>
    public IngestValidator(IngestValidationOptions options, ExchangeCalendar? calendar = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _calendar = calendar ?? ExchangeCalendar.Nyse;
    }

    /// <summary>The limits in force.</summary>
    public IngestValidationOptions Options => _options;

    /// <summary>Checks a trade; an accepted trade becomes part of its symbol's state.</summary>
    public IngestRejectReason Check(in TradeTick tick)
    {
        if (!tick.Price.IsPositive)
        {
            return IngestRejectReason.NonPositivePrice;
        }

        if (tick.Size <= 0)
        {
            return IngestRejectReason.NonPositiveSize;
        }

        if (!IsInSession(tick.Time))
        {
            return IngestRejectReason.OutsideSession;
        }

        SymbolState state;
        if (_lastTradeState is not null && ReferenceEquals(_lastTradeSymbol.Value, tick.Symbol.Value))
        {
            state = _lastTradeState;
        }
        else
        {
            state = State(_trades, tick.Symbol);
            _lastTradeSymbol = tick.Symbol;
            _lastTradeState = state;
        }

        var order = CheckOrder(state, tick.Sequence, tick.Time.UnixNanoseconds);
        if (order != IngestRejectReason.None)
        {
            return order;
        }

        if (IsOutlier(state, tick.Price.Raw))
        {
            return IngestRejectReason.PriceOutlier;
        }

        state.Accept(tick.Sequence, tick.Time.UnixNanoseconds, tick.Price.Raw);
        return IngestRejectReason.None;
    }

    /// <summary>Checks a quote; an accepted quote becomes part of its symbol's state.</summary>
    public IngestRejectReason Check(in QuoteTick quote)
    {
        var hasBid = quote.BidPrice.Raw != 0 || quote.BidSize != 0;
        var hasAsk = quote.AskPrice.Raw != 0 || quote.AskSize != 0;
        if ((!hasBid && !hasAsk) || (hasBid && !quote.BidPrice.IsPositive) || (hasAsk && !quote.AskPrice.IsPositive))
        {
            return IngestRejectReason.NonPositivePrice;
        }

        if ((hasBid && quote.BidSize <= 0) || (hasAsk && quote.AskSize <= 0))
        {
            return IngestRejectReason.NonPositiveSize;
        }

        if (quote.IsCrossedOrLocked)
        {
            return IngestRejectReason.CrossedOrLockedQuote;
        }

        if (!IsInSession(quote.Time))
        {
            return IngestRejectReason.OutsideSession;
        }

        var state = State(_quotes, quote.Symbol);
        var order = CheckOrder(state, quote.Sequence, quote.Time.UnixNanoseconds);
        if (order != IngestRejectReason.None)
        {
            return order;
        }

        state.Accept(quote.Sequence, quote.Time.UnixNanoseconds, price: null);
        return IngestRejectReason.None;
    }

    /// <summary>Checks a bar; an accepted bar becomes part of its symbol's state (its close feeds the outlier rule).</summary>
    public IngestRejectReason Check(in Bar bar)
    {
        if (!bar.Open.IsPositive || !bar.High.IsPositive || !bar.Low.IsPositive || !bar.Close.IsPositive)
        {
            return IngestRejectReason.NonPositivePrice;
        }

        if (bar.Volume <= 0)
        {
            return IngestRejectReason.NonPositiveSize;
        }

        if (bar.High < bar.Low || bar.High < bar.Open || bar.High < bar.Close || bar.Low > bar.Open || bar.Low > bar.Close)
        {
            return IngestRejectReason.InconsistentBar;
        }

        var inSession = bar.PeriodNanos >= Core.Time.Timestamp.NanosPerDay
            ? _options.Session == TradingSession.Always || _calendar.IsTradingDay(bar.Start.UtcDate)
            : IsInSession(bar.Start);
        if (!inSession)
        {
            return IngestRejectReason.OutsideSession;
        }

        var state = State(_bars, bar.Symbol);
        var start = bar.Start.UnixNanoseconds;
        if (start == state.LastTimeNanos)
        {
            return IngestRejectReason.Duplicate;
        }

        if (state.IsBehind(start, _options.OutOfOrderToleranceNanos))
        {
            return IngestRejectReason.OutOfOrder;
        }

        if (IsOutlier(state, bar.Close.Raw))
        {
            return IngestRejectReason.PriceOutlier;
        }

        state.Accept(state.LastSequence + 1, start, bar.Close.Raw);
        return IngestRejectReason.None;
    }

    private SymbolState State(Dictionary<Symbol, SymbolState> states, Symbol symbol)
    {
        if (!states.TryGetValue(symbol, out var state))
        {
            state = new SymbolState(_options.OutlierWindow);
            states.Add(symbol, state);
        }

        return state;
    }

    private IngestRejectReason CheckOrder(SymbolState state, long sequence, long timeNanos)
    {
        if (sequence <= state.LastSequence)
        {
            return IngestRejectReason.Duplicate;
        }

        return state.IsBehind(timeNanos, _options.OutOfOrderToleranceNanos) ? IngestRejectReason.OutOfOrder : IngestRejectReason.None;
    }

    /// <summary><see cref="ExchangeCalendar.IsInSession"/> with the last in-session interval cached.</summary>
    private bool IsInSession(Core.Time.Timestamp time)
    {
        var t = time.UnixNanoseconds;
        if (t >= _sessionFrom && t < _sessionTo)
        {
            return true;
        }

        if (!_calendar.IsInSession(time, _options.Session))
        {
            return false;
        }

        CacheSession(time);
        return true;
    }

    /// <summary>Caches the in-session interval containing <paramref name="time"/> (known to be in session) when its bounds
    /// are exact: both bounds valid, unambiguous local times and one UTC offset across the interval (a DST change inside,
    /// e.g. a whole trading day with <see cref="TradingSession.TradingDay"/>, is left to the uncached path).</summary>
    private void CacheSession(Core.Time.Timestamp time)
    {
        if (_options.Session == TradingSession.Always)
        {
            _sessionFrom = long.MinValue;
            _sessionTo = long.MaxValue;
            return;
        }

        var zone = _calendar.TimeZone;
        var local = TimeZoneInfo.ConvertTime(time.ToDateTimeOffset(), zone);
        var date = DateOnly.FromDateTime(local.DateTime);
        var early = ExchangeCalendar.IsEarlyClose(date);
        var (open, close) = _options.Session switch
        {
            TradingSession.Regular => (new TimeSpan(9, 30, 0), early ? new TimeSpan(13, 0, 0) : new TimeSpan(16, 0, 0)),
            TradingSession.Extended => (new TimeSpan(4, 0, 0), early ? new TimeSpan(17, 0, 0) : new TimeSpan(20, 0, 0)),
            _ => (TimeSpan.Zero, TimeSpan.FromDays(1)),
        };
        var localFrom = date.ToDateTime(TimeOnly.MinValue) + open;
        var localTo = date.ToDateTime(TimeOnly.MinValue) + close;
        if (zone.IsInvalidTime(localFrom) || zone.IsAmbiguousTime(localFrom) || zone.IsInvalidTime(localTo) || zone.IsAmbiguousTime(localTo))
        {
            return;
        }

        var offset = zone.GetUtcOffset(localFrom);
        if (zone.GetUtcOffset(localTo) != offset)
        {
            return;
        }

        var from = Core.Time.Timestamp.FromDateTimeOffset(new DateTimeOffset(localFrom, offset)).UnixNanoseconds;
        var to = Core.Time.Timestamp.FromDateTimeOffset(new DateTimeOffset(localTo, offset)).UnixNanoseconds;
        // The offset at the last instant inside must be the same too (no change in between), and the tick must be inside.
        if (to <= from || zone.GetUtcOffset(new DateTimeOffset(localTo, offset).AddTicks(-1)) != offset
            || time.UnixNanoseconds < from || time.UnixNanoseconds >= to)
        {
            return;
        }

        _sessionFrom = from;
        _sessionTo = to;
    }

    private bool IsOutlier(SymbolState state, long price)
    {
        if (state.Count < _options.MinReferencePrices)
        {
            return false;
        }

        var (median, madRaw) = state.MedianAndMad();
        var mad = Math.Max(madRaw, _options.MinMadFraction * median);
        return Math.Abs(price - median) > _options.OutlierK * mad;
    }

    /// <summary>A symbol's order state and its last accepted prices: a ring in arrival order (which price leaves next)
    /// and the same prices kept sorted incrementally (binary search out, binary search in), so the median is an index and
    /// the MAD a merge of the two sides of the median — no sort per record.</summary>
    private sealed class SymbolState(int window)
    {
        private readonly long[] _ring = new long[window];
        private readonly long[] _sorted = new long[window];
        private int _next;

        public int Count { get; private set; }

        public long LastSequence { get; private set; } = long.MinValue;

        public long LastTimeNanos { get; private set; } = long.MinValue;

        public void Accept(long sequence, long timeNanos, long? price)
        {
            LastSequence = sequence;
            LastTimeNanos = Math.Max(LastTimeNanos, timeNanos);
            if (price is { } p)
            {
                var count = Count;
                if (count == _ring.Length)
                {
                    // Full: the oldest price (at _next) leaves the sorted window.
                    var at = _sorted.AsSpan(0, count).BinarySearch(_ring[_next]);
                    _sorted.AsSpan(at + 1, count - at - 1).CopyTo(_sorted.AsSpan(at));
                    count--;
                }

                var insert = _sorted.AsSpan(0, count).BinarySearch(p);
                if (insert < 0)
                {
                    insert = ~insert;
                }

                _sorted.AsSpan(insert, count - insert).CopyTo(_sorted.AsSpan(insert + 1));
                _sorted[insert] = p;
                _ring[_next] = p;
                _next = (_next + 1) % _ring.Length;
                Count = count + 1;
            }
        }

        /// <summary>True when <paramref name="timeNanos"/> is more than the tolerance before the latest accepted time
        /// (never for the first record: subtracting from the initial minimum would overflow).</summary>
        public bool IsBehind(long timeNanos, long tolerance) =>
            LastTimeNanos != long.MinValue && timeNanos < LastTimeNanos - tolerance;

        /// <summary>The window's median (element n/2 of the sorted prices) and MAD (element n/2 of the sorted absolute
        /// deviations from it). The deviations of the elements below the median grow leftwards and those from the
        /// median up grow rightwards, so the n/2-th smallest is found by merging the two runs outwards from the median.</summary>
        public (long Median, long Mad) MedianAndMad()
        {
            var sorted = _sorted.AsSpan(0, Count);
            var m = sorted.Length / 2;
            var median = sorted[m];
            int left = m - 1, right = m;
            long deviation = 0;
            for (var taken = 0; taken <= m; taken++)
            {
                if (left >= 0 && (right >= sorted.Length || median - sorted[left] <= sorted[right] - median))
                {
                    deviation = median - sorted[left--];
                }
                else
                {
                    deviation = sorted[right++] - median;
                }
            }

            return (median, deviation);
        }
    }
}
