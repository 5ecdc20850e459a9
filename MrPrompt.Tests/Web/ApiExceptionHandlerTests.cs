using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MrPrompt.Web.Endpoints;

namespace MrPrompt.Tests.Web;

public sealed class ApiExceptionHandlerTests
{
    private static (ApiExceptionHandler Handler, DefaultHttpContext Context) Create(string path)
    {
        var services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        var handler = new ApiExceptionHandler(services.GetRequiredService<Microsoft.AspNetCore.Http.IProblemDetailsService>(),
            NullLogger<ApiExceptionHandler>.Instance);
        var context = new DefaultHttpContext { RequestServices = services };
        context.Request.Path = path;
        context.Response.Body = new MemoryStream();
        return (handler, context);
    }

    [Fact]
    public async Task Errors_on_http_endpoints_become_problem_details_without_internals()
    {
        var (handler, context) = Create("/health/ready");

        var handled = await handler.TryHandleAsync(context, new InvalidOperationException("connection string Password=hunter2"), TestContext.Current.CancellationToken);

        Assert.True(handled);
        Assert.Equal(500, context.Response.StatusCode);
        Assert.StartsWith("application/problem+json", context.Response.ContentType);
        context.Response.Body.Position = 0;
        var body = await new StreamReader(context.Response.Body).ReadToEndAsync(TestContext.Current.CancellationToken);
        Assert.DoesNotContain("hunter2", body);
        Assert.DoesNotContain("InvalidOperationException", body);
        Assert.Equal("Something went wrong on our side.", JsonDocument.Parse(body).RootElement.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Errors_on_pages_are_left_to_the_friendly_error_page()
    {
        var (handler, context) = Create("/settings");
        Assert.False(await handler.TryHandleAsync(context, new InvalidOperationException(), TestContext.Current.CancellationToken));
    }
}
