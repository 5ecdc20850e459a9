using System.Net;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Web;

public sealed class HttpEndpointsTests(MrPromptApp app) : IClassFixture<MrPromptApp>
{
    [Theory]
    [InlineData("/health/live")] // answers without touching the database
    [InlineData("/health/ready")] // checks the database
    public async Task Health_endpoints_report_healthy(string path)
    {
        var response = await app.CreateClient().GetAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Unknown_address_is_a_friendly_404()
    {
        var response = await app.CreateClient().GetAsync("/no-such-page", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("There is nothing at this address.", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task On_a_fresh_install_the_built_in_echo_test_prompt_runs_on_the_offline_model()
    {
        var (_, key) = await app.NewApiKeyAsync();

        using var response = await app.PostJsonAsync("/api/gateway", key, """{"action":"complete","payload":{"prompt_key":"echo-test","variables":{"message":"héllo 世界"}}}""");

        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = System.Text.Json.JsonDocument.Parse(body);
        var data = json.RootElement.GetProperty("data");
        Assert.Equal("echo/echo", data.GetProperty("model").GetString());
        Assert.Equal("The user says: héllo 世界", data.GetProperty("content").GetString());
    }

    [Fact]
    public async Task Home_page_invites_visitors_to_register()
    {
        var html = await app.CreateClient().GetStringAsync("/", TestContext.Current.CancellationToken);
        Assert.Contains("Create an account", html);
    }
}
