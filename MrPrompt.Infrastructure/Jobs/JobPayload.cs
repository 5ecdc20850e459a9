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

    /// <summary>A message of the call: its text, and the images it carries.</summary>
    public sealed record Turn(string Role, string Text, IReadOnlyList<Image>? Images = null);

    /// <summary>
    /// An image by the attachment that holds it (attachments never change, so the id is the plan, and a job row does not carry
    /// megabytes of every image in the history); an image that is no attachment travels as its bytes.
    /// </summary>
    public sealed record Image(string MediaType, Guid? AttachmentId, byte[]? Data = null);

    /// <summary>The key in <see cref="DataContent.AdditionalProperties"/> that names the attachment an image came from.</summary>
    public const string AttachmentIdProperty = "mrprompt_attachment_id";

    /// <summary>The attachments whose bytes <see cref="ToRequest"/> needs.</summary>
    public IReadOnlyList<Guid> AttachmentIds => Messages.SelectMany(m => m.Images ?? []).Select(i => i.AttachmentId).OfType<Guid>().Distinct().ToList();

    public static JobPayload Of(GatewayRequest request, bool titleAfterAnswer) => new(
        request.Model.ToString(),
        request.Messages.Select(m => new Turn(m.Role.Value, m.Text,
            m.Contents.OfType<DataContent>().Select(ImageOf).ToList() is { Count: > 0 } images ? images : null)).ToList(),
        request.Temperature,
        request.MaxOutputTokens,
        request.Source,
        request.PromptVersionId,
        request.ApiKeyId,
        request.AllowedModels?.Order(StringComparer.Ordinal).ToList(),
        titleAfterAnswer);

    private static Image ImageOf(DataContent content) =>
        content.AdditionalProperties?.TryGetValue(AttachmentIdProperty, out var id) == true && id is Guid attachmentId
            ? new Image(content.MediaType, attachmentId)
            : new Image(content.MediaType, null, content.Data.ToArray());

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static JobPayload FromJson(string json) =>
        JsonSerializer.Deserialize<JobPayload>(json, Json) ?? throw new InvalidOperationException("A job without a payload.");

    /// <summary>
    /// The gateway call of <paramref name="job"/>; the usage rows it writes name the job. <paramref name="attachments"/> holds the
    /// bytes of <see cref="AttachmentIds"/>; an image whose attachment is gone (its chat deleted meanwhile) is left out.
    /// </summary>
    public GatewayRequest ToRequest(GenerationJob job, IReadOnlyDictionary<Guid, byte[]>? attachments = null) => new()
    {
        UserId = job.UserId,
        Model = ModelRef.TryParse(Model, out var model) ? model : throw new InvalidOperationException($"Job {job.Id} names no model."),
        Messages = Messages.Select(t => ToMessage(t, attachments)).ToList(),
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

    private static ChatMessage ToMessage(Turn turn, IReadOnlyDictionary<Guid, byte[]>? attachments)
    {
        var images = (turn.Images ?? [])
            .Select(i => (i.Data ?? (i.AttachmentId is { } id ? attachments?.GetValueOrDefault(id) : null)) is { } bytes ? new DataContent(bytes, i.MediaType) : null)
            .OfType<DataContent>().ToList();
        return images.Count > 0
            ? new ChatMessage(new ChatRole(turn.Role), [new TextContent(turn.Text), .. images])
            : new ChatMessage(new ChatRole(turn.Role), turn.Text);
    }
}
