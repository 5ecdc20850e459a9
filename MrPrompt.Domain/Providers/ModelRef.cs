namespace MrPrompt.Domain.Providers;

/// <summary>A model as the gateway names it: <c>provider/model</c>, for example <c>openai/gpt-4o-mini</c>.</summary>
/// <remarks>Model ids may contain slashes themselves (<c>openrouter/openai/gpt-4o</c>): only the first one separates.</remarks>
public readonly record struct ModelRef(string Provider, string Model)
{
    public override string ToString() => $"{Provider}/{Model}";

    /// <summary>The longest provider id and model id a reference may name (the columns that record them).</summary>
    public const int MaxProviderLength = 64;

    public const int MaxModelLength = 200;

    public static bool TryParse(string? value, out ModelRef modelRef)
    {
        modelRef = default;
        var slash = value?.IndexOf('/') ?? -1;
        if (value is null || slash <= 0 || slash == value.Length - 1)
        {
            return false;
        }
        // Provider ids are lower case everywhere (stored keys, configuration); model ids keep their case.
        modelRef = new ModelRef(value[..slash].Trim().ToLowerInvariant(), value[(slash + 1)..].Trim());
        // Longer names are no provider's, and would not fit where answers record them.
        return modelRef.Provider.Length is > 0 and <= MaxProviderLength && modelRef.Model.Length is > 0 and <= MaxModelLength
            && !value.Contains('\0', StringComparison.Ordinal);
    }
}
