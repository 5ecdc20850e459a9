using System.Text.Json;
using Microsoft.Extensions.AI;
using MrPrompt.Domain.Jobs;
using MrPrompt.Domain.Providers;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Gateway;

namespace MrPrompt.Infrastructure.Jobs;

/// <summary>
/// A job's payload: the model call planned when the job was asked for, kept whole so a run on any instance, after any
/// crash, sends exactly what was planned (later edits to the chat do not change a queued answer).
/// </summary>
public sealed record JobPayload(
    string Model,
    IReadOnlyList<JobPayload.Turn> Messages,
    float? Temperature,
    int? MaxOutputTokens,
    UsageSource Source,
    Guid? PromptVersionId,
    Guid? ApiKeyId,
    IReadOnlyList<string>? AllowedModels,
    bool TitleAfterAnswer)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>A message of the call: its text, and the images it carries (attachments are immutable, so their bytes are the plan).</summary>
    public sealed record Turn(string Role, string Text, IReadOnlyList<Image>? Images = null);

    public sealed record Image(string MediaType, byte[] Data);

    public static JobPayload Of(GatewayRequest request, bool titleAfterAnswer) => new(
        request.Model.ToString(),
        request.Messages.Select(m => new Turn(m.Role.Value, m.Text,
            m.Contents.OfType<DataContent>().Select(d => new Image(d.MediaType, d.Data.ToArray())).ToList() is { Count: > 0 } images ? images : null)).ToList(),
        request.Temperature,
        request.MaxOutputTokens,
        request.Source,
        request.PromptVersionId,
        request.ApiKeyId,
        request.AllowedModels?.Order(StringComparer.Ordinal).ToList(),
        titleAfterAnswer);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static JobPayload FromJson(string json) =>
        JsonSerializer.Deserialize<JobPayload>(json, Json) ?? throw new InvalidOperationException("A job without a payload.");

    /// <summary>The gateway call of <paramref name="job"/>; the usage rows it writes name the job.</summary>
    public GatewayRequest ToRequest(GenerationJob job) => new()
    {
        UserId = job.UserId,
        Model = ModelRef.TryParse(Model, out var model) ? model : throw new InvalidOperationException($"Job {job.Id} names no model."),
        Messages = Messages.Select(t => t.Images is { Count: > 0 } images
            ? new ChatMessage(new ChatRole(t.Role), [new TextContent(t.Text), .. images.Select(i => new DataContent(i.Data, i.MediaType))])
            : new ChatMessage(new ChatRole(t.Role), t.Text)).ToList(),
        Temperature = Temperature,
        MaxOutputTokens = MaxOutputTokens,
        Source = Source,
        ChatSessionId = job.SessionId,
        PromptVersionId = PromptVersionId,
        ApiKeyId = ApiKeyId,
        AllowedModels = AllowedModels?.ToHashSet(StringComparer.OrdinalIgnoreCase),
        TraceId = job.TraceId,
        JobId = job.Id,
    };
}
