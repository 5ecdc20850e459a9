using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Infrastructure.Gateway;
using MrPrompt.Tests.Gateway;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Web;

/// <summary>The app configured only by the CHAT_API_* variables (docs/contracts.md, "Environment variables") serves answers through its gateway.</summary>
public sealed class EnvironmentProviderTests(PostgresServer server) : IAsyncLifetime
{
    private FakeProviderServer _upstream = null!;
    private WebApplicationFactory<Program> _app = null!;

    public async ValueTask InitializeAsync()
    {
        _upstream = await FakeProviderServer.StartAsync();
        var connectionString = await server.CreateDatabaseAsync("env");
        _app = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Production");
            web.UseSetting("ConnectionStrings:Default", connectionString);
            // Environment variables and these settings are the same configuration keys.
            web.UseSetting("CHAT_API_BASE", _upstream.OpenAIBaseUrl);
            web.UseSetting("CHAT_API_KEY", FakeProviderServer.ValidKey);
            web.UseSetting("CHAT_MODEL_DEFAULT", "gpt-4o-mini");
        });
        _ = _app.Server;
    }

    [Fact]
    public async Task A_provider_from_CHAT_API_settings_streams_and_is_logged_like_any_other()
    {
        var userId = await TestUsers.RegisterAsync(_app.Services);
        var request = userId.Ask("chat/gpt-4o-mini");

        var (deltas, last) = await _app.Services.GetRequiredService<IChatGateway>().StreamAsync(request, TestContext.Current.CancellationToken).CollectAsync();

        var result = Assert.IsType<GatewayCompleted>(last).Result;
        Assert.Equal(ProviderFixtures.OpenAIStreamText(), string.Concat(deltas));
        Assert.Equal(("chat", 22, 712), (result.Provider, result.InputTokens, result.OutputTokens));
        Assert.Contains(await _app.Services.GetRequiredService<UserModelCatalog>().ListAsync(userId, TestContext.Current.CancellationToken),
            choice => choice.Ref.ToString() == "chat/gpt-4o-mini");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        await _upstream.DisposeAsync();
    }
}
