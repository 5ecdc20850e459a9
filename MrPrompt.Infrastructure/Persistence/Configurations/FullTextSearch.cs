namespace MrPrompt.Infrastructure.Persistence.Configurations;

/// <summary>The stored tsvector column that tables searched by text carry (a shadow property: the domain never sees it).</summary>
internal static class FullTextSearch
{
    public const string Column = "SearchVector";
}
