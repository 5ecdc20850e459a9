using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MrPrompt.Domain.ApiKeys;
using MrPrompt.Domain.Chat;
using MrPrompt.Domain.Credentials;
using MrPrompt.Domain.Gateway;
using MrPrompt.Domain.Knowledge;
using MrPrompt.Domain.Prompts;
using MrPrompt.Domain.Providers;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Persistence.RowSecurity;
using MrPrompt.Tests.Support;
using Npgsql;

namespace MrPrompt.Tests.Security;

/// <summary>
/// Row-level security, with the app's own role and no owner filter in the queries: what a query forgets, the
/// database still refuses. Two accounts each own one row (or two) in every user-owned table.
/// </summary>
public sealed class RowLevelSecurityTests(PostgresServer server) : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ServiceProvider? _services;
    private string _appConnection = "";
    private Guid _ada;
    private Guid _bob;

    private IServiceProvider Services => _services!;

    public async ValueTask InitializeAsync()
    {
        var owner = await server.CreateDatabaseAsync("rls");
        _appConnection = server.AsAppRole(owner);
        _services = TestDatabase.BuildServices(_appConnection, new FakeTimeProvider(DateTimeOffset.UtcNow),
            new Dictionary<string, string?> { ["ConnectionStrings:Migrations"] = owner });
        await Services.GetRequiredService<DatabaseStartup>().RunAsync(Ct);
        using (DataScope.AsSystem("test: two accounts' rows"))
        {
            _ada = await TestUsers.RegisterAsync(Services);
            _bob = await TestUsers.RegisterAsync(Services);
            await SeedAsync(_ada);
            await SeedAsync(_bob);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }
    }

    private async Task<AppDbContext> ContextAsync() =>
        await Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct);

    private async Task SeedAsync(Guid user)
    {
        await using var db = await ContextAsync();
        var now = DateTimeOffset.UtcNow;
        var chat = new ChatSession { Id = Guid.NewGuid(), UserId = user, Model = "echo/echo", CreatedAt = now, UpdatedAt = now, LastActivityAt = now };
        db.ChatSessions.Add(chat);
        db.Messages.Add(new Message { Id = Guid.NewGuid(), SessionId = chat.Id, Sequence = 1, Sender = MessageSender.User, Content = $"secret of {user}" });
        db.Messages.Add(new Message { Id = Guid.NewGuid(), SessionId = chat.Id, Sequence = 2, Sender = MessageSender.Assistant, Content = "answer" });
        var question = Guid.NewGuid();
        db.Messages.Add(new Message { Id = question, SessionId = chat.Id, Sequence = 3, Sender = MessageSender.User, Content = "with a file" });
        db.MessageAttachments.Add(new MessageAttachment { Id = Guid.NewGuid(), MessageId = question, SessionId = chat.Id, UserId = user, FileName = "a.txt", ContentType = "text/plain", Data = [1], CreatedAt = now, UpdatedAt = now });
        db.ChatShares.Add(new ChatShare { Id = Guid.NewGuid(), SessionId = chat.Id, UserId = user, TokenHash = Guid.NewGuid().ToString("N"), Snapshot = "{}", CreatedAt = now, UpdatedAt = now });
        db.CompareRuns.Add(new CompareRun { Id = Guid.NewGuid(), UserId = user, Prompt = "compare", Models = ["echo/echo"], CreatedAt = now, UpdatedAt = now });
        foreach (var visibility in new[] { PromptVisibility.Private, PromptVisibility.Public })
        {
            var prompt = new Prompt { Id = Guid.NewGuid(), OwnerId = user, Key = $"p-{Guid.NewGuid():N}", Title = $"{visibility} of {user}", Visibility = visibility, LatestVersion = 1, CreatedAt = now, UpdatedAt = now };
            var version = new PromptVersion { Id = Guid.NewGuid(), PromptId = prompt.Id, Number = 1, UserTemplate = "{{x}}", AuthorId = user, CreatedAt = now };
            db.Prompts.Add(prompt);
            db.PromptVersions.Add(version);
            db.PromptLabels.Add(new PromptLabel { PromptId = prompt.Id, Name = "production", VersionId = version.Id, MovedBy = user, MovedAt = now });
        }
        db.ApiCredentials.Add(new ApiCredential { Id = Guid.NewGuid(), UserId = user, Provider = "openai", Kind = ProviderKind.OpenAI, Name = "mine", EncryptedKey = "x", KeyHint = "…", CreatedAt = now, UpdatedAt = now });
        db.PersonalApiKeys.Add(new PersonalApiKey { Id = Guid.NewGuid(), UserId = user, Name = "bot", Prefix = "mrp_x", Hash = Guid.NewGuid().ToString("N"), CreatedAt = now });
        db.UsageRecords.Add(new UsageRecord { Id = Guid.NewGuid(), UserId = user, Provider = "echo", Model = "echo", ChatSessionId = chat.Id, ExecutedAt = now });
        db.CachedResponses.Add(new CachedResponse { Id = Guid.NewGuid(), CacheKey = Guid.NewGuid().ToString("N"), UserId = user, Model = "echo", ResponseContent = "cached", CreatedAt = now, ExpiresAt = now.AddHours(1) });
        db.IdempotencyRecords.Add(new IdempotencyRecord { UserId = user, Key = Guid.NewGuid().ToString("N"), RequestHash = "h", CreatedAt = now });
        await db.SaveChangesAsync(Ct);
    }

    /// <summary>The ids of every row of every user-owned table the context can see, read with no filter at all.</summary>
    private static async Task<Dictionary<string, string[]>> VisibleRowsAsync(AppDbContext db) => new()
    {
        ["profiles"] = await db.Profiles.Select(p => p.Id.ToString()).ToArrayAsync(Ct),
        ["chat_sessions"] = await db.ChatSessions.Select(c => c.Id.ToString()).ToArrayAsync(Ct),
        ["messages"] = await db.Messages.Select(m => m.Id.ToString()).ToArrayAsync(Ct),
        ["chat_shares"] = await db.ChatShares.Select(s => s.Id.ToString()).ToArrayAsync(Ct),
        ["message_attachments"] = await db.MessageAttachments.Select(a => a.Id.ToString()).ToArrayAsync(Ct),
        ["compare_runs"] = await db.CompareRuns.Select(c => c.Id.ToString()).ToArrayAsync(Ct),
        ["api_credentials"] = await db.ApiCredentials.Select(c => c.Id.ToString()).ToArrayAsync(Ct),
        ["personal_api_keys"] = await db.PersonalApiKeys.Select(k => k.Id.ToString()).ToArrayAsync(Ct),
        ["prompt_usage_logs"] = await db.UsageRecords.Select(u => u.Id.ToString()).ToArrayAsync(Ct),
        ["ai_response_cache"] = await db.CachedResponses.Select(c => c.Id.ToString()).ToArrayAsync(Ct),
        ["idempotency_keys"] = await db.IdempotencyRecords.Select(i => i.Key).ToArrayAsync(Ct),
        ["prompts"] = await db.Prompts.Select(p => p.Id.ToString()).ToArrayAsync(Ct),
        ["prompt_versions"] = await db.PromptVersions.Select(v => v.Id.ToString()).ToArrayAsync(Ct),
        ["prompt_labels"] = await db.PromptLabels.Select(l => l.VersionId.ToString()).ToArrayAsync(Ct),
    };

    /// <summary>Per table, the ids of the rows <paramref name="user"/> may see: its own, and public prompts with their versions and labels.</summary>
    private async Task<Dictionary<string, HashSet<string>>> RowsVisibleToAsync(Guid user)
    {
        using var system = DataScope.AsSystem("test: who owns what");
        await using var db = await ContextAsync();
        var publicPrompts = db.Prompts.Where(p => p.OwnerId == user || p.Visibility == PromptVisibility.Public).Select(p => p.Id);
        var own = new Dictionary<string, IEnumerable<string>>
        {
            ["profiles"] = await db.Profiles.Where(p => p.Id == user).Select(p => p.Id.ToString()).ToArrayAsync(Ct),
            ["chat_sessions"] = await db.ChatSessions.Where(c => c.UserId == user).Select(c => c.Id.ToString()).ToArrayAsync(Ct),
            ["messages"] = await db.Messages.Where(m => db.ChatSessions.Any(c => c.Id == m.SessionId && c.UserId == user)).Select(m => m.Id.ToString()).ToArrayAsync(Ct),
            ["chat_shares"] = await db.ChatShares.Where(s => s.UserId == user).Select(s => s.Id.ToString()).ToArrayAsync(Ct),
            ["message_attachments"] = await db.MessageAttachments.Where(a => a.UserId == user).Select(a => a.Id.ToString()).ToArrayAsync(Ct),
            ["compare_runs"] = await db.CompareRuns.Where(c => c.UserId == user).Select(c => c.Id.ToString()).ToArrayAsync(Ct),
            ["api_credentials"] = await db.ApiCredentials.Where(c => c.UserId == user).Select(c => c.Id.ToString()).ToArrayAsync(Ct),
            ["personal_api_keys"] = await db.PersonalApiKeys.Where(k => k.UserId == user).Select(k => k.Id.ToString()).ToArrayAsync(Ct),
            ["prompt_usage_logs"] = await db.UsageRecords.Where(u => u.UserId == user).Select(u => u.Id.ToString()).ToArrayAsync(Ct),
            ["ai_response_cache"] = await db.CachedResponses.Where(c => c.UserId == user).Select(c => c.Id.ToString()).ToArrayAsync(Ct),
            ["idempotency_keys"] = await db.IdempotencyRecords.Where(i => i.UserId == user).Select(i => i.Key).ToArrayAsync(Ct),
            ["prompts"] = await publicPrompts.Select(id => id.ToString()).ToArrayAsync(Ct),
            ["prompt_versions"] = await db.PromptVersions.Where(v => publicPrompts.Contains(v.PromptId)).Select(v => v.Id.ToString()).ToArrayAsync(Ct),
            ["prompt_labels"] = await db.PromptLabels.Where(l => publicPrompts.Contains(l.PromptId)).Select(l => l.VersionId.ToString()).ToArrayAsync(Ct),
        };
        return own.ToDictionary(t => t.Key, t => t.Value.ToHashSet());
    }

    [Fact]
    public async Task Queries_without_an_owner_filter_return_only_the_accounts_own_rows()
    {
        var allowed = await RowsVisibleToAsync(_ada);
        using var asAda = DataScope.ForUser(_ada);
        await using var db = await ContextAsync();

        var visible = await VisibleRowsAsync(db);

        var foreign = visible.Sum(table => table.Value.Count(id => !allowed[table.Key].Contains(id)));
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"row-level security: {visible.Count} tables read unfiltered as one account: {visible.Sum(t => t.Value.Length)} rows, {foreign} of another account");
        Assert.Equal(0, foreign);
        Assert.All(visible, table => Assert.Equal(allowed[table.Key].Order(), table.Value.Order()));
        Assert.Equal(3, visible["prompts"].Length); // both of Ada's and Bob's public one
    }

    [Fact]
    public async Task Without_an_account_nothing_user_owned_is_visible()
    {
        using var nobody = DataScope.None();
        await using var db = await ContextAsync();

        var visible = await VisibleRowsAsync(db);

        Assert.All(visible.Where(t => !t.Key.StartsWith("prompt", StringComparison.Ordinal) || t.Key == "prompt_usage_logs"), table => Assert.Empty(table.Value));
        Assert.Equal(2, visible["prompts"].Length); // the two public ones, for anyone
        Assert.Equal(0, await db.Database.SqlQuery<int>($"SELECT count(*)::int AS \"Value\" FROM messages").SingleAsync(Ct));
    }

    [Fact]
    public async Task An_account_cannot_change_delete_or_add_rows_in_anothers_name()
    {
        using var asAda = DataScope.ForUser(_ada);
        await using var db = await ContextAsync();

        var renamed = await db.ChatSessions.Where(c => c.UserId == _bob).ExecuteUpdateAsync(s => s.SetProperty(c => c.Title, "mine now"), Ct);
        var deleted = await db.PersonalApiKeys.Where(k => k.UserId == _bob).ExecuteDeleteAsync(Ct);
        var publicChanged = await db.Prompts.Where(p => p.OwnerId == _bob).ExecuteUpdateAsync(s => s.SetProperty(p => p.Title, "defaced"), Ct);
        var movedToBob = await db.ChatSessions.Where(c => c.UserId == _ada).ExecuteUpdateAsync(s => s.SetProperty(c => c.UserId, _bob), Ct)
            .ContinueWith(t => t.IsFaulted ? "refused" : $"{t.Result} moved", Ct);
        db.ChatSessions.Add(new ChatSession { Id = Guid.NewGuid(), UserId = _bob, Model = "echo/echo" });
        var planted = await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync(Ct));

        Assert.Equal(0, renamed);
        Assert.Equal(0, deleted);
        Assert.Equal(0, publicChanged);
        Assert.Equal("refused", movedToBob);
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, Assert.IsType<PostgresException>(planted.InnerException).SqlState);
        using var system = DataScope.AsSystem("test: check Bob's rows");
        await using var check = await ContextAsync();
        Assert.Equal(1, await check.ChatSessions.CountAsync(c => c.UserId == _bob && c.Title != "mine now", Ct));
        Assert.Equal(1, await check.PersonalApiKeys.CountAsync(k => k.UserId == _bob, Ct));
    }

    [Fact]
    public async Task A_public_prompt_shows_its_owners_name_to_others_and_its_owner_counts_everyones_use()
    {
        Guid adasPublic, adasVersion;
        using (DataScope.AsSystem("test: Bob runs Ada's public prompt"))
        {
            await using var db = await ContextAsync();
            var version = await db.PromptVersions
                .SingleAsync(v => db.Prompts.Any(p => p.Id == v.PromptId && p.OwnerId == _ada && p.Visibility == PromptVisibility.Public), Ct);
            (adasPublic, adasVersion) = (version.PromptId, version.Id);
            db.UsageRecords.Add(new UsageRecord { Id = Guid.NewGuid(), UserId = _bob, Provider = "echo", Model = "echo", PromptVersionId = adasVersion, ExecutedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync(Ct);
        }
        var library = Services.GetRequiredService<MrPrompt.Infrastructure.Prompts.PromptLibrary>();

        IReadOnlyList<MrPrompt.Infrastructure.Prompts.PromptSummary> seenByBob;
        using (DataScope.ForUser(_bob))
        {
            seenByBob = await library.ListAsync(_bob, new MrPrompt.Infrastructure.Prompts.PromptQuery(), Ct);
        }
        IReadOnlyDictionary<Guid, MrPrompt.Infrastructure.Prompts.PromptVersionStats> stats;
        using (DataScope.ForUser(_ada))
        {
            stats = await library.StatsAsync(_ada, adasPublic, Ct);
        }

        var shown = Assert.Single(seenByBob, p => p.Id == adasPublic);
        Assert.NotEqual("", shown.OwnerName);
        Assert.Equal(1, stats[adasVersion].Uses);
    }

    [Fact]
    public async Task The_apps_role_is_no_superuser_and_cannot_read_server_files()
    {
        await using var connection = new NpgsqlConnection(_appConnection);
        await connection.OpenAsync(Ct);
        await using var role = new NpgsqlCommand("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user", connection);
        await using var read = new NpgsqlCommand("SELECT pg_read_binary_file('postgresql.conf')", connection);

        Assert.False((bool)(await role.ExecuteScalarAsync(Ct))!);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => read.ExecuteScalarAsync(Ct));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
    }

    [Fact]
    public async Task Knowledge_is_its_owners_shared_collections_are_read_only_to_others_and_nothing_can_be_planted_in_them()
    {
        var now = DateTimeOffset.UtcNow;
        KnowledgeCollection Collection(Guid owner, KnowledgeVisibility visibility) =>
            new() { Id = Guid.NewGuid(), OwnerId = owner, Name = $"{visibility} of {owner}", Visibility = visibility, EmbeddingModel = "local/all-minilm-l6-v2", CreatedAt = now, UpdatedAt = now };
        var bobsPrivate = Collection(_bob, KnowledgeVisibility.Private);
        var bobsShared = Collection(_bob, KnowledgeVisibility.Shared);
        using (DataScope.ForUser(_bob))
        {
            await using var db = await ContextAsync();
            db.KnowledgeCollections.AddRange(bobsPrivate, bobsShared);
            foreach (var collection in new[] { bobsPrivate, bobsShared })
            {
                var document = new KnowledgeDocument { Id = Guid.NewGuid(), CollectionId = collection.Id, OwnerId = _bob, Title = "notes", ContentHash = Guid.NewGuid().ToString("N"), Source = [1], Status = DocumentStatus.Ready };
                db.KnowledgeDocuments.Add(document);
                db.KnowledgeChunks.Add(new KnowledgeChunk { Id = Guid.NewGuid(), CollectionId = collection.Id, DocumentId = document.Id, Content = "secret passage", Embedding = [1f], Model = "local/all-minilm-l6-v2", CreatedAt = now });
            }
            await db.SaveChangesAsync(Ct);
        }

        using var asAda = DataScope.ForUser(_ada);
        await using var ada = await ContextAsync();
        var collections = await ada.KnowledgeCollections.Select(c => c.Id).ToListAsync(Ct);
        var passages = await ada.KnowledgeChunks.Select(c => c.CollectionId).ToListAsync(Ct);
        var renamed = await ada.KnowledgeCollections.Where(c => c.Id == bobsShared.Id).ExecuteUpdateAsync(set => set.SetProperty(c => c.Name, "mine now"), Ct);
        var emptied = await ada.KnowledgeChunks.Where(c => c.CollectionId == bobsShared.Id).ExecuteDeleteAsync(Ct);
        // A document of Ada's own in Bob's collection: its owner column is hers, the collection is not.
        ada.KnowledgeDocuments.Add(new KnowledgeDocument { Id = Guid.NewGuid(), CollectionId = bobsShared.Id, OwnerId = _ada, Title = "planted", ContentHash = "x", Source = [1] });
        var planted = await Assert.ThrowsAsync<DbUpdateException>(() => ada.SaveChangesAsync(Ct));

        Assert.Equal([bobsShared.Id], collections);
        Assert.Equal([bobsShared.Id], passages);
        Assert.Equal((0, 0), (renamed, emptied));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, Assert.IsType<PostgresException>(planted.InnerException).SqlState);
    }
}
