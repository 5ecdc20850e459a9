using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MrPrompt.Domain.Chat;

/// <summary>A session as people take it away: Markdown to read, JSON to process.</summary>
public static class ChatTranscript
{
    private static readonly JsonSerializerOptions Json = new()
    {
        // A downloaded file read by people and programs, never inlined into a page: "Grüße" stays
        // "Grüße", not "Gr\u00FC\u00DFe" (the default escaping is for JSON placed inside HTML).
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static string ToMarkdown(ChatSession session, IReadOnlyList<Message> messages)
    {
        var text = new StringBuilder();
        text.Append("# ").AppendLine(session.Title).AppendLine();
        text.Append("- Model: `").Append(session.Model).AppendLine("`");
        text.Append("- Started: ").AppendLine(session.CreatedAt.ToString("u", CultureInfo.InvariantCulture));
        if (!string.IsNullOrWhiteSpace(session.SystemPrompt))
        {
            text.AppendLine().AppendLine("## System prompt").AppendLine().AppendLine(session.SystemPrompt.Trim());
        }
        foreach (var message in messages)
        {
            text.AppendLine().Append("## ").AppendLine(Heading(message)).AppendLine();
            text.AppendLine(message.Content.TrimEnd());
            if (message.Status is not (MessageStatus.Complete or MessageStatus.Streaming))
            {
                text.AppendLine().Append("_(").Append(message.Status.ToString().ToLowerInvariant());
                text.Append(message.ErrorMessage is null ? "" : ": " + message.ErrorMessage).AppendLine(")_");
            }
        }
        return text.ToString();
    }

    public static string ToJson(ChatSession session, IReadOnlyList<Message> messages) =>
        JsonSerializer.Serialize(new
        {
            session.Id,
            session.Title,
            session.Model,
            session.SystemPrompt,
            session.Temperature,
            session.MaxOutputTokens,
            session.CreatedAt,
            Messages = messages.Select(m => new
            {
                m.Id,
                m.Sender,
                m.Content,
                m.Status,
                m.Provider,
                m.Model,
                m.ProviderMessageId,
                m.InputTokens,
                m.OutputTokens,
                m.LatencyMs,
                m.CostUsd,
                m.ErrorMessage,
                m.CreatedAt,
            }),
        }, Json);

    /// <summary>A file name made of the title's letters and digits, safe on every system.</summary>
    public static string FileName(ChatSession session, string extension)
    {
        var safe = new string(session.Title.Select(c => char.IsLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-').ToArray());
        safe = string.Join('-', safe.Split('-', StringSplitOptions.RemoveEmptyEntries));
        if (safe.Length > 60)
        {
            safe = safe[..60].TrimEnd('-');
        }
        return (safe.Length == 0 ? "chat" : safe) + "." + extension;
    }

    private static string Heading(Message message) => message.Sender switch
    {
        MessageSender.User => "You",
        MessageSender.Assistant => message.Model is null ? "Assistant" : $"Assistant ({message.Provider}/{message.Model})",
        _ => "System",
    };
}
