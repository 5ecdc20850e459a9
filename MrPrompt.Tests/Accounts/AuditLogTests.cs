using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Accounts;
using MrPrompt.Domain.Prompts;
using MrPrompt.Domain.Providers;
using MrPrompt.Infrastructure.Accounts;
using MrPrompt.Infrastructure.ApiKeys;
using MrPrompt.Infrastructure.Audit;
using MrPrompt.Infrastructure.Credentials;
using MrPrompt.Infrastructure.Prompts;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Accounts;

/// <summary>The audit log on real Postgres: each recorded action, who and what, filters, and never a secret.</summary>
public sealed class AuditLogTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private T Get<T>() where T : notnull => fixture.Services.GetRequiredService<T>();

    [Fact]
    public async Task Keys_credentials_roles_accounts_and_publishing_are_recorded_without_secrets()
    {
        var admin = fixture.UserId;
        var member = await TestUsers.RegisterAsync(fixture.Services, $"audited-{Guid.NewGuid():N}@example.com");
        await TestUsers.SetRoleAsync(fixture.Services, admin, AppRoles.Admin);

        var key = (await Get<ApiKeyService>().CreateAsync(member, "ci bot", null, [], Ct)).Created!;
        await Get<ApiKeyService>().RevokeAnyAsync(TestUsers.AsAdmin(admin), key.Key.Id, Ct);
        var (credential, _) = await Get<CredentialService>().AddAsync(member,
            new NewCredential(ProviderPreset.CustomId, "Audited", FakeProviderServer.ValidKey, fixture.Upstream.OpenAIBaseUrl), Ct);
        await Get<CredentialService>().DeleteAsync(member, credential!.Id, Ct);
        await Get<AccountDirectory>().ChangeRoleAsync(TestUsers.AsAdmin(admin), member, AppRoles.Author, Ct);
        await Get<PromptEditor>().CreateAsync(member, new PromptDetails($"shared-{Guid.NewGuid():N}"[..20], "Shared", "", [], PromptVisibility.Public),
            new PromptContent("", "Hello {{name}}", "echo/echo"), cancellationToken: Ct);
        await Get<AccountDirectory>().SetDisabledAsync(TestUsers.AsAdmin(admin), member, disabled: true, Ct);

        var memberEvents = (await Get<AuditLog>().ListAsync(TestUsers.AsAdmin(admin), new AuditQuery(), Ct)).Where(e => e.TargetId == member || e.ActorId == member).ToList();
        var all = await Get<AuditLog>().ListAsync(TestUsers.AsAdmin(admin), new AuditQuery(), Ct);
        var mine = all.Where(e => e.Detail.Contains("audited-", StringComparison.Ordinal) || e.ActorId == member || e.TargetId == key.Key.Id || e.TargetId == credential.Id).ToList();

        Assert.Equal(
            [AuditActions.ApiKeyCreated, AuditActions.ApiKeyRevoked, AuditActions.CredentialAdded, AuditActions.CredentialDeleted,
             AuditActions.RoleChanged, AuditActions.PromptPublished, AuditActions.AccountDisabled],
            mine.OrderBy(e => e.At).Select(e => e.Action));
        var revoked = mine.Single(e => e.Action == AuditActions.ApiKeyRevoked);
        Assert.Equal(admin, revoked.ActorId);
        Assert.Contains("User → Author", mine.Single(e => e.Action == AuditActions.RoleChanged).Detail, StringComparison.Ordinal);
        Assert.All(mine, e => Assert.DoesNotContain(key.Secret, e.Detail + e.ActorEmail, StringComparison.Ordinal));
        Assert.All(mine, e => Assert.DoesNotContain(FakeProviderServer.ValidKey, e.Detail, StringComparison.Ordinal));
        Assert.NotEmpty(memberEvents);
    }

    [Fact]
    public async Task The_log_filters_by_action_and_by_words_newest_first()
    {
        var audit = Get<AuditLog>();
        var marker = Guid.NewGuid().ToString("N");
        await audit.RecordAsync(AuditActions.SignInFailed, null, $"{marker}@example.com", null, "wrong email or password", "203.0.113.7");
        await audit.RecordAsync(AuditActions.SignIn, fixture.UserId, $"{marker}@example.com", fixture.UserId, "signed in", "203.0.113.7");

        var byWords = await audit.ListAsync(TestUsers.AsAdmin(Guid.Empty), new AuditQuery(Search: marker), Ct);
        var failedOnly = await audit.ListAsync(TestUsers.AsAdmin(Guid.Empty), new AuditQuery(AuditActions.SignInFailed, marker), Ct);
        var future = await audit.ListAsync(TestUsers.AsAdmin(Guid.Empty), new AuditQuery(Search: marker, From: DateTimeOffset.UtcNow.AddHours(1)), Ct);

        Assert.Equal([AuditActions.SignIn, AuditActions.SignInFailed], byWords.Select(e => e.Action));
        Assert.Equal("203.0.113.7", Assert.Single(failedOnly).Source);
        Assert.Null(failedOnly[0].ActorId);
        Assert.Empty(future);
    }
}
