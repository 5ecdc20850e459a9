using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Infrastructure.ApiKeys;
using MrPrompt.Infrastructure.Security;

namespace MrPrompt.Tests.Support;

/// <summary>The real app in-process, on a database of its own on the shared test server.</summary>
public sealed class MrPromptApp(PostgresServer server) : IAsyncLifetime
{
    private Factory? _factory;

    public async ValueTask InitializeAsync()
    {
        _factory = new Factory(await server.CreateDatabaseAsync("web"));
        _ = _factory.Server; // start now, so migrations run before the first test
    }

    public IServiceProvider Services => _factory!.Services;

    /// <summary>A new account, registered through the pages, and a personal API key of its own.</summary>
    public async Task<(Guid UserId, string Key)> NewApiKeyAsync(IReadOnlyCollection<string>? allowedModels = null)
    {
        var email = $"key-{Guid.NewGuid():N}@example.com";
        await AccountForms.RegisterAsync(CreateClient(), email, "Passw0rd!");
        await using var scope = Services.CreateAsyncScope();
        var user = (await scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>().FindByEmailAsync(email))!;
        var key = await Services.GetRequiredService<ApiKeyService>().CreateAsync(user.Id, "test", null, allowedModels ?? [], TestContext.Current.CancellationToken);
        return (user.Id, key.Created!.Secret);
    }

    /// <summary>A browser-like client: keeps cookies, does not follow redirects so tests can see them.</summary>
    public HttpClient CreateClient() => _factory!.CreateClient(new WebApplicationFactoryClientOptions
    {
        AllowAutoRedirect = false,
        HandleCookies = true,
    });

    public async ValueTask DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
    }

    private sealed class Factory(string connectionString) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            builder.UseSetting("ConnectionStrings:Default", connectionString);
        }
    }
}
