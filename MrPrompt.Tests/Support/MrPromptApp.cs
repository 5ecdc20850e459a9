using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Infrastructure.ApiKeys;
using MrPrompt.Infrastructure.Security;

namespace MrPrompt.Tests.Support;

/// <summary>The real app in-process, on a database of its own on the shared test server.</summary>
public class MrPromptApp(PostgresServer server) : IAsyncLifetime
{
    private Factory? _factory;

    public virtual async ValueTask InitializeAsync()
    {
        var database = await server.CreateDatabaseAsync("web");
        var settings = new Dictionary<string, string?>
        {
            // As in production: migrations as the owner, everything else as a role row-level security binds.
            ["ConnectionStrings:Migrations"] = database,
            ["ConnectionStrings:Default"] = server.AsAppRole(database),
            // Every test client signs in from the same (absent) address; the limit itself has its own tests.
            ["Accounts:SignInAttemptsPerMinute"] = "10000",
            // Tests register many accounts through the page; registration by invitation has its own tests.
            ["Accounts:Registration"] = "open",
        };
        Configure(settings);
        _factory = new Factory(settings);
        _ = _factory.Server; // start now, so migrations run before the first test
    }

    /// <summary>Settings a derived app adds before it starts.</summary>
    protected virtual void Configure(Dictionary<string, string?> settings)
    {
    }

    public IServiceProvider Services => _factory!.Services;

    /// <summary>The in-process server, for clients other than HttpClient (a SignalR connection, say).</summary>
    public Microsoft.AspNetCore.TestHost.TestServer Server => _factory!.Server;

    /// <summary>A new account, registered through the pages, and a personal API key of its own (with <paramref name="scopes"/>).</summary>
    public async Task<(Guid UserId, string Key)> NewApiKeyAsync(IReadOnlyCollection<string>? allowedModels = null, IReadOnlyCollection<string>? scopes = null)
    {
        var email = $"key-{Guid.NewGuid():N}@example.com";
        await AccountForms.RegisterAsync(CreateClient(), email, "Passw0rd!");
        await using var scope = Services.CreateAsyncScope();
        var user = (await scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>().FindByEmailAsync(email))!;
        var key = await Services.GetRequiredService<ApiKeyService>().CreateAsync(user.Id, "test", null, allowedModels ?? [], TestContext.Current.CancellationToken, scopes);
        return (user.Id, key.Created!.Secret);
    }

    /// <summary>A JSON POST as a program sends it: with a <c>mrp_</c> key (null: anonymous) and, if given, an Idempotency-Key.</summary>
    public async Task<HttpResponseMessage> PostJsonAsync(string path, string? key, string json, string? idempotencyKey = null,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        if (key is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        }
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }
        return await CreateClient().SendAsync(request, completion, TestContext.Current.CancellationToken);
    }

    /// <summary>
    /// A browser-like client: keeps cookies, does not follow redirects so tests can see them, and says
    /// its requests come from MrPrompt's own pages (Sec-Fetch-Site), as a browser on them does. With
    /// <paramref name="from"/>, it connects from that address (as a proxy in front would forward it).
    /// </summary>
    public HttpClient CreateClient(string? from = null)
    {
        var client = _factory!.CreateClient(new WebApplicationFactoryClientOptions
        {
            AllowAutoRedirect = false,
            HandleCookies = true,
        });
        client.DefaultRequestHeaders.Add("Sec-Fetch-Site", "same-origin");
        if (from is not null)
        {
            client.DefaultRequestHeaders.Add("X-Forwarded-For", from);
        }
        return client;
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
    }

    private sealed class Factory(Dictionary<string, string?> settings) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            // A test host stopping is not an instance leaving a fleet: whatever still runs is handed back at once.
            builder.UseSetting("Shutdown:DrainSeconds", "0");
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }
        }
    }
}
