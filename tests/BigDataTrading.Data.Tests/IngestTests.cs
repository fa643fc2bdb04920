using System.Text;
using BigDataTrading.Core;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;
using BigDataTrading.Core.Wire;
using BigDataTrading.Infra.Kafka;
using BigDataTrading.Infra.Messaging;
using BigDataTrading.Sources;
using BigDataTrading.Streaming.Ingestion;
using Xunit;

namespace BigDataTrading.Data.Tests;

public sealed class IngestValidatorTests
{
    private static readonly Symbol s_aaa = Symbol.Parse("AAA");

    // 2024-03-12 is a Tuesday; 14:00 UTC = 10:00 New York (EDT since March 10).
    private static readonly Timestamp s_open = Timestamp.FromUtc(new DateOnly(2024, 3, 12), new TimeSpan(14, 0, 0));

    [Fact]
    public void Each_rule_rejects_with_its_own_reason_and_only_accepted_ticks_move_the_state()
    {
        var v = new IngestValidator(new IngestValidationOptions { MinReferencePrices = 5, OutlierK = 5 });
        TradeTick T(long seq, double secs, decimal price, long size = 100) =>
            new(s_aaa, s_open.AddNanoseconds((long)(secs * 1e9)), Price.FromDecimal(price), size, seq);

        for (var i = 1; i <= 10; i++)
        {
            Assert.Equal(IngestRejectReason.None, v.Check(T(i, i, 100m + (i % 3 * 0.01m))));
        }

        Assert.Equal(IngestRejectReason.NonPositivePrice, v.Check(T(11, 11, 0m)));
        Assert.Equal(IngestRejectReason.NonPositiveSize, v.Check(T(12, 12, 100m, size: 0)));
        Assert.Equal(IngestRejectReason.Duplicate, v.Check(T(10, 13, 100m)));
        Assert.Equal(IngestRejectReason.OutOfOrder, v.Check(T(14, 8.5, 100m)));
        Assert.Equal(IngestRejectReason.None, v.Check(T(15, 9.5, 100m)));
        Assert.Equal(IngestRejectReason.PriceOutlier, v.Check(T(16, 16, 101m)));
        Assert.Equal(IngestRejectReason.None, v.Check(T(17, 17, 100.02m)));

        // 20:30 New York: after the regular session; a Saturday: not a trading day; Good Friday 2024-03-29: a holiday.
        Assert.Equal(IngestRejectReason.OutsideSession, v.Check(T(18, 10.5 * 3600, 100m)));
        Assert.Equal(IngestRejectReason.OutsideSession, v.Check(T(19, 4 * 86400, 100m)));
        Assert.Equal(IngestRejectReason.OutsideSession, v.Check(T(20, 17 * 86400, 100m)));
    }

    [Fact]
    public void Quotes_are_rejected_when_crossed_or_locked_or_without_a_valid_side()
    {
        var v = new IngestValidator(new IngestValidationOptions());
        QuoteTick Q(long seq, decimal bid, long bidSize, decimal ask, long askSize) =>
            new(s_aaa, s_open.AddNanoseconds(seq), Price.FromDecimal(bid), bidSize, Price.FromDecimal(ask), askSize, seq);

        Assert.Equal(IngestRejectReason.None, Q(1, 10m, 100, 10.01m, 100) is var q1 ? v.Check(q1) : default);
        Assert.Equal(IngestRejectReason.None, v.Check(Q(2, 10m, 100, 0m, 0)));
        Assert.Equal(IngestRejectReason.CrossedOrLockedQuote, v.Check(Q(3, 10.01m, 100, 10.01m, 100)));
        Assert.Equal(IngestRejectReason.CrossedOrLockedQuote, v.Check(Q(4, 10.02m, 100, 10.01m, 100)));
        Assert.Equal(IngestRejectReason.NonPositivePrice, v.Check(Q(5, 0m, 0, 0m, 0)));
        Assert.Equal(IngestRejectReason.NonPositivePrice, v.Check(Q(6, -1m, 100, 10m, 100)));
        Assert.Equal(IngestRejectReason.NonPositiveSize, v.Check(Q(7, 10m, 0, 10.01m, 100)));
        Assert.Equal(IngestRejectReason.Duplicate, v.Check(Q(2, 10m, 100, 10.01m, 100)));
    }

