using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Credentials;
using MrPrompt.Domain.Gateway;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Credentials;
using MrPrompt.Infrastructure.Gateway;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Tests.Gateway;
using MrPrompt.Tests.Support;
using Npgsql;

namespace MrPrompt.Tests.Credentials;

/// <summary>A user's own keys: checked, encrypted, scoped to their owner, used by the gateway.</summary>
public sealed class CredentialServiceTests : IClassFixture<GatewayFixture>
{
    private readonly GatewayFixture _fixture;

    public CredentialServiceTests(GatewayFixture fixture)
    {
        _fixture = fixture;
        _fixture.Upstream.Reset();
    }

    private CredentialService Credentials => _fixture.Services.GetRequiredService<CredentialService>();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private NewCredential CustomEndpoint(string name, string key = FakeProviderServer.ValidKey, string? baseUrl = null) =>
        new(MrPrompt.Domain.Providers.ProviderPreset.CustomId, name, key, baseUrl ?? _fixture.Upstream.OpenAIBaseUrl);

    private Task<Guid> NewUserAsync() => TestUsers.RegisterAsync(_fixture.Services);

    [Fact]
    public async Task A_users_own_compatible_endpoint_streams_an_answer_logged_with_tokens_latency_and_cost()
    {
        var userId = await NewUserAsync();
        var (saved, errors) = await Credentials.AddAsync(userId, CustomEndpoint("My vLLM"), Ct);
        Assert.True(errors.IsEmpty, string.Join(" ", errors.ByField.SelectMany(e => e.Value)));
        Assert.Equal("my-vllm", saved!.Provider);

        var request = userId.Ask("my-vllm/gpt-4o-mini");
        var (deltas, last) = await _fixture.Gateway.StreamAsync(request, Ct).CollectAsync();

        Assert.Equal(ProviderFixtures.OpenAIStreamText(), string.Concat(deltas));
        Assert.IsType<GatewayCompleted>(last);
        var row = Assert.Single(await _fixture.UsageRowsAsync(request.TraceId!, 1));
        Assert.Equal((userId, "my-vllm", UsageStatus.Success, 22, 712), (row.UserId, row.Provider, row.Status, row.InputTokens, row.OutputTokens));
        Assert.Equal(0.0004305m, row.CostUsd); // published gpt-4o-mini price
        Assert.True(row.LatencyMs >= 0 && row.TimeToFirstTokenMs is not null);
        Assert.Equal(FakeProviderServer.ValidKey, _fixture.Upstream.Requests[^1].ApiKey);
    }

    [Fact]
    public async Task A_users_own_key_wins_over_the_shared_system_key()
    {
        var userId = await NewUserAsync();
        _fixture.Upstream.AcceptedKeys.Add("sk-user-own-key-99998888");
        await Credentials.AddAsync(userId, new NewCredential("openai", "Mine", "sk-user-own-key-99998888", _fixture.Upstream.OpenAIBaseUrl), Ct);

        await _fixture.Gateway.CompleteAsync(userId.Ask("openai/gpt-4o-mini", "Hello, world!"), Ct);

        Assert.Equal("sk-user-own-key-99998888", _fixture.Upstream.Requests[^1].ApiKey);
    }

    [Fact]
    public async Task A_rejected_key_is_not_saved_and_the_reason_is_on_the_key_field()
    {
        var userId = await NewUserAsync();

        var (saved, errors) = await Credentials.AddAsync(userId, CustomEndpoint("Wrong", key: "sk-wrong-key-12345678"), Ct);

        Assert.Null(saved);
        Assert.Equal(["Wrong rejected this key."], errors.For(CredentialRules.KeyField));
        Assert.Empty(await Credentials.ListAsync(userId, Ct));
    }

    [Fact]
    public async Task An_unreachable_endpoint_is_reported_on_the_base_url()
    {
        var userId = await NewUserAsync();

        var (_, errors) = await Credentials.AddAsync(userId, CustomEndpoint("Nowhere", baseUrl: "http://127.0.0.1:1/v1"), Ct);

        Assert.Equal(["Could not reach Nowhere at this address. Check the base URL."], errors.For(CredentialRules.BaseUrlField));
    }

