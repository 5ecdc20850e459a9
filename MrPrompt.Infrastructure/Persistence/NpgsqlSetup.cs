using Microsoft.EntityFrameworkCore;

namespace MrPrompt.Infrastructure.Persistence;

/// <summary>The one place that says how MrPrompt talks to Postgres, shared by the app, tests and design-time tools.</summary>
public static class NpgsqlSetup
{
    public static DbContextOptionsBuilder UseMrPromptPostgres(this DbContextOptionsBuilder options, string connectionString) =>
        options
            .UseNpgsql(connectionString, npgsql => npgsql.MigrationsHistoryTable("__ef_migrations_history"))
            .UseSnakeCaseNamingConvention();
}
