namespace MrPrompt.Domain.Chat;

/// <summary>A message of the history as the model will see it (its text and any images), with its size in tokens.</summary>
public sealed record ConversationTurn(MessageSender Sender, string Text, int Tokens, IReadOnlyList<TurnImage>? Images = null);

/// <summary>The history that fits, and how many of the oldest turns were left out to make it fit.</summary>
public sealed record TrimmedConversation(IReadOnlyList<ConversationTurn> Turns, int DroppedTurns, int Tokens);

/// <summary>
/// Fits a conversation into a model's context budget (docs/contracts.md, "Conversation history"): the system
/// prompt always stays, then the newest turns are kept while they fit and the oldest go first.
/// </summary>
public static class ConversationWindow
{
    /// <summary>Tokens a chat format spends per message on roles and separators, on top of the text.</summary>
    public const int OverheadPerTurn = 4;

    /// <summary>
    /// Keeps the system turns and as many of the newest other turns as fit in <paramref name="budgetTokens"/>.
    /// Null when even the system prompt and the newest turn alone do not fit: that turn must be shortened.
    /// </summary>
    public static TrimmedConversation? Trim(IReadOnlyList<ConversationTurn> turns, int budgetTokens)
    {
        ArgumentNullException.ThrowIfNull(turns);
        var system = turns.Where(t => t.Sender == MessageSender.System).ToList();
        var others = turns.Where(t => t.Sender != MessageSender.System).ToList();
        var used = system.Sum(Cost);
        if (others.Count == 0)
        {
            return used <= budgetTokens ? new TrimmedConversation(system, 0, used) : null;
        }

        var kept = new List<ConversationTurn>();
        for (var i = others.Count - 1; i >= 0; i--)
        {
            if (used + Cost(others[i]) > budgetTokens)
            {
                break;
            }
            used += Cost(others[i]);
            kept.Add(others[i]);
        }
        kept.Reverse();
        // Several providers (Anthropic among them) want the conversation to open with the user.
        while (kept.Count > 1 && kept[0].Sender == MessageSender.Assistant)
        {
            used -= Cost(kept[0]);
            kept.RemoveAt(0);
        }
        if (kept.Count == 0)
        {
            return null;
        }
        return new TrimmedConversation([.. system, .. kept], others.Count - kept.Count, used);
    }

    private static int Cost(ConversationTurn turn) => turn.Tokens + OverheadPerTurn;
}
