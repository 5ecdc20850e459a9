using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MrPrompt.E2E.Support;
using MrPrompt.Infrastructure;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Persistence.Embedded;
using MrPrompt.Tests.Support;

namespace MrPrompt.E2E.Fleet;

/// <summary>
/// Two instances of the app, real processes started as an operator starts them, on one Postgres, behind nginx running
/// <c>deploy/nginx.conf</c> (its addresses and port swapped for free ones), with the fake upstream replaying recorded
/// OpenAI streams. The test process also holds the app's services on the same database, to arrange accounts and read rows.
/// </summary>
public sealed class Fleet : IAsyncLifetime
{
    public const string KeyRingPassword = "fleet-key-ring";

    private readonly string _root = Path.Combine(Path.GetTempPath(), "mrprompt-fleet", Guid.NewGuid().ToString("N"));
    private EmbeddedPostgresServer _postgres = null!;

    /// <summary>Where each instance's output is written whole, kept after the run to read when a test fails (for a day).</summary>
    public string LogFolder { get; } = NewLogFolder();

    private static string NewLogFolder()
    {
        var logs = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "mrprompt-fleet-logs"));
        foreach (var old in logs.EnumerateDirectories().Where(d => d.CreationTimeUtc < DateTime.UtcNow.AddDays(-1)))
        {
            old.Delete(recursive: true);
        }
        return logs.CreateSubdirectory($"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}").FullName;
    }
    private ServiceProvider _services = null!;
    private Process? _nginx;
    private readonly Dictionary<string, Instance> _instances = new(StringComparer.Ordinal);

    public FakeProviderServer Upstream { get; private set; } = null!;

    /// <summary>The app's services on the fleet's database, as the owner of the schema (arranging and reading across accounts).</summary>
    public IServiceProvider Services => _services;

    public string ProxyUrl { get; private set; } = "";

    public string OwnerConnectionString { get; private set; } = "";

    /// <summary>One app process: its name (<c>Instance__Name</c>), its own port, and what it printed.</summary>
    public sealed class Instance(string name, int port)
    {
        public string Name { get; } = name;
        public int Port { get; } = port;
        public string Url => $"http://127.0.0.1:{Port}";
        public Process? Process { get; set; }
        public System.Collections.Concurrent.ConcurrentQueue<string> Output { get; } = new();
    }

    public Instance A => _instances["a"];
    public Instance B => _instances["b"];

    public Instance Other(Instance instance) => instance == A ? B : A;

    public Instance Named(string leaseOwner) => _instances[leaseOwner.Split('/')[0]];

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        // Postgres refuses to run as root: its folder must be reachable by the account it runs as.
        OpenToEveryone(_root);
        _postgres = new EmbeddedPostgresServer(new EmbeddedPostgresOptions(Path.Combine(_root, "postgres"), null, "postgres"), NullLogger<EmbeddedPostgresServer>.Instance);
        await _postgres.StartAsync();
        await _postgres.EnsureDatabaseAsync("fleet");
        OwnerConnectionString = _postgres.ConnectionString("fleet");

        Upstream = await FakeProviderServer.StartAsync();
        WriteKeyRingCertificate();
        _instances["a"] = new Instance("a", FreePort());
        _instances["b"] = new Instance("b", FreePort());
        // One at a time: the first migrates the empty database, the second finds it current.
        await StartAsync(A);
        await StartAsync(B);
        await StartNginxAsync();

        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Default"] = OwnerConnectionString })
            .Build();
        var services = new ServiceCollection().AddLogging().AddSingleton(TimeProvider.System).AddSingleton<IConfiguration>(configuration);
        services.AddInfrastructure(configuration);
        _services = services.BuildServiceProvider();
    }

    /// <summary>The settings every instance shares (one database, one key-ring certificate) and its own name and port.</summary>
    private Dictionary<string, string> Settings(Instance instance) => new()
    {
        // Run from the build, not a publish: the framework's scripts come from the build's static web assets, which
        // ASP.NET Core serves in Development only. Everything else is as in production.
        ["ASPNETCORE_ENVIRONMENT"] = "Development",
        ["ASPNETCORE_URLS"] = instance.Url,
        ["Instance__Name"] = instance.Name,
        ["ConnectionStrings__Default"] = _postgres.AppConnectionString("fleet"),
        ["ConnectionStrings__Migrations"] = OwnerConnectionString,
        ["DataProtection__CertificatePath"] = Path.Combine(_root, "keyring.pfx"),
        ["DataProtection__CertificatePassword"] = KeyRingPassword,
        ["Accounts__Registration"] = "open",
        ["Providers__openai__Kind"] = "OpenAI",
        ["Providers__openai__BaseUrl"] = Upstream.OpenAIBaseUrl,
        ["Providers__openai__ApiKey"] = FakeProviderServer.ValidKey,
        ["Providers__openai__Models__0__Id"] = "gpt-4o-mini",
        ["Providers__openai__Models__0__InputPrice"] = "0.15",
        ["Providers__openai__Models__0__OutputPrice"] = "0.6",
        ["Limits__RequestsPerMinute"] = "20",
        ["Jobs__MaxOpenPerUser"] = "50",
        ["Jobs__LeaseSeconds"] = "2",
        ["Jobs__LeaseGraceSeconds"] = "1",
        ["Jobs__PollSeconds"] = "0.25",
        ["Chat__PersistIntervalMilliseconds"] = "100",
        ["Chat__GenerateTitles"] = "false",
        ["Shutdown__DrainSeconds"] = "2",
    };

    public async Task StartAsync(Instance instance)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = _root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "MrPrompt.Web.dll"));
        foreach (var (key, value) in Settings(instance))
        {
            start.Environment[key] = value;
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the app.");
        process.OutputDataReceived += (_, e) => Keep(instance, e.Data);
        process.ErrorDataReceived += (_, e) => Keep(instance, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        instance.Process = process;
        await WaitUntilReadyAsync(instance);
    }

    private void Keep(Instance instance, string? line)
    {
        if (line is not null)
        {
            lock (instance)
            {
                // Both of the process's streams write here, each from its own thread.
                File.AppendAllText(Path.Combine(LogFolder, $"instance-{instance.Name}.log"), line + "\n");
            }
            instance.Output.Enqueue(line);
            while (instance.Output.Count > 500)
            {
                instance.Output.TryDequeue(out _);
            }
        }
    }

    /// <summary>Until <c>/health/ready</c> answers 200; the process's last lines when it never does.</summary>
    private static async Task WaitUntilReadyAsync(Instance instance)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var watch = Stopwatch.StartNew();
        while (true)
        {
            if (instance.Process!.HasExited)
            {
                throw new InvalidOperationException($"Instance {instance.Name} exited:\n{string.Join('\n', instance.Output)}");
            }
            try
            {
                if ((await client.GetAsync($"{instance.Url}/health/ready")).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }
            if (watch.Elapsed > TimeSpan.FromSeconds(90))
            {
                throw new TimeoutException($"Instance {instance.Name} not ready after 90 s:\n{string.Join('\n', instance.Output)}");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Both instances running (a test may have stopped one), and nginx sending to both again: it skips an instance for
    /// 5 s after failing to reach it.
    /// </summary>
    public async Task EnsureRunningAsync()
    {
        foreach (var instance in _instances.Values.Where(i => i.Process is null || i.Process.HasExited))
        {
            await StartAsync(instance);
        }
        // No cookie jar: with nginx's affinity cookie every request would go where the first went.
        using var client = new HttpClient(new HttpClientHandler { UseCookies = false });
        var seen = new HashSet<string>();
        var watch = Stopwatch.StartNew();
        while (seen.Count < _instances.Count)
        {
            using var response = await client.GetAsync($"{ProxyUrl}/health/live");
            seen.Add(response.Headers.GetValues("X-Instance").Single().Split('/')[0]);
            if (watch.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException($"nginx sent requests only to {string.Join(", ", seen)} for 30 s");
            }
            await Task.Delay(20);
        }
    }

    public async Task KillAsync(Instance instance)
    {
        instance.Process!.Kill(entireProcessTree: true);
        await instance.Process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, as systemd or Kubernetes stops an instance; the process drains and exits by itself.</summary>
    public static void Terminate(Instance instance)
    {
        using var kill = Process.Start("kill", ["-TERM", instance.Process!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>The key ring's certificate, made once for the fleet as an operator would (openssl in the README).</summary>
    private void WriteKeyRingCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=MrPrompt key ring", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(5));
        File.WriteAllBytes(Path.Combine(_root, "keyring.pfx"), certificate.Export(X509ContentType.Pfx, KeyRingPassword));
    }

    /// <summary>nginx with the repository's <c>deploy/nginx.conf</c>, only its two instance addresses and its port replaced.</summary>
    private async Task StartNginxAsync()
    {
        var port = FreePort();
        ProxyUrl = $"http://127.0.0.1:{port}";
        var site = (await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Path, "deploy", "nginx.conf")))
            .Replace("127.0.0.1:5001", $"127.0.0.1:{A.Port}", StringComparison.Ordinal)
            .Replace("127.0.0.1:5002", $"127.0.0.1:{B.Port}", StringComparison.Ordinal)
            .Replace("listen 80;", $"listen 127.0.0.1:{port};", StringComparison.Ordinal);
        var nginxRoot = Path.Combine(_root, "nginx");
        Directory.CreateDirectory(nginxRoot);
        OpenToEveryone(nginxRoot); // nginx's workers run as nobody
        await File.WriteAllTextAsync(Path.Combine(nginxRoot, "mrprompt.conf"), site);
        await File.WriteAllTextAsync(Path.Combine(nginxRoot, "nginx.conf"), $$"""
            worker_processes 1;
            daemon off;
            pid {{nginxRoot}}/nginx.pid;
            error_log {{nginxRoot}}/error.log warn;
            events { worker_connections 1024; }
            http {
                access_log off;
                client_body_temp_path {{nginxRoot}}/body;
                proxy_temp_path {{nginxRoot}}/proxy;
                fastcgi_temp_path {{nginxRoot}}/fastcgi;
                uwsgi_temp_path {{nginxRoot}}/uwsgi;
                scgi_temp_path {{nginxRoot}}/scgi;
                include {{nginxRoot}}/mrprompt.conf;
            }
            """);
        var start = new ProcessStartInfo(File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "-p", nginxRoot, "-c", Path.Combine(nginxRoot, "nginx.conf") })
        {
            start.ArgumentList.Add(argument);
        }
        _nginx = Process.Start(start) ?? throw new InvalidOperationException("Could not start nginx.");
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if ((await client.GetAsync($"{ProxyUrl}/health/live")).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (watch.Elapsed < TimeSpan.FromSeconds(20) && !_nginx.HasExited)
            {
                await Task.Delay(100);
                continue;
            }
            throw new InvalidOperationException($"nginx did not come up: {await _nginx.StandardError.ReadToEndAsync()}");
        }
    }

    private static void OpenToEveryone(string folder)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(folder, (UnixFileMode)0b111_111_111);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var instance in _instances.Values.Where(i => i.Process is { HasExited: false }))
        {
            instance.Process!.Kill(entireProcessTree: true);
            await instance.Process.WaitForExitAsync();
        }
        if (_nginx is { HasExited: false })
        {
            _nginx.Kill();
            await _nginx.WaitForExitAsync();
        }
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }
        await Upstream.DisposeAsync();
        await _postgres.DisposeAsync();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
