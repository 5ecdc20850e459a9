namespace MrPrompt.Domain.Providers;

/// <summary>
/// Published list prices of common models (USD per million tokens, input/output), so cost shows up
/// without configuration. Configured prices always win; unknown models have no cost rather than a wrong one.
/// </summary>
public static class KnownPrices
{
    private static readonly Dictionary<string, ModelPrice> Prices = new(StringComparer.OrdinalIgnoreCase)
    {
        ["gpt-4o-mini"] = new(0.15m, 0.60m),
        ["gpt-4o"] = new(2.50m, 10.00m),
        ["gpt-4.1"] = new(2.00m, 8.00m),
        ["gpt-4.1-mini"] = new(0.40m, 1.60m),
        ["gpt-4.1-nano"] = new(0.10m, 0.40m),
        ["claude-haiku-4-5"] = new(1.00m, 5.00m),
        ["claude-sonnet-4-5"] = new(3.00m, 15.00m),
        ["claude-opus-4-1"] = new(15.00m, 75.00m),
        ["claude-3-opus-latest"] = new(15.00m, 75.00m),
        ["gemini-2.5-flash"] = new(0.30m, 2.50m),
        ["gemini-2.5-pro"] = new(1.25m, 10.00m),
    };

    /// <summary>The price of <paramref name="model"/>, also matching dated snapshots such as gpt-4o-mini-2024-07-18.</summary>
    public static ModelPrice? For(string model)
    {
        if (Prices.TryGetValue(model, out var price))
        {
            return price;
        }
        return Prices.Where(p => model.StartsWith(p.Key + "-", StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(p => p.Key.Length)
            .Select(p => p.Value)
            .FirstOrDefault();
    }
}
