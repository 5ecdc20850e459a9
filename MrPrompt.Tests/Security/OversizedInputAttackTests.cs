using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Prompts;
using MrPrompt.Infrastructure.Prompts;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Security;

/// <summary>
/// The attack suite's size part: every endpoint that takes a body gets one far over the limit, a huge
/// template and a huge variable, again and again. Each is refused with 400 or 413 before any work, no
/// provider is called, and the process keeps no more than a little memory from it all.
/// </summary>
public sealed class OversizedInputAttackTests(ApiGatewayApp app) : IClassFixture<ApiGatewayApp>
{
    private static readonly int Rounds = 4 * AttackScale.Factor;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// A body of <paramref name="prefix"/>, <paramref name="padding"/> letters (a JSON string when the body is
    /// JSON) and <paramref name="suffix"/>, written as it is sent: the client holds no copy of it.
    /// </summary>
    private static HttpContent Padded(string prefix, int padding, string suffix, string mediaType = "application/json")
    {
        var quote = mediaType == "application/json" ? "\"" : "";
        return new PaddedContent(Encoding.UTF8.GetBytes(prefix + quote), padding, Encoding.UTF8.GetBytes(quote + suffix), mediaType);
    }

    private sealed class PaddedContent : HttpContent
    {
        private readonly byte[] _prefix;
        private readonly int _padding;
        private readonly byte[] _suffix;

        public PaddedContent(byte[] prefix, int padding, byte[] suffix, string mediaType)
        {
            (_prefix, _padding, _suffix) = (prefix, padding, suffix);
            Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(mediaType) { CharSet = mediaType.EndsWith("json", StringComparison.Ordinal) ? "utf-8" : null };
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(_prefix);
            var letters = new byte[64 * 1024];
            Array.Fill(letters, (byte)'a');
            for (var left = _padding; left > 0; left -= letters.Length)
            {
                await stream.WriteAsync(letters.AsMemory(0, Math.Min(left, letters.Length)));
            }
            await stream.WriteAsync(_suffix);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _prefix.Length + _padding + _suffix.Length;
            return true;
        }
    }

    [Fact]
    public async Task Oversized_bodies_huge_templates_and_huge_variables_are_refused_everywhere_without_upstream_calls_or_memory_kept()
    {
        var (adminId, adminKey) = await app.NewApiKeyAsync(scopes: ["admin"]);
        await TestUsers.SetRoleAsync(app.Services, adminId, "Admin");
        var (userId, key) = await app.NewApiKeyAsync();
        var editor = app.Services.GetRequiredService<PromptEditor>();
        var promptKey = $"size-{Guid.NewGuid():N}"[..20];
        var created = await editor.CreateAsync(userId, new PromptDetails(promptKey, "Size", "", [], PromptVisibility.Private),
            new PromptContent("", string.Concat(Enumerable.Repeat("{{x}} ", 2_000))), cancellationToken: Ct);
        var promptId = created.Value;
        const int OverLimit = 5 * 1024 * 1024; // five times the 1 MiB body limit
        const int UnderLimit = 900_000;        // under the body limit, far over what a template or variable may be
        const string Model = ApiGatewayApp.PricedModel;

        var requests = new (string Name, string? Key, HttpMethod Method, string Path, Func<HttpContent> Body)[]
        {
            ("/v1 oversized body", key, HttpMethod.Post, "/v1/chat/completions",
                () => Padded($$"""{"model":"{{Model}}","messages":[{"role":"user","content":""", OverLimit, "}]}")),
            ("/api/gateway oversized body", key, HttpMethod.Post, "/api/gateway",
                () => Padded($$"""{"action":"complete","payload":{"prompt_key":"{{promptKey}}","variables":{"x":""", OverLimit, "}}}")),
            ("/api/gateway huge variable", key, HttpMethod.Post, "/api/gateway",
                () => Padded($$"""{"action":"complete","payload":{"prompt_key":"{{promptKey}}","variables":{"x":""", UnderLimit, "},\"options\":{\"model\":\"" + Model + "\"}}}")),
            ("prompt version oversized body", key, HttpMethod.Post, $"/api/prompts/{promptId}/versions",
                () => Padded("""{"userTemplate":""", OverLimit, "}")),
            ("prompt version huge template", key, HttpMethod.Post, $"/api/prompts/{promptId}/versions",
                () => Padded("""{"userTemplate":""", UnderLimit, "}")),
            ("prompt label oversized body", key, HttpMethod.Put, $"/api/prompts/{promptId}/labels/production",
                () => Padded("""{"version":1,"padding":""", OverLimit, "}")),
            ("invitation oversized body", adminKey, HttpMethod.Post, "/api/admin/invitations",
                () => Padded("""{"email":"a@example.com","role":"User","padding":""", OverLimit, "}")),
            ("retention oversized body", adminKey, HttpMethod.Put, "/api/admin/usage/retention",
                () => Padded("""{"days":90,"padding":""", OverLimit, "}")),
            ("sign-in form oversized body", null, HttpMethod.Post, "/Account/Login",
                () => Padded("Input.Email=a%40example.com&Input.Password=", OverLimit, "", "application/x-www-form-urlencoded")),
            ("registration form oversized body", null, HttpMethod.Post, "/Account/Register",
                () => Padded("Input.Email=a%40example.com&Input.Password=", OverLimit, "", "application/x-www-form-urlencoded")),
        };

        var upstreamBefore = app.Upstream.ChatRequestCount;
        var memoryBefore = 0L;
        var answers = new List<string>();
        var refused = 0;
        for (var round = 0; round < Rounds; round++)
        {
            if (round == 1)
            {
                // After one round: what first use sets up once (code, pools) is not growth from the attack.
                memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
            }
            foreach (var (name, callerKey, method, path, body) in requests)
            {
                var client = app.CreateClient();
                using var request = new HttpRequestMessage(method, path) { Content = body() };
                if (callerKey is not null)
                {
                    request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", callerKey);
                }
                using var response = await client.SendAsync(request, Ct);
                var text = await response.Content.ReadAsStringAsync(Ct);
                if (response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge && text.Length < 10_000)
                {
                    refused++;
                }
                if (round == 0)
                {
                    answers.Add($"{name}: {(int)response.StatusCode} {text[..Math.Min(text.Length, 160)]}");
                }
            }
        }
        var memoryGrowth = GC.GetTotalMemory(forceFullCollection: true) - memoryBefore;

        var sent = Rounds * requests.Length;
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"oversized inputs: {sent} requests of up to {OverLimit / 1024 / 1024} MiB, {refused} refused with 400/413, " +
            $"{app.Upstream.ChatRequestCount - upstreamBefore} upstream calls, managed memory growth {memoryGrowth / 1024 / 1024} MiB\n" + string.Join("\n", answers));
        Assert.True(refused == sent, string.Join("\n", answers));
        Assert.Equal(upstreamBefore, app.Upstream.ChatRequestCount);
        Assert.True(memoryGrowth < 100L * 1024 * 1024, $"memory grew by {memoryGrowth / 1024 / 1024} MiB");
        Assert.Equal(1, (await editor.SaveVersionAsync(userId, promptId, new PromptContent("", "ok {{x}}"), null, Ct)).Value!.Number - 1); // nothing was saved in between
    }
}
