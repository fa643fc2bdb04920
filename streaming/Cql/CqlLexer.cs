using System.Globalization;
using System.Text;

namespace BigDataTrading.Streaming.Cql;

internal enum TokenKind
{
    Identifier,
    Integer,
    Decimal,
    String,
    Symbol,
    End,
}

/// <summary>One token; <see cref="Text"/> is the identifier, the unquoted string, the number or the operator.</summary>
internal readonly record struct Token(TokenKind Kind, string Text, CqlPosition Position)
{
    public bool Is(string keywordOrSymbol) =>
        Kind is TokenKind.Identifier or TokenKind.Symbol && string.Equals(Text, keywordOrSymbol, StringComparison.OrdinalIgnoreCase);

    public string Describe() => Kind switch
    {
        TokenKind.End => "end of input",
        TokenKind.String => $"'{Text}'",
        _ => $"'{Text}'",
    };
}

/// <summary>
/// Hand-written lexer: identifiers (letters, digits, '_'; or "double-quoted"), integers, decimals, 'strings' (with ''
/// for a quote), operators, <c>-- line</c> and <c>/* block */</c> comments. Keywords are identifiers; the parser
/// recognises them in context, so words like <c>size</c> or <c>time</c> remain usable as column names.
/// </summary>
internal static class CqlLexer
{
    public static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        var line = 1;
        var lineStart = 0;
        CqlPosition Pos(int at) => new(line, at - lineStart + 1);

        while (i < text.Length)
        {
            var c = text[i];
            if (c == '\n')
            {
                i++;
                line++;
                lineStart = i;
                continue;
            }

            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            if (c == '-' && i + 1 < text.Length && text[i + 1] == '-')
            {
                while (i < text.Length && text[i] != '\n')
                {
                    i++;
                }

                continue;
            }

            if (c == '/' && i + 1 < text.Length && text[i + 1] == '*')
            {
                var start = Pos(i);
                i += 2;
                while (i < text.Length && !(text[i] == '*' && i + 1 < text.Length && text[i + 1] == '/'))
                {
                    if (text[i] == '\n')
                    {
                        line++;
                        lineStart = i + 1;
                    }

                    i++;
                }

                if (i >= text.Length)
                {
                    throw new CqlException(start, "unterminated comment", "close it with */");
                }

                i += 2;
                continue;
            }

            if (char.IsAsciiLetter(c) || c == '_')
            {
                var start = i;
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_'))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Identifier, text[start..i], Pos(start)));
                continue;
            }

            if (c == '"')
            {
                var start = i;
                var end = text.IndexOf('"', i + 1);
                var newline = text.IndexOf('\n', i + 1);
                if (end < 0 || (newline >= 0 && newline < end))
                {
                    throw new CqlException(Pos(start), "unterminated quoted identifier", "close it with \" on the same line");
                }

                tokens.Add(new Token(TokenKind.Identifier, text[(start + 1)..end], Pos(start)));
                i = end + 1;
                continue;
            }

            if (c == '0' && i + 2 < text.Length && (text[i + 1] is 'x' or 'X') && char.IsAsciiHexDigit(text[i + 2]))
            {
                // Hexadecimal integer (flag masks): 0x20. Its value is decimal text so the parser treats it as any integer.
                var start = i;
                i += 2;
                while (i < text.Length && char.IsAsciiHexDigit(text[i]))
                {
                    i++;
                }

                if (i - start - 2 > 16 || (i < text.Length && (char.IsAsciiLetter(text[i]) || text[i] == '_')))
                {
                    throw new CqlException(Pos(start), $"malformed hexadecimal number {text[start..Math.Min(text.Length, i + 1)]}", "write at most 16 hex digits, e.g. 0x100200");
                }

                var value = ulong.Parse(text.AsSpan(start + 2, i - start - 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
                if (value > long.MaxValue)
                {
                    throw new CqlException(Pos(start), $"hexadecimal number {text[start..i]} does not fit in a signed 64-bit BIGINT", "use at most 0x7FFFFFFFFFFFFFFF");
                }

                tokens.Add(new Token(TokenKind.Integer, value.ToString(CultureInfo.InvariantCulture), Pos(start)));
                continue;
            }

            if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
            {
                var start = i;
                var dot = false;
                while (i < text.Length && (char.IsAsciiDigit(text[i]) || (text[i] == '.' && !dot)))
                {
                    dot |= text[i] == '.';
                    i++;
                }

                if (i < text.Length && (char.IsAsciiLetter(text[i]) || text[i] == '_'))
                {
                    throw new CqlException(Pos(i), $"unexpected '{text[i]}' right after the number {text[start..i]}", "put a space between a number and a word, e.g. 1 MINUTE");
                }

                tokens.Add(new Token(dot ? TokenKind.Decimal : TokenKind.Integer, text[start..i], Pos(start)));
                continue;
            }

            if (c == '\'')
            {
                var start = i;
                var sb = new StringBuilder();
                i++;
                while (true)
                {
                    if (i >= text.Length || text[i] == '\n')
                    {
                        throw new CqlException(Pos(start), "unterminated string", "close it with ' on the same line (write '' for a quote inside)");
                    }

                    if (text[i] == '\'')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '\'')
                        {
                            sb.Append('\'');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    sb.Append(text[i++]);
                }

                tokens.Add(new Token(TokenKind.String, sb.ToString(), Pos(start)));
                continue;
            }

            var two = i + 1 < text.Length ? text.Substring(i, 2) : null;
            if (two is "<=" or ">=" or "<>" or "!=" or "==" or "->")
            {
                tokens.Add(new Token(TokenKind.Symbol, two, Pos(i)));
                i += 2;
                continue;
            }

            if ("(),;*+-/<>=.&".Contains(c, StringComparison.Ordinal))
            {
                tokens.Add(new Token(TokenKind.Symbol, c.ToString(), Pos(i)));
                i++;
                continue;
            }

            throw new CqlException(Pos(i), string.Create(CultureInfo.InvariantCulture, $"unexpected character '{c}' (U+{(int)c:X4})"), "CQL uses 'single quotes' for strings and \"double quotes\" only for identifiers");
        }

        tokens.Add(new Token(TokenKind.End, string.Empty, Pos(i)));
        return tokens;
    }
}
