using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Infrastructure.Persistence.Embedded;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;

namespace MrPrompt.E2E.Support;

/// <summary>
/// The real app on a real port, with no connection string: it starts its own embedded Postgres
/// in a scratch folder, exactly as the README's run command does on a fresh machine.
/// </summary>
public sealed class AppServer : WebApplicationFactory<Program>
{
    private readonly IReadOnlyDictionary<string, string?> _settings;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "mrprompt-e2e", Guid.NewGuid().ToString("N"));

    /// <param name="settings">Configuration on top of the defaults, such as providers pointing at a fake upstream.</param>
    public AppServer(IReadOnlyDictionary<string, string?>? settings = null)
    {
        _settings = settings ?? new Dictionary<string, string?>();
        Directory.CreateDirectory(DataDirectory);
        UseKestrel(0);
    }

    public string BaseUrl
    {
        get
        {
            StartServer();
            var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal);
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:Default", "");
        builder.UseSetting("Database:DataDir", DataDirectory);
        builder.UseSetting("urls", "http://127.0.0.1:0");
        // Journeys register several people through the page; the invitation journey sets its own mode.
        builder.UseSetting("Accounts:Registration", "open");
        // A test host stopping is not an instance leaving a fleet: whatever still runs is handed back at once.
        builder.UseSetting("Shutdown:DrainSeconds", "0");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        // Stop the app's Postgres before its folder goes, whatever order the factory disposes in.
        var database = Services.GetService<EmbeddedPostgresServer>();
        await base.DisposeAsync();
        if (database is not null)
        {
            await database.StopAsync();
        }
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
