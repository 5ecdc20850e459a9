using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using MrPrompt.Infrastructure;
using Npgsql;

namespace MrPrompt.Infrastructure.Persistence.Embedded;

/// <summary>
/// A private PostgreSQL cluster started from the machine's server binaries, so MrPrompt runs with
/// no configuration. The cluster is created once under the data directory and reused; it listens on
/// loopback only, with a generated superuser password kept beside it (never in the logs).
/// </summary>
/// <remarks>
/// Layout of the data directory: <c>pgdata/</c> (the cluster), <c>run/</c> (its socket),
/// <c>postgres.log</c>, <c>pgpass</c> (libpq password file, 0600) and <c>port</c> (last port used,
/// tried first so the printed psql command stays the same between runs).
/// </remarks>
public sealed partial class EmbeddedPostgresServer : IAsyncDisposable, IDisposable
{
    private const string Superuser = "postgres";

    /// <summary>The role the app itself connects as: it owns nothing and is no superuser, so row-level security holds for it.</summary>
    public const string AppRole = "mrprompt_app";

    private readonly EmbeddedPostgresOptions _options;
    private readonly ILogger _logger;
    private readonly CommandRunner _runner = new();
    private PostgresBinaries? _binaries;
    private int _started;

    /// <summary>The server was already running when this one started: a killed run's, or another process's (the app's, for an operator command).</summary>
    private bool _adopted;

    public EmbeddedPostgresServer(EmbeddedPostgresOptions options, ILogger<EmbeddedPostgresServer> logger)
    {
        _options = options with { DataDirectory = Path.GetFullPath(options.DataDirectory) };
        _logger = logger;
    }

    public string DataDirectory => _options.DataDirectory;
    private string ClusterDirectory => Path.Combine(DataDirectory, "pgdata");
    private string SocketDirectory => Path.Combine(DataDirectory, "run");
    private string LogFile => Path.Combine(DataDirectory, "postgres.log");
    private string PasswordFile => Path.Combine(DataDirectory, "pgpass");
    private string AppPasswordFile => Path.Combine(DataDirectory, "app-pgpass");
    private string PortFile => Path.Combine(DataDirectory, "port");
    private string LockFile => Path.Combine(ClusterDirectory, "postmaster.pid");

    public int Port { get; private set; }

