using System.CommandLine;
using BigDataTrading.Trading;
using BigDataTrading.Trading.Risk;

namespace BigDataTrading.Cli.Commands;

/// <summary>
/// The trader's risk limits as command-line options (defaults = <see cref="TraderOptions.Default"/>), validated at
/// start-up into <see cref="TraderOptions"/>: a bad value stops the trader before it connects, naming the option.
/// </summary>
internal sealed class RiskLimitOptions
{
    private readonly Option<long> _maxOrderQty = new("--max-order-qty") { Description = "Largest order, units.", DefaultValueFactory = _ => Defaults.Risk.MaxOrderQuantity };
    private readonly Option<decimal> _maxOrderNotional = new("--max-order-notional") { Description = "Largest order value, quote currency.", DefaultValueFactory = _ => Defaults.Risk.MaxOrderNotional };
    private readonly Option<long> _maxPosition = new("--max-position") { Description = "Largest absolute position per symbol after fills (including open orders), units.", DefaultValueFactory = _ => Defaults.Risk.MaxAbsolutePosition };
    private readonly Option<decimal> _collar = new("--price-collar") { Description = "Largest |limit/market − 1|, a fraction in (0, 1).", DefaultValueFactory = _ => Defaults.Risk.PriceCollarFraction };
    private readonly Option<decimal> _maxGross = new("--max-gross-exposure") { Description = "Largest Σ|position × mark| + working order notional, quote currency.", DefaultValueFactory = _ => Defaults.Risk.MaxGrossExposure };
    private readonly Option<int> _maxRate = new("--max-orders-per-second") { Description = "Most orders accepted in any 1-second window.", DefaultValueFactory = _ => Defaults.Risk.MaxOrdersPerWindow };
    private readonly Option<int> _maxOpen = new("--max-open-orders") { Description = "Most orders working at once.", DefaultValueFactory = _ => Defaults.Risk.MaxOpenOrders };
    private readonly Option<decimal> _maxLoss = new("--max-daily-loss") { Description = "Loss today (realized + unrealized, quote currency, positive) at which new orders stop.", DefaultValueFactory = _ => Defaults.Risk.MaxDailyLoss };
    private readonly Option<double> _maxVol = new("--max-volatility") { Description = "Volatility gate: largest realized volatility of recent bar returns (fraction per bar); 0 disables the gate.", DefaultValueFactory = _ => Defaults.Volatility?.MaxVolatility ?? 0 };
    private readonly Option<int> _volWindow = new("--volatility-window") { Description = "Volatility gate: returns in the window (≥ 2).", DefaultValueFactory = _ => Defaults.Volatility?.Window ?? 20 };
    private readonly Option<int> _unsentAge = new("--resend-unsent-within") { Description = "Recovery: seconds within which a journaled order the venue never saw is still sent (once); older ones are marked LostNeverSent.", DefaultValueFactory = _ => Defaults.UnsentOrderMaxAgeSeconds };

    private static TraderOptions Defaults => TraderOptions.Default;

    public static RiskLimitOptions Create() => new();

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _maxOrderQty, _maxOrderNotional, _maxPosition, _collar, _maxGross, _maxRate, _maxOpen, _maxLoss, _maxVol, _volWindow, _unsentAge })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>Builds and validates the options; on failure <paramref name="error"/> names the option and the rule.</summary>
    public bool TryBuild(ParseResult parse, out TraderOptions options, out string? error)
    {
        var risk = new PreTradeRiskOptions(
            parse.GetValue(_maxOrderQty),
            parse.GetValue(_maxOrderNotional),
            parse.GetValue(_maxPosition),
            parse.GetValue(_collar),
            parse.GetValue(_maxGross),
            parse.GetValue(_maxRate),
            1_000,
            parse.GetValue(_maxOpen),
            parse.GetValue(_maxLoss));
        var maxVol = parse.GetValue(_maxVol);
        options = Defaults with
        {
            Risk = risk,
            Volatility = maxVol == 0 ? null : new VolatilityGateOptions(parse.GetValue(_volWindow), maxVol),
            UnsentOrderMaxAgeSeconds = parse.GetValue(_unsentAge),
        };
        try
        {
            options.Validate();
            error = null;
            return true;
        }
        catch (ArgumentOutOfRangeException ex)
        {
            error = $"{OptionFor(ex.ParamName)} = {ex.ActualValue}: {ex.Message.Split(" (Parameter", 2)[0]}";
            return false;
        }
    }

    private static string OptionFor(string? parameter) => parameter switch
    {
        nameof(PreTradeRiskOptions.MaxOrderQuantity) => "--max-order-qty",
        nameof(PreTradeRiskOptions.MaxOrderNotional) => "--max-order-notional",
        nameof(PreTradeRiskOptions.MaxAbsolutePosition) => "--max-position",
        nameof(PreTradeRiskOptions.PriceCollarFraction) => "--price-collar",
        nameof(PreTradeRiskOptions.MaxGrossExposure) => "--max-gross-exposure",
        nameof(PreTradeRiskOptions.MaxOrdersPerWindow) => "--max-orders-per-second",
        nameof(PreTradeRiskOptions.MaxOpenOrders) => "--max-open-orders",
        nameof(PreTradeRiskOptions.MaxDailyLoss) => "--max-daily-loss",
        nameof(VolatilityGateOptions.MaxVolatility) => "--max-volatility",
        nameof(VolatilityGateOptions.Window) => "--volatility-window",
        nameof(TraderOptions.UnsentOrderMaxAgeSeconds) => "--resend-unsent-within",
        _ => parameter ?? "a risk limit",
    };
}
