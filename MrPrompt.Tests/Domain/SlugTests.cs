using MrPrompt.Domain.Prompts;

namespace MrPrompt.Tests.Domain;

public sealed class SlugTests
{
    [Theory]
    [InlineData("Greeting — “Ünïcödé”", "greeting-unicode")]
    [InlineData("Straße & Œuvre, Ørsted, Łódź", "strasse-oeuvre-orsted-lodz")]
    [InlineData("  Summarise: a PDF (v2)  ", "summarise-a-pdf-v2")]
    [InlineData("東京 tips", "tips")]
    [InlineData("日本語", "")]
    public void Prompt_keys_made_from_titles_keep_the_letters_of_accented_words(string title, string key) =>
        Assert.Equal(key, PromptRules.KeyFromTitle(title));

    [Fact]
    public void A_key_from_a_long_title_is_cut_to_the_limit_without_a_trailing_hyphen()
    {
        var key = PromptRules.KeyFromTitle(string.Concat(Enumerable.Repeat("abcdefghi ", 20)));

        Assert.True(key.Length <= PromptRules.KeyMaxLength);
        Assert.False(key.EndsWith('-'));
    }
}
