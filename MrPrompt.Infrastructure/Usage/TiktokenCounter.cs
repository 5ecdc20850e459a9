using Microsoft.ML.Tokenizers;

namespace MrPrompt.Infrastructure.Usage;

/// <summary>
/// OpenAI's o200k_base encoding (shipped in a NuGet package, no download): exact for current OpenAI
/// models and a fair estimate for others. Loaded on first use.
/// </summary>
public sealed class TiktokenCounter : ITokenCounter
{
    private readonly Lazy<Tokenizer> _tokenizer = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));

    public int Count(string text) => string.IsNullOrEmpty(text) ? 0 : _tokenizer.Value.CountTokens(text);
}
