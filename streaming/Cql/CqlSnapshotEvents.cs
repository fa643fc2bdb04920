using System.Runtime.CompilerServices;
using BigDataTrading.Core.Instruments;
using BigDataTrading.Core.MarketData;
using BigDataTrading.Core.Time;

namespace BigDataTrading.Streaming.Cql;

/// <summary>
/// Writes and reads the events a query holds (sliding-window rings, a pattern's reorder buffer and captured steps, an
/// as-of join's latest quotes) in engine snapshots. Runs at checkpoint time only, never on the event path.
/// </summary>
/// <remarks>
/// A joined event is written as its driving trade or quote, its quote side when it had one, and whether it found a
/// reference row: the row itself is not written but looked up again in the query's table on restore (the table is
/// compiled from the same script, so it is the same row unless the table's CSV file changed between runs — then the
/// restore fails with the symbol and table named rather than join against a row that is gone).
/// </remarks>
internal static class CqlSnapshotEvents
{
    public static void WriteTrade(BinaryWriter writer, in TradeTick t)
    {
        writer.Write(t.Symbol.Value ?? string.Empty);
        writer.Write(t.Time.UnixNanoseconds);
        writer.Write(t.Price.Raw);
        writer.Write(t.Size);
        writer.Write(t.Sequence);
        writer.Write((ushort)t.Exchange);
    }

    public static TradeTick ReadTrade(BinaryReader reader) =>
        new(ReadSymbol(reader), new Timestamp(reader.ReadInt64()), new Price(reader.ReadInt64()), reader.ReadInt64(), reader.ReadInt64(), (char)reader.ReadUInt16());

    public static void WriteQuote(BinaryWriter writer, in QuoteTick q)
    {
        writer.Write(q.Symbol.Value ?? string.Empty);
        writer.Write(q.Time.UnixNanoseconds);
        writer.Write(q.BidPrice.Raw);
        writer.Write(q.BidSize);
        writer.Write(q.AskPrice.Raw);
        writer.Write(q.AskSize);
        writer.Write(q.Sequence);
    }

    public static QuoteTick ReadQuote(BinaryReader reader) =>
        new(ReadSymbol(reader), new Timestamp(reader.ReadInt64()), new Price(reader.ReadInt64()), reader.ReadInt64(), new Price(reader.ReadInt64()), reader.ReadInt64(), reader.ReadInt64());

    /// <summary>Writes one event of a query's input type.</summary>
    public static void Write<T>(BinaryWriter writer, in T e)
        where T : struct
    {
        if (typeof(T) == typeof(TradeTick))
        {
            WriteTrade(writer, Unsafe.As<T, TradeTick>(ref Unsafe.AsRef(in e)));
        }
        else if (typeof(T) == typeof(QuoteTick))
        {
            WriteQuote(writer, Unsafe.As<T, QuoteTick>(ref Unsafe.AsRef(in e)));
        }
        else if (typeof(T) == typeof(Joined<TradeTick>))
        {
            ref var j = ref Unsafe.As<T, Joined<TradeTick>>(ref Unsafe.AsRef(in e));
            WriteTrade(writer, j.Left);
            WriteJoinSides(writer, j.HasQuote, j.Quote, j.Row);
        }
        else if (typeof(T) == typeof(Joined<QuoteTick>))
        {
            ref var j = ref Unsafe.As<T, Joined<QuoteTick>>(ref Unsafe.AsRef(in e));
            WriteQuote(writer, j.Left);
            WriteJoinSides(writer, j.HasQuote, j.Quote, j.Row);
        }
        else
        {
            throw new NotSupportedException($"Events of type {typeof(T).Name} cannot be snapshotted.");
        }
    }

    /// <summary>Reads one event written by <see cref="Write{T}"/>; a joined event finds its reference row in <paramref name="join"/>'s table.</summary>
    /// <exception cref="InvalidDataException">The event had a reference row that the table no longer has.</exception>
    public static T Read<T>(BinaryReader reader, JoinPlan? join)
        where T : struct
    {
        T e = default;
        if (typeof(T) == typeof(TradeTick))
        {
            Unsafe.As<T, TradeTick>(ref e) = ReadTrade(reader);
        }
        else if (typeof(T) == typeof(QuoteTick))
        {
            Unsafe.As<T, QuoteTick>(ref e) = ReadQuote(reader);
        }
        else if (typeof(T) == typeof(Joined<TradeTick>))
        {
            ref var j = ref Unsafe.As<T, Joined<TradeTick>>(ref e);
            j.Left = ReadTrade(reader);
            (j.HasQuote, j.Quote, j.Row) = ReadJoinSides(reader, join, j.Left.Symbol.Value);
        }
        else if (typeof(T) == typeof(Joined<QuoteTick>))
        {
            ref var j = ref Unsafe.As<T, Joined<QuoteTick>>(ref e);
            j.Left = ReadQuote(reader);
            (j.HasQuote, j.Quote, j.Row) = ReadJoinSides(reader, join, j.Left.Symbol.Value);
        }
        else
        {
            throw new NotSupportedException($"Events of type {typeof(T).Name} cannot be restored.");
        }

        return e;
    }

    /// <summary>Reads a key written as text and returns the interned instance, so identity-hashed key tables find it.</summary>
    public static string ReadKey(BinaryReader reader) => string.Intern(reader.ReadString());

    private static void WriteJoinSides(BinaryWriter writer, bool hasQuote, in QuoteTick quote, CqlTableRow? row)
    {
        writer.Write(hasQuote);
        if (hasQuote)
        {
            WriteQuote(writer, quote);
        }

        writer.Write(row is not null);
    }

    private static (bool HasQuote, QuoteTick Quote, CqlTableRow? Row) ReadJoinSides(BinaryReader reader, JoinPlan? join, string? symbol)
    {
        var hasQuote = reader.ReadBoolean();
        var quote = hasQuote ? ReadQuote(reader) : default;
        CqlTableRow? row = null;
        if (reader.ReadBoolean())
        {
            var table = join?.Table ?? throw new InvalidDataException("The snapshot has a joined reference row but the query joins no table: the query changed since it was taken.");
            row = table.Find(symbol) ?? throw new InvalidDataException(
                $"The snapshot holds an event of '{symbol}' joined to table '{table.Statement.Name}', which no longer has a row for it: the table's data changed since the checkpoint; restore with the same data or replay the partition.");
        }

        return (hasQuote, quote, row);
    }

    private static Symbol ReadSymbol(BinaryReader reader)
    {
        var text = reader.ReadString();
        if (text.Length == 0)
        {
            return default;
        }

        if (!Symbol.TryParse(text, out var symbol, out var error))
        {
            throw new InvalidDataException($"The snapshot holds an invalid symbol '{text}': {error}.");
        }

        return symbol;
    }
}
