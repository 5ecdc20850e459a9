namespace MrPrompt.Web.Endpoints;

/// <summary>The <c>Idempotency-Key</c> header, or <c>idempotency_key</c> in the body; the header wins (docs/contracts.md, "Idempotency").</summary>
public static class IdempotencyKeys
{
    public const string HeaderName = "Idempotency-Key";

    public static string? Of(HttpRequest request, string? fromBody) =>
        request.Headers.TryGetValue(HeaderName, out var header) && header.Count > 0 ? header.ToString() : fromBody;
}
