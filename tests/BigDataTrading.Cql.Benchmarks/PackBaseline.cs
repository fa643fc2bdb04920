using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;

namespace BigDataTrading.Cql.Benchmarks;

/// <summary>
/// The 11 queries of the shipped trading pack written by hand for in-order input: per-symbol structs in arrays, one pass,
/// the way a C# developer would code them without an engine. Returns per query the number of rows and the sum of every
/// non-DOUBLE, non-STRING output column, which the engine's rows must equal.
/// </summary>
internal static class PackBaseline
{
    private const long Minute = Timestamp.NanosPerMinute;
    private const long Second = Timestamp.NanosPerSecond;

    private struct Pending
    {
        public long ATime;
        public long APrice;
        public long ASize;
        public long BPrice;
        public int Step;
    }

    private sealed class Sym
    {
        // ohlcv_1m, volume_surge
        public long BarStart = long.MinValue;
        public long Open, High, Low, Close, Volume, Trades, Priced, PricedVolume;
        public Int128 Notional;

        // The same over every print: a minute without an eligible print takes its prices from these.
        public long AnyOpen, AnyHigh, AnyLow, AnyClose;
        public Int128 AnyNotional;

        // vwap_5m: five overlapping windows, slot = (start / 1 min) mod 5
        public readonly long[] HopStart = [long.MinValue, long.MinValue, long.MinValue, long.MinValue, long.MinValue];
        public readonly Int128[] HopNotional = new Int128[5];
        public readonly long[] HopVolume = new long[5];

        // trade_burst: ring of the last 10 s, event seq at index seq & mask; running volume; monotonic deques of seqs
        // whose prices fall (max) and rise (min) from the front, so the window's high and low are at the fronts.
        public long[] RingTime = new long[16], RingPrice = new long[16], RingSize = new long[16];
        public long RingStart, RingVolume;
        public int RingCount;
        public long[] MaxQ = new long[16], MinQ = new long[16];
        public int MaxHead, MaxCount, MinHead, MinCount;

        // activity_sessions
        public long SessionFirst = long.MinValue, SessionLast, SessionTrades, SessionVolume;

        // spread_1m
        public long SpreadStart = long.MinValue, MaxSpread, Quotes;

        // as-of quote
        public bool HasQuote;
        public QuoteTick Quote;

        // flow_1m
        public long FlowStart = long.MinValue, FlowTrades;

        public readonly List<Pending> Momentum = new(16);
        public readonly List<Pending> Gap = new(8);
        public readonly List<Pending> Stall = new(16);
    }

    public static Dictionary<string, (long Rows, long Sum)> Run(MarketTape tape)
    {
        var pack = new HandWrittenPack();
        pack.Feed(tape, 0, 0, tape.Count);
        return pack.Complete();
    }

    /// <summary>
    /// The hand-written pack fed one event at a time (the latency benchmark paces it like the engine). Rows are counted
    /// into the per-query sums; <see cref="Complete"/> closes what is open at end of stream. Not thread-safe.
    /// </summary>
    internal sealed class HandWrittenPack
    {
        private readonly Dictionary<string, (long Rows, long Sum)> _result = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Sym> _symbols = new(ReferenceEqualityComparer.Instance);

        /// <summary>Feeds events [<paramref name="from"/>, <paramref name="to"/>) of the tape (<paramref name="tradesBefore"/> trades precede <paramref name="from"/>).</summary>
        public void Feed(MarketTape tape, int tradesBefore, int from, int to)
        {
            var t = tradesBefore;
            for (var i = from; i < to; i++)
            {
                if (tape.IsQuote[i])
                {
                    OnQuote(in tape.Quotes[i - t]);
                }
                else
                {
                    OnTrade(in tape.Trades[t++]);
                }
            }
        }

        private void Add(string query, long sum)
        {
            var (rows, total) = _result.GetValueOrDefault(query);
            _result[query] = (rows + 1, total + sum);
        }

        private Sym Get(string symbol)
        {
            if (!_symbols.TryGetValue(symbol, out var s))
            {
                _symbols.Add(symbol, s = new Sym());
            }

            return s;
        }

