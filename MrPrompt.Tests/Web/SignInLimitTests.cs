using System.Net;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Web;

/// <summary>The per-address limit on the sign-in and registration forms, at its default.</summary>
public sealed class SignInLimitTests(SignInLimitTests.DefaultLimitApp app) : IClassFixture<SignInLimitTests.DefaultLimitApp>
{
    /// <summary>The app as shipped: the other apps in the tests lift the limit, since all their clients share one address.</summary>
    public sealed class DefaultLimitApp(PostgresServer server) : MrPromptApp(server)
    {
        protected override void Configure(Dictionary<string, string?> settings) => settings.Remove("Accounts:SignInAttemptsPerMinute");
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Six_hundred_sign_ins_from_one_address_in_a_minute_are_limited_and_the_admin_still_signs_in_from_another()
    {
        await AccountForms.RegisterAsync(app.CreateClient(from: "198.51.100.9"), "admin@example.com", "Passw0rd!");
        var attacker = app.CreateClient(from: "203.0.113.50");
        var form = await AccountForms.HiddenFieldsAsync(attacker, "/Account/Login");
        var answers = new Dictionary<HttpStatusCode, int>();

        for (var attempt = 0; attempt < 600; attempt++)
        {
            form["Input.Email"] = "admin@example.com";
            form["Input.Password"] = $"Guess{attempt}!x";
            using var answer = await attacker.PostAsync("/Account/Login", new FormUrlEncodedContent(form), Ct);
            answers[answer.StatusCode] = answers.GetValueOrDefault(answer.StatusCode) + 1;
        }
        var admin = await AccountForms.SignInAsync(app.CreateClient(from: "198.51.100.9"), "admin@example.com", "Passw0rd!");

        TestContext.Current.TestOutputHelper?.WriteLine($"600 sign-in attempts from one address: {string.Join(", ", answers.Select(a => $"{(int)a.Key} × {a.Value}"))}");
        Assert.Equal(20, answers.GetValueOrDefault(HttpStatusCode.OK)); // the default limit, each a wrong-password page
        Assert.Equal(580, answers.GetValueOrDefault(HttpStatusCode.TooManyRequests));
        Assert.Equal(HttpStatusCode.Redirect, admin.StatusCode);
    }

    [Fact]
    public async Task Registrations_from_one_address_are_limited_and_say_when_to_come_back()
    {
        var client = app.CreateClient(from: "203.0.113.51");
        var form = await AccountForms.HiddenFieldsAsync(client, "/Account/Register");
        var limited = new List<HttpResponseMessage>();

        for (var attempt = 0; attempt < 25; attempt++)
        {
            form["Input.Email"] = $"bulk-{attempt}-{Guid.NewGuid():N}@example.com";
            form["Input.Password"] = form["Input.ConfirmPassword"] = "short"; // refused by the form, so nothing is created
            var answer = await client.PostAsync("/Account/Register", new FormUrlEncodedContent(form), Ct);
            if (answer.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited.Add(answer);
            }
        }

        Assert.Equal(5, limited.Count);
        Assert.Equal("60", limited[0].Headers.GetValues("Retry-After").Single());
        Assert.Contains("Too many attempts from your address", await limited[0].Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/Account/Register", Ct)).StatusCode); // reading the form is not limited
    }
}
