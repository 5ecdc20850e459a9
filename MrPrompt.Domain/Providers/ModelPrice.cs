namespace MrPrompt.Domain.Providers;

/// <summary>What a model costs, in US dollars per million tokens, as providers publish it.</summary>
public sealed record ModelPrice(decimal InputPerMillion, decimal OutputPerMillion)
{
    public static ModelPrice Free { get; } = new(0, 0);

    /// <summary>Cost of one call, kept to 10 decimals: cheap calls cost fractions of a millionth, and sums must stay right.</summary>
    public decimal CostOf(long inputTokens, long outputTokens) =>
        decimal.Round((inputTokens * InputPerMillion + outputTokens * OutputPerMillion) / 1_000_000m, 10, MidpointRounding.AwayFromZero);
}
