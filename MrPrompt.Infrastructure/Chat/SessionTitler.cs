using Microsoft.EntityFrameworkCore;
using MrPrompt.Domain.Chat;
using MrPrompt.Domain.Prompts;
using MrPrompt.Domain.Providers;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Gateway;
using MrPrompt.Infrastructure.Gateway.Providers;
using MrPrompt.Infrastructure.Generation;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Prompts;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using AiChatRole = Microsoft.Extensions.AI.ChatRole;

namespace MrPrompt.Infrastructure.Chat;

/// <summary>
/// Names a chat after its first exchange with a short call to the chat's own model, using the
/// code-defined <c>chat-title</c> prompt. Until then, or if
/// that call fails, the chat keeps the first words of its first message.
/// </summary>
public sealed class SessionTitler(IChatGateway gateway, IDbContextFactory<AppDbContext> contexts, ProviderCatalog providers, ChatEvents events)
{
    private const int ExcerptLength = 1500;

    private static readonly PromptTemplate ExchangeTemplate = PromptTemplate.Parse(CodePrompts.ChatTitle.Content.UserTemplate).Template!;

    public async Task TitleAfterFirstAnswerAsync(GenerationOutcome outcome)
    {
        if (outcome.Status != MessageStatus.Complete || outcome.Result is null)
        {
            return;
        }
        await using var db = await contexts.CreateDbContextAsync();
        // The question this answer replied to: after an edit of the first message, not the first one ever asked.
        var question = await db.Messages
            .Where(m => m.SessionId == outcome.SessionId && m.Sender == MessageSender.User
                && db.Messages.Any(a => a.Id == outcome.MessageId && a.ParentId == m.Id))
            .Select(m => m.Content).FirstOrDefaultAsync();
        var model = new ModelRef(outcome.Result.Provider, outcome.Result.Model);
        // The offline demo would only echo the request back; the first words are the better title.
        if (question is null || providers.Find(model.Provider)?.Kind == ProviderKind.Echo)
        {
            return;
        }

        var prompt = CodePrompts.ChatTitle.Content;
        var exchange = ExchangeTemplate.Render(new Dictionary<string, object?>
        {
            ["question"] = Excerpt(question),
            ["answer"] = Excerpt(outcome.Text),
        });
        var answer = await gateway.CompleteAsync(new GatewayRequest
        {
            UserId = outcome.UserId,
            Model = model,
            Messages =
            [
                new AiChatMessage(AiChatRole.System, prompt.SystemPrompt),
                new AiChatMessage(AiChatRole.User, exchange.Text!),
            ],
            MaxOutputTokens = prompt.MaxOutputTokens,
            Source = UsageSource.Background,
            ChatSessionId = outcome.SessionId,
        });
        if (ChatRules.CleanGeneratedTitle(answer.Result?.Text) is not { } title)
        {
            return;
        }
        // A title the user set meanwhile wins.
        var changed = await db.ChatSessions
            .Where(s => s.Id == outcome.SessionId && s.TitleIsProvisional)
            .ExecuteUpdateAsync(set => set.SetProperty(s => s.Title, title).SetProperty(s => s.TitleIsProvisional, false));
        if (changed > 0)
        {
            events.RaiseSessionsChanged(outcome.UserId);
        }
    }

    private static string Excerpt(string text) => text.Length <= ExcerptLength ? text : text[..ExcerptLength] + "…";
}