    [Fact]
    public void Bars_are_checked_for_consistency_trading_day_and_duplicates()
    {
        var v = new IngestValidator(new IngestValidationOptions());
        Bar B(DateOnly day, decimal o, decimal h, decimal l, decimal c, long vol = 1000) =>
            new(s_aaa, Timestamp.FromUtc(day, TimeSpan.Zero), Timestamp.NanosPerDay, Price.FromDecimal(o), Price.FromDecimal(h), Price.FromDecimal(l), Price.FromDecimal(c), vol, 0, Price.Zero);

        Assert.Equal(IngestRejectReason.None, v.Check(B(new(2024, 3, 11), 10, 11, 9, 10.5m)));
        Assert.Equal(IngestRejectReason.Duplicate, v.Check(B(new(2024, 3, 11), 10, 11, 9, 10.5m)));
        Assert.Equal(IngestRejectReason.InconsistentBar, v.Check(B(new(2024, 3, 12), 10, 9.5m, 9, 10)));
        Assert.Equal(IngestRejectReason.NonPositiveSize, v.Check(B(new(2024, 3, 12), 10, 11, 9, 10, vol: 0)));
        Assert.Equal(IngestRejectReason.OutsideSession, v.Check(B(new(2024, 3, 16), 10, 11, 9, 10)));
        Assert.Equal(IngestRejectReason.OutsideSession, v.Check(B(new(2024, 12, 25), 10, 11, 9, 10)));
        Assert.Equal(IngestRejectReason.None, v.Check(B(new(2024, 3, 12), 10, 11, 9, 10)));
    }

    [Fact]
    public void Nyse_calendar_knows_holidays_and_early_closes()
    {
        var nyse = ExchangeCalendar.Nyse;
        Assert.False(nyse.IsTradingDay(new DateOnly(2013, 11, 28))); // Thanksgiving
        Assert.True(ExchangeCalendar.IsEarlyClose(new DateOnly(2013, 11, 29)));
        Assert.False(nyse.IsTradingDay(new DateOnly(2021, 12, 24))); // Christmas on Saturday, observed Friday
        Assert.True(nyse.IsTradingDay(new DateOnly(2021, 12, 31))); // New Year 2022 on Saturday is not moved back
        Assert.False(nyse.IsTradingDay(new DateOnly(2022, 6, 20))); // Juneteenth (Sunday) observed Monday
        Assert.True(nyse.IsTradingDay(new DateOnly(2013, 10, 8)));
        var close = Timestamp.FromUtc(new DateOnly(2013, 11, 29), new TimeSpan(18, 0, 0)); // 13:00 EST
        Assert.False(nyse.IsInSession(close, TradingSession.Regular));
        Assert.True(nyse.IsInSession(close.AddNanoseconds(-1), TradingSession.Regular));
    }
}

public sealed class IngestKafkaTests
{
    private const string Sp500Daily = "data/market/sp500-daily/sp500_daily_2013-01-02_to_2017-11-10.csv.gz";

    [Fact]
    public async Task Ingest_sends_accepted_ticks_keyed_by_symbol_and_every_rejection_with_its_reason_nothing_dropped()
    {
        await using var kafka = KafkaEndpoint.Start(new KafkaOptions());
        var topics = await KafkaFixtures.CreateTopicsAsync(kafka, "ingest");
        using var producer = kafka.Clients.CreateProducer("ingest");
        var ingestor = new MarketDataIngestor(producer, new IngestValidator(new IngestValidationOptions()), topics);
        var source = new SyntheticMarketSource(new SyntheticMarketOptions { TradesPerSymbol = 3000, BadTickRate = 0.01 });
        ingestor.RejectUnparsed(IngestRejectReason.Malformed, "x.csv:7", "price", "not a decimal number", "AAA,x,1");

        var report = await ingestor.IngestTradesAsync(KafkaFixtures.WithDuplicateAndLate(source.ReadTradesAsync()), CancellationToken.None);

        Assert.Equal(9002, report.In);
        Assert.Equal(report.In, report.Accepted + report.Rejected);
        Assert.Equal(1, report.RejectedByReason[IngestRejectReason.Malformed]);
        Assert.True(report.RejectedByReason[IngestRejectReason.Duplicate] >= 1);
        Assert.True(report.RejectedByReason[IngestRejectReason.NonPositivePrice] + report.RejectedByReason.GetValueOrDefault(IngestRejectReason.NonPositiveSize) > 0);

        var accepted = KafkaFixtures.ReadAll(kafka, topics.Accepted, topics.Partitions);
        var dead = KafkaFixtures.ReadAll(kafka, topics.DeadLetter, topics.Partitions);
        Assert.Equal(report.Accepted, accepted.Count);
        Assert.All(accepted, r => Assert.Equal(MarketDataCodec.DecodeTrade(r.Value, new SymbolCache()).Symbol.Value, Encoding.ASCII.GetString(r.Key!)));
        Assert.Equal(
            report.RejectedByReason.ToDictionary(k => k.Key.ToString(), k => k.Value).OrderBy(k => k.Key),
            dead.GroupBy(r => r.Reason!).ToDictionary(g => g.Key, g => (long)g.Count()).OrderBy(k => k.Key));
        var malformed = Assert.Single(dead, r => r.Reason == "Malformed");
        Assert.Equal("AAA,x,1", Encoding.UTF8.GetString(malformed.Value));
    }

