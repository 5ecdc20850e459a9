using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace MrPrompt.Web.Endpoints;

/// <summary>
/// The OpenAPI document of the HTTP API, generated from the endpoints (<c>/openapi/v1.json</c>) and
/// browsable at <c>/docs</c> with Scalar, served from the app itself (no outside script).
/// </summary>
public static class ApiDocumentation
{
    public const string DocsPath = "/docs";

    public static void AddApiDocumentation(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            // Only the API for programs; the pages and account forms are not part of it.
            options.ShouldInclude = description =>
                description.RelativePath is { } path && (path.StartsWith("api/", StringComparison.Ordinal) || path.StartsWith("v1/", StringComparison.Ordinal));
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "MrPrompt API",
                    Version = "v1",
                    Description = "OpenAI-compatible endpoints under /v1 and the prompt gateway under /api. "
                        + "Authenticate with a personal API key (Settings → API keys): Authorization: Bearer mrp_…. "
                        + "Every response carries X-Trace-Id.",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "A personal API key, mrp_…",
                };
                document.Security ??= [];
                document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] });
                return Task.CompletedTask;
            });
        });

    /// <summary>
    /// Documents a JSON request body without <c>Accepts</c>, whose content-type check refused bodies sent
    /// without <c>Content-Type: application/json</c> (curl's <c>-d</c>) before the endpoint could read them:
    /// the endpoint decides that itself (<see cref="RequestBody"/>).
    /// </summary>
    public static RouteHandlerBuilder DescribesJsonBody<T>(this RouteHandlerBuilder endpoint) =>
        endpoint.AddOpenApiOperationTransformer(async (operation, context, cancellationToken) =>
        {
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new() { Schema = await context.GetOrCreateSchemaAsync(typeof(T), null, cancellationToken) },
                },
            };
        });

    /// <summary>Shows <paramref name="example"/>, as the API's JSON spells it, as the request body's example.</summary>
    public static RouteHandlerBuilder WithJsonExample<T>(this RouteHandlerBuilder endpoint, T example) =>
        endpoint.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            if (operation.RequestBody?.Content?.TryGetValue("application/json", out var json) == true)
            {
                json.Example = System.Text.Json.JsonSerializer.SerializeToNode(example, ExampleJson);
            }
            return Task.CompletedTask;
        });

    private static readonly System.Text.Json.JsonSerializerOptions ExampleJson = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    /// <summary>
    /// Unless <see cref="ApiOptions.PublicDocs"/>, the API's map is for those who may use it: a stranger
    /// learns nothing of its endpoints. A browser is sent to sign in; a program shows its API key.
    /// </summary>
    public static void MapApiDocumentation(this IEndpointRouteBuilder app)
    {
        var publicDocs = app.ServiceProvider.GetRequiredService<Microsoft.Extensions.Options.IOptions<ApiOptions>>().Value.PublicDocs;
        var document = app.MapOpenApi();
        var docs = app.MapScalarApiReference(DocsPath, options => options.WithTitle("MrPrompt API"));
        if (!publicDocs)
        {
            document.RequireAuthorization(Authentication.ApiAuthorization.Policy);
            docs.RequireAuthorization();
        }
    }
}