        private void CloseBar(Sym s)
        {
            if (s.Priced == 0)
            {
                var any = (long)((s.AnyNotional + (s.Volume / 2)) / s.Volume);
                Add("ohlcv_1m", s.AnyOpen + s.AnyHigh + s.AnyLow + s.AnyClose + s.Volume + s.Trades + s.Priced + any);
            }
            else
            {
                var vwap = (long)((s.Notional + (s.PricedVolume / 2)) / s.PricedVolume);
                Add("ohlcv_1m", s.Open + s.High + s.Low + s.Close + s.Volume + s.Trades + s.Priced + vwap);
            }
            if (s.Volume > 200_000)
            {
                Add("volume_surge", s.Volume + s.Trades);
            }
        }

        private void CloseHop(Sym s, int k) => Add("vwap_5m", (long)((s.HopNotional[k] + (s.HopVolume[k] / 2)) / s.HopVolume[k]) + s.HopVolume[k]);

        public void OnQuote(in QuoteTick q)
        {
            var s = Get(q.Symbol.Value);
            s.Quote = q;
            s.HasQuote = true;
            var bid = q.BidPrice.Raw;
            var ask = q.AskPrice.Raw;
            if (bid > 0 && ask > bid)
            {
                var minute = q.Time.UnixNanoseconds - (q.Time.UnixNanoseconds % Minute);
                if (s.SpreadStart != minute)
                {
                    if (s.SpreadStart != long.MinValue)
                    {
                        Add("spread_1m", s.MaxSpread + s.Quotes);
                    }

                    s.SpreadStart = minute;
                    s.MaxSpread = long.MinValue;
                    s.Quotes = 0;
                }

                s.MaxSpread = Math.Max(s.MaxSpread, ask - bid);
                s.Quotes++;
            }

        }

