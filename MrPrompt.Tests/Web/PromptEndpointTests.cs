using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Accounts;
using MrPrompt.Domain.Prompts;
using MrPrompt.Infrastructure.Prompts;
using MrPrompt.Infrastructure.Security;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Web;

/// <summary>The prompt library over HTTP keeps the same rules as the pages: 404 for others' private prompts, 403 for changing others' public ones, 400 per field.</summary>
public sealed class PromptEndpointTests(MrPromptApp app) : IClassFixture<MrPromptApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(HttpClient Client, Guid UserId)> SignedInAsync(string? role = null)
    {
        var email = $"prompts-{Guid.NewGuid():N}@example.com";
        var client = app.CreateClient();
        await AccountForms.RegisterAsync(client, email, "Passw0rd!");
        await using var scope = app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var user = (await users.FindByEmailAsync(email))!;
        if (role is not null)
        {
            await users.RemoveFromRolesAsync(user, await users.GetRolesAsync(user));
            await users.AddToRoleAsync(user, role);
        }
        await AccountForms.SignInAsync(client, email, "Passw0rd!");
        return (client, user.Id);
    }

    private Task<PromptResult<Guid>> CreateAsync(Guid owner, string key, PromptVisibility visibility) =>
        app.Services.GetRequiredService<PromptEditor>().CreateAsync(
            owner, new PromptDetails(key, "Title", "", [], visibility), new PromptContent("", "Hello {{name}}"), cancellationToken: Ct);

    [Fact]
    public async Task The_owner_reads_saves_a_version_and_moves_a_label()
    {
        var (client, owner) = await SignedInAsync();
        var id = (await CreateAsync(owner, "api-greeting", PromptVisibility.Private)).Value;

        var saved = await client.PostAsJsonAsync($"/api/prompts/{id}/versions",
            new { userTemplate = "Hi {{name}}", responseFormat = "Json", changeNote = "Shorter" }, Ct);
        var labelled = await client.PutAsJsonAsync($"/api/prompts/{id}/labels/production", new { version = 2 }, Ct);
        var read = await client.GetAsync($"/api/prompts/{id}", Ct);

        Assert.Equal(HttpStatusCode.Created, saved.StatusCode);
        Assert.Equal(HttpStatusCode.OK, labelled.StatusCode);
        using var json = JsonDocument.Parse(await read.Content.ReadAsStringAsync(Ct));
        var latest = json.RootElement.GetProperty("versions")[0];
        Assert.Equal((2, "Hi {{name}}", "Json", "production"),
            (latest.GetProperty("number").GetInt32(), latest.GetProperty("userTemplate").GetString(), latest.GetProperty("responseFormat").GetString(),
             latest.GetProperty("labels")[0].GetString()));
        var listed = await client.GetStringAsync("/api/prompts?scope=Mine", Ct);
        Assert.Contains("api-greeting", listed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_input_is_a_400_naming_the_field_and_nothing_is_saved()
    {
        var (client, owner) = await SignedInAsync();
        var id = (await CreateAsync(owner, "api-bad", PromptVisibility.Private)).Value;

        var response = await client.PostAsJsonAsync($"/api/prompts/{id}/versions",
            new { userTemplate = "Hi {{name", dataLoaders = new[] { "crm" } }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var errors = json.RootElement.GetProperty("errors");
        Assert.Contains("never closed", errors.GetProperty("userTemplate")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("'crm'", errors.GetProperty("dataLoaders")[0].GetString(), StringComparison.Ordinal);
        var view = (await app.Services.GetRequiredService<PromptLibrary>().GetAsync(owner, id, Ct)).Value!;
        Assert.Single(view.Versions);
    }

    [Fact]
    public async Task Others_get_404_for_private_prompts_and_403_for_changing_public_ones()
    {
        var (_, author) = await SignedInAsync(AppRoles.Author);
        var secret = (await CreateAsync(author, "api-secret", PromptVisibility.Private)).Value;
        var shared = (await CreateAsync(author, "api-shared", PromptVisibility.Public)).Value;
        var (intruder, _) = await SignedInAsync();

        var readSecret = await intruder.GetAsync($"/api/prompts/{secret}", Ct);
        var writeSecret = await intruder.PostAsJsonAsync($"/api/prompts/{secret}/versions", new { userTemplate = "mine" }, Ct);
        var readShared = await intruder.GetAsync($"/api/prompts/{shared}", Ct);
        var writeShared = await intruder.PostAsJsonAsync($"/api/prompts/{shared}/versions", new { userTemplate = "mine" }, Ct);
        var labelShared = await intruder.PutAsJsonAsync($"/api/prompts/{shared}/labels/production", new { version = 1 }, Ct);
        var anonymous = await app.CreateClient().GetAsync($"/api/prompts/{shared}", Ct);

        Assert.Equal(HttpStatusCode.NotFound, readSecret.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, writeSecret.StatusCode);
        Assert.DoesNotContain("Hello", await readSecret.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.OK, readShared.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, writeShared.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, labelShared.StatusCode);
        Assert.NotEqual(HttpStatusCode.OK, anonymous.StatusCode);
        Assert.DoesNotContain("Hello", await anonymous.Content.ReadAsStringAsync(Ct));
    }
}
