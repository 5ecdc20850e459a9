using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MrPrompt.Benchmarks;

/// <summary>The floor for one .NET hop: a plain YARP reverse proxy in front of the mock upstream, nothing else.</summary>
public static class PlainProxy
{
    public static async Task<int> RunAsync(string[] args)
    {
        var port = args.Length > 0 ? args[0] : "5302";
        var upstream = args.Length > 1 ? args[1] : "http://127.0.0.1:5301";
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ReverseProxy:Routes:all:ClusterId"] = "mock",
            ["ReverseProxy:Routes:all:Match:Path"] = "{**rest}",
            ["ReverseProxy:Clusters:mock:Destinations:one:Address"] = upstream,
        });
        builder.Services.AddReverseProxy().LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"));
        await using var app = builder.Build();
        app.MapReverseProxy();
        await app.RunAsync();
        return 0;
    }
}