    [Fact]
    public async Task A_key_that_cannot_be_checked_now_can_be_saved_without_checking_and_that_is_audited()
    {
        var userId = await NewUserAsync();
        var offline = CustomEndpoint("Offline lab", baseUrl: "http://127.0.0.1:1/v1");
        Assert.NotEmpty((await Credentials.AddAsync(userId, offline, Ct)).Errors.For(CredentialRules.BaseUrlField));

        var (saved, errors) = await Credentials.AddAsync(userId, offline with { Unchecked = true }, Ct);

        Assert.True(errors.IsEmpty);
        Assert.Equal("offline-lab", saved!.Provider);
        Assert.Equal("offline-lab", Assert.Single(await Credentials.ListAsync(userId, Ct)).Provider);
        var audited = await _fixture.Services.GetRequiredService<MrPrompt.Infrastructure.Audit.AuditLog>()
            .ListAsync(TestUsers.AsAdmin(Guid.Empty), new(Action: MrPrompt.Domain.Accounts.AuditActions.CredentialAdded, Search: "Offline lab"), Ct);
        Assert.Contains("saved without checking", Assert.Single(audited).Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_input_is_refused_before_any_call()
    {
        var userId = await NewUserAsync();

        var (_, errors) = await Credentials.AddAsync(userId, new NewCredential("custom", "", "has space", "ftp://x", DateTimeOffset.UtcNow.AddDays(-1)), Ct);

        Assert.NotEmpty(errors.For(CredentialRules.NameField));
        Assert.NotEmpty(errors.For(CredentialRules.KeyField));
        Assert.NotEmpty(errors.For(CredentialRules.BaseUrlField));
        Assert.NotEmpty(errors.For(CredentialRules.ExpiresAtField));
        Assert.Empty(_fixture.Upstream.Requests);
    }

    [Fact]
    public async Task A_second_key_for_the_same_provider_is_refused()
    {
        var userId = await NewUserAsync();
        await Credentials.AddAsync(userId, CustomEndpoint("Twice"), Ct);

        var (_, errors) = await Credentials.AddAsync(userId, CustomEndpoint("Twice"), Ct);

        Assert.Equal(["You already have an endpoint with this name."], errors.For(CredentialRules.NameField));
    }

    [Fact]
    public async Task A_custom_endpoint_cannot_take_a_built_in_providers_name()
    {
        var userId = await NewUserAsync();

        var (saved, errors) = await Credentials.AddAsync(userId, CustomEndpoint("OpenAI"), Ct);

        Assert.Null(saved);
        Assert.Equal(["That name belongs to a built-in provider. Choose another name."], errors.For(CredentialRules.NameField));
    }

    [Fact]
    public async Task The_list_shows_the_last_characters_and_warns_before_expiry()
    {
        var userId = await NewUserAsync();
        var soon = DateTimeOffset.UtcNow.AddDays(3);
        await Credentials.AddAsync(userId, CustomEndpoint("Soon") with { ExpiresAt = soon }, Ct);

        var listed = Assert.Single(await Credentials.ListAsync(userId, Ct));

        Assert.Equal(("abcd", CredentialStatus.ExpiringSoon, "Soon"), (listed.KeyHint, listed.Status, listed.Name));
    }

    [Fact]
    public async Task Calls_use_a_replaced_key_at_once_and_a_deleted_one_no_more()
    {
        var owner = await NewUserAsync();
        var (saved, _) = await Credentials.AddAsync(owner, CustomEndpoint("Cached"), Ct);
        await _fixture.Gateway.StreamAsync(owner.Ask("cached/gpt-4o-mini"), Ct).CollectAsync(); // the lookup is now remembered
        _fixture.Upstream.AcceptedKeys.Add("sk-rotated-key-55554444");

        await Credentials.ReplaceAsync(owner, saved!.Id, "sk-rotated-key-55554444", null, Ct);
        _fixture.Upstream.Reset();
        var (_, afterReplace) = await _fixture.Gateway.StreamAsync(owner.Ask("cached/gpt-4o-mini"), Ct).CollectAsync();
        var keyUsed = _fixture.Upstream.Requests.Single(r => r.IsChat).ApiKey;
        await Credentials.DeleteAsync(owner, saved.Id, Ct);
        var (_, afterDelete) = await _fixture.Gateway.StreamAsync(owner.Ask("cached/gpt-4o-mini"), Ct).CollectAsync();

        Assert.IsType<GatewayCompleted>(afterReplace);
        Assert.Equal("sk-rotated-key-55554444", keyUsed);
        Assert.IsType<GatewayFailed>(afterDelete);
    }

    [Fact]
    public async Task Replacing_checks_the_new_key_and_deleting_removes_it_only_for_its_owner()
    {
        var owner = await NewUserAsync();
        var stranger = await NewUserAsync();
        var (saved, _) = await Credentials.AddAsync(owner, CustomEndpoint("Rotating"), Ct);

        var rejected = await Credentials.ReplaceAsync(owner, saved!.Id, "sk-wrong-key-12345678", null, Ct);
        Assert.NotEmpty(rejected.For(CredentialRules.KeyField));
        _fixture.Upstream.AcceptedKeys.Add("sk-rotated-key-77776666");
        Assert.True((await Credentials.ReplaceAsync(owner, saved.Id, "sk-rotated-key-77776666", null, Ct)).IsEmpty);
        Assert.Equal("6666", (await Credentials.ListAsync(owner, Ct)).Single().KeyHint);

        Assert.False(await Credentials.DeleteAsync(stranger, saved.Id, Ct));
        Assert.NotEmpty(await Credentials.ReplaceAsync(stranger, saved.Id, "sk-rotated-key-77776666", null, Ct).ContinueWith(t => t.Result.For(CredentialRules.KeyField), Ct));
        Assert.True(await Credentials.DeleteAsync(owner, saved.Id, Ct));
        Assert.Empty(await Credentials.ListAsync(owner, Ct));
    }

    [Fact]
    public async Task A_key_that_can_no_longer_be_decrypted_asks_for_reentry_and_is_never_sent()
    {
        var userId = await NewUserAsync();
        var (saved, _) = await Credentials.AddAsync(userId, CustomEndpoint("Damaged"), Ct);
        await using (var db = await _fixture.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct))
        {
            var stored = await db.ApiCredentials.SingleAsync(c => c.Id == saved!.Id, Ct);
            stored.EncryptedKey = FlipOneBit(stored.EncryptedKey);
            await db.SaveChangesAsync(Ct);
        }
        _fixture.Upstream.Reset();

        var (_, last) = await _fixture.Gateway.StreamAsync(userId.Ask("damaged/gpt-4o-mini"), Ct).CollectAsync();

        var failed = Assert.IsType<GatewayFailed>(last);
        Assert.Equal(GatewayErrorCode.CredentialNeedsReentry, failed.Error.Code);
        Assert.Equal("Your key for Damaged can no longer be read. Re-enter it in Settings → Provider keys.", failed.Error.Message);
        Assert.Empty(_fixture.Upstream.Requests);
        Assert.Equal(CredentialStatus.NeedsReentry, (await Credentials.ListAsync(userId, Ct)).Single().Status);
    }

    [Fact]
    public async Task A_database_dump_holds_no_plaintext_key_and_no_unencrypted_key_ring()
    {
        var userId = await NewUserAsync();
        const string secret = "sk-secret-in-the-dump-check-5555";
        _fixture.Upstream.AcceptedKeys.Add(secret);
        await Credentials.AddAsync(userId, CustomEndpoint("Dumped", key: secret), Ct);

        var connectionString = _fixture.Services.GetRequiredService<DatabaseConnection>().ConnectionString;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        var dump = new System.Text.StringBuilder();
        foreach (var table in new[] { "api_credentials", "data_protection_keys", "prompt_usage_logs" })
        {
            await using var command = new NpgsqlCommand($"SELECT t::text FROM {table} t", connection);
            await using var reader = await command.ExecuteReaderAsync(Ct);
            while (await reader.ReadAsync(Ct))
            {
                dump.AppendLine(reader.GetString(0));
            }
        }

        Assert.DoesNotContain(secret, dump.ToString());
        Assert.DoesNotContain(secret[^12..], dump.ToString());
        Assert.Contains("encryptedSecret", dump.ToString()); // the key ring is stored encrypted by the certificate
        Assert.DoesNotContain("<masterKey", dump.ToString());
    }

    private static string FlipOneBit(string protectedText)
    {
        var bytes = Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlDecode(protectedText);
        bytes[bytes.Length / 2] ^= 0x01;
        return Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlEncode(bytes);
    }
}
