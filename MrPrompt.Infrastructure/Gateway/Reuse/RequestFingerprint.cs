using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace MrPrompt.Infrastructure.Gateway.Reuse;

/// <summary>
/// A SHA-256 over everything that decides an answer: the caller, the model, the messages, the model
/// options and the prompt version. Two requests with the same fingerprint would get the same answer,
/// so they may share one call, one idempotency record or one cache entry. It never spans users.
/// </summary>
public static class RequestFingerprint
{
    public static string Of(GatewayRequest request) => Hash(new
    {
        user = request.UserId,
        model = request.Model.ToString(),
        messages = request.Messages.Select(m => new { role = m.Role.Value, text = m.Text }),
        temperature = request.Temperature,
        maxTokens = request.MaxOutputTokens,
        format = request.ResponseFormat.ToString(),
        schema = request.JsonSchema?.GetRawText(),
        promptVersion = request.PromptVersionId,
        chat = request.ChatSessionId,
    });

    /// <summary>Hex SHA-256 of <paramref name="value"/> serialized as JSON (property order is the declaration order).</summary>
    public static string Hash(object value) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(value))));
}
