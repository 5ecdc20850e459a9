using System.Globalization;

namespace MrPrompt.Domain.Usage;

/// <summary>What a monthly budget may be, for the admin page and the <c>set-budget</c> command alike.</summary>
public static class Budgets
{
    public const decimal MaximumUsd = 1_000_000m;

    /// <summary>Null when <paramref name="usd"/> can be a budget (null: the configured default), else why not.</summary>
    public static string? Validate(decimal? usd) =>
        usd is < 0 or > MaximumUsd ? $"A monthly budget is between $0 and ${MaximumUsd:N0} (or empty for the default)."
        : usd is { } amount && decimal.Round(amount, 2) != amount ? "A monthly budget is in whole cents, such as 25.50."
        : null;

    /// <summary>Reads what an admin typed: empty or "none" is the default, else dollars such as 25.50 (a leading $ is fine).</summary>
    public static bool TryParse(string? text, out decimal? usd)
    {
        usd = null;
        var trimmed = text?.Trim().TrimStart('$') ?? "";
        if (trimmed.Length == 0 || trimmed.Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        if (decimal.TryParse(trimmed, NumberStyles.Number, CultureInfo.InvariantCulture, out var amount))
        {
            usd = amount;
            return true;
        }
        return false;
    }

    public static string Describe(decimal? usd) => usd is { } amount ? string.Create(CultureInfo.InvariantCulture, $"${amount:0.00}") : "the default";
}
