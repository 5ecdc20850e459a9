using MrPrompt.Domain.Providers;
using MrPrompt.Infrastructure.Gateway.Providers;

namespace MrPrompt.Infrastructure.Gateway;

/// <summary>A model the gateway can call for a given user right now, with the key it will use.</summary>
public sealed record GatewayTarget(ProviderDefinition Provider, ProviderEndpoint Endpoint, string Model, Guid? CredentialId)
{
    public ModelRef Ref => new(Provider.Id, Model);
    public ModelPrice? Price => Provider.PriceOf(Model);
}
