using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Chat;
using MrPrompt.Domain.Credentials;
using MrPrompt.Domain.Prompts;
using MrPrompt.Domain.Providers;
using MrPrompt.Infrastructure.ApiKeys;
using MrPrompt.Infrastructure.Chat;
using MrPrompt.Infrastructure.Credentials;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Persistence.RowSecurity;
using MrPrompt.Infrastructure.Prompts;
using MrPrompt.Infrastructure.Security;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Security;

/// <summary>
/// The attack suite's cross-user part: one account owns chats, compare runs, prompts, provider keys and API
/// keys, each holding a secret; two others try every path that loads something by id (HTTP with a cookie
/// and with an API key, page routes, and the service calls live pages make). Every probe must be refused
/// with 404 or 403, no answer may carry a secret, and afterwards nothing of the owner's has changed.
/// </summary>
public sealed class CrossUserProbeTests(MrPromptApp app) : IClassFixture<MrPromptApp>
{
    private static readonly int PerKind = 12 * AttackScale.Factor;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Victim(Guid Id, Guid[] Chats, Guid[] Messages, Guid[] Prompts, Guid[] CompareRuns, Guid[] Credentials, Guid[] ApiKeys);

    private async Task<Guid> RegisterAsync(HttpClient client, string email)
    {
        await AccountForms.RegisterAsync(client, email, "Passw0rd!");
        await using var scope = app.Services.CreateAsyncScope();
        return (await scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>().FindByEmailAsync(email))!.Id;
    }

