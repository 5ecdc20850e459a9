namespace MrPrompt.Domain.Providers;

/// <summary>What a model costs, in US dollars per million tokens, as providers publish it.</summary>
public sealed record ModelPrice(decimal InputPerMillion, decimal OutputPerMillion)
{
    public static ModelPrice Free { get; } = new(0, 0);

    /// <summary>Cost of one call, rounded to a millionth of a dollar.</summary>
    public decimal CostOf(long inputTokens, long outputTokens) =>
        decimal.Round((inputTokens * InputPerMillion + outputTokens * OutputPerMillion) / 1_000_000m, 6, MidpointRounding.AwayFromZero);
}
