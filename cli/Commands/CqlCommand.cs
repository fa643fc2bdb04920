using System.CommandLine;
using BigDataTrading.Streaming.Cql;

namespace BigDataTrading.Cli.Commands;

/// <summary><c>bdt cql check FILE</c>: validates a CQL query file.</summary>
public static class CqlCommand
{
    /// <summary>Builds the command with its sub-commands.</summary>
    public static Command Create()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "A CQL file: CREATE STREAM, CREATE TABLE and CREATE VIEW/QUERY statements separated by ';'." };
        var check = new Command("check", "Parse and compile every statement of a CQL file; print each statement's kind, or the first error with line:column and a hint (exit code 1).")
        {
            file,
        };
        check.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var path = parse.GetValue(file)!;
            if (!path.Exists)
            {
                await error.WriteLineAsync($"error: {path.FullName} does not exist.");
                return 2;
            }

            var text = await File.ReadAllTextAsync(path.FullName, ct);
            IReadOnlyList<string> lines;
            try
            {
                // Tables FROM 'file.csv' resolve against the script's folder.
                lines = CqlEngine.Check(text, new CqlOptions { BaseDirectory = path.DirectoryName });
            }
            catch (CqlException e)
            {
                await error.WriteLineAsync($"{path.Name}:{e.Position.Line}:{e.Position.Column}: error: {e.Problem}");
                if (e.Hint is not null)
                {
                    await error.WriteLineAsync($"  hint: {e.Hint}");
                }

                var sourceLine = text.Split('\n').ElementAtOrDefault(e.Position.Line - 1)?.TrimEnd('\r');
                if (sourceLine is not null && e.Position.Column > 0)
                {
                    await error.WriteLineAsync("  | " + sourceLine);
                    await error.WriteLineAsync("  | " + new string(' ', Math.Min(e.Position.Column - 1, sourceLine.Length)) + "^");
                }

                return 1;
            }

            foreach (var line in lines)
            {
                await output.WriteLineAsync($"{path.Name}:{line}");
            }

            await output.WriteLineAsync($"ok: {lines.Count} statement{(lines.Count == 1 ? string.Empty : "s")}");
            return 0;
        });
        return new Command("cql", "Continuous Query Language tools.") { check };
    }
}
