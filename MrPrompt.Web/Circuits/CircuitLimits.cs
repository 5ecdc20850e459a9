using System.ComponentModel.DataAnnotations;

namespace MrPrompt.Web.Circuits;

/// <summary>The <c>Circuits</c> section: how many live pages (Blazor circuits) one person may hold open.</summary>
public sealed class CircuitLimits
{
    public const string SectionName = "Circuits";

    /// <summary>
    /// Open pages per signed-in account, and per client address for people not signed in. Each holds a
    /// connection and server memory, so a script opening thousands would exhaust the server.
    /// </summary>
    [Range(1, 10_000)]
    public int MaxPerUser { get; set; } = 20;

    /// <summary>
    /// The largest message a circuit accepts, for the longest text a page may send (the chat's message
    /// limit, or a prompt template's if that is longer): 4 bytes a character, plus the envelope, and no
    /// more. A page sends text as JSON inside a MessagePack message, so a CJK character takes 3 bytes and
    /// a quote 2; only control characters (6 once escaped) could exceed it, and no one types thousands.
    /// SignalR's default of 32 KB closed the circuit on a paste well under the chat's limit.
    /// </summary>
    public static long ReceiveLimitFor(int longestText) => 4L * longestText + 64 * 1024;
}
