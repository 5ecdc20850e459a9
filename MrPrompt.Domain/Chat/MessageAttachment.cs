using MrPrompt.Domain.Common;
using MrPrompt.Domain.Knowledge;

namespace MrPrompt.Domain.Chat;

/// <summary>
/// A file sent with a user message (<c>message_attachments</c>; docs/contracts.md, "Attachments"). An image goes to
/// the model as image content; a document's text goes inline when small, else into the chat's own knowledge
/// collection (<see cref="KnowledgeDocumentId"/>), searched per question and cited. Only its owner reads it; it
/// goes with its message, and so with the chat.
/// </summary>
public sealed class MessageAttachment : IAuditable
{
    public Guid Id { get; set; }
    public Guid MessageId { get; set; }
    public Guid SessionId { get; set; }
    public Guid UserId { get; set; }
    public string FileName { get; set; } = "";
    public string ContentType { get; set; } = "";
    public int SizeBytes { get; set; }
    public AttachmentKind Kind { get; set; }
    public byte[] Data { get; set; } = [];

    /// <summary>A document's text when it is small enough to travel whole with its message; null otherwise.</summary>
    public string? InlineText { get; set; }

    /// <summary>A larger document's place in the chat's own knowledge collection.</summary>
    public Guid? KnowledgeDocumentId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

public enum AttachmentKind
{
    Image,
    Document,
}

/// <summary>A file as it arrives from the composer, before it is checked and stored.</summary>
public sealed record NewAttachment(string FileName, string ContentType, byte[] Data);

/// <summary>An image of a turn, as the model receives it, and the attachment it came from.</summary>
public sealed record TurnImage(string MediaType, byte[] Data, Guid AttachmentId);

/// <summary>Which files a message may carry, and how each is read.</summary>
public static class AttachmentRules
{
    public const int MaxPerMessage = 5;
    public const int MaxImageBytes = 5 * 1024 * 1024;

    /// <summary>What an image counts for in the context budget: providers charge some hundreds of tokens for one.</summary>
    public const int TokensPerImage = 1_000;

    private static readonly Dictionary<string, string> ImageTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".png"] = "image/png",
        [".jpg"] = "image/jpeg",
        [".jpeg"] = "image/jpeg",
        [".gif"] = "image/gif",
        [".webp"] = "image/webp",
    };

    /// <summary>Text-like files read as plain text: notes, data and code.</summary>
    private static readonly HashSet<string> PlainText = new(StringComparer.OrdinalIgnoreCase)
    {
        ".txt", ".text", ".csv", ".tsv", ".json", ".yaml", ".yml", ".xml", ".log", ".ini", ".toml", ".sql", ".sh",
        ".cs", ".py", ".js", ".ts", ".tsx", ".jsx", ".java", ".kt", ".go", ".rb", ".rs", ".c", ".h", ".cpp", ".hpp", ".php", ".swift", ".css", ".razor",
    };

    public static IReadOnlyList<string> Extensions { get; } =
        [.. ImageTypes.Keys, .. PlainText, ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"];

    /// <summary>What the file is, by its name (never by what the browser claims): an image, a document of a format, or null.</summary>
    public static (AttachmentKind Kind, string ContentType, DocumentType? Format)? Classify(string fileName)
    {
        var extension = Path.GetExtension(fileName);
        if (ImageTypes.TryGetValue(extension, out var imageType))
        {
            return (AttachmentKind.Image, imageType, null);
        }
        if (PlainText.Contains(extension))
        {
            return (AttachmentKind.Document, "text/plain", DocumentType.Text);
        }
        return KnowledgeRules.FormatOf(fileName) is { } format
            ? (AttachmentKind.Document, format switch
            {
                DocumentType.Pdf => "application/pdf",
                DocumentType.Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                DocumentType.Html => "text/html",
                _ => "text/markdown",
            }, format)
            : null;
    }

    /// <summary>Null when the files can go with a message, else what is wrong, naming the file.</summary>
    public static string? Validate(IReadOnlyList<NewAttachment> files, int maxDocumentBytes)
    {
        if (files.Count > MaxPerMessage)
        {
            return $"Attach at most {MaxPerMessage} files to a message.";
        }
        foreach (var file in files)
        {
            var name = Path.GetFileName(file.FileName);
            if (name.Length == 0 || name.Length > 255 || name.Any(char.IsControl))
            {
                return "A file needs a name of at most 255 characters, without control characters.";
            }
            if (Classify(name) is not { } kind)
            {
                return $"'{name}' is not a type that can be attached: images (png, jpg, gif, webp), text, Markdown, code, csv, pdf or docx.";
            }
            if (file.Data.Length == 0)
            {
                return $"'{name}' is empty.";
            }
            var limit = kind.Kind == AttachmentKind.Image ? MaxImageBytes : maxDocumentBytes;
            if (file.Data.Length > limit)
            {
                return $"'{name}' has {file.Data.Length / 1024.0 / 1024.0:0.#} MB; {(kind.Kind == AttachmentKind.Image ? "an image" : "a document")} can have at most {limit / 1024 / 1024} MB.";
            }
        }
        return null;
    }

    /// <summary>A document's text as it travels inline with its message, fenced so it reads as material, not as instructions.</summary>
    public static string Inline(string fileName, string text) =>
        $"\n\n<attachment name=\"{fileName.Replace("\"", "'", StringComparison.Ordinal)}\">\n{text.Replace("</attachment>", "</ attachment>", StringComparison.OrdinalIgnoreCase)}\n</attachment>";
}

/// <summary>Which models can look at images, when the configuration does not say (<c>Providers__&lt;id&gt;__Models__&lt;n&gt;__Vision</c>).</summary>
public static class KnownVision
{
    private static readonly string[] Prefixes =
    [
        "gpt-4o", "gpt-4.1", "gpt-4-turbo", "gpt-5", "o1", "o3", "o4", "chatgpt-4o",
        "claude-3", "claude-sonnet-4", "claude-opus-4", "claude-haiku-4", "claude-4",
        "gemini", "pixtral", "llava", "qwen-vl", "qwen2-vl", "qwen2.5-vl",
    ];

    public static bool Sees(string model)
    {
        var name = model.Contains('/', StringComparison.Ordinal) ? model[(model.LastIndexOf('/') + 1)..] : model;
        return Prefixes.Any(p => name.StartsWith(p, StringComparison.OrdinalIgnoreCase)) || name.Contains("vision", StringComparison.OrdinalIgnoreCase);
    }
}