    /// <summary>Connection string for <paramref name="database"/> (default: the app's database) as the superuser.</summary>
    public string ConnectionString(string? database = null) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = Superuser,
        Password = ReadPassword(),
        Database = database ?? _options.DatabaseName,
        // Well under the server's max_connections (set at start), so a burst queues in the pool instead of being refused.
        MaxPoolSize = 60,
    }.ConnectionString;

    /// <summary>Connection string for <paramref name="database"/> (default: the app's database) as <see cref="AppRole"/>.</summary>
    public string AppConnectionString(string? database = null) => new NpgsqlConnectionStringBuilder(ConnectionString(database))
    {
        Username = AppRole,
        Password = ReadPassword(AppPasswordFile),
    }.ConnectionString;

    /// <summary>Creates the cluster if needed, starts it (or adopts one a crashed run left behind) and creates the database.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        _binaries = PostgresBinaries.Locate(_options.BinariesDirectory, Environment.GetEnvironmentVariable("PATH"));
        Directory.CreateDirectory(SocketDirectory);

        if (!File.Exists(Path.Combine(ClusterDirectory, "PG_VERSION")))
        {
            await InitializeClusterAsync(cancellationToken);
        }

        if (await TryAdoptRunningServerAsync(cancellationToken))
        {
            _adopted = true;
            LogAdopted(_logger, Port);
        }
        else
        {
            await StartServerAsync(cancellationToken);
        }
        Volatile.Write(ref _started, 1);
        await File.WriteAllTextAsync(PortFile, Port.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
        await EnsureDatabaseAsync(_options.DatabaseName, cancellationToken);
        await EnsureAppRoleAsync(cancellationToken);

        var stop = $"{(_runner.RunsAsServiceAccount ? $"runuser -u {CommandRunner.ServiceAccount} -- " : "")}{_binaries.PgCtl} stop -D {ClusterDirectory}";
        LogReady(_logger, DataDirectory, PasswordFile, Port, _options.DatabaseName, stop);
    }

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        // Once only, however many owners (host, container, test factory) ask.
        if (_binaries is null || Interlocked.Exchange(ref _started, 0) == 0)
        {
            return;
        }
        NpgsqlConnection.ClearAllPools();
        // A server this process found running may still serve another process: an operator command
        // run next to the app must not pull the app's database from under it. A killed run's server
        // has no one else connected and is stopped as usual.
        if (_adopted && await OtherClientsAfterOurOwnLeftAsync(cancellationToken) is > 0 and var others)
        {
            LogLeftRunning(_logger, others);
            return;
        }
        var result = await _runner.RunAsync(_binaries.PgCtl, ["stop", "-D", ClusterDirectory, "-m", "fast", "-w"], cancellationToken);
        if (!result.Succeeded)
        {
            LogStopFailed(_logger, result.Output);
        }
    }

    /// <summary>
    /// Other clients, counted again for up to half a second while there are some: a connection this
    /// process just closed lingers as a backend until the server has seen it go.
    /// </summary>
    private async Task<long> OtherClientsAfterOurOwnLeftAsync(CancellationToken cancellationToken)
    {
        var others = await OtherClientsAsync(cancellationToken);
        for (var check = 0; others > 0 && check < 10; check++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
            others = await OtherClientsAsync(cancellationToken);
        }
        return others;
    }

    /// <summary>Client connections to the server other than the one asking; this process's pools are empty by now.</summary>
    private async Task<long> OtherClientsAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
            await connection.OpenAsync(cancellationToken);
            await using var count = new NpgsqlCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()", connection);
            return (long)(await count.ExecuteScalarAsync(cancellationToken))!;
        }
        catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException)
        {
            return 0; // not answering: nothing to keep running for
        }
    }

    /// <summary>Creates <paramref name="database"/> when it does not exist yet.</summary>
    public async Task EnsureDatabaseAsync(string database, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", connection);
        exists.Parameters.AddWithValue("name", database);
        if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
        {
            return;
        }
        // Identifiers cannot be parameters; quoting with doubled quotes makes any name safe.
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", connection);
        await create.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Creates <see cref="AppRole"/> (cluster-wide, once) with the password in its own file; what it may do in
    /// each database is granted after migrations (<see cref="DatabaseStartup"/>).
    /// </summary>
    private async Task EnsureAppRoleAsync(CancellationToken cancellationToken)
    {
        var newPassword = !File.Exists(AppPasswordFile);
        if (newPassword)
        {
            var generated = RandomNumberGenerator.GetHexString(32, lowercase: true);
            await WritePrivateAsync(AppPasswordFile, $"127.0.0.1:*:*:{AppRole}:{generated}\n", cancellationToken);
        }
        var password = ReadPassword(AppPasswordFile);
        // DDL takes no parameters: only the hex this class writes may reach the statement.
        if (password.Length < 32 || !password.All(char.IsAsciiHexDigitLower))
        {
            throw new StartupException($"{AppPasswordFile} does not hold a password this app wrote; delete it to have a new one made.");
        }
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync(cancellationToken);
        // The password is set only when its file is new (a first start, or a lost file), so two processes
        // starting on one cluster never both alter the role.
        await using var create = new NpgsqlCommand($"""
            DO $$ BEGIN
                CREATE ROLE {AppRole} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD '{password}';
            EXCEPTION WHEN duplicate_object THEN
                IF {(newPassword ? "true" : "false")} THEN ALTER ROLE {AppRole} PASSWORD '{password}'; END IF;
            END $$;
            """, connection);
        await create.ExecuteNonQueryAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>For containers disposed synchronously: the server must not outlive the app.</summary>
    public void Dispose() => StopAsync().GetAwaiter().GetResult();

    private async Task InitializeClusterAsync(CancellationToken cancellationToken)
    {
        // A half-made cluster from an interrupted initdb would make initdb refuse the folder.
        if (Directory.Exists(ClusterDirectory))
        {
            Directory.Delete(ClusterDirectory, recursive: true);
        }
        var password = RandomNumberGenerator.GetHexString(32, lowercase: true);
        var initialPasswordFile = Path.Combine(DataDirectory, "initdb-password");
        await WritePrivateAsync(initialPasswordFile, password, cancellationToken);
        await WritePasswordFileAsync(password, cancellationToken);
        await _runner.HandOverAsync(DataDirectory, cancellationToken);
        try
        {
            var result = await _runner.RunAsync(_binaries!.InitDb,
                ["-D", ClusterDirectory, "-U", Superuser, "--pwfile", initialPasswordFile,
                 "--auth", "scram-sha-256", "-E", "UTF8", "--no-locale"], cancellationToken);
            if (!result.Succeeded)
            {
                throw new StartupException(
                    $"initdb could not create the embedded cluster in {ClusterDirectory}: {result.Output}" + AccessHint());
            }
        }
        finally
        {
            File.Delete(initialPasswordFile);
        }
    }

    private async Task StartServerAsync(CancellationToken cancellationToken)
    {
        RemoveStaleLockFile();
        await _runner.HandOverAsync(DataDirectory, cancellationToken);
        Port = ChoosePort();
        // pg_ctl splits -o like a shell: quote the path so a folder with spaces works.
        var serverOptions = $"-c listen_addresses=127.0.0.1 -c max_connections=200 -p {Port} -k '{SocketDirectory}'";
        var result = await _runner.RunAsync(_binaries!.PgCtl,
            ["start", "-D", ClusterDirectory, "-l", LogFile, "-w", "-t", _options.StartTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", serverOptions],
            cancellationToken);
        if (!result.Succeeded)
        {
            throw new StartupException(
                $"The embedded PostgreSQL did not start: {result.Output}. Its log is {LogFile}." + AccessHint());
        }
    }

    /// <summary>
    /// A run that was killed leaves its server running (pg_ctl detaches it). If the lock file names a
    /// live postgres for this cluster that accepts our password, keep using it instead of failing.
    /// </summary>
    private async Task<bool> TryAdoptRunningServerAsync(CancellationToken cancellationToken)
    {
        if (ReadLockFile() is not { } lockInfo || !IsPostgresProcess(lockInfo.ProcessId))
        {
            return false;
        }
        Port = lockInfo.Port;
        try
        {
            await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
            await connection.OpenAsync(cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException)
        {
            return false;
        }
    }

    /// <summary>
    /// Postgres itself removes a lock file whose process is gone, but not one whose process id was
    /// reused by an unrelated process after a crash (common in containers). Such a file is stale.
    /// </summary>
    private void RemoveStaleLockFile()
    {
        if (ReadLockFile() is { } lockInfo && !IsPostgresProcess(lockInfo.ProcessId))
        {
            LogStaleLock(_logger, lockInfo.ProcessId);
            File.Delete(LockFile);
        }
    }

    private (int ProcessId, int Port)? ReadLockFile()
    {
        if (!File.Exists(LockFile))
        {
            return null;
        }
        var lines = File.ReadAllLines(LockFile);
        // postmaster.pid: line 1 is the process id, line 4 the port.
        return lines.Length >= 4 && int.TryParse(lines[0], out var pid) && int.TryParse(lines[3], out var port)
            ? (pid, port)
            : (0, 0);
    }

    private static bool IsPostgresProcess(int processId)
    {
        if (processId <= 0)
        {
            return false;
        }
        try
        {
            var commandLine = File.ReadAllText($"/proc/{processId}/cmdline");
            var program = Path.GetFileName(commandLine.Split('\0')[0]);
            return program is "postgres" or "postmaster";
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private int ChoosePort()
    {
        if (File.Exists(PortFile) && int.TryParse(File.ReadAllText(PortFile), out var previous) && IsFree(previous))
        {
            return previous;
        }
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private async Task WritePasswordFileAsync(string password, CancellationToken cancellationToken)
    {
        // libpq's password file format, so the logged psql command works without showing the secret.
        await WritePrivateAsync(PasswordFile, $"127.0.0.1:*:*:{Superuser}:{password}\n", cancellationToken);
    }

    /// <summary>Creates a file only its owner can read, from the first byte on (no readable window).</summary>
    private static async Task WritePrivateAsync(string path, string content, CancellationToken cancellationToken)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        await using var stream = new FileStream(path, options);
        await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(content), cancellationToken);
    }

    private string ReadPassword() => ReadPassword(PasswordFile);

    private static string ReadPassword(string passwordFile)
    {
        var line = File.ReadAllText(passwordFile).Trim();
        return line[(line.LastIndexOf(':') + 1)..];
    }

    private string AccessHint() => _runner.RunsAsServiceAccount
        ? $" Running as root, the server runs as the '{CommandRunner.ServiceAccount}' account, which needs to reach {DataDirectory}; " +
          "if a parent folder is private, set Database__DataDir to a folder it can reach."
        : "";

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Embedded PostgreSQL: data in {DataDirectory}; connect with PGPASSFILE={PasswordFile} psql -h 127.0.0.1 -p {Port} -U postgres {Database}; should the app be killed, {StopCommand} stops it")]
    private static partial void LogReady(ILogger logger, string dataDirectory, string passwordFile, int port, string database, string stopCommand);

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedded PostgreSQL was still running from an earlier run on port {Port}; reusing it")]
    private static partial void LogAdopted(ILogger logger, int port);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removing a stale postmaster.pid left by a crash (process {ProcessId} is not PostgreSQL)")]
    private static partial void LogStaleLock(ILogger logger, int processId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedded PostgreSQL left running: it was running before this process and {Clients} other connections still use it")]
    private static partial void LogLeftRunning(ILogger logger, long clients);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Embedded PostgreSQL did not stop cleanly: {Output}")]
    private static partial void LogStopFailed(ILogger logger, string output);
}
