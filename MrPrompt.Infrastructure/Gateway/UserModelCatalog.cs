using MrPrompt.Domain.Providers;
using MrPrompt.Infrastructure.Credentials;
using MrPrompt.Infrastructure.Gateway.Providers;

namespace MrPrompt.Infrastructure.Gateway;

/// <summary>A model a person can pick, labelled for lists by its provider's display name.</summary>
public sealed record ModelChoice(ModelRef Ref, string ProviderName, bool IsOfflineDemo)
{
    /// <summary>The demo has one model, so its provider's name says it all.</summary>
    public string Label => IsOfflineDemo ? ProviderName : $"{ProviderName} · {Ref.Model}";
}

/// <summary>
/// Every model a user can call now: the system providers open to them and the providers they brought
/// keys for, each with the models it offers (<see cref="ProviderModels"/>).
/// </summary>
public sealed class UserModelCatalog(
    ProviderCatalog catalog,
    CredentialService credentials,
    GatewayTargetResolver resolver,
    ProviderModels models,
    Limits.CallerAllowances allowances)
{
    public async Task<IReadOnlyList<ModelChoice>> ListAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        var providerIds = catalog.All.Select(p => p.Id)
            .Concat((await credentials.ListAsync(userId, cancellationToken)).Select(c => c.Provider))
            .Distinct(StringComparer.OrdinalIgnoreCase);
        var choices = new List<ModelChoice>();
        var role = (await allowances.ForAsync(userId, cancellationToken)).Role;
        foreach (var providerId in providerIds)
        {
            var probe = catalog.Find(providerId)?.DefaultModel ?? ProviderPreset.Find(providerId)?.DefaultModel ?? "default";
            var (target, _) = await resolver.ResolveAsync(userId, new ModelRef(providerId, probe), cancellationToken, offeredOnly: false);
            if (target is null)
            {
                continue;
            }
            foreach (var model in (await models.ListAsync(target.Provider, target.Endpoint, target.CredentialId, cancellationToken)).Models)
            {
                if (target.CredentialId is null && target.Provider.FindModel(model)?.AllowsRole(role) == false)
                {
                    continue; // through the system key, and not open to this role
                }
                choices.Add(new ModelChoice(new ModelRef(target.Provider.Id, model), target.Provider.DisplayName, target.Provider.Kind == ProviderKind.Echo));
            }
        }
        // The offline demo last: real models first for anyone who has them.
        return choices.OrderBy(c => c.IsOfflineDemo).ThenBy(c => c.ProviderName, StringComparer.OrdinalIgnoreCase).ThenBy(c => c.Ref.Model, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// <paramref name="preferred"/> when the user can call it, else the first model they can (real models
    /// before the offline demo) that <paramref name="allowed"/> lets through; null when there is none. For
    /// built-in prompts, whose definition names a model (OpenAI's) that a new installation may not have.
    /// </summary>
    public async Task<ModelRef?> PreferredOrFirstAsync(Guid userId, ModelRef? preferred, Func<ModelRef, bool> allowed, CancellationToken cancellationToken = default)
    {
        // Whether the preferred model can be called is a key lookup; the list (models endpoints asked) only when it cannot.
        if (preferred is { } model && allowed(model) && (await resolver.ResolveAsync(userId, model, cancellationToken)).Target is not null)
        {
            return model;
        }
        return (await ListAsync(userId, cancellationToken)).FirstOrDefault(c => allowed(c.Ref))?.Ref;
    }
}
