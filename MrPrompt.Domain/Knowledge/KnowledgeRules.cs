namespace MrPrompt.Domain.Knowledge;

/// <summary>What a collection and a document may be: names, file types, sizes.</summary>
public static class KnowledgeRules
{
    public const int MaxNameLength = 100;
    public const int MaxTitleLength = 300;

    public static IReadOnlyList<string> Extensions { get; } = [".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"];

    public static string? ValidateName(string? name) =>
        string.IsNullOrWhiteSpace(name) ? "Give the collection a name."
        : name.Trim().Length > MaxNameLength ? $"A collection name is at most {MaxNameLength} characters."
        : null;

    public static string? ValidateTitle(string? title) =>
        string.IsNullOrWhiteSpace(title) ? "Give the document a title."
        : title.Trim().Length > MaxTitleLength ? $"A document title is at most {MaxTitleLength} characters."
        : null;

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
