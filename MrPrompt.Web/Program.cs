using Microsoft.Extensions.Logging.Console;
using MrPrompt.Infrastructure;
using MrPrompt.Web;
using MrPrompt.Web.Components;
using MrPrompt.Web.Components.Account;
using MrPrompt.Web.Endpoints;
using MrPrompt.Web.Endpoints.Admin;
using MrPrompt.Web.Endpoints.ChatJobs;
using MrPrompt.Web.Endpoints.Compare;
using MrPrompt.Web.Endpoints.GatewayApi;
using MrPrompt.Web.Endpoints.Knowledge;
using MrPrompt.Web.Endpoints.OpenAi;

// Prompt authors write regular expressions into JSON Schemas; no match may run for ever. Set before any Regex exists.
AppContext.SetData("REGEX_DEFAULT_MATCH_TIMEOUT", TimeSpan.FromSeconds(2));

var builder = WebApplication.CreateBuilder(args);
if (OperatorCommands.IsCommand(args))
{
    // What a command prints is for scripts (MRP_KEY=$(… create-api-key …)): its log goes to standard error.
    builder.Services.Configure<ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
}

builder.AddServiceDefaults();
try
{
    builder.Services.AddInfrastructure(builder.Configuration);
}
catch (StartupException ex)
{
    // No logger exists yet; the operator still gets one line, no stack trace.
    Console.Error.WriteLine($"MrPrompt cannot start: {ex.Message}");
    return 1;
}
builder.AddWebServices();

await using var app = builder.Build();

if (!await app.PrepareAsync())
{
    return 1;
}
if (OperatorCommands.IsCommand(args))
{
    return await OperatorCommands.RunAsync(app.Services, args, Console.Out, Console.Error);
}

app.UseWebPipeline();
app.MapHealth();
app.MapAccountEndpoints();
app.MapChatExport();
app.MapPromptsApi();
app.MapOpenAiApi();
app.MapGatewayApi();
app.MapChatJobsApi();
app.MapCompareApi();
app.MapKnowledgeApi();
app.MapAdminApi();
app.MapApiDocumentation();
app.MapStaticAssets();
app.MapRazorComponents<App>()
    .AddInteractiveServerRenderMode();

await app.RunAsync();
return 0;

/// <summary>Entry point, visible to the test hosts.</summary>
public partial class Program;
