using MrPrompt.Domain.Gateway;
using MrPrompt.Domain.Providers;
using MrPrompt.Infrastructure.Credentials;
using MrPrompt.Infrastructure.Gateway.Providers;

namespace MrPrompt.Infrastructure.Gateway;

/// <summary>
/// Decides which key a call uses: the user's own key for that provider, else the system key where the
/// operator shares it, else a clear "add a key" message. The system key serves only the models its
/// provider offers (<see cref="ProviderModels"/>): any other name would spend the operator's money on
/// whatever the provider accepts, at no known price. A model an admin opened only to some roles serves
/// the others only through keys of their own.
/// </summary>
public sealed class GatewayTargetResolver(ProviderCatalog catalog, CredentialService credentials, ProviderModels models, Limits.CallerAllowances allowances)
{
    /// <param name="offeredOnly">False to find the key only, whatever the model (listing what a provider offers).</param>
    public async Task<(GatewayTarget? Target, GatewayError? Error)> ResolveAsync(Guid userId, ModelRef model, CancellationToken cancellationToken, bool offeredOnly = true)
    {
        var system = catalog.Find(model.Provider);
        if (system?.Kind == ProviderKind.Echo)
        {
            return model.Model == EchoChatClient.ModelId
                ? (Target(system, null, model.Model, null), null)
                : (null, GatewayError.UnknownModel(model.ToString()));
        }

        var (credential, key, error) = await credentials.FindForUseAsync(userId, model.Provider, cancellationToken);
        if (error is not null)
        {
            return (null, error);
        }
        if (credential is not null)
        {
            var preset = ProviderPreset.Find(credential.Provider);
            var provider = system ?? new ProviderDefinition
            {
                Id = credential.Provider,
                DisplayName = preset?.DisplayName ?? credential.Name,
                Kind = credential.Kind,
                BaseUrl = credential.BaseUrl ?? preset?.BaseUrl,
                DefaultModel = preset?.DefaultModel,
            };
            // The address the key was checked against when saved, never the operator's: a personal
            // key must not travel to a host (a company proxy, say) its owner never chose.
            var endpoint = ProviderEndpoint.Personal(provider.Id, provider.DisplayName, credential.Kind,
                credential.BaseUrl ?? preset?.BaseUrl, key);
            return (new GatewayTarget(provider, endpoint, model.Model, credential.Id), null);
        }

        if (system is null)
        {
            return ProviderPreset.Find(model.Provider) is { } known
                ? (null, GatewayError.MissingCredential(known.DisplayName))
                : (null, GatewayError.UnknownModel(model.ToString()));
        }
        var keyless = system.Kind == ProviderKind.OpenAICompatible && system.SystemApiKey is null;
        if (keyless || (system.SystemApiKey is not null && system.SharedWithUsers))
        {
            var target = Target(system, system.SystemApiKey, model.Model, null);
            if (offeredOnly && system.FindModel(model.Model) is { Roles.Count: > 0 } restricted
                && (await allowances.ForAsync(userId, cancellationToken)).Role is var role && !restricted.AllowsRole(role))
            {
                return (null, GatewayError.ModelNotForRole(model.ToString(), role));
            }
            if (offeredOnly && (await models.ListAsync(system, target.Endpoint, null, cancellationToken)).Models is var offered && !offered.Contains(model.Model, StringComparer.Ordinal))
            {
                return (null, GatewayError.ModelNotOffered(system.DisplayName, model.ToString(), offered.Select(m => $"{system.Id}/{m}").ToList()));
            }
            return (target, null);
        }
        return (null, GatewayError.MissingCredential(system.DisplayName));
    }

    private static GatewayTarget Target(ProviderDefinition provider, string? key, string model, Guid? credentialId) =>
        new(provider, new ProviderEndpoint(provider.Id, provider.DisplayName, provider.Kind, provider.BaseUrl, key), model, credentialId);
}
