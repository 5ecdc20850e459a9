using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MrPrompt.Infrastructure.Accounts;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Tests.Support;
using Npgsql;

namespace MrPrompt.Tests.Persistence;

/// <summary>The model, the EF migrations and the operators' SQL script must say the same thing.</summary>
public sealed class MigrationsTests(PostgresServer server, TestDatabase database) : IClassFixture<TestDatabase>
{
    private const string RegenerateHint =
        "Regenerate it: dotnet ef migrations script --idempotent --project MrPrompt.Infrastructure " +
        "--startup-project MrPrompt.Infrastructure -o migrations/mrprompt.sql";

    private static string ScriptPath => Path.Combine(RepositoryRoot.Path, "migrations", "mrprompt.sql");

    [Fact]
    public async Task Model_has_no_changes_missing_from_the_migrations()
    {
        await using var db = await database.CreateContextAsync();
        Assert.False(db.Database.HasPendingModelChanges(),
            "The model changed without a migration: dotnet ef migrations add <Name> --project MrPrompt.Infrastructure --startup-project MrPrompt.Infrastructure --output-dir Persistence/Migrations");
    }

    [Fact]
    public async Task Operator_script_matches_the_migrations()
    {
        await using var db = await database.CreateContextAsync();
        var expected = db.GetService<IMigrator>().GenerateScript(options: MigrationsSqlGenerationOptions.Idempotent);
        var actual = await File.ReadAllTextAsync(ScriptPath, TestContext.Current.CancellationToken);
        Assert.True(Normalize(expected) == Normalize(actual), $"migrations/mrprompt.sql is out of date. {RegenerateHint}");
    }

    [Fact]
    public async Task Operator_script_builds_a_schema_the_app_accepts_as_current()
    {
        var connectionString = await server.CreateDatabaseAsync("script");
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            await using var apply = new NpgsqlCommand(await File.ReadAllTextAsync(ScriptPath, TestContext.Current.CancellationToken), connection);
            await apply.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        await using var services = TestDatabase.BuildServices(connectionString, new FakeTimeProvider(),
            new Dictionary<string, string?> { ["Database:MigrateOnStartup"] = "false" });
        await services.GetRequiredService<DatabaseStartup>().RunAsync(TestContext.Current.CancellationToken);
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        Assert.Empty(await db.Database.GetPendingMigrationsAsync(TestContext.Current.CancellationToken));

        var registered = await scope.ServiceProvider.GetRequiredService<AccountRegistrar>()
            .RegisterAsync("script@example.com", "Passw0rd!", TestContext.Current.CancellationToken);
        Assert.True(registered.Succeeded);
    }

    [Fact]
    public async Task Tables_have_the_seed_names()
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name", connection);
        var tables = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken))
        {
            while (await reader.ReadAsync(TestContext.Current.CancellationToken))
            {
                tables.Add(reader.GetString(0));
            }
        }
        Assert.Contains("profiles", tables);
        Assert.Contains("users", tables);
        Assert.Contains("user_roles", tables);
        Assert.DoesNotContain(tables, t => t.StartsWith("AspNet", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Chats_written_before_branches_become_one_branch_each_shown_to_its_newest_message()
    {
        var connectionString = await server.CreateDatabaseAsync("branches");
        await using var services = TestDatabase.BuildServices(connectionString, new FakeTimeProvider(),
            new Dictionary<string, string?> { ["Database:MigrateOnStartup"] = "false" });
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var migrator = db.GetService<IMigrator>();
        await migrator.MigrateAsync("20261205122025_KnowledgeDocumentsFollowTheirCollection", TestContext.Current.CancellationToken);
        var (session, first, second, third) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            // The account behind the chat does not matter here: foreign keys are not checked for these rows.
            await using var insert = new NpgsqlCommand($$"""
                SET session_replication_role = replica;
                INSERT INTO chat_sessions (id, user_id, title, title_is_provisional, model, knowledge_collection_ids, last_activity_at, created_at, updated_at)
                    VALUES ('{{session}}', gen_random_uuid(), 'Old chat', false, 'echo/echo', '{}', now(), now(), now());
                INSERT INTO messages (id, session_id, sequence, sender, content, status, tokens_estimated, created_at, updated_at) VALUES
                    ('{{second}}', '{{session}}', 5, 'assistant', 'Hello', 'complete', false, now(), now()),
                    ('{{first}}', '{{session}}', 2, 'user', 'Hi', 'complete', false, now(), now()),
                    ('{{third}}', '{{session}}', 9, 'user', 'And?', 'complete', false, now(), now());
                """, connection);
            await insert.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        await migrator.MigrateAsync(cancellationToken: TestContext.Current.CancellationToken);

        using var system = MrPrompt.Infrastructure.Persistence.RowSecurity.DataScope.AsSystem("test reads an old chat");
        var parents = await db.Messages.AsNoTracking().Where(m => m.SessionId == session).ToDictionaryAsync(m => m.Id, m => m.ParentId, TestContext.Current.CancellationToken);
        Assert.Equal((null, first, second), (parents[first], parents[second], parents[third]));
        Assert.Equal(third, await db.ChatSessions.Where(s => s.Id == session).Select(s => s.CurrentMessageId).SingleAsync(TestContext.Current.CancellationToken));
    }

    private static string Normalize(string sql) => sql.Trim('\uFEFF', ' ', '\r', '\n').ReplaceLineEndings("\n");
}
