using System.Diagnostics;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Providers;
using MrPrompt.Infrastructure.Credentials;
using MrPrompt.Infrastructure.Persistence.Embedded;
using MrPrompt.Infrastructure.Security;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Security;

/// <summary>
/// The attack suite's stored-secret part: tampered ciphertexts are refused, and a dump of the whole database
/// holds no provider key in the clear.
/// </summary>
public sealed class StoredSecretAttackTests(PostgresServer server) : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ServiceProvider? _services;
    private string _connectionString = "";

    private IServiceProvider Services => _services!;

    public async ValueTask InitializeAsync()
    {
        _connectionString = await server.CreateDatabaseAsync("stored-secrets");
        _services = TestDatabase.BuildServices(_connectionString, TimeProvider.System);
        await Services.GetRequiredService<MrPrompt.Infrastructure.Persistence.DatabaseStartup>().RunAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }
    }

    [Fact]
    public void A_thousand_ciphertexts_with_one_bit_flipped_are_all_refused()
    {
        var protector = Services.GetRequiredService<CredentialProtector>();
        var random = new Random(15);
        var rejected = 0;
        var tries = 1000 * AttackScale.Factor;
        for (var i = 0; i < tries; i++)
        {
            var stored = WebEncoders.Base64UrlDecode(protector.Protect($"sk-live-{i:D4}-{Guid.NewGuid():N}"));
            var bit = random.Next(stored.Length * 8);
            stored[bit / 8] ^= (byte)(1 << (bit % 8));
            if (protector.TryUnprotect(WebEncoders.Base64UrlEncode(stored)) is null)
            {
                rejected++;
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"flipped-bit ciphertexts: {tries}, rejected {rejected}");
        Assert.Equal(tries, rejected);
        Assert.Equal("sk-intact", protector.TryUnprotect(protector.Protect("sk-intact"))); // the check itself can succeed
    }

    [Fact]
    public async Task A_dump_of_the_database_after_a_hundred_stored_keys_holds_none_of_them()
    {
        var credentials = Services.GetRequiredService<CredentialService>();
        var keys = new List<string>();
        for (var user = 0; user < 10 * AttackScale.Factor; user++)
        {
            var userId = await TestUsers.RegisterAsync(Services);
            for (var i = 0; i < 10; i++)
            {
                var key = $"sk-plain-{user:D2}{i:D2}-{Guid.NewGuid():N}";
                var (saved, errors) = await credentials.AddAsync(userId, new NewCredential(ProviderPreset.CustomId, $"Key {i}", key, "https://api.example.com/v1", Unchecked: true), Ct);
                Assert.True(saved is not null, string.Join("; ", errors.ByField.SelectMany(e => e.Value)));
                keys.Add(key);
            }
        }

        var dump = await DumpAsync();

        var found = keys.Count(key => dump.Contains(key, StringComparison.Ordinal) || dump.Contains(key[^12..], StringComparison.Ordinal));
        TestContext.Current.TestOutputHelper?.WriteLine($"pg_dump after {keys.Count} stored provider keys: {dump.Length} characters, {found} keys in the clear");
        Assert.Equal(100 * AttackScale.Factor, keys.Count);
        Assert.Equal(0, found);
        Assert.Contains("COPY public.api_credentials", dump, StringComparison.Ordinal); // the rows are in the dump, encrypted
    }

    private async Task<string> DumpAsync()
    {
        // pg_dump sits beside the server's own tools (PATH may hold only a link to pg_ctl).
        var pgCtl = new FileInfo(PostgresBinaries.Locate(null, Environment.GetEnvironmentVariable("PATH")).PgCtl);
        var tools = Path.GetDirectoryName((pgCtl.ResolveLinkTarget(returnFinalTarget: true) ?? pgCtl).FullName)!;
        var target = new Npgsql.NpgsqlConnectionStringBuilder(_connectionString);
        var start = new ProcessStartInfo(Path.Combine(tools, "pg_dump"),
            ["-h", target.Host!, "-p", target.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", target.Username!, "--data-only", target.Database!])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["PGPASSWORD"] = target.Password },
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(Ct);
        var error = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        Assert.True(process.ExitCode == 0, await error);
        return await output;
    }
}
