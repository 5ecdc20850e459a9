using System.Net;

namespace MrPrompt.Infrastructure.Gateway.Providers;

/// <summary>
/// Anthropic's SDK exceptions carry no response headers, yet Retry-After matters. In that SDK's HTTP
/// pipeline, a refusal that names a Retry-After (a rate limit, an overloaded server) becomes a
/// <see cref="ProviderRefusedException"/> carrying it, so the wait reaches the caller on the failure itself.
/// </summary>
internal sealed class RetryAfterHandler(TimeProvider clock) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode is not (HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError))
        {
            return response;
        }
        var retryAfter = response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - clock.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
            _ => (TimeSpan?)null,
        };
        if (retryAfter is null)
        {
            return response; // the SDK's own error, with the provider's message, says enough
        }
        var status = response.StatusCode;
        response.Dispose();
        throw new ProviderRefusedException(status, retryAfter.Value);
    }
}

/// <summary>A provider's refusal with the wait it asked for.</summary>
public sealed class ProviderRefusedException(HttpStatusCode status, TimeSpan retryAfter)
    : HttpRequestException($"The provider answered {(int)status} and asked to wait {retryAfter.TotalSeconds:0} s.", null, status)
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}
