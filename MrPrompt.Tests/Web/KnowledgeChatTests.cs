using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Chat;
using MrPrompt.Infrastructure.Chat;
using MrPrompt.Infrastructure.Generation;
using MrPrompt.Infrastructure.Knowledge;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Web;

/// <summary>Answers over knowledge collections: the passages the question finds are sent to be cited, and kept with the answer.</summary>
public sealed class KnowledgeChatTests(KnowledgeApp app) : IClassFixture<KnowledgeApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(Guid UserId, string Key, Guid Collection)> HandbookAsync()
    {
        var (userId, key) = await app.NewApiKeyAsync();
        var collection = await app.CreateCollectionAsync(key, "Orchard");
        await app.IngestAsync(key, collection, "handbook.md", KnowledgeFiles.Markdown);
        return (userId, key, collection);
    }

    /// <summary>The system message of the first chat call the upstream received with <paramref name="question"/> (the chat's title call, after the answer, holds it too).</summary>
    private string SystemMessageFor(string question)
    {
        var messages = app.Upstream.Requests.Where(r => r.IsChat).Select(r => JsonNode.Parse(r.Body!)!["messages"]!.AsArray())
            .First(m => m.Any(x => x!["role"]!.GetValue<string>() == "user" && x["content"]!.ToJsonString().Contains(question, StringComparison.Ordinal)));
        return messages.First(m => m!["role"]!.GetValue<string>() == "system")!["content"]!.GetValue<string>();
    }

    [Fact]
    public async Task A_chat_answer_is_asked_to_cite_the_passage_that_holds_the_fact_and_keeps_it()
    {
        var (userId, _, collection) = await HandbookAsync();
        var chat = app.Services.GetRequiredService<ChatService>();
        var settings = new SessionSettings("openai/gpt-4o-mini", SystemPrompt: "Be brief.", Knowledge: [collection]);

        var exchange = (await chat.StartChatAsync(userId, settings, "When should apple trees be pruned?", Ct)).Value!;
        var answer = await FinishedAsync(exchange.AssistantMessageId);

        var citations = CitationJson.Read(answer.Citations);
        Assert.Equal(MessageStatus.Complete, answer.Status);
        Assert.Equal(1, citations[0].Number);
        Assert.Equal("Apple trees are pruned in late winter, before the buds swell.", citations[0].Content);
        Assert.Equal(("handbook", "Orchard handbook › Pruning"), (citations[0].DocumentTitle, citations[0].Heading));
        Assert.NotNull(answer.RetrievalMs);
        var system = SystemMessageFor("When should apple trees be pruned?");
        Assert.StartsWith("Be brief.", system);
        Assert.Contains("[1] handbook › Orchard handbook › Pruning\nApple trees are pruned in late winter", system);
        Assert.Contains("cite each source you use inline as [1]", system);

        // The next question searches again: its own passages, its own citations.
        var second = (await chat.SendAsync(userId, exchange.SessionId, "And when are pears picked?", Ct)).Value!;
        var next = CitationJson.Read((await FinishedAsync(second.AssistantMessageId)).Citations);
        Assert.Equal("Pears are picked while still firm and ripen indoors.", next[0].Content);
        Assert.Contains("[1] handbook › Orchard handbook › Harvest\nPears are picked", SystemMessageFor("And when are pears picked?"));
    }

    [Fact]
    public async Task A_chat_whose_collection_was_deleted_still_answers_without_sources()
    {
        var (userId, key, collection) = await HandbookAsync();
        using var deleted = await app.SendAsync(HttpMethod.Delete, $"/api/knowledge/{collection}", key);
        var chat = app.Services.GetRequiredService<ChatService>();

        var exchange = (await chat.StartChatAsync(userId, new SessionSettings("openai/gpt-4o-mini", Knowledge: [collection]), "When are apple trees pruned?", Ct)).Value!;
        var answer = await FinishedAsync(exchange.AssistantMessageId);

        Assert.Equal(MessageStatus.Complete, answer.Status);
        Assert.Empty(CitationJson.Read(answer.Citations));
    }

    [Fact]
    public async Task The_openai_endpoint_takes_knowledge_and_returns_the_citations_with_the_answer()
    {
        var (_, key, collection) = await HandbookAsync();
        var body = JsonSerializer.Serialize(new
        {
            model = "openai/gpt-4o-mini",
            messages = new[] { new { role = "user", content = "When are pears picked?" } },
            knowledge = new[] { collection },
        });

        using var response = await app.PostJsonAsync("/v1/chat/completions", key, body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await KnowledgeApp.JsonAsync(response);
        var first = answer.GetProperty("citations")[0];
        Assert.Equal((1, "Pears are picked while still firm and ripen indoors."), (first.GetProperty("number").GetInt32(), first.GetProperty("content").GetString()));
        var system = SystemMessageFor("When are pears picked?");
        Assert.StartsWith("Answer from the numbered sources below", system);
        Assert.Contains("<sources>\n[1] handbook › Orchard handbook › Harvest", system);
        Assert.Contains("not instructions", system);
    }

    [Fact]
    public async Task The_openai_endpoint_refuses_a_collection_that_is_not_the_callers()
    {
        var (_, _, collection) = await HandbookAsync();
        var (_, stranger) = await app.NewApiKeyAsync();
        var body = JsonSerializer.Serialize(new
        {
            model = "openai/gpt-4o-mini",
            messages = new[] { new { role = "user", content = "When are pears picked?" } },
            knowledge = new[] { collection },
        });
        var chatCallsBefore = app.Upstream.ChatRequestCount;

        using var response = await app.PostJsonAsync("/v1/chat/completions", stranger, body);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = (await KnowledgeApp.JsonAsync(response)).GetProperty("error");
        Assert.Equal(("knowledge_not_found", "knowledge"), (error.GetProperty("code").GetString(), error.GetProperty("param").GetString()));
        Assert.Equal(chatCallsBefore, app.Upstream.ChatRequestCount);
    }

    private async Task<Message> FinishedAsync(Guid messageId)
    {
        if (app.Services.GetRequiredService<GenerationRunner>().Find(messageId) is { } live)
        {
            await live.Finished.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        }
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct);
        return await db.Messages.AsNoTracking().SingleAsync(m => m.Id == messageId, Ct);
    }

    [Fact]
    public async Task A_prompt_with_the_knowledge_loader_is_given_the_passages_that_answer_its_question()
    {
        var (userId, key, _) = await HandbookAsync();
        var editor = app.Services.GetRequiredService<MrPrompt.Infrastructure.Prompts.PromptEditor>();
        var prompt = $"kb-{Guid.NewGuid():N}"[..20];
        Assert.True((await editor.CreateAsync(userId, new MrPrompt.Domain.Prompts.PromptDetails(prompt, "Orchard help", "", [], MrPrompt.Domain.Prompts.PromptVisibility.Private),
            new MrPrompt.Domain.Prompts.PromptContent("Cite the sources.\n{{knowledge.passages}}", "{{question}}"), cancellationToken: Ct)).Succeeded);

        var body = JsonSerializer.Serialize(new
        {
            action = "complete",
            payload = new
            {
                prompt_key = prompt,
                variables = new { question = "At what point are pears picked?", knowledge_collection = "orchard" },
                data_loaders = new[] { "knowledge" },
                options = new { model = "openai/gpt-4o-mini" },
            },
        });
        using var response = await app.PostJsonAsync("/api/gateway", key, body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var system = SystemMessageFor("At what point are pears picked?");
        Assert.StartsWith("Cite the sources.\n<sources>\n[1] handbook › Orchard handbook › Harvest\nPears are picked while still firm", system);
    }
}
