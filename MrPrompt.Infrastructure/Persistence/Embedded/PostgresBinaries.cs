using MrPrompt.Infrastructure;
namespace MrPrompt.Infrastructure.Persistence.Embedded;

/// <summary>The folder that holds a PostgreSQL server's <c>initdb</c>, <c>pg_ctl</c> and <c>postgres</c>.</summary>
public sealed record PostgresBinaries(string Directory)
{
    private static readonly string[] RequiredTools = ["initdb", "pg_ctl", "postgres"];

    public string InitDb => Path.Combine(Directory, "initdb");
    public string PgCtl => Path.Combine(Directory, "pg_ctl");

    public const string MissingMessage =
        "No PostgreSQL server binaries were found (looked in Database:PostgresBinDir, PATH and /usr/lib/postgresql/*/bin). " +
        "Either install PostgreSQL (for example `apt-get install postgresql`) or set ConnectionStrings__Default " +
        "to an existing database.";

    /// <summary>
    /// Looks in the configured folder first, then PATH, then Debian's versioned folders, newest first.
    /// A configured folder that lacks the tools is an error rather than a silent fallback.
    /// </summary>
    public static PostgresBinaries Locate(string? configuredDirectory, string? pathVariable, string debianRoot = "/usr/lib/postgresql")
    {
        if (!string.IsNullOrWhiteSpace(configuredDirectory))
        {
            return HasAllTools(configuredDirectory)
                ? new PostgresBinaries(configuredDirectory)
                : throw new StartupException(
                    $"Database:PostgresBinDir is '{configuredDirectory}', but initdb, pg_ctl and postgres are not all there. " +
                    "Point it at the folder that holds them, or set ConnectionStrings__Default to an existing database.");
        }

        var candidates = (pathVariable ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(DebianVersionFolders(debianRoot));
        var found = candidates.FirstOrDefault(HasAllTools);
        return found is null ? throw new StartupException(MissingMessage) : new PostgresBinaries(found);
    }

    private static IEnumerable<string> DebianVersionFolders(string debianRoot)
    {
        if (!System.IO.Directory.Exists(debianRoot))
        {
            return [];
        }
        return System.IO.Directory.GetDirectories(debianRoot)
            .Select(dir => (dir, version: int.TryParse(Path.GetFileName(dir), out var v) ? v : -1))
            .Where(x => x.version >= 0)
            .OrderByDescending(x => x.version)
            .Select(x => Path.Combine(x.dir, "bin"));
    }

    private static bool HasAllTools(string directory) =>
        RequiredTools.All(tool => File.Exists(Path.Combine(directory, tool)));
}