        public void OnTrade(in TradeTick tr)
        {
            var sym = Get(tr.Symbol.Value);
            var time = tr.Time.UnixNanoseconds;
            var p = tr.Price.Raw;
            var size = tr.Size;

            // ohlcv_1m + volume_surge
            var barStart = time - (time % Minute);
            if (sym.BarStart != barStart)
            {
                if (sym.BarStart != long.MinValue)
                {
                    CloseBar(sym);
                }

                sym.BarStart = barStart;
                sym.Open = sym.High = sym.Low = sym.Close = 0;
                sym.Volume = sym.Trades = sym.Priced = sym.PricedVolume = 0;
                sym.Notional = 0;
                sym.AnyOpen = sym.AnyHigh = sym.AnyLow = p;
                sym.AnyNotional = 0;
            }

            sym.AnyHigh = Math.Max(sym.AnyHigh, p);
            sym.AnyLow = Math.Min(sym.AnyLow, p);
            sym.AnyClose = p;
            sym.AnyNotional += (Int128)p * size;

            // Every print counts toward volume; only eligible ones set the prices and the VWAP.
            sym.Volume += size;
            sym.Trades++;
            if (tr.Conditions.IsBarPriceEligible())
            {
                if (sym.Priced++ == 0)
                {
                    sym.Open = sym.High = sym.Low = p;
                }

                sym.High = Math.Max(sym.High, p);
                sym.Low = Math.Min(sym.Low, p);
                sym.Close = p;
                sym.PricedVolume += size;
                sym.Notional += (Int128)p * size;
            }

            // vwap_5m
            for (var start = barStart; start > time - (5 * Minute); start -= Minute)
            {
                var k = (int)(start / Minute % 5);
                if (sym.HopStart[k] != start)
                {
                    if (sym.HopStart[k] != long.MinValue)
                    {
                        CloseHop(sym, k);
                    }

                    sym.HopStart[k] = start;
                    sym.HopNotional[k] = 0;
                    sym.HopVolume[k] = 0;
                }

                sym.HopNotional[k] += (Int128)p * size;
                sym.HopVolume[k] += size;
            }

            // trade_burst: (t − 10 s, t], O(1) amortized per trade
            var mask = sym.RingTime.Length - 1;
            while (sym.RingCount > 0 && sym.RingTime[sym.RingStart & mask] <= time - (10 * Second))
            {
                sym.RingVolume -= sym.RingSize[sym.RingStart & mask];
                if (sym.MaxCount > 0 && sym.MaxQ[sym.MaxHead] == sym.RingStart)
                {
                    sym.MaxHead = (sym.MaxHead + 1) & mask;
                    sym.MaxCount--;
                }

                if (sym.MinCount > 0 && sym.MinQ[sym.MinHead] == sym.RingStart)
                {
                    sym.MinHead = (sym.MinHead + 1) & mask;
                    sym.MinCount--;
                }

                sym.RingStart++;
                sym.RingCount--;
            }

            if (sym.RingCount == sym.RingTime.Length)
            {
                GrowRing(sym);
                mask = sym.RingTime.Length - 1;
            }

            var seq = sym.RingStart + sym.RingCount;
            var at = seq & mask;
            sym.RingTime[at] = time;
            sym.RingPrice[at] = p;
            sym.RingSize[at] = size;
            sym.RingCount++;
            sym.RingVolume += size;
            while (sym.MaxCount > 0 && sym.RingPrice[sym.MaxQ[(sym.MaxHead + sym.MaxCount - 1) & mask] & mask] <= p)
            {
                sym.MaxCount--;
            }

            sym.MaxQ[(sym.MaxHead + sym.MaxCount++) & mask] = seq;
            while (sym.MinCount > 0 && sym.RingPrice[sym.MinQ[(sym.MinHead + sym.MinCount - 1) & mask] & mask] >= p)
            {
                sym.MinCount--;
            }

            sym.MinQ[(sym.MinHead + sym.MinCount++) & mask] = seq;
            if (sym.RingCount >= 50)
            {
                var high = sym.RingPrice[sym.MaxQ[sym.MaxHead] & mask];
                var low = sym.RingPrice[sym.MinQ[sym.MinHead] & mask];
                Add("trade_burst", sym.RingCount + sym.RingVolume + (high - low));
            }

            // activity_sessions
            if (sym.SessionFirst != long.MinValue && time >= sym.SessionLast + (30 * Second))
            {
                Add("activity_sessions", sym.SessionTrades + sym.SessionVolume + sym.SessionFirst + sym.SessionLast);
                sym.SessionFirst = long.MinValue;
            }

            if (sym.SessionFirst == long.MinValue)
            {
                sym.SessionFirst = time;
                sym.SessionTrades = sym.SessionVolume = 0;
            }

            sym.SessionLast = time;
            sym.SessionTrades++;
            sym.SessionVolume += size;

            // trade_through and flow_1m: the latest quote, at most 5 s old
            if (sym.HasQuote && time - sym.Quote.Time.UnixNanoseconds <= 5 * Second)
            {
                var bid = sym.Quote.BidPrice.Raw;
                var ask = sym.Quote.AskPrice.Raw;
                if (bid > 0 && (p > ask || p < bid))
                {
                    Add("trade_through", time + p + size + bid + ask);
                }

                if (sym.FlowStart != barStart)
                {
                    if (sym.FlowStart != long.MinValue)
                    {
                        Add("flow_1m", sym.FlowTrades);
                    }

                    sym.FlowStart = barStart;
                    sym.FlowTrades = 0;
                }

                sym.FlowTrades++;
            }

            var price = p / 1e8;

            // momentum_spike: EVERY a(size ≥ 500) -> b(price ≥ a.price · 1.002) within 10 s, at most 16 pending
            var momentum = sym.Momentum;
            Expire(momentum, time - (10 * Second));
            for (var j = 0; j < momentum.Count; j++)
            {
                if (price >= momentum[j].APrice / 1e8 * 1.002)
                {
                    Add("momentum_spike", momentum[j].ATime + momentum[j].APrice + time + p);
                    momentum.RemoveAt(j--);
                }
            }

            if (size >= 500)
            {
                if (momentum.Count == 16)
                {
                    momentum.RemoveAt(0);
                }

                momentum.Add(new Pending { ATime = time, APrice = p });
            }

            // gap_and_reverse: EVERY a(size ≥ 200) -> b(price ≥ a.price · 1.003) -> c(price ≤ a.price) within 60 s, 8 pending
            var gap = sym.Gap;
            Expire(gap, time - (60 * Second));
            for (var j = 0; j < gap.Count; j++)
            {
                var g = gap[j];
                if (g.Step == 1 && price >= g.APrice / 1e8 * 1.003)
                {
                    g.BPrice = p;
                    g.Step = 2;
                    gap[j] = g;
                }
                else if (g.Step == 2 && p <= g.APrice)
                {
                    Add("gap_and_reverse", g.APrice + g.BPrice + p + time);
                    gap.RemoveAt(j--);
                }
            }

            if (size >= 200)
            {
                if (gap.Count == 8)
                {
                    gap.RemoveAt(0);
                }

                gap.Add(new Pending { ATime = time, APrice = p, Step = 1 });
            }

            // no_follow_through: EVERY a(size ≥ 5000) -> NOT b(price > a.price) within 30 s, 16 pending
            var stall = sym.Stall;
            for (var j = 0; j < stall.Count; j++)
            {
                if (stall[j].ATime + (30 * Second) < time)
                {
                    Add("no_follow_through", stall[j].ATime + stall[j].APrice + stall[j].ASize);
                    stall.RemoveAt(j--);
                }
                else if (p > stall[j].APrice)
                {
                    stall.RemoveAt(j--);
                }
            }

            if (size >= 5_000)
            {
                if (stall.Count == 16)
                {
                    stall.RemoveAt(0);
                }

                stall.Add(new Pending { ATime = time, APrice = p, ASize = size });
            }
        }

