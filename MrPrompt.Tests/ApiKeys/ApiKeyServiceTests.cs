using MrPrompt.Infrastructure.Accounts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MrPrompt.Domain.ApiKeys;
using MrPrompt.Infrastructure.ApiKeys;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.ApiKeys;

/// <summary>Personal API keys on real Postgres: shown once, stored hashed, and refused once revoked, expired or disabled.</summary>
public sealed class ApiKeyServiceTests(ChatFixture fixture) : IClassFixture<ChatFixture>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private ApiKeyService Keys => fixture.Services.GetRequiredService<ApiKeyService>();

    [Fact]
    public async Task A_new_key_is_shown_once_and_only_its_hash_is_stored()
    {
        var user = await fixture.NewUserAsync();

        var created = (await Keys.CreateAsync(user, " CI pipeline ", null, [], Token)).Created!;

        Assert.StartsWith(ApiKeyRules.KeyPrefix, created.Secret, StringComparison.Ordinal);
        Assert.True(created.Secret.Length > 40);
        Assert.Equal(("CI pipeline", created.Secret[..10]), (created.Key.Name, created.Key.Prefix));
        await using var db = await fixture.DbAsync();
        var row = await db.PersonalApiKeys.AsNoTracking().SingleAsync(k => k.Id == created.Key.Id, Token);
        Assert.DoesNotContain(created.Secret[10..], row.Hash + row.Prefix + row.Name, StringComparison.Ordinal);
        Assert.Equal(user, (await Keys.AuthenticateAsync(created.Secret, Token))!.UserId);
    }

    [Fact]
    public async Task Unknown_revoked_and_expired_keys_are_refused()
    {
        var user = await fixture.NewUserAsync();
        // The same keys on a clock the test moves, so expiry takes no waiting.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var keys = ActivatorUtilities.CreateInstance<ApiKeyService>(fixture.Services, (TimeProvider)clock);
        var revoked = (await keys.CreateAsync(user, "old", null, [], Token)).Created!;
        var expiring = (await keys.CreateAsync(user, "short", clock.GetUtcNow().AddSeconds(1), [], Token)).Created!;
        Assert.Equal(user, (await keys.AuthenticateAsync(expiring.Secret, Token))!.UserId);

        Assert.True(await keys.RevokeAsync(user, revoked.Key.Id, cancellationToken: Token));
        clock.Advance(TimeSpan.FromSeconds(1.1));

        Assert.Null(await keys.AuthenticateAsync(revoked.Secret, Token));
        Assert.Null(await keys.AuthenticateAsync(expiring.Secret, Token));
        Assert.Null(await keys.AuthenticateAsync(revoked.Secret[..^2] + "xx", Token));
        Assert.Null(await keys.AuthenticateAsync("sk-not-ours", Token));
    }

    [Fact]
    public async Task A_disabled_accounts_keys_stop_working_at_once()
    {
        var user = await fixture.NewUserAsync();
        var key = (await Keys.CreateAsync(user, "bot", null, [], Token)).Created!;
        Assert.NotNull(await Keys.AuthenticateAsync(key.Secret, Token));

        var directory = fixture.Services.GetRequiredService<AccountDirectory>();
        Assert.Null(await directory.SetDisabledAsync(TestUsers.AsAdmin(user), user, disabled: true, Token));
        var whileDisabled = await Keys.AuthenticateAsync(key.Secret, Token);
        await directory.SetDisabledAsync(TestUsers.AsAdmin(user), user, disabled: false, Token);

        Assert.Null(whileDisabled);
        Assert.NotNull(await Keys.AuthenticateAsync(key.Secret, Token));
    }

    [Fact]
    public async Task Users_see_and_revoke_only_their_own_keys_and_admins_see_every_key()
    {
        var owner = await fixture.NewUserAsync();
        var other = await fixture.NewUserAsync();
        var key = (await Keys.CreateAsync(owner, "mine", null, ["openai/gpt-4o-mini"], Token)).Created!;

        Assert.False(await Keys.RevokeAsync(other, key.Key.Id, cancellationToken: Token));
        Assert.Empty(await Keys.ListAsync(other, Token));
        var listed = Assert.Single(await Keys.ListAsync(owner, Token));
        Assert.Equal(["openai/gpt-4o-mini"], listed.AllowedModels);
        Assert.Contains(await Keys.ListAllAsync(TestUsers.AsAdmin(fixture.UserId), Token), k => k.Id == key.Key.Id && k.OwnerEmail!.StartsWith("chat-", StringComparison.Ordinal));
        Assert.True(await Keys.RevokeAnyAsync(TestUsers.AsAdmin(fixture.UserId), key.Key.Id, Token));
        Assert.Null(await Keys.AuthenticateAsync(key.Secret, Token));
    }

    [Fact]
    public async Task Bad_requests_name_the_field_and_create_nothing()
    {
        var user = await fixture.NewUserAsync();

        var created = await Keys.CreateAsync(user, " ", DateTimeOffset.UtcNow.AddDays(-1), ["gpt-4o"], Token);

        Assert.Null(created.Created);
        Assert.NotEmpty(created.Errors.For("Name"));
        Assert.NotEmpty(created.Errors.For("ExpiresAt"));
        Assert.Contains("'gpt-4o'", created.Errors.For("AllowedModels")[0], StringComparison.Ordinal);
        Assert.Empty(await Keys.ListAsync(user, Token));
    }

    [Fact]
    public async Task Last_use_is_recorded()
    {
        var user = await fixture.NewUserAsync();
        var key = (await Keys.CreateAsync(user, "bot", null, [], Token)).Created!;
        Assert.Null(key.Key.LastUsedAt);

        await Keys.AuthenticateAsync(key.Secret, Token);

        Assert.NotNull(Assert.Single(await Keys.ListAsync(user, Token)).LastUsedAt);
    }
}
