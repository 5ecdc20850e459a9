using System.Security.Claims;
using MrPrompt.Domain.Providers;

namespace MrPrompt.Web.Authentication;

/// <summary>Who is calling the API: the user, the personal key used (none for a browser), and the models that key may use.</summary>
public sealed record ApiCaller(Guid UserId, Guid? KeyId, IReadOnlySet<string> AllowedModels)
{
    public static ApiCaller From(ClaimsPrincipal user)
    {
        var userId = Components.Shared.UserId.Of(user) ?? throw new InvalidOperationException("An authorized request without a user id.");
        var keyId = Guid.TryParse(user.FindFirstValue(ApiKeyAuthenticationHandler.KeyIdClaim), out var id) ? id : (Guid?)null;
        var allowed = user.FindAll(ApiKeyAuthenticationHandler.AllowedModelClaim).Select(c => c.Value).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return new ApiCaller(userId, keyId, allowed);
    }

    /// <summary>A key limited to some models may use only those; otherwise every model the user can reach.</summary>
    public bool MayUse(ModelRef model) => AllowedModels.Count == 0 || AllowedModels.Contains(model.ToString());

    /// <summary>What the gateway binds the call to (fallbacks included): the key's models, or null for any.</summary>
    public IReadOnlySet<string>? ModelLimit => AllowedModels.Count == 0 ? null : AllowedModels;
}