        /// <summary>End of stream: closes what is open and returns rows and sums per query.</summary>
        public Dictionary<string, (long Rows, long Sum)> Complete()
        {
            foreach (var s in _symbols.Values)
            {
                if (s.BarStart != long.MinValue)
                {
                    CloseBar(s);
                }

                for (var k = 0; k < 5; k++)
                {
                    if (s.HopStart[k] != long.MinValue)
                    {
                        CloseHop(s, k);
                    }
                }

                if (s.SessionFirst != long.MinValue)
                {
                    Add("activity_sessions", s.SessionTrades + s.SessionVolume + s.SessionFirst + s.SessionLast);
                }

                if (s.SpreadStart != long.MinValue)
                {
                    Add("spread_1m", s.MaxSpread + s.Quotes);
                }

                if (s.FlowStart != long.MinValue)
                {
                    Add("flow_1m", s.FlowTrades);
                }

                foreach (var a in s.Stall)
                {
                    Add("no_follow_through", a.ATime + a.APrice + a.ASize);
                }
            }


            return _result;
        }
    }

    /// <summary>Drops matches started before <paramref name="oldest"/> (their WITHIN has passed).</summary>
    private static void Expire(List<Pending> pending, long oldest)
    {
        var n = 0;
        while (n < pending.Count && pending[n].ATime < oldest)
        {
            n++;
        }

        pending.RemoveRange(0, n);
    }

    // Doubles the ring keeping event seq at index seq & mask, and lays the deques out from index 0.
    private static void GrowRing(Sym s)
    {
        var n = s.RingTime.Length;
        var mask = (n * 2) - 1;
        long[] time = new long[n * 2], price = new long[n * 2], size = new long[n * 2], maxQ = new long[n * 2], minQ = new long[n * 2];
        for (var j = 0; j < s.RingCount; j++)
        {
            var seq = s.RingStart + j;
            time[seq & mask] = s.RingTime[seq & (n - 1)];
            price[seq & mask] = s.RingPrice[seq & (n - 1)];
            size[seq & mask] = s.RingSize[seq & (n - 1)];
        }

        for (var j = 0; j < s.MaxCount; j++)
        {
            maxQ[j] = s.MaxQ[(s.MaxHead + j) & (n - 1)];
        }

        for (var j = 0; j < s.MinCount; j++)
        {
            minQ[j] = s.MinQ[(s.MinHead + j) & (n - 1)];
        }

        (s.RingTime, s.RingPrice, s.RingSize, s.MaxQ, s.MinQ, s.MaxHead, s.MinHead) = (time, price, size, maxQ, minQ, 0, 0);
    }
}
