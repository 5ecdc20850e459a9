using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Accounts;
using MrPrompt.Domain.Providers;
using MrPrompt.Infrastructure.Audit;
using MrPrompt.Infrastructure.Gateway.Providers;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Web;

/// <summary>
/// Providers admins add in the console: used through the gateway at once, with their key encrypted, audited,
/// configuration providers left alone, models closed to roles, and a change on another instance picked up.
/// </summary>
public sealed class StoredProvidersTests(ApiGatewayApp app) : IClassFixture<ApiGatewayApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private StoredProviders Stored => app.Services.GetRequiredService<StoredProviders>();

    private ProviderCatalog Catalog => app.Services.GetRequiredService<ProviderCatalog>();

    private async Task<MrPrompt.Infrastructure.Admin.AdminCaller> AdminAsync()
    {
        var admin = await TestUsers.RegisterAsync(app.Services);
        await TestUsers.SetRoleAsync(app.Services, admin, AppRoles.Admin);
        return TestUsers.AsAdmin(admin);
    }

    private ProviderForm Form(string id, params StoredModel[] models) => new(
        id, "Team gateway", ProviderKind.OpenAICompatible, app.Upstream.OpenAIBaseUrl, FakeProviderServer.ValidKey, SharedWithUsers: true,
        models.Length > 0 ? models : [new StoredModel("gpt-4o-mini", 0.15m, 0.60m, 128_000)]);

    private async Task<HttpResponseMessage> AskAsync(string key, string model) =>
        await app.PostJsonAsync("/v1/chat/completions", key, JsonSerializer.Serialize(new { model, messages = new[] { new { role = "user", content = "Hi" } } }));

    private async Task<HttpResponseMessage> GetAsync(string path, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new("Bearer", key);
        return await app.CreateClient().SendAsync(request, Ct);
    }

    [Fact]
    public async Task A_provider_added_by_an_admin_answers_at_once_with_its_key_encrypted_and_the_change_audited()
    {
        var admin = await AdminAsync();
        var id = $"team-{Guid.NewGuid():N}"[..16];
        var (_, key) = await app.NewApiKeyAsync();
        using (var before = await AskAsync(key, $"{id}/gpt-4o-mini"))
        {
            Assert.Equal(HttpStatusCode.NotFound, before.StatusCode);
        }

        Assert.True((await Stored.SaveAsync(admin, Form(id), existing: false, Ct)).IsEmpty);

        using var after = await AskAsync(key, $"{id}/gpt-4o-mini");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(FakeProviderServer.ValidKey, app.Upstream.Requests[^1].ApiKey);
        var listed = await (await GetAsync("/v1/models", key)).Content.ReadAsStringAsync(Ct);
        Assert.Contains($"{id}/gpt-4o-mini", listed, StringComparison.Ordinal);
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct))
        {
            var row = await db.StoredProviders.AsNoTracking().SingleAsync(p => p.Id == id, Ct);
            Assert.DoesNotContain(FakeProviderServer.ValidKey, row.EncryptedKey!, StringComparison.Ordinal);
            Assert.Equal(FakeProviderServer.ValidKey[^4..], row.KeyHint);
        }
        var view = Assert.Single(await Stored.ListAsync(Ct), p => p.Id == id);
        Assert.DoesNotContain(FakeProviderServer.ValidKey, JsonSerializer.Serialize(view), StringComparison.Ordinal);
        var audited = await app.Services.GetRequiredService<AuditLog>().ListAsync(admin, new(AuditActions.ProviderAdded), Ct);
        Assert.Contains(audited, e => e.Detail.Contains(id, StringComparison.Ordinal));

        // Changed without retyping the key, then removed: each at once.
        Assert.True((await Stored.SaveAsync(admin, Form(id, new StoredModel("gpt-4o", 2.5m, 10m), new StoredModel("house-model", 1m, 1m, Vision: true)) with { ApiKey = null }, existing: true, Ct)).IsEmpty);
        Assert.Equal(FakeProviderServer.ValidKey, Catalog.Find(id)!.SystemApiKey);
        Assert.True(Catalog.Find(id)!.SeesImages("house-model")); // said so, though its name is unknown
        Assert.True(Catalog.Find(id)!.SeesImages("gpt-4o")); // known by name
        Assert.Equal(["gpt-4o", "house-model"], Catalog.Find(id)!.Models.Select(m => m.Id));
        Assert.True(await Stored.RemoveAsync(admin, id, Ct));
        Assert.Null(Catalog.Find(id));
        using var gone = await AskAsync(key, $"{id}/gpt-4o");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task A_stored_key_never_travels_to_an_address_typed_since()
    {
        var admin = await AdminAsync();
        var id = $"kept-{Guid.NewGuid():N}"[..16];
        Assert.True((await Stored.SaveAsync(admin, Form(id), existing: false, Ct)).IsEmpty);
        var elsewhere = app.Upstream.BaseUrl + "/elsewhere/v1";
        var before = app.Upstream.Requests.Count;

        // "Test" with the stored id, another address and no key: the stored key is not sent there.
        var probe = await Stored.TestAsync(admin, Form(id) with { BaseUrl = elsewhere, ApiKey = null }, Ct);
        var moved = await Stored.SaveAsync(admin, Form(id) with { BaseUrl = elsewhere, ApiKey = null }, existing: true, Ct);
        var secretInUrl = await Stored.SaveAsync(admin, Form(id) with { BaseUrl = "https://user:sk-secret@example.com/v1?key=sk-secret" }, existing: true, Ct);

        Assert.DoesNotContain(app.Upstream.Requests.Skip(before), r => r.ApiKey == FakeProviderServer.ValidKey);
        Assert.NotNull(probe.Failure);
        Assert.Contains("enter the key again", Assert.Single(moved.For("ApiKey")), StringComparison.Ordinal);
        Assert.Contains("cannot carry a user name", Assert.Single(secretInUrl.For("BaseUrl")), StringComparison.Ordinal);
        Assert.Equal(app.Upstream.OpenAIBaseUrl, Catalog.Find(id)!.BaseUrl);
        // At its own address, with the stored key, it answers.
        Assert.Null((await Stored.TestAsync(admin, Form(id) with { ApiKey = null }, Ct)).Failure);
    }

    [Fact]
    public async Task Configuration_providers_stay_read_only_and_bad_input_names_each_field_and_saves_nothing()
    {
        var admin = await AdminAsync();

        var clash = await Stored.SaveAsync(admin, Form("openai"), existing: false, Ct);
        var change = await Stored.SaveAsync(admin, Form("openai"), existing: true, Ct);
        var bad = await Stored.SaveAsync(admin, new ProviderForm("Bad Id!", "", ProviderKind.OpenAICompatible, "ftp://x", null, true,
            [new StoredModel("a model", -1m, null, 0, ["nowhere"], ["Root"])]), existing: false, Ct);

        Assert.Contains("configuration", Assert.Single(clash.For("Id")), StringComparison.Ordinal);
        Assert.Contains("configuration", Assert.Single(change.For("Id")), StringComparison.Ordinal);
        Assert.Equal(["Id", "DisplayName", "BaseUrl", "Models"], bad.ByField.Keys.Order(StringComparer.Ordinal).OrderBy(k => k switch { "Id" => 0, "DisplayName" => 1, "BaseUrl" => 2, _ => 3 }));
        Assert.Contains(bad.For("Models"), m => m.Contains("'Root' is not a role", StringComparison.Ordinal));
        Assert.Contains(bad.For("Models"), m => m.Contains("not provider/model", StringComparison.Ordinal));
        Assert.Equal(ProviderKind.OpenAI, Catalog.Find("openai")!.Kind);
        Assert.DoesNotContain(await Stored.ListAsync(Ct), p => p.Id is "openai" or "bad-id");
    }

    [Fact]
    public async Task A_model_open_only_to_admins_is_refused_to_a_user_and_left_out_of_their_list()
    {
        var admin = await AdminAsync();
        var id = $"tiered-{Guid.NewGuid():N}"[..16];
        Assert.True((await Stored.SaveAsync(admin, Form(id,
            new StoredModel("gpt-4o-mini", 0.15m, 0.60m),
            new StoredModel("gpt-4o", 2.5m, 10m, Roles: ["Admin"])), existing: false, Ct)).IsEmpty);
        var (userId, userKey) = await app.NewApiKeyAsync();
        await TestUsers.SetRoleAsync(app.Services, userId, AppRoles.User);
        var (adminId, adminKey) = await app.NewApiKeyAsync();
        await TestUsers.SetRoleAsync(app.Services, adminId, AppRoles.Admin);
        var calls = app.Upstream.ChatRequestCount;

        using var refused = await AskAsync(userKey, $"{id}/gpt-4o");
        using var cheap = await AskAsync(userKey, $"{id}/gpt-4o-mini");
        using var allowed = await AskAsync(adminKey, $"{id}/gpt-4o");

        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.OK, HttpStatusCode.OK), (refused.StatusCode, cheap.StatusCode, allowed.StatusCode));
        Assert.Contains("not open to the User role", await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(calls + 2, app.Upstream.ChatRequestCount);
        var usersList = await (await GetAsync("/v1/models", userKey)).Content.ReadAsStringAsync(Ct);
        var adminsList = await (await GetAsync("/v1/models", adminKey)).Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain($"{id}/gpt-4o\"", usersList, StringComparison.Ordinal);
        Assert.Contains($"{id}/gpt-4o-mini\"", usersList, StringComparison.Ordinal);
        Assert.Contains($"{id}/gpt-4o\"", adminsList, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_provider_another_instance_added_is_picked_up_at_the_next_look()
    {
        var id = $"other-{Guid.NewGuid():N}"[..16];
        await Stored.RefreshAsync(cancellationToken: Ct);
        var before = Catalog.All;

        // What another instance's save leaves in the shared database.
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct))
        {
            var protector = app.Services.GetRequiredService<MrPrompt.Infrastructure.Security.CredentialProtector>();
            db.StoredProviders.Add(new StoredProvider
            {
                Id = id, DisplayName = "Elsewhere", Kind = ProviderKind.OpenAICompatible, BaseUrl = app.Upstream.OpenAIBaseUrl,
                EncryptedKey = protector.Protect(FakeProviderServer.ValidKey), KeyHint = "abcd", Models = StoredModel.ToJson([new StoredModel("gpt-4o-mini", 0.15m, 0.6m)]),
            });
            await db.SaveChangesAsync(Ct);
        }
        await Stored.RefreshAsync(cancellationToken: Ct);

        Assert.Equal(FakeProviderServer.ValidKey, Catalog.Find(id)?.SystemApiKey);
        var loaded = Catalog.All;
        await Stored.RefreshAsync(cancellationToken: Ct);
        Assert.Equal(loaded.Select(p => p.Id), Catalog.All.Select(p => p.Id));
        Assert.Equal(before.Count + 1, loaded.Count);
    }
}
