using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Chat;
using MrPrompt.Infrastructure.Chat;
using MrPrompt.Infrastructure.Generation;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Prompts;
using MrPrompt.Infrastructure.Security;
using MrPrompt.Domain.Accounts;

namespace MrPrompt.Tests.Support;

/// <summary>
/// The gateway fixture plus the chat services, with a small-context model for trimming tests
/// (<c>openai/gpt-4o</c>, 400 tokens) and quick partial-text checkpoints.
/// </summary>
public class ChatFixture(PostgresServer server) : GatewayFixture(server)
{
    public const string SmallContextModel = "openai/gpt-4o";
    public const string OpenAIModel = "openai/gpt-4o-mini";

    public ChatService Chat => Services.GetRequiredService<ChatService>();
    public ChatSessionStore Sessions => Services.GetRequiredService<ChatSessionStore>();
    public CompareService Compare => Services.GetRequiredService<CompareService>();
    public GenerationRunner Runner => Services.GetRequiredService<GenerationRunner>();
    public PromptEditor PromptEditor => Services.GetRequiredService<PromptEditor>();
    public PromptLibrary PromptLibrary => Services.GetRequiredService<PromptLibrary>();
    public PromptRunner PromptRunner => Services.GetRequiredService<PromptRunner>();

    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["Providers:openai:Models:1"] = null;
        settings["Providers:openai:Models:1:Id"] = "gpt-4o";
        settings["Providers:openai:Models:1:ContextWindow"] = "400";
        settings["Chat:AnswerReserveTokens"] = "100";
        settings["Chat:PersistIntervalMilliseconds"] = "100";
        settings["Jobs:MaxOpenPerUser"] = "3";
    }

    public async Task<Guid> NewUserAsync() => await TestUsers.RegisterAsync(Services, $"chat-{Guid.NewGuid():N}@example.com");

    /// <summary>A new account with the Author role, which may publish prompts.</summary>
    public async Task<Guid> NewAuthorAsync()
    {
        var id = await NewUserAsync();
        await using var scope = Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var user = await users.FindByIdAsync(id.ToString());
        await users.RemoveFromRolesAsync(user!, await users.GetRolesAsync(user!));
        await users.AddToRoleAsync(user!, AppRoles.Author);
        return id;
    }

    /// <summary>Waits until the answer is settled and returns it as saved.</summary>
    public async Task<Message> FinishedAsync(Guid messageId)
    {
        if (Runner.Find(messageId) is { } live)
        {
            await live.Finished.WaitAsync(TimeSpan.FromSeconds(30));
        }
        return (await MessageAsync(messageId))!;
    }

    public async Task<Message?> MessageAsync(Guid messageId)
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await db.Messages.AsNoTracking().FirstOrDefaultAsync(m => m.Id == messageId);
    }

    public async Task<AppDbContext> DbAsync() =>
        await Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
}
