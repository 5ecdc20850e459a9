using System.ComponentModel.DataAnnotations;

namespace MrPrompt.Infrastructure.Persistence;

/// <summary>The <c>Database</c> configuration section.</summary>
public sealed class DatabaseOptions
{
    public const string SectionName = "Database";

    /// <summary>Apply pending EF migrations when the app starts.</summary>
    public bool MigrateOnStartup { get; set; } = true;

    /// <summary>Folder of the embedded cluster (used only without a connection string). Default: <c>.data/postgres</c> in the working folder.</summary>
    public string? DataDir { get; set; }

    /// <summary>Folder holding initdb, pg_ctl and postgres, when they are not on PATH or in /usr/lib/postgresql.</summary>
    public string? PostgresBinDir { get; set; }

    /// <summary>Name of the database the embedded cluster serves.</summary>
    [Required, RegularExpression("^[A-Za-z_][A-Za-z0-9_]{0,62}$", ErrorMessage = "Database:Name must be a plain Postgres identifier.")]
    public string Name { get; set; } = "mrprompt";

    public string ResolveDataDir() => Path.GetFullPath(
        string.IsNullOrWhiteSpace(DataDir) ? Path.Combine(Directory.GetCurrentDirectory(), ".data", "postgres") : DataDir);
}