    private async Task<Victim> SeedVictimAsync(Guid owner, string secret)
    {
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct);
        var now = DateTimeOffset.UtcNow;
        var chats = Enumerable.Range(0, PerKind).Select(i => new ChatSession { Id = Guid.NewGuid(), UserId = owner, Title = $"{secret} chat {i}", Model = "echo/echo", CreatedAt = now, UpdatedAt = now, LastActivityAt = now }).ToArray();
        var messages = chats.Select(c => new Message { Id = Guid.NewGuid(), SessionId = c.Id, Sequence = 1, Sender = MessageSender.User, Content = $"{secret} message" }).ToArray();
        var prompts = Enumerable.Range(0, PerKind).Select(i => new Prompt { Id = Guid.NewGuid(), OwnerId = owner, Key = $"secret-{i}", Title = $"{secret} prompt", LatestVersion = 1, CreatedAt = now, UpdatedAt = now }).ToArray();
        var versions = prompts.Select(p => new PromptVersion { Id = Guid.NewGuid(), PromptId = p.Id, Number = 1, UserTemplate = $"{secret} {{{{x}}}}", AuthorId = owner, CreatedAt = now }).ToArray();
        var runs = Enumerable.Range(0, PerKind).Select(_ => new CompareRun { Id = Guid.NewGuid(), UserId = owner, Prompt = $"{secret} compare", Models = ["echo/echo"], CreatedAt = now, UpdatedAt = now }).ToArray();
        var credentials = Enumerable.Range(0, PerKind).Select(i => new ApiCredential { Id = Guid.NewGuid(), UserId = owner, Provider = $"custom-{i}", Kind = ProviderKind.OpenAICompatible, Name = $"{secret} key {i}", EncryptedKey = "x", KeyHint = "…", CreatedAt = now, UpdatedAt = now }).ToArray();
        db.AddRange(chats);
        db.AddRange(messages);
        db.AddRange(prompts);
        db.AddRange(versions);
        db.AddRange(runs);
        db.AddRange(credentials);
        await db.SaveChangesAsync(Ct);
        var keys = new List<Guid>();
        for (var i = 0; i < PerKind; i++)
        {
            keys.Add((await app.Services.GetRequiredService<ApiKeyService>().CreateAsync(owner, $"{secret} bot", null, [], Ct)).Created!.Key.Id);
        }
        return new Victim(owner, [.. chats.Select(c => c.Id)], [.. messages.Select(m => m.Id)], [.. prompts.Select(p => p.Id)], [.. runs.Select(r => r.Id)],
            [.. credentials.Select(c => c.Id)], [.. keys]);
    }

    [Fact]
    public async Task Hundreds_of_probes_at_another_accounts_things_are_all_refused_and_change_nothing()
    {
        var secret = $"SECRET{Guid.NewGuid():N}";
        var owner = await RegisterAsync(app.CreateClient(), $"owner-{Guid.NewGuid():N}@example.com");
        var victim = await SeedVictimAsync(owner, secret);
        var browser = app.CreateClient();
        var attacker = await RegisterAsync(browser, $"attacker-{Guid.NewGuid():N}@example.com");
        var (keyAttacker, key) = await app.NewApiKeyAsync();
        var program = app.CreateClient();
        program.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);

        var refused = 0;
        var failures = new List<string>();
        async Task ProbeAsync(HttpClient client, HttpMethod method, string path, string? json = null)
        {
            using var request = new HttpRequestMessage(method, path);
            if (json is not null)
            {
                request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
            }
            using var response = await client.SendAsync(request, Ct);
            var body = await response.Content.ReadAsStringAsync(Ct);
            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden && !body.Contains(secret, StringComparison.Ordinal))
            {
                refused++;
            }
            else
            {
                failures.Add($"{method} {path}: {(int)response.StatusCode}{(body.Contains(secret, StringComparison.Ordinal) ? " with the secret" : "")}");
            }
        }
        void Check(bool wasRefused, string what)
        {
            if (wasRefused)
            {
                refused++;
            }
            else
            {
                failures.Add(what);
            }
        }

        foreach (var chat in victim.Chats) // export is for people signed in, not for keys
        {
            await ProbeAsync(browser, HttpMethod.Get, $"/api/chats/{chat}/export?format=md");
            await ProbeAsync(browser, HttpMethod.Get, $"/api/chats/{chat}/export?format=json");
        }
        foreach (var client in new[] { browser, program })
        {
            foreach (var prompt in victim.Prompts)
            {
                await ProbeAsync(client, HttpMethod.Get, $"/api/prompts/{prompt}");
                await ProbeAsync(client, HttpMethod.Post, $"/api/prompts/{prompt}/versions", """{"userTemplate":"mine now {{x}}"}""");
                await ProbeAsync(client, HttpMethod.Put, $"/api/prompts/{prompt}/labels/production", """{"version":1}""");
            }
            await ProbeAsync(client, HttpMethod.Post, $"/api/admin/users/{victim.Id}/unlock");
            await ProbeAsync(client, HttpMethod.Post, $"/api/admin/users/{victim.Id}/password-reset-link");
        }
        foreach (var (route, ids) in new[] { ("chat", victim.Chats), ("prompts", victim.Prompts), ("compare", victim.CompareRuns) })
        {
            foreach (var id in ids)
            {
                await ProbeAsync(browser, HttpMethod.Get, $"/{route}/{id}");
            }
        }

        // What a live page's handlers call, as the attacker's page would (its events run as its account).
        using (DataScope.ForUser(attacker))
        {
            var sessions = app.Services.GetRequiredService<ChatSessionStore>();
            var chatService = app.Services.GetRequiredService<ChatService>();
            var compare = app.Services.GetRequiredService<CompareService>();
            var library = app.Services.GetRequiredService<PromptLibrary>();
            var editor = app.Services.GetRequiredService<PromptEditor>();
            var credentials = app.Services.GetRequiredService<CredentialService>();
            var apiKeys = app.Services.GetRequiredService<ApiKeyService>();
            foreach (var (chat, message) in victim.Chats.Zip(victim.Messages))
            {
                Check(await sessions.GetAsync(attacker, chat, Ct) is null, $"chat {chat} read");
                Check(await sessions.GetMessageAsync(attacker, message, Ct) is null, $"message {message} read");
                Check(await sessions.RenameAsync(attacker, chat, "mine", Ct) is { Kind: ChatProblemKind.NotFound }, $"chat {chat} renamed");
                Check(!await sessions.DeleteAsync(attacker, chat, Ct), $"chat {chat} deleted");
                Check((await sessions.ContinueFromAsync(attacker, chat, Ct)).Problem is { Kind: ChatProblemKind.NotFound }, $"chat {chat} continued");
                Check((await chatService.SendAsync(attacker, chat, "hello", null, Ct)).Problem is { Kind: ChatProblemKind.NotFound }, $"chat {chat} sent to");
                Check((await chatService.RegenerateAsync(attacker, chat, Ct)).Problem is { Kind: ChatProblemKind.NotFound }, $"chat {chat} regenerated");
                Check((await chatService.EditAndResendAsync(attacker, message, "edited", Ct)).Problem is { Kind: ChatProblemKind.NotFound }, $"message {message} edited");
            }
            foreach (var prompt in victim.Prompts)
            {
                Check((await library.GetAsync(attacker, prompt, Ct)).Problem is { Kind: PromptProblemKind.NotFound }, $"prompt {prompt} read");
                Check((await library.StatsAsync(attacker, prompt, Ct)).Count == 0, $"prompt {prompt} stats");
                Check((await editor.RestoreAsync(attacker, prompt, 1, Ct)).Problem is { Kind: PromptProblemKind.NotFound }, $"prompt {prompt} restored");
                Check((await editor.MoveLabelAsync(attacker, prompt, "production", 1, Ct)).Problem is { Kind: PromptProblemKind.NotFound }, $"prompt {prompt} labelled");
                Check((await editor.RemoveLabelAsync(attacker, prompt, "production", Ct)).Problem is { Kind: PromptProblemKind.NotFound }, $"prompt {prompt} unlabelled");
                Check((await editor.DuplicateAsync(attacker, prompt, Ct)).Problem is { Kind: PromptProblemKind.NotFound }, $"prompt {prompt} duplicated");
                Check((await editor.DeleteAsync(attacker, prompt, Ct)).Problem is { Kind: PromptProblemKind.NotFound }, $"prompt {prompt} deleted");
            }
            foreach (var run in victim.CompareRuns)
            {
                Check(await compare.GetAsync(attacker, run, Ct) is null, $"compare run {run} read");
            }
            foreach (var credential in victim.Credentials)
            {
                Check(!await credentials.DeleteAsync(attacker, credential, Ct), $"credential {credential} deleted");
            }
            foreach (var apiKey in victim.ApiKeys)
            {
                Check(!await apiKeys.RevokeAsync(attacker, apiKey, Ct), $"API key {apiKey} revoked");
            }
        }

        var probes = refused + failures.Count;
        TestContext.Current.TestOutputHelper?.WriteLine($"cross-user probes: {probes}, refused {refused} ({100.0 * refused / probes:F1} %), by two attackers ({attacker}, {keyAttacker})");
        Assert.True(failures.Count == 0, $"{failures.Count} probes not refused:\n{string.Join("\n", failures)}");
        Assert.True(probes >= 300, $"only {probes} probes");
        using (DataScope.AsSystem("test: the owner's things are intact"))
        {
            await using var db = await app.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct);
            Assert.Equal(PerKind, await db.ChatSessions.CountAsync(c => c.UserId == owner && c.Title.StartsWith(secret), Ct));
            Assert.Equal(PerKind, await db.Messages.CountAsync(m => victim.Messages.Contains(m.Id) && m.Content == $"{secret} message", Ct));
            Assert.Equal(PerKind, await db.Prompts.CountAsync(p => p.OwnerId == owner && p.LatestVersion == 1, Ct));
            Assert.Equal(0, await db.PromptLabels.CountAsync(l => victim.Prompts.Contains(l.PromptId), Ct));
            Assert.Equal(PerKind, await db.ApiCredentials.CountAsync(c => c.UserId == owner, Ct));
            Assert.Equal(PerKind, await db.PersonalApiKeys.CountAsync(k => k.UserId == owner && k.RevokedAt == null, Ct));
            Assert.Equal(0, await db.Prompts.CountAsync(p => p.OwnerId == attacker || p.OwnerId == keyAttacker, Ct));
        }
    }
}
