namespace MrPrompt.Infrastructure.Gateway.Providers;

/// <summary>
/// Anthropic's SDK exceptions carry no response headers, yet Retry-After matters. A handler in that
/// SDK's HTTP pipeline notes the header here, in a box that flows with the calling attempt.
/// </summary>
public static class ProviderResponseHeaders
{
    private static readonly AsyncLocal<Box?> Current = new();

    /// <summary>The Retry-After of the last response within the current attempt, if it had one.</summary>
    public static TimeSpan? RetryAfter => Current.Value?.RetryAfter;

    /// <summary>Starts a fresh box for one attempt; the SDK's handler runs inside this flow and fills it.</summary>
    public static void BeginAttempt() => Current.Value = new Box();

    internal static void Note(TimeSpan? retryAfter)
    {
        if (Current.Value is { } box)
        {
            box.RetryAfter = retryAfter;
        }
    }

    private sealed class Box
    {
        public TimeSpan? RetryAfter { get; set; }
    }
}

/// <summary>Notes Retry-After from every response the Anthropic SDK receives.</summary>
internal sealed class RetryAfterCaptureHandler : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        ProviderResponseHeaders.Note(response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - DateTimeOffset.UtcNow,
            _ => null,
        });
        return response;
    }
}
