using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MrPrompt.Domain.Accounts;
using MrPrompt.Tests.Support;
using OpenAI.Chat;

namespace MrPrompt.Tests.Web;

/// <summary>
/// The admin usage API over calls made for real (the OpenAI SDK through /v1 to the fake upstream):
/// figures, pages and the CSV export find those calls, and bad filters are 400s naming the parameter.
/// </summary>
public sealed class AdminUsageApiTests(ApiGatewayApp app) : IClassFixture<ApiGatewayApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(Guid UserId, string Key)> AdminAsync()
    {
        var (userId, key) = await app.NewApiKeyAsync(scopes: [MrPrompt.Domain.ApiKeys.ApiKeyScopes.Admin]);
        await TestUsers.SetRoleAsync(app.Services, userId, AppRoles.Admin);
        return (userId, key);
    }

    private HttpClient Client(string key)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>Two calls of a new caller, both logged; returns the caller and the trace ids.</summary>
    private async Task<(Guid UserId, string[] Traces)> CallTwiceAsync()
    {
        var (userId, key) = await app.NewApiKeyAsync();
        var traces = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var result = await app.Sdk(key).GetChatClient(ApiGatewayApp.PricedModel).CompleteChatAsync([new UserChatMessage($"Hello {i}")], cancellationToken: Ct);
            result.GetRawResponse().Headers.TryGetValue("X-Trace-Id", out var trace);
            await app.UsageRowsAsync(trace!, 1);
            traces.Add(trace!);
        }
        return (userId, traces.ToArray());
    }

    [Fact]
    public async Task Figures_and_pages_of_one_user_show_their_calls_with_tokens_and_cost()
    {
        var (_, adminKey) = await AdminAsync();
        var (caller, traces) = await CallTwiceAsync();
        var admin = Client(adminKey);

        using var usage = JsonDocument.Parse(await admin.GetStringAsync($"/api/admin/usage?user={caller}&groupBy=Model", Ct));
        using var rows = JsonDocument.Parse(await admin.GetStringAsync($"/api/admin/usage/rows?user={caller}&sort=costusd&take=1", Ct));
        using var both = JsonDocument.Parse(await admin.GetStringAsync($"/api/admin/usage/rows?user={caller}&sort=CostUsd&descending=false", Ct));

        var totals = usage.RootElement.GetProperty("totals");
        Assert.Equal(2, totals.GetProperty("requests").GetInt64());
        Assert.True(totals.GetProperty("costUsd").GetDecimal() > 0);
        Assert.True(totals.GetProperty("inputTokens").GetInt64() > 0);
        var group = Assert.Single(usage.RootElement.GetProperty("breakdown").GetProperty("groups").EnumerateArray());
        Assert.Equal(ApiGatewayApp.PricedModel, group.GetProperty("key").GetString());
        Assert.Equal(2, rows.RootElement.GetProperty("total").GetInt64());
        var row = Assert.Single(rows.RootElement.GetProperty("rows").EnumerateArray());
        var cheapestFirst = both.RootElement.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("traceId").GetString()).ToList();
        Assert.Equal(traces.Order(), cheapestFirst.Order());
        Assert.Equal(cheapestFirst[^1], row.GetProperty("traceId").GetString()); // the dearest first when descending
        Assert.Equal("Api", row.GetProperty("source").GetString());
    }

    [Fact]
    public async Task The_export_streams_every_filtered_row_as_csv_with_a_file_name()
    {
        var (_, adminKey) = await AdminAsync();
        var (caller, traces) = await CallTwiceAsync();

        var response = await Client(adminKey).GetAsync($"/api/admin/usage/export.csv?user={caller}&provider=openai", HttpCompletionOption.ResponseHeadersRead, Ct);
        var lines = (await response.Content.ReadAsStringAsync(Ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        Assert.StartsWith("mrprompt-usage-", response.Content.Headers.ContentDisposition!.FileNameStar ?? response.Content.Headers.ContentDisposition.FileName);
        Assert.StartsWith("executed_at,trace_id,user_email,", lines[0]);
        Assert.Equal(3, lines.Length);
        Assert.All(traces, trace => Assert.Contains(lines, l => l.Contains(trace, StringComparison.Ordinal)));
        var header = lines[0].Split(',');
        var first = lines[1].Split(',');
        Assert.Equal("openai", first[Array.IndexOf(header, "provider")]);
        Assert.Equal("Success", first[Array.IndexOf(header, "status")]);
        Assert.True(decimal.Parse(first[Array.IndexOf(header, "cost_usd")], System.Globalization.CultureInfo.InvariantCulture) > 0);
    }

    [Theory]
    [InlineData("/api/admin/usage?from=yesterday", "from")]
    [InlineData("/api/admin/usage?from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z", "to")]
    [InlineData("/api/admin/usage?status=Broken", "status")]
    [InlineData("/api/admin/usage?source=7", "source")]
    [InlineData("/api/admin/usage?user=ada", "user")]
    [InlineData("/api/admin/usage/rows?take=0", "take")]
    [InlineData("/api/admin/usage/export.csv?version=v2", "version")]
    [InlineData("/api/admin/audit?action=everything", "action")]
    [InlineData("/api/admin/usage?groupBy=7", "groupBy")]
    [InlineData("/api/admin/usage/rows?sort=42", "sort")]
    [InlineData("/api/admin/usage?to=0001-01-01T00:00:00Z", "to")]
    public async Task A_bad_filter_is_a_400_naming_the_parameter(string path, string parameter)
    {
        var (_, adminKey) = await AdminAsync();

        var response = await Client(adminKey).GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(parameter, out _), await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Retention_is_set_in_days_and_a_month_at_least()
    {
        var (_, adminKey) = await AdminAsync();
        var admin = Client(adminKey);

        var tooShort = await admin.PutAsJsonAsync("/api/admin/usage/retention", new { days = 7 }, Ct);
        var saved = await admin.PutAsJsonAsync("/api/admin/usage/retention", new { days = 45 }, Ct);
        using var current = JsonDocument.Parse(await admin.GetStringAsync("/api/admin/usage/retention", Ct));

        Assert.Equal(HttpStatusCode.BadRequest, tooShort.StatusCode);
        Assert.Contains("31 to 3650 days", await tooShort.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        Assert.Equal((45, true), (current.RootElement.GetProperty("days").GetInt32(), current.RootElement.GetProperty("setByAdmin").GetBoolean()));
    }
}