    [SharedDataFact(Sp500Daily)]
    public async Task Sp500_daily_file_round_trips_through_ingest_with_in_equal_to_accepted_plus_rejected()
    {
        await using var kafka = KafkaEndpoint.Start(new KafkaOptions());
        var topics = await KafkaFixtures.CreateTopicsAsync(kafka, "sp500");
        using var producer = kafka.Clients.CreateProducer("ingest");
        long consumed = 0;
        var volumeBySymbol = new Dictionary<string, long>(StringComparer.Ordinal);
        var deadByReason = new Dictionary<string, long>(StringComparer.Ordinal);

        // The mock broker keeps 5 MB per partition: read both topics while ingesting, and let ingestion wait for the reader.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var reader = Task.Factory.StartNew(() =>
        {
            using var consumer = kafka.Clients.CreateLosslessConsumer("sp500-reader", "reader");
            consumer.Subscribe([topics.Accepted, topics.DeadLetter]);
            var symbols = new SymbolCache();
            var ended = new HashSet<(string, int)>();
            while (ended.Count < 2 * topics.Partitions)
            {
                var r = consumer.Consume(cts.Token);
                if (r is null || r.IsPartitionEOF)
                {
                    continue;
                }

                if (EndOfStream.Is(r.Message.Headers))
                {
                    ended.Add((r.Topic, r.Partition.Value));
                    continue;
                }

                if (r.Topic == topics.Accepted)
                {
                    var bar = MarketDataCodec.DecodeBar(r.Message.Value, symbols);
                    volumeBySymbol[bar.Symbol.Value] = volumeBySymbol.GetValueOrDefault(bar.Symbol.Value) + bar.Volume;
                }
                else
                {
                    var reason = Encoding.ASCII.GetString(r.Message.Headers.GetLastBytes(Topics.ReasonHeader));
                    deadByReason[reason] = deadByReason.GetValueOrDefault(reason) + 1;
                }

                Interlocked.Increment(ref consumed);
            }

            consumer.Close();
        }, cts.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        var ingestor = new MarketDataIngestor(producer, new IngestValidator(new IngestValidationOptions()), topics,
            new ReplayFlowControl(() => Interlocked.Read(ref consumed), ReplayFlowControl.EmbeddedClusterMaxInFlight));
        var errors = new DeadLetterSourceErrorSink(ingestor);
        var report = await ingestor.IngestBarsAsync(new CsvMarketDataSource(SharedData.Require(Sp500Daily), CsvColumnMap.Sp500Daily, errors).ReadBarsAsync(cts.Token), cts.Token);
        await reader;

        Assert.Equal(606_071, report.In);
        Assert.Equal(report.In, report.Accepted + report.Rejected);
        Assert.Equal(report.In, consumed);
        Assert.Equal(report.RejectedByReason.ToDictionary(k => k.Key.ToString(), k => k.Value).OrderBy(k => k.Key), deadByReason.OrderBy(k => k.Key));
        Assert.Equal(505, volumeBySymbol.Count);
    }
}

internal sealed record ReadRecord(byte[]? Key, byte[] Value, string? Reason, int Partition, long Offset);

internal static class KafkaFixtures
{
    public static async Task<IngestTopics> CreateTopicsAsync(KafkaEndpoint kafka, string prefix, int partitions = 4)
    {
        var topics = new IngestTopics(prefix + "-md.ticks", prefix + "-md.ticks.rejected", partitions);
        await kafka.Topics.EnsureTopicsAsync(KafkaTopology.Of(new TopicSpec(topics.Accepted, partitions), new TopicSpec(topics.DeadLetter, partitions)));
        return topics;
    }

    /// <summary>Reads a topic from the start up to its end-of-stream markers.</summary>
    public static List<ReadRecord> ReadAll(KafkaEndpoint kafka, string topic, int partitions)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var consumer = kafka.Clients.CreateConsumer("read-" + Guid.NewGuid().ToString("N"), "reader");
        var list = new List<ReadRecord>();
        TopicReader.ReadToEndOfStream(consumer, topic, partitions, r => list.Add(new ReadRecord(
            r.Message.Key,
            r.Message.Value,
            r.Message.Headers?.TryGetLastBytes(Topics.ReasonHeader, out var b) == true ? Encoding.ASCII.GetString(b) : null,
            r.Partition.Value,
            r.Offset.Value)), cts.Token);
        consumer.Close();
        return list;
    }

    /// <summary>Replays the source and, after its 100th tick, the 50th again (a duplicate).</summary>
    public static async IAsyncEnumerable<TradeTick> WithDuplicateAndLate(IAsyncEnumerable<TradeTick> source)
    {
        var seen = new List<TradeTick>();
        await foreach (var t in source)
        {
            seen.Add(t);
            yield return t;
            if (seen.Count == 100)
            {
                yield return seen[49];
            }
        }
    }

    /// <summary>Polls <paramref name="condition"/> until true or the deadline passes (then fails naming it).</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        while (!condition())
        {
            if (cts.IsCancellationRequested)
            {
                Assert.Fail("Timed out waiting until " + what);
            }

            await Task.Yield();
            await Task.Delay(5, CancellationToken.None);
        }
    }
}
