using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

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
