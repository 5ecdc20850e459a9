namespace MrPrompt.Domain.Knowledge;

/// <summary>What a collection and a document may be: names, file types, sizes.</summary>
public static class KnowledgeRules
{
    public const int MaxNameLength = 100;
    public const int MaxTitleLength = 300;

    public static IReadOnlyList<string> Extensions { get; } = [".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"];

    public const int MaxFileNameLength = 300;

    /// <summary>Headings above a passage, kept to this many characters (a "heading" can be a whole paragraph gone wrong).</summary>
    public const int MaxHeadingLength = 500;

    public static string? ValidateName(string? name) =>
        string.IsNullOrWhiteSpace(name) ? "Give the collection a name."
        : name.Trim().Length > MaxNameLength ? $"A collection name is at most {MaxNameLength} characters."
        : HasControlCharacters(name) ? "A collection name cannot contain control characters."
        : null;

    public static string? ValidateTitle(string? title) =>
        string.IsNullOrWhiteSpace(title) ? "Give the document a title."
        : title.Trim().Length > MaxTitleLength ? $"A document title is at most {MaxTitleLength} characters."
        : HasControlCharacters(title) ? "A document title cannot contain control characters."
        : null;

    public static string? ValidateFileName(string? fileName) =>
        fileName is { Length: > MaxFileNameLength } ? $"A file name is at most {MaxFileNameLength} characters."
        : fileName is not null && HasControlCharacters(fileName) ? "A file name cannot contain control characters."
        : null;

    private static bool HasControlCharacters(string text) => text.Any(char.IsControl);

    /// <summary>The format a file name says it has; null for a type we cannot read.</summary>
    public static DocumentType? FormatOf(string fileName) => Path.GetExtension(fileName).ToLowerInvariant() switch
    {
        ".txt" or ".text" => DocumentType.Text,
        ".md" or ".markdown" => DocumentType.Markdown,
        ".html" or ".htm" => DocumentType.Html,
        ".pdf" => DocumentType.Pdf,
        ".docx" => DocumentType.Docx,
        _ => null,
    };

    public static string UnsupportedType(string fileName) =>
        $"'{Path.GetFileName(fileName)}' is not a type we can read; upload {string.Join(", ", Extensions)}.";

    public static string TooLarge(long size, long limit) =>
        $"The document is {Megabytes(size)}; the limit is {Megabytes(limit)}.";

    private static string Megabytes(long bytes) => $"{bytes / 1024d / 1024d:0.#} MB";
}
