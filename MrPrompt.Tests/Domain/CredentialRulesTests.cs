using MrPrompt.Domain.Credentials;

namespace MrPrompt.Tests.Domain;

public sealed class CredentialRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("sk-proj-abcdefghijklmnop1234", "1234")]
    [InlineData("short-key", "ey")]
    [InlineData("tiny", "")]
    public void Hints_show_little_of_short_keys(string key, string hint) =>
        Assert.Equal(hint, CredentialRules.HintOf(key));

    [Theory]
    [InlineData("My vLLM", "my-vllm")]
    [InlineData("  Büro  Server!! ", "buro-server")]
    [InlineData("!!!", "custom")]
    public void Custom_endpoint_names_become_provider_ids(string name, string slug) =>
        Assert.Equal(slug, CredentialRules.SlugOf(name));

    [Theory]
    [InlineData("https://api.example.com/v1", true)]
    [InlineData("http://localhost:11434/v1", true)]
    [InlineData("ftp://example.com", false)]
    [InlineData("https://user:pass@example.com/v1", false)]
    [InlineData("https://example.com/v1?key=abc", false)]
    [InlineData("example.com/v1", false)]
    public void Base_urls_must_be_plain_web_addresses(string url, bool valid) =>
        Assert.Equal(valid, CredentialRules.ValidateBaseUrl(url) is null);

    [Fact]
    public void Expiry_warns_a_week_ahead_and_blocks_after()
    {
        Assert.Equal(CredentialStatus.Active, CredentialRules.StatusOf(null, Now));
        Assert.Equal(CredentialStatus.Active, CredentialRules.StatusOf(Now.AddDays(8), Now));
        Assert.Equal(CredentialStatus.ExpiringSoon, CredentialRules.StatusOf(Now.AddDays(7), Now));
        Assert.Equal(CredentialStatus.Expired, CredentialRules.StatusOf(Now, Now));
    }

    [Fact]
    public void Keys_with_spaces_or_line_breaks_are_refused() =>
        Assert.NotNull(CredentialRules.ValidateKey("sk-abc\ndef"));
}
