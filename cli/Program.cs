using System.CommandLine;
using BigDataTrading.Cli.Commands;

namespace BigDataTrading.Cli;

/// <summary>Entry point of <c>bdt</c>, the one command-line tool of BigDataTrading.</summary>
public static class Program
{
    /// <summary>Parses the command line and runs the chosen command; returns its exit code.</summary>
    public static Task<int> Main(string[] args)
    {
        var root = new RootCommand("BigDataTrading: market data to lake, stream processing and a FIX trader, on embedded defaults or a cluster.");
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(StackCommand.Create());
        root.Subcommands.Add(ExchangeCommand.Create());
        root.Subcommands.Add(TraderCommand.Create());
        root.Subcommands.Add(CqlCommand.Create());
        root.Subcommands.Add(StreamCommand.Create());
        root.Subcommands.Add(IngestCommand.Create());
        root.Subcommands.Add(LakeWriterCommand.Create());
        root.Subcommands.Add(SqlCommand.Create());
        root.Subcommands.Add(CatalogCommand.Create());
        root.Subcommands.Add(HiveCommand.Create());
        root.Subcommands.Add(EtlCommand.Create());
        return root.Parse(args).InvokeAsync();
    }
}
