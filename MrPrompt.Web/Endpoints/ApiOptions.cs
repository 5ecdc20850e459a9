using System.ComponentModel.DataAnnotations;

namespace MrPrompt.Web.Endpoints;

/// <summary>The <c>Api</c> section: limits and timings of the HTTP API for programs.</summary>
public sealed class ApiOptions
{
    public const string SectionName = "Api";

    /// <summary>Largest request body the app accepts anywhere (API, forms); a larger one is a 413 before anything reads it or is sent upstream.</summary>
    [Range(1_024, 64 * 1024 * 1024)]
    public int MaxRequestBytes { get; set; } = 1024 * 1024;

    /// <summary>Seconds between <c>keepalive</c> frames of a quiet stream, so proxies do not close it.</summary>
    [Range(1, 300)]
    public int KeepAliveSeconds { get; set; } = 15;

    /// <summary>Serve <c>/docs</c> and <c>/openapi/v1.json</c> to anyone; otherwise to signed-in people and API keys only.</summary>
    public bool PublicDocs { get; set; }
}
