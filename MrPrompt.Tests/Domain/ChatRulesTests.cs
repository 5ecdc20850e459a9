using System.Text.Json;
using MrPrompt.Domain.Chat;
using MrPrompt.Infrastructure.Chat;

namespace MrPrompt.Tests.Domain;

public sealed class ConversationWindowTests
{
    private static ConversationTurn Turn(MessageSender sender, string text, int tokens) => new(sender, text, tokens);

    [Fact]
    public void Everything_is_kept_when_it_fits()
    {
        var turns = new[] { Turn(MessageSender.System, "s", 10), Turn(MessageSender.User, "a", 10), Turn(MessageSender.Assistant, "b", 10), Turn(MessageSender.User, "c", 10) };

        var window = ConversationWindow.Trim(turns, 1000)!;

        Assert.Equal(turns, window.Turns);
        Assert.Equal(0, window.DroppedTurns);
        Assert.Equal(40 + 4 * ConversationWindow.OverheadPerTurn, window.Tokens);
    }

    [Fact]
    public void The_oldest_turns_go_first_and_the_system_prompt_stays()
    {
        var turns = new[]
        {
            Turn(MessageSender.System, "rules", 20), Turn(MessageSender.User, "old question", 50), Turn(MessageSender.Assistant, "old answer", 50),
            Turn(MessageSender.User, "new question", 30),
        };

        var window = ConversationWindow.Trim(turns, 100)!;

        Assert.Equal(["rules", "new question"], window.Turns.Select(t => t.Text));
        Assert.Equal(2, window.DroppedTurns);
        Assert.True(window.Tokens <= 100);
    }

    [Fact]
    public void A_kept_history_never_opens_with_an_assistant_turn()
    {
        var turns = new[] { Turn(MessageSender.User, "q1", 60), Turn(MessageSender.Assistant, "a1", 20), Turn(MessageSender.User, "q2", 20) };

        var window = ConversationWindow.Trim(turns, 60)!;

        Assert.Equal(["q2"], window.Turns.Select(t => t.Text));
        Assert.Equal(2, window.DroppedTurns);
    }

    [Fact]
    public void Null_when_the_system_prompt_and_the_newest_turn_cannot_fit()
    {
        Assert.Null(ConversationWindow.Trim([Turn(MessageSender.System, "s", 50), Turn(MessageSender.User, "q", 60)], 100));
        Assert.Null(ConversationWindow.Trim([Turn(MessageSender.System, "s", 500)], 100));
    }
}

public sealed class ChatRulesTests
{
    [Theory]
    [InlineData("What are the best pizza toppings?", "What are the best pizza toppings?")]
    [InlineData("one two three four five six seven", "one two three four five six…")]
    [InlineData("   \n  ", "New chat")]
    [InlineData("Supercalifragilisticexpialidocious-Supercalifragilisticexpialidocious-more", "Supercalifragilisticexpialidocious-Supercalifragilisticexpia…")]
    public void A_provisional_title_is_the_first_words(string text, string expected) =>
        Assert.Equal(expected, ChatRules.TitleFromFirstWords(text));

    [Theory]
    [InlineData("\"Pizza Toppings Ranked.\"", "Pizza Toppings Ranked")]
    [InlineData("Title: Lisbon Museums\nMore text", "Lisbon Museums")]
    [InlineData("## **Trip Plan**", "Trip Plan")]
    [InlineData("  \n ", null)]
    [InlineData(null, null)]
    public void A_generated_title_is_cleaned(string? suggestion, string? expected) =>
        Assert.Equal(expected, ChatRules.CleanGeneratedTitle(suggestion));

    [Theory]
    [InlineData("", "Pick a model for this chat.")]
    [InlineData("echo", "Pick a model for this chat.")]
    [InlineData("echo/echo", null)]
    public void Settings_need_a_model(string model, string? expected) =>
        Assert.Equal(expected, new SessionSettings(model).Validate());

    [Fact]
    public void Settings_bound_temperature_tokens_and_system_prompt()
    {
        Assert.Equal("Temperature goes from 0 to 2.", new SessionSettings("a/b", Temperature: -0.1f).Validate());
        Assert.Equal("Max tokens goes from 1 to 1,000,000.", new SessionSettings("a/b", MaxOutputTokens: 0).Validate());
        Assert.Equal("A system prompt can be at most 20,000 characters.", new SessionSettings("a/b", new string('x', 20_001)).Validate());
    }
}

public sealed class FullTextQueryTests
{
    [Theory]
    [InlineData("pizza", "pizza:*")]
    [InlineData("  Pizza   Dough ", "pizza:* & dough:*")]
    [InlineData("a&b | !c:* (d)", "a:* & b:* & c:* & d:*")]
    [InlineData("'; drop table x; --", "drop:* & table:* & x:*")]
    [InlineData("Лиссабон café", "лиссабон:* & café:*")]
    [InlineData("!!! ???", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void Only_words_reach_the_tsquery(string? input, string? expected) =>
        Assert.Equal(expected, FullTextQuery.From(input));
}

public sealed class ChatTranscriptTests
{
    private static readonly ChatSession Session = new()
    {
        Id = Guid.NewGuid(),
        Title = "Pizza: the plan / v2",
        Model = "openai/gpt-4o-mini",
        SystemPrompt = "Be brief.",
        CreatedAt = new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero),
    };

    private static readonly Message[] Messages =
    [
        new() { Sender = MessageSender.User, Content = "Best toppings?", Status = MessageStatus.Complete },
        new() { Sender = MessageSender.Assistant, Content = "Basil.", Status = MessageStatus.Cancelled, Provider = "openai", Model = "gpt-4o-mini", OutputTokens = 2, CostUsd = 0.0001m },
    ];

    [Fact]
    public void Markdown_export_reads_as_a_conversation()
    {
        var markdown = ChatTranscript.ToMarkdown(Session, Messages);

        Assert.StartsWith("# Pizza: the plan / v2", markdown);
        Assert.Contains("## System prompt\n\nBe brief.", markdown.ReplaceLineEndings("\n"));
        Assert.Contains("## You\n\nBest toppings?", markdown.ReplaceLineEndings("\n"));
        Assert.Contains("## Assistant (openai/gpt-4o-mini)\n\nBasil.", markdown.ReplaceLineEndings("\n"));
        Assert.Contains("_(cancelled)_", markdown);
    }

    [Fact]
    public void Json_export_carries_every_message_with_its_accounting()
    {
        using var json = JsonDocument.Parse(ChatTranscript.ToJson(Session, Messages));

        Assert.Equal("openai/gpt-4o-mini", json.RootElement.GetProperty("model").GetString());
        var messages = json.RootElement.GetProperty("messages");
        Assert.Equal(2, messages.GetArrayLength());
        Assert.Equal("user", messages[0].GetProperty("sender").GetString());
        Assert.Equal("cancelled", messages[1].GetProperty("status").GetString());
        Assert.Equal(0.0001m, messages[1].GetProperty("cost_usd").GetDecimal());
    }

    [Fact]
    public void File_names_are_safe_everywhere() =>
        Assert.Equal("pizza-the-plan-v2.md", ChatTranscript.FileName(Session, "md"));
}
