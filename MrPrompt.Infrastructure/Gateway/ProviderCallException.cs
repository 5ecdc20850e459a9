namespace MrPrompt.Infrastructure.Gateway;

/// <summary>
/// A provider failure already judged where it happened, carrying only our own words: telemetry and
/// logs above it never see the provider's response text (which can quote part of a key). The
/// original exception stays as the inner exception for debugging at the source.
/// </summary>
public sealed class ProviderCallException(ProviderFailure failure, Exception inner) : Exception(failure.Error.Message, inner)
{
    public ProviderFailure Failure { get; } = failure;
}
