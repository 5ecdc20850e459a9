using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Accounts;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Web;

/// <summary>
/// The app with a small document limit and a quick progress poll (ingestion runs on its own queue worker), and the fake
/// upstream as the OpenAI provider, to see what an answer over a collection is asked.
/// </summary>
public sealed class KnowledgeApp(PostgresServer server) : ApiGatewayApp(server)
{
    public const int MaxDocumentBytes = 200_000;

    protected override void Configure(Dictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Knowledge:MaxDocumentBytes"] = MaxDocumentBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Knowledge:ProgressPollMilliseconds"] = "20";
        settings["Knowledge:KeepaliveSeconds"] = "1";
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string key, HttpContent? content = null,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await CreateClient().SendAsync(request, completion, TestContext.Current.CancellationToken);
    }

    public async Task<Guid> CreateCollectionAsync(string key, string name, string visibility = "private")
    {
        using var response = await PostJsonAsync("/api/knowledge", key, JsonSerializer.Serialize(new { name, visibility }));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await JsonAsync(response)).GetProperty("id").GetGuid();
    }

    public Task<HttpResponseMessage> UploadAsync(string key, Guid collection, string fileName, byte[] content)
    {
        var form = new MultipartFormDataContent { { new ByteArrayContent(content), "file", fileName } };
        return SendAsync(HttpMethod.Post, $"/api/knowledge/{collection}/documents", key, form);
    }

    /// <summary>Uploads a document and follows its ingestion to the end; the frames without keepalives.</summary>
    public async Task<(Guid DocumentId, List<SseFrame> Frames)> IngestAsync(string key, Guid collection, string fileName, byte[] content)
    {
        using var response = await UploadAsync(key, collection, fileName, content);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var document = (await JsonAsync(response)).GetProperty("document_id").GetGuid();
        return (document, await FollowAsync(key, collection, document));
    }

    public async Task<List<SseFrame>> FollowAsync(string key, Guid collection, Guid document)
    {
        using var events = await SendAsync(HttpMethod.Get, $"/api/knowledge/{collection}/documents/{document}/events", key, completion: HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", events.Content.Headers.ContentType?.MediaType);
        return SseFrame.Parse(await events.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Where(f => f.Event != "keepalive").ToList();
    }

    public async Task<JsonElement> SearchAsync(string key, Guid collection, string query, int topK = 5)
    {
        using var response = await PostJsonAsync($"/api/knowledge/{collection}/search", key, JsonSerializer.Serialize(new { query, top_k = topK }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await JsonAsync(response)).GetProperty("data");
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.Clone();

    /// <summary>The document's passages as stored: id and position.</summary>
    public async Task<List<(Guid Id, int Index)>> PassagesAsync(Guid document)
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return (await db.KnowledgeChunks.Where(c => c.DocumentId == document).OrderBy(c => c.ChunkIndex).Select(c => new { c.Id, c.ChunkIndex }).ToListAsync())
            .Select(c => (c.Id, c.ChunkIndex)).ToList();
    }
}

/// <summary>Knowledge collections over HTTP: upload, ingestion as a job with its event stream, hybrid search, access.</summary>
public sealed class KnowledgeApiTests(KnowledgeApp app) : IClassFixture<KnowledgeApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, int> Documents => new()
    {
        { "handbook.md", 3 },
        { "log.html", 2 },
        { "geology.pdf", 1 },
        { "recipes.docx", 2 },
    };

    private static byte[] ContentOf(string fileName) => Path.GetExtension(fileName) switch
    {
        ".md" => KnowledgeFiles.Markdown,
        ".html" => KnowledgeFiles.Html,
        ".pdf" => KnowledgeFiles.Pdf(),
        _ => KnowledgeFiles.Docx(),
    };

    [Theory]
    [MemberData(nameof(Documents))]
    public async Task Each_type_is_ingested_into_its_passages_with_the_seeds_frames_in_order(string fileName, int passages)
    {
        var (_, key) = await app.NewApiKeyAsync();
        var collection = await app.CreateCollectionAsync(key, $"Files {fileName}");

        var (document, frames) = await app.IngestAsync(key, collection, fileName, ContentOf(fileName));

        Assert.Equal("ready", frames[0].Event);
        Assert.Equal("embed.done", frames[^1].Event);
        var statuses = frames.Where(f => f.Event == "embed.status").Select(f => f.Json).ToList();
        Assert.NotEmpty(statuses);
        Assert.Equal(frames.Count - 2, statuses.Count); // nothing else between ready and done
        Assert.All(statuses, s => Assert.Equal(passages, s.GetProperty("total").GetInt32()));
        Assert.Equal(passages, statuses[^1].GetProperty("done").GetInt32());
        Assert.Equal(statuses.Select(s => s.GetProperty("done").GetInt32()).Order(), statuses.Select(s => s.GetProperty("done").GetInt32()));
        var done = frames[^1].Json;
        Assert.Equal(("ready", passages, passages), (done.GetProperty("status").GetString(), done.GetProperty("progress").GetProperty("done").GetInt32(), done.GetProperty("progress").GetProperty("total").GetInt32()));
        Assert.Equal(Enumerable.Range(0, passages), (await app.PassagesAsync(document)).Select(p => p.Index));
    }

    [Fact]
    public async Task Ingesting_again_replaces_passages_and_adds_none()
    {
        var (_, key) = await app.NewApiKeyAsync();
        var collection = await app.CreateCollectionAsync(key, "Twice");
        var (document, _) = await app.IngestAsync(key, collection, "handbook.md", KnowledgeFiles.Markdown);
        var before = await app.PassagesAsync(document);

        using var again = await app.SendAsync(HttpMethod.Post, $"/api/knowledge/{collection}/documents/{document}/reingest", key);
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        var frames = await app.FollowAsync(key, collection, document);

        Assert.Equal("embed.done", frames[^1].Event);
        Assert.Equal(before, await app.PassagesAsync(document)); // the same rows: 0 new
    }

    [Fact]
    public async Task Bad_documents_get_a_clear_status_and_leave_nothing_behind()
    {
        var (_, key) = await app.NewApiKeyAsync();
        var collection = await app.CreateCollectionAsync(key, "Careful");
        await app.IngestAsync(key, collection, "handbook.md", KnowledgeFiles.Markdown);

        using var duplicate = await app.UploadAsync(key, collection, "copy.md", KnowledgeFiles.Markdown);
        using var unsupported = await app.UploadAsync(key, collection, "tool.exe", [0x4D, 0x5A]);
        using var tooLarge = await app.UploadAsync(key, collection, "big.txt", Encoding.UTF8.GetBytes(new string('a', KnowledgeApp.MaxDocumentBytes + 1)));
        using var noText = await app.PostJsonAsync($"/api/knowledge/{collection}/documents", key, """{"title":"Empty","text":"   "}""");
        using var notJson = await app.PostJsonAsync($"/api/knowledge/{collection}/documents", key, "{ nope");

        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        Assert.Contains("handbook", await duplicate.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, unsupported.StatusCode);
        Assert.Contains(".pdf", await unsupported.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, noText.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        using var list = await app.SendAsync(HttpMethod.Get, $"/api/knowledge/{collection}/documents", key);
        Assert.Equal(1, (await KnowledgeApp.JsonAsync(list)).GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task A_file_that_cannot_be_read_fails_with_its_reason_on_the_stream_and_in_the_list()
    {
        var (_, key) = await app.NewApiKeyAsync();
        var collection = await app.CreateCollectionAsync(key, "Broken");

        var (document, frames) = await app.IngestAsync(key, collection, "scan.pdf", Encoding.UTF8.GetBytes("%PDF-1.4 this is not really a pdf"));

        Assert.Equal(["ready", "error"], frames.Select(f => f.Event));
        Assert.Contains("could not be read", frames[^1].Json.GetProperty("message").GetString());
        using var status = await app.SendAsync(HttpMethod.Get, $"/api/knowledge/{collection}/documents/{document}", key);
        var view = await KnowledgeApp.JsonAsync(status);
        Assert.Equal("failed", view.GetProperty("status").GetString());
        Assert.Contains("could not be read", view.GetProperty("error").GetString());
        Assert.Empty(await app.PassagesAsync(document));
    }

    [Fact]
    public async Task Hybrid_search_finds_a_rare_exact_term_by_words_and_a_paraphrase_by_meaning()
    {
        var (_, key) = await app.NewApiKeyAsync();
        var collection = await app.CreateCollectionAsync(key, "Mixed notes");
        string[] notes =
        [
            "Felines often sleep for most of the afternoon in a patch of sun.",
            "Before you call support, note the serial XR7734Q printed under the battery cover; our team will ask for it when you describe what went wrong with the heating.",
            "Serial numbers look like XR7743Q, XR7374Q or XR7734P: letters, four digits, a letter.",
            "Codes such as XR7734O and XR7784Q identify heaters sold in Europe.",
            "Quarterly revenue rose four percent on strong exports.",
            "Knead the bread dough for ten minutes until it is smooth.",
        ];
        foreach (var (note, i) in notes.Select((n, i) => (n, i)))
        {
            using var pasted = await app.PostJsonAsync($"/api/knowledge/{collection}/documents", key, JsonSerializer.Serialize(new { title = $"Note {i}", text = note }));
            Assert.Equal(HttpStatusCode.Accepted, pasted.StatusCode);
            var document = (await KnowledgeApp.JsonAsync(pasted)).GetProperty("document_id").GetGuid();
            Assert.Equal("embed.done", (await app.FollowAsync(key, collection, document))[^1].Event);
        }

        var code = (await app.SearchAsync(key, collection, "XR7734Q", topK: 3))[0];
        var paraphrase = (await app.SearchAsync(key, collection, "cats napping during daytime", topK: 3))[0];

        // The serial is one word only full-text matches exactly; to the vectors, a passage full of look-alike codes is nearer.
        Assert.Equal("Note 1", code.GetProperty("document_title").GetString());
        Assert.Equal(1, code.GetProperty("text_rank").GetInt32());
        Assert.NotEqual(1, code.GetProperty("vector_rank").GetInt32());
        // Not one word in common (after stemming): only the vectors find it.
        Assert.Equal("Note 0", paraphrase.GetProperty("document_title").GetString());
        Assert.Equal(JsonValueKind.Null, paraphrase.GetProperty("text_rank").ValueKind);
        Assert.Equal(1, paraphrase.GetProperty("vector_rank").GetInt32());
    }

    [Fact]
    public async Task A_deleted_document_leaves_search_at_once()
    {
        var (_, key) = await app.NewApiKeyAsync();
        var collection = await app.CreateCollectionAsync(key, "Shrinking");
        var (document, _) = await app.IngestAsync(key, collection, "handbook.md", KnowledgeFiles.Markdown);
        Assert.NotEqual(0, (await app.SearchAsync(key, collection, "when are apple trees pruned")).GetArrayLength());

        using var deleted = await app.SendAsync(HttpMethod.Delete, $"/api/knowledge/{collection}/documents/{document}", key);

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(0, (await app.SearchAsync(key, collection, "when are apple trees pruned")).GetArrayLength());
        Assert.Empty(await app.PassagesAsync(document));
    }

    [Fact]
    public async Task Another_account_can_neither_see_nor_search_nor_change_a_private_collection()
    {
        var (_, owner) = await app.NewApiKeyAsync();
        var (_, stranger) = await app.NewApiKeyAsync();
        var collection = await app.CreateCollectionAsync(owner, "Mine");
        var (document, _) = await app.IngestAsync(owner, collection, "handbook.md", KnowledgeFiles.Markdown);

        using var list = await app.SendAsync(HttpMethod.Get, "/api/knowledge", stranger);
        using var get = await app.SendAsync(HttpMethod.Get, $"/api/knowledge/{collection}", stranger);
        using var documents = await app.SendAsync(HttpMethod.Get, $"/api/knowledge/{collection}/documents", stranger);
        using var events = await app.SendAsync(HttpMethod.Get, $"/api/knowledge/{collection}/documents/{document}/events", stranger);
        using var search = await app.PostJsonAsync($"/api/knowledge/{collection}/search", stranger, """{"query":"apple"}""");
        using var upload = await app.UploadAsync(stranger, collection, "mine-now.md", Encoding.UTF8.GetBytes("# Taken\nover"));
        using var deleteDocument = await app.SendAsync(HttpMethod.Delete, $"/api/knowledge/{collection}/documents/{document}", stranger);
        using var delete = await app.SendAsync(HttpMethod.Delete, $"/api/knowledge/{collection}", stranger);

        // Other tests' shared collections may be listed; this private one never is.
        Assert.DoesNotContain((await KnowledgeApp.JsonAsync(list)).GetProperty("data").EnumerateArray(), c => c.GetProperty("id").GetGuid() == collection);
        Assert.All([get, documents, events, search, upload, deleteDocument, delete], r => Assert.Equal(HttpStatusCode.NotFound, r.StatusCode));
        Assert.Equal(3, (await app.PassagesAsync(document)).Count);
    }

    [Fact]
    public async Task A_shared_collection_is_read_and_searched_by_everyone_and_changed_by_its_owner_only()
    {
        var (authorId, author) = await app.NewApiKeyAsync();
        await TestUsers.SetRoleAsync(app.Services, authorId, AppRoles.Author);
        var (readerId, reader) = await app.NewApiKeyAsync();
        // The app's first account is its Admin, and tests run in any order: the reader is made a plain user.
        await TestUsers.SetRoleAsync(app.Services, readerId, AppRoles.User);
        using var refused = await app.PostJsonAsync("/api/knowledge", reader, """{"name":"Mine for all","visibility":"shared"}""");
        var collection = await app.CreateCollectionAsync(author, "Team handbook", "shared");
        var (document, _) = await app.IngestAsync(author, collection, "handbook.md", KnowledgeFiles.Markdown);

        var hits = await app.SearchAsync(reader, collection, "when are pears picked");
        using var upload = await app.UploadAsync(reader, collection, "extra.md", Encoding.UTF8.GetBytes("# Extra\ntext"));
        using var deleteDocument = await app.SendAsync(HttpMethod.Delete, $"/api/knowledge/{collection}/documents/{document}", reader);
        using var delete = await app.SendAsync(HttpMethod.Delete, $"/api/knowledge/{collection}", reader);

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("Pears are picked", hits[0].GetProperty("content").GetString());
        Assert.All([upload, deleteDocument, delete], r => Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode));
        using var list = await app.SendAsync(HttpMethod.Get, "/api/knowledge", reader);
        var listed = (await KnowledgeApp.JsonAsync(list)).GetProperty("data").EnumerateArray().Single(c => c.GetProperty("id").GetGuid() == collection);
        Assert.False(listed.GetProperty("owned").GetBoolean());
    }

    [Fact]
    public async Task Control_characters_in_names_are_refused_in_words_and_in_text_they_are_dropped()
    {
        var (_, key) = await app.NewApiKeyAsync();
        using var badName = await app.PostJsonAsync("/api/knowledge", key, """{"name":"before\u0000after"}""");
        var collection = await app.CreateCollectionAsync(key, "Odd text");
        using var badTitle = await app.PostJsonAsync($"/api/knowledge/{collection}/documents", key, """{"title":"nul\u0000title","text":"fine"}""");
        var longHeading = new string('H', 1_500);

        // NUL inside the text, a heading longer than any column, and an emoji cut by nothing in particular.
        using var pasted = await app.PostJsonAsync($"/api/knowledge/{collection}/documents", key,
            JsonSerializer.Serialize(new { title = "Odd", text = $"# {longHeading}\n\nA passage with a NUL \u0000 inside and an emoji 🍐 at its end." }));
        var document = (await KnowledgeApp.JsonAsync(pasted)).GetProperty("document_id").GetGuid();
        var frames = await app.FollowAsync(key, collection, document);

        Assert.Equal(HttpStatusCode.BadRequest, badName.StatusCode);
        Assert.Contains("control characters", await badName.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.BadRequest, badTitle.StatusCode);
        Assert.Equal("embed.done", frames[^1].Event);
        var hit = (await app.SearchAsync(key, collection, "passage with an emoji"))[0];
        Assert.Equal("A passage with a NUL inside and an emoji 🍐 at its end.", hit.GetProperty("content").GetString());
        Assert.Equal(501, hit.GetProperty("heading").GetString()!.Length); // cut to 500, and an ellipsis
    }

    [Fact]
    public async Task Ingestion_spends_the_monthly_budget_and_stops_in_words_when_it_is_gone()
    {
        var (userId, key) = await app.NewApiKeyAsync();
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct))
        {
            await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(u => u.SetProperty(x => x.MonthlyBudgetUsd, 0.00000001m), Ct);
        }
        using var created = await app.PostJsonAsync("/api/knowledge", key, """{"name":"Priced","embedding_model":"openai/text-embedding-3-small"}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var collection = (await KnowledgeApp.JsonAsync(created)).GetProperty("id").GetGuid();
        var calls = app.Upstream.EmbeddingRequests.Count;

        var (_, frames) = await app.IngestAsync(key, collection, "handbook.md", KnowledgeFiles.Markdown);

        Assert.Equal("error", frames[^1].Event);
        Assert.Contains("budget", frames[^1].Json.GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(calls, app.Upstream.EmbeddingRequests.Count); // refused before the provider was asked
    }

    [Fact]
    public async Task The_vectors_of_a_collection_deleted_during_a_search_load_once_as_empty()
    {
        var vectors = app.Services.GetRequiredService<MrPrompt.Infrastructure.Knowledge.VectorIndex>();

        // The search read version 5; by the time the vectors load, the collection is gone (version 0, no rows).
        var loaded = await vectors.GetAsync(Guid.NewGuid(), 5, "local/all-minilm-l6-v2", Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);

        Assert.Empty(loaded.Ids);
    }

    [Fact]
    public async Task A_key_limited_to_some_models_embeds_only_with_them()
    {
        var (userId, owner) = await app.NewApiKeyAsync();
        var collection = await app.CreateCollectionAsync(owner, "Local model");
        await app.IngestAsync(owner, collection, "handbook.md", KnowledgeFiles.Markdown);
        var limited = (await app.Services.GetRequiredService<MrPrompt.Infrastructure.ApiKeys.ApiKeyService>()
            .CreateAsync(userId, "chat only", null, ["openai/gpt-4o-mini"], Ct)).Created!.Secret;

        using var create = await app.PostJsonAsync("/api/knowledge", limited, """{"name":"Sneaky"}""");
        using var upload = await app.UploadAsync(limited, collection, "more.md", System.Text.Encoding.UTF8.GetBytes("# More\nText."));
        using var change = await app.SendAsync(HttpMethod.Patch, $"/api/knowledge/{collection}", limited,
            new StringContent("""{"embedding_model":"openai/text-embedding-3-small"}""", System.Text.Encoding.UTF8, "application/json"));
        using var search = await app.PostJsonAsync($"/api/knowledge/{collection}/search", limited, """{"query":"when are pears picked"}""");

        Assert.All([create, upload, change], r => Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode));
        Assert.Contains("may not use local/all-minilm-l6-v2", await upload.Content.ReadAsStringAsync(Ct));
        // Search still answers, by words alone, and says why.
        var result = await KnowledgeApp.JsonAsync(search);
        Assert.Contains("Searched by words only", result.GetProperty("warning").GetString());
        Assert.Contains("Pears are picked", result.GetProperty("data")[0].GetProperty("content").GetString());
    }
}
