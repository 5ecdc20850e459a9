using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Chat;
using MrPrompt.Infrastructure.Chat;
using MrPrompt.Infrastructure.Generation;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Web;

/// <summary>Share links through the real HTTP pipeline: read signed out, sanitized, a snapshot, and gone once revoked or expired.</summary>
public sealed class ShareLinkTests(MrPromptApp app) : IClassFixture<MrPromptApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ChatShares Shares => app.Services.GetRequiredService<ChatShares>();

    private async Task<(Guid User, Guid Session)> EchoChatAsync(string text, string? systemPrompt = null)
    {
        var user = await TestUsers.RegisterAsync(app.Services);
        var exchange = (await app.Services.GetRequiredService<ChatService>()
            .StartChatAsync(user, new SessionSettings("echo/echo", systemPrompt), text, Ct)).Value!;
        await app.Services.GetRequiredService<GenerationRunner>().Find(exchange.AssistantMessageId)!.Finished.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        return (user, exchange.SessionId);
    }

    [Fact]
    public async Task Anyone_reads_a_shared_chat_signed_out_as_it_was_when_shared_sanitized()
    {
        var (user, session) = await EchoChatAsync("Look: <img src=x onerror=alert(1)> **bold** — Grüße 東京", systemPrompt: "Top secret instructions");
        var share = (await Shares.CreateAsync(user, session, ShareLifetime.SevenDays, Ct)).Value!;
        var chat = app.Services.GetRequiredService<ChatService>();
        var later = (await chat.SendAsync(user, session, "Written after sharing", Ct)).Value!;
        await app.Services.GetRequiredService<GenerationRunner>().Find(later.AssistantMessageId)!.Finished.WaitAsync(TimeSpan.FromSeconds(20), Ct);

        using var anonymous = app.CreateClient();
        using var response = await anonymous.GetAsync($"/share/{share.Token}", Ct);
        var html = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Grüße 東京", html, StringComparison.Ordinal);
        Assert.Contains("<strong>bold</strong>", html, StringComparison.Ordinal); // the answer, as Markdown
        Assert.DoesNotMatch("<[^>]*onerror", html);
        Assert.Contains("&lt;img src=x", html, StringComparison.Ordinal); // the question, as text
        Assert.DoesNotContain("Written after sharing", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Top secret instructions", html, StringComparison.Ordinal);
        Assert.Contains("noindex", html, StringComparison.Ordinal);
        Assert.Equal(2, Assert.Single(await Shares.ListAsync(user, session, Ct)).Messages);
    }

    [Fact]
    public async Task A_revoked_an_expired_or_an_unknown_link_is_a_404_and_only_the_owner_revokes()
    {
        var (user, session) = await EchoChatAsync("Share then revoke");
        var revoked = (await Shares.CreateAsync(user, session, ShareLifetime.Forever, Ct)).Value!;
        var expiring = (await Shares.CreateAsync(user, session, ShareLifetime.OneDay, Ct)).Value!;
        var stranger = await TestUsers.RegisterAsync(app.Services);
        using var anonymous = app.CreateClient();

        Assert.False(await Shares.RevokeAsync(stranger, revoked.Id, Ct));
        Assert.Empty(await Shares.ListAsync(stranger, session, Ct));
        Assert.Equal(ChatProblemKind.NotFound, (await Shares.CreateAsync(stranger, session, ShareLifetime.Forever, Ct)).Problem!.Kind);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync($"/share/{revoked.Token}", Ct)).StatusCode);

        Assert.True(await Shares.RevokeAsync(user, revoked.Id, Ct));
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct))
        {
            using var system = MrPrompt.Infrastructure.Persistence.RowSecurity.DataScope.AsSystem("test: a link past its expiry");
            await db.ChatShares.Where(s => s.Id == expiring.Id).ExecuteUpdateAsync(set => set.SetProperty(s => s.ExpiresAt, DateTimeOffset.UtcNow.AddMinutes(-1)), Ct);
        }

        foreach (var token in new[] { revoked.Token, expiring.Token, "not-a-token-but-long-enough-0123456789", "x" })
        {
            using var response = await anonymous.GetAsync($"/share/{token}", Ct);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            var html = await response.Content.ReadAsStringAsync(Ct);
            Assert.Contains("Not found", html, StringComparison.Ordinal);
            Assert.DoesNotContain("Share then revoke", html, StringComparison.Ordinal);
        }
        var states = (await Shares.ListAsync(user, session, Ct)).Select(s => (s.Id, s.IsOpen, s.RevokedAt is not null)).ToList();
        Assert.Equal([(expiring.Id, false, false), (revoked.Id, false, true)], states);
    }

    [Fact]
    public async Task A_disabled_accounts_links_stop_working()
    {
        var (user, session) = await EchoChatAsync("Shared then disabled");
        var share = (await Shares.CreateAsync(user, session, ShareLifetime.Forever, Ct)).Value!;
        var admin = await TestUsers.RegisterAsync(app.Services);
        await TestUsers.SetRoleAsync(app.Services, admin, MrPrompt.Domain.Accounts.AppRoles.Admin);

        Assert.Null(await app.Services.GetRequiredService<MrPrompt.Infrastructure.Accounts.AccountDirectory>().SetDisabledAsync(TestUsers.AsAdmin(admin), user, true, Ct));

        using var response = await app.CreateClient().GetAsync($"/share/{share.Token}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Deleting_the_chat_deletes_its_links()
    {
        var (user, session) = await EchoChatAsync("Short-lived");
        var share = (await Shares.CreateAsync(user, session, ShareLifetime.Forever, Ct)).Value!;

        Assert.True(await app.Services.GetRequiredService<ChatSessionStore>().DeleteAsync(user, session, Ct));

        Assert.Null(await Shares.OpenAsync(share.Token, Ct));
        using var response = await app.CreateClient().GetAsync($"/share/{share.Token}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
