using Microsoft.Extensions.Configuration;
using MrPrompt.Domain.Providers;
using MrPrompt.Infrastructure;
using MrPrompt.Infrastructure.Gateway.Providers;

namespace MrPrompt.Tests.Gateway;

public sealed class ProviderCatalogTests
{
    private static ProviderCatalog Catalog(params (string Key, string? Value)[] settings) =>
        new(new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build());

    [Fact]
    public void A_new_install_has_the_labelled_offline_echo_provider()
    {
        var echo = Assert.Single(Catalog().All);
        Assert.Equal(("echo", "Echo (offline demo)", ProviderKind.Echo), (echo.Id, echo.DisplayName, echo.Kind));
    }

    [Fact]
    public void A_configured_model_may_be_opened_to_some_roles_only()
    {
        var catalog = Catalog(("Providers:openai:ApiKey", "sk-1"), ("Providers:openai:Models:0:Id", "gpt-4o"),
            ("Providers:openai:Models:0:Roles:0", "admin"), ("Providers:openai:Models:1:Id", "gpt-4o-mini"));

        var expensive = catalog.Find("openai")!.FindModel("gpt-4o")!;
        Assert.Equal(["Admin"], expensive.Roles);
        Assert.Equal((true, false, true), (expensive.AllowsRole("Admin"), expensive.AllowsRole("User"), catalog.Find("openai")!.FindModel("gpt-4o-mini")!.AllowsRole("User")));
        var wrong = Assert.Throws<StartupException>(() => Catalog(("Providers:openai:ApiKey", "sk-1"), ("Providers:openai:Models:0:Id", "gpt-4o"),
            ("Providers:openai:Models:0:Roles:0", "root")));
        Assert.Contains("Providers:openai:Models:0:Roles:0 is 'root'", wrong.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Echo_can_be_switched_off() =>
        Assert.Empty(Catalog(("Providers:echo:Enabled", "false")).All);

    [Fact]
    public void The_demo_takes_the_display_name_an_operator_gives_it()
    {
        var echo = Assert.Single(Catalog(("Providers:echo:DisplayName", "Practice model")).All);

        Assert.Equal(("echo", "Practice model", ProviderKind.Echo), (echo.Id, echo.DisplayName, echo.Kind));
        Assert.Equal("Practice model", new MrPrompt.Infrastructure.Gateway.ModelChoice(new ModelRef("echo", "echo"), echo.DisplayName, IsOfflineDemo: true).Label);
    }

    [Fact]
    public void Environment_shortcuts_create_providers_with_their_presets()
    {
        var catalog = Catalog(("OPENAI_API_KEY", "sk-1"), ("ANTHROPIC_API_KEY", "sk-2"), ("GEMINI_API_KEY", "g-3"),
            ("CHAT_API_BASE", "https://api.deepinfra.com/v1/openai"), ("CHAT_API_KEY", "di-4"), ("CHAT_MODEL_DEFAULT", "meta-llama/Llama-3"));

        Assert.Equal(ProviderKind.OpenAI, catalog.Find("openai")!.Kind);
        Assert.Equal(ProviderKind.Anthropic, catalog.Find("anthropic")!.Kind);
        Assert.Equal("https://generativelanguage.googleapis.com/v1beta/openai/", catalog.Find("gemini")!.BaseUrl);
        var chat = catalog.Find("chat")!;
        Assert.Equal(("di-4", "meta-llama/Llama-3", "api.deepinfra.com"), (chat.SystemApiKey, chat.DefaultModel, chat.DisplayName));
    }

    [Fact]
    public void A_shortcut_key_serves_a_preset_section_that_moves_the_provider_elsewhere()
    {
        var openai = Catalog(("OPENAI_API_KEY", "sk-1"), ("Providers:openai:BaseUrl", "http://127.0.0.1:9/v1")).Find("openai")!;

        Assert.Equal(("sk-1", "http://127.0.0.1:9/v1", ProviderKind.OpenAI), (openai.SystemApiKey, openai.BaseUrl, openai.Kind));
    }

    [Fact]
    public void Chat_key_falls_back_to_the_openai_key_as_in_seed_004() =>
        Assert.Equal("sk-1", Catalog(("CHAT_API_BASE", "http://localhost:8000/v1"), ("OPENAI_API_KEY", "sk-1")).Find("chat")!.SystemApiKey);

    [Fact]
    public void A_provider_section_reads_models_prices_and_fallbacks()
    {
        var catalog = Catalog(
            ("Providers:groq:ApiKey", "gsk"),
            ("Providers:groq:Models:0", "llama-3.1-8b-instant"),
            ("Providers:groq:Models:1:Id", "llama-3.3-70b"),
            ("Providers:groq:Models:1:InputPrice", "0.59"),
            ("Providers:groq:Models:1:OutputPrice", "0.79"),
            ("Providers:groq:Models:1:ContextWindow", "131072"),
            ("Providers:groq:Models:1:Fallbacks:0", "echo/echo"));

        var groq = catalog.Find("groq")!;
        Assert.Equal((ProviderKind.OpenAICompatible, "https://api.groq.com/openai/v1", "Groq"), (groq.Kind, groq.BaseUrl, groq.DisplayName));
        Assert.Equal(["llama-3.1-8b-instant", "llama-3.3-70b"], groq.Models.Select(m => m.Id));
        Assert.Equal(new ModelPrice(0.59m, 0.79m), groq.PriceOf("llama-3.3-70b"));
        Assert.Equal(131072, groq.FindModel("llama-3.3-70b")!.ContextWindow);
        Assert.Equal([new ModelRef("echo", "echo")], groq.FindModel("llama-3.3-70b")!.Fallbacks);
    }

    [Theory]
    [InlineData("Providers:local:Kind", "Gibberish", "Providers:local:Kind is 'Gibberish'")]
    [InlineData("Providers:local:Kind", "OpenAICompatible", "Providers:local:BaseUrl Enter the endpoint's base URL")]
    public void Wrong_settings_fail_naming_the_key(string key, string value, string expected)
    {
        var error = Assert.Throws<StartupException>(() => Catalog((key, value)));
        Assert.StartsWith(expected, error.Message);
    }

    [Fact]
    public void A_fallback_to_an_unknown_provider_fails_naming_it()
    {
        var error = Assert.Throws<StartupException>(() => Catalog(
            ("Providers:openai:ApiKey", "sk"), ("Providers:openai:Models:0:Id", "gpt-4o"), ("Providers:openai:Models:0:Fallbacks:0", "nowhere/x")));
        Assert.Contains("there is no provider 'nowhere'", error.Message);
    }

    [Fact]
    public void A_fallback_chain_may_not_name_its_own_model() =>
        Assert.Throws<StartupException>(() => Catalog(
            ("Providers:openai:ApiKey", "sk"), ("Providers:openai:Models:0:Id", "gpt-4o"), ("Providers:openai:Models:0:Fallbacks:0", "openai/gpt-4o")));

    [Fact]
    public void A_price_needs_both_halves() =>
        Assert.Throws<StartupException>(() => Catalog(("Providers:openai:Models:0:Id", "gpt-4o"), ("Providers:openai:Models:0:InputPrice", "2.5")));
}
