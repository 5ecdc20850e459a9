namespace MrPrompt.Domain.Chat;

/// <summary>
/// The messages of a chat as a tree: each message follows its <see cref="Message.ParentId"/>, so a
/// regenerated answer or an edited question is a sibling of the one it replaces, and the old branch stays.
/// The conversation shown (and sent to the model) is the path from the first message to the chosen leaf.
/// </summary>
public sealed class ConversationTree
{
    private readonly Dictionary<Guid, Message> byId;
    private readonly ILookup<Guid?, Message> childrenOf;

    public ConversationTree(IEnumerable<Message> messages)
    {
        var all = messages.OrderBy(m => m.Sequence).ToList();
        byId = all.ToDictionary(m => m.Id);
        // A parent that is not here (never expected) makes the message a root rather than an orphan nobody reaches.
        childrenOf = all.ToLookup(m => m.ParentId is { } parent && byId.ContainsKey(parent) ? parent : (Guid?)null);
    }

    /// <summary>
    /// The conversation that ends at <paramref name="leafId"/>, first message first; without a leaf (or one no
    /// longer here), the path to the newest message.
    /// </summary>
    public IReadOnlyList<Message> PathTo(Guid? leafId)
    {
        var leaf = leafId is { } id && byId.TryGetValue(id, out var found) ? found : byId.Values.MaxBy(m => m.Sequence);
        return leaf is null ? [] : [.. Ancestors(leaf), leaf];
    }

    /// <summary>The messages before <paramref name="message"/> on its branch, first message first.</summary>
    public IReadOnlyList<Message> Ancestors(Message message)
    {
        var path = new List<Message>();
        for (var at = Parent(message); at is not null; at = Parent(at))
        {
            path.Add(at);
        }
        path.Reverse();
        return path;
    }

    /// <summary>The alternatives at <paramref name="message"/>'s place (itself included), oldest first.</summary>
    public IReadOnlyList<Message> Siblings(Message message) => childrenOf[ParentKey(message)].ToList();

    /// <summary>Where <paramref name="message"/> stands among its alternatives.</summary>
    public BranchPosition PositionOf(Message message)
    {
        var siblings = childrenOf[ParentKey(message)].ToList();
        var index = siblings.FindIndex(m => m.Id == message.Id);
        return new BranchPosition(index + 1, siblings.Count, index > 0 ? siblings[index - 1].Id : null,
            index < siblings.Count - 1 ? siblings[index + 1].Id : null);
    }

    /// <summary>The leaf a switch to <paramref name="message"/> shows: down its newest replies to the end.</summary>
    public Message NewestLeafUnder(Message message)
    {
        var at = message;
        while (childrenOf[at.Id].LastOrDefault() is { } newest)
        {
            at = newest;
        }
        return at;
    }

    public Message? Find(Guid id) => byId.GetValueOrDefault(id);

    /// <summary>Past every message of the chat, on any branch: the next free sequence number.</summary>
    public int NextSequence => byId.Values.Select(m => m.Sequence).DefaultIfEmpty(0).Max() + 1;

    private Message? Parent(Message message) => message.ParentId is { } parent ? byId.GetValueOrDefault(parent) : null;

    private Guid? ParentKey(Message message) => message.ParentId is { } parent && byId.ContainsKey(parent) ? parent : null;
}

/// <summary>"‹ 2 / 3 ›": the alternative shown (from 1) of how many, and the ones either side.</summary>
public sealed record BranchPosition(int Number, int Count, Guid? Previous, Guid? Next)
{
    public bool HasAlternatives => Count > 1;
}
