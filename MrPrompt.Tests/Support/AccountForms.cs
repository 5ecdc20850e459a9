using System.Net;
using System.Text.RegularExpressions;

namespace MrPrompt.Tests.Support;

/// <summary>
/// Fills in the server-rendered account forms the way a browser without script would: GET the page,
/// keep its hidden fields (antiforgery token, form name), POST the inputs.
/// </summary>
public static partial class AccountForms
{
    public static Task<HttpResponseMessage> RegisterAsync(HttpClient client, string email, string password, string? confirm = null) =>
        SubmitAsync(client, "/Account/Register", new()
        {
            ["Input.Email"] = email,
            ["Input.Password"] = password,
            ["Input.ConfirmPassword"] = confirm ?? password,
        });

    public static Task<HttpResponseMessage> SignInAsync(HttpClient client, string email, string password, string? returnUrl = null) =>
        SubmitAsync(client, "/Account/Login" + (returnUrl is null ? "" : "?ReturnUrl=" + Uri.EscapeDataString(returnUrl)), new()
        {
            ["Input.Email"] = email,
            ["Input.Password"] = password,
        });

    public static async Task<HttpResponseMessage> SubmitAsync(HttpClient client, string url, Dictionary<string, string> inputs)
    {
        var fields = await HiddenFieldsAsync(client, url);
        foreach (var (name, value) in inputs)
        {
            fields[name] = value;
        }
        return await client.PostAsync(url, new FormUrlEncodedContent(fields), TestContext.Current.CancellationToken);
    }

    /// <summary>The form's hidden fields (antiforgery token, form name) as a GET of <paramref name="url"/> gives them.</summary>
    public static async Task<Dictionary<string, string>> HiddenFieldsAsync(HttpClient client, string url)
    {
        var page = await client.GetAsync(url, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return HiddenInput().Matches(html)
            .ToDictionary(m => WebUtility.HtmlDecode(m.Groups["name"].Value), m => WebUtility.HtmlDecode(m.Groups["value"].Value));
    }

    [GeneratedRegex("""<input type="hidden" name="(?<name>[^"]+)" value="(?<value>[^"]*)"\s*/?>""")]
    private static partial Regex HiddenInput();
}
