using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.SignalR;
using MrPrompt.Domain.Prompts;
using MrPrompt.Infrastructure;
using MrPrompt.Web.Circuits;
using MrPrompt.Infrastructure.Chat;
using MrPrompt.Infrastructure.Gateway;
using MrPrompt.Infrastructure.Gateway.Providers;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Usage;
using MrPrompt.Web.Components.Account;
using MrPrompt.Web.Components.Layout;
using MrPrompt.Web.Endpoints;
using MrPrompt.Web.Rendering;
using MudBlazor.Services;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

using MrPrompt.Web.Authentication;

namespace MrPrompt.Web;

/// <summary>Registration and pipeline of the web host, one helper per concern.</summary>
internal static partial class Extensions
{
    /// <summary>Telemetry, health checks and error responses that every MrPrompt host shares.</summary>
    public static void AddServiceDefaults(this WebApplicationBuilder builder)
    {
        // Known before anything else is registered: telemetry names the instance on every trace, metric and log record.
        var instance = new MrPrompt.Infrastructure.Cluster.InstanceIdentity(builder.Configuration[MrPrompt.Infrastructure.Cluster.InstanceIdentity.NameSetting]);
        builder.Services.AddSingleton(instance);
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("MrPrompt", serviceInstanceId: instance.Name))
            .WithMetrics(metrics => metrics.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation()
                .AddMeter(ChatGatewayPipeline.TelemetrySourceName, UsageLogWriter.MeterName, MrPrompt.Infrastructure.Jobs.JobMetrics.MeterName))
            .WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(options =>
                    options.Filter = context => !context.Request.Path.StartsWithSegments(HealthEndpoints.BasePath))
                .AddHttpClientInstrumentation()
                .AddNpgsql()
                .AddSource(ChatGatewayPipeline.TelemetrySourceName));
        // Telemetry is collected always but leaves the process only where a collector is named.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry.UseOtlpExporter();
        }

        builder.Services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: [HealthEndpoints.ReadyTag])
            .AddCheck<DrainingHealthCheck>("draining", tags: [HealthEndpoints.ReadyTag]);
        builder.Services.AddProblemDetails();
        // Enums travel by name ("JsonSchema", "Public") so API clients need no number table.
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()));
        builder.Services.AddExceptionHandler<ApiExceptionHandler>();
        builder.Services.AddApiDocumentation();
        builder.Services.AddOptions<ApiOptions>()
            .Bind(builder.Configuration.GetSection(ApiOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
    }

    public static void AddWebServices(this WebApplicationBuilder builder)
    {
        var longestText = Math.Max(
            builder.Configuration.GetSection(ConversationOptions.SectionName).Get<ConversationOptions>()?.MaxMessageLength ?? new ConversationOptions().MaxMessageLength,
            PromptContent.TemplateMaxLength);
        builder.Services.AddOptions<CircuitLimits>()
            .Bind(builder.Configuration.GetSection(CircuitLimits.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<CircuitCap>();
        // Exception details reach the browser in Development only, whatever DetailedErrors says elsewhere.
        builder.Services.AddRazorComponents().AddInteractiveServerComponents(circuits => circuits.DetailedErrors = builder.Environment.IsDevelopment())
            .AddHubOptions(hub =>
            {
                hub.MaximumReceiveMessageSize = CircuitLimits.ReceiveLimitFor(longestText);
                hub.AddFilter<CircuitCap>();
            });
        builder.Services.AddMudServices();

        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddScoped<IdentityRedirectManager>();
        builder.Services.AddScoped<AuthenticationStateProvider, IdentityRevalidatingAuthenticationStateProvider>();
        builder.Services.AddScoped<Microsoft.AspNetCore.Components.Server.Circuits.CircuitHandler, RowSecurityScopes.CircuitScopes>();
        builder.Services.AddScoped<ThemeState>();
        builder.Services.AddSingleton<MarkdownRenderer>();
        builder.Services.AddAuthorization(options => options.AddApiPolicy());
        builder.Services.AddSignInAttemptLimit();
        builder.Services.Configure<ForwardedHeadersOptions>(forwarded =>
        {
            // The client's address and scheme from the proxy in front: trusted from loopback (the default),
            // and from the proxies named in Proxy__KnownProxies (addresses, comma-separated) only.
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            foreach (var proxy in (builder.Configuration["Proxy:KnownProxies"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                forwarded.KnownProxies.Add(System.Net.IPAddress.TryParse(proxy, out var address)
                    ? address
                    : throw new StartupException($"Proxy:KnownProxies names '{proxy}', which is not an IP address."));
            }
        });
        builder.Services.AddAuthentication(options =>
            {
                options.DefaultScheme = IdentityConstants.ApplicationScheme;
                options.DefaultSignInScheme = IdentityConstants.ExternalScheme;
            })
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddIdentityCookies();
        builder.Services.ConfigureApplicationCookie(cookie =>
        {
            cookie.LoginPath = "/Account/Login";
            cookie.LogoutPath = "/Account/Logout";
            cookie.AccessDeniedPath = "/Account/AccessDenied";
            cookie.Cookie.Name = "MrPrompt.Auth";
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Lax;
            // Programs calling the API get status codes, not the login page.
            cookie.Events.OnValidatePrincipal = AccountChangeRefresh.ValidatePrincipalAsync;
            cookie.Events.OnRedirectToLogin = context => ApiAwareRedirect(context, StatusCodes.Status401Unauthorized);
            cookie.Events.OnRedirectToAccessDenied = context => ApiAwareRedirect(context, StatusCodes.Status403Forbidden);
        });
    }

    private static Task ApiAwareRedirect(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        if (IsApi(context.Request.Path))
        {
            context.Response.StatusCode = status;
        }
        else
        {
            context.Response.Redirect(context.RedirectUri);
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// Checks the provider settings, starts the database (embedded or configured) and applies migrations
    /// before anything is served. An operator mistake is one log line and a failed exit, not a stack trace.
    /// </summary>
    public static async Task<bool> PrepareAsync(this WebApplication app)
    {
        try
        {
            // Settings are checked now, not when the server starts, so a mistake is one line for commands too.
            app.Services.GetService<Microsoft.Extensions.Options.IStartupValidator>()?.Validate();
            var providers = app.Services.GetRequiredService<ProviderCatalog>();
            LogProviders(app.Logger, string.Join(", ", providers.All.Select(p => p.Id)));
            if (!app.Services.GetRequiredService<DatabaseConnection>().IsEmbedded
                && string.IsNullOrWhiteSpace(app.Configuration["DataProtection:CertificatePath"]))
            {
                // Losing a generated certificate makes every stored provider key unreadable.
                LogGeneratedCertificate(app.Logger);
            }
            await app.Services.GetRequiredService<DatabaseStartup>().RunAsync(app.Lifetime.ApplicationStopping);
            return true;
        }
        catch (StartupException ex)
        {
            LogStartupFailed(app.Logger, ex.Message);
            return false;
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException ex)
        {
            LogStartupFailed(app.Logger, string.Join(" ", ex.Failures));
            return false;
        }
    }

    public static void UseWebPipeline(this WebApplication app)
    {
        app.UseForwardedHeaders();
        app.UseTraceIdHeader();
        app.UseSecurityHeaders();
        app.UseRequestSizeCap();
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/Error", createScopeForErrors: true);
            // On HTTPS (or behind a proxy that says so in X-Forwarded-Proto): browsers keep to HTTPS, and
            // plain HTTP is sent there when the app knows its HTTPS port.
            app.UseHsts();
            app.UseHttpsRedirection();
        }
        else
        {
            app.UseExceptionHandler();
        }
        // People get the not-found page; programs get a ProblemDetails body with the status, never a page
        // (a re-executed POST also met the page's antiforgery check and turned into an HTML 400). The
        // re-executing handler stays outside UseWhen, where it finds the routes to re-execute against,
        // and is switched off per API request instead.
        app.UseWhen(context => IsApi(context.Request.Path), api => api.UseStatusCodePages());
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.Use((context, next) =>
        {
            if (IsApi(context.Request.Path) && context.Features.Get<IStatusCodePagesFeature>() is { } pages)
            {
                pages.Enabled = false;
            }
            return next(context);
        });
        // Explicitly here, after the headers above: left to WebApplication, sign-in and its challenges (a 401)
        // would run first, before any of them.
        app.UseAuthentication();
        app.UseAuthorization();
        // After authorization: an endpoint's own scheme (an API key) has set who is calling by then.
        app.UseRowSecurityScopes();
        app.UseRateLimiter();
        app.UseAntiforgery();
    }

    private static bool IsApi(PathString path) => path.StartsWithSegments("/api") || path.StartsWithSegments("/v1");

    [LoggerMessage(Level = LogLevel.Warning, Message = "DataProtection:CertificatePath is not set: stored provider keys are protected by a certificate generated in the working folder's .data/keys, encrypted by DataProtection:CertificatePassword or a password generated in ~/.config/MrPrompt. Set them (and back both up, apart from the database) for production.")]
    private static partial void LogGeneratedCertificate(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model providers: {Providers}")]
    private static partial void LogProviders(ILogger logger, string providers);

    [LoggerMessage(Level = LogLevel.Critical, Message = "MrPrompt cannot start: {Reason}")]
    private static partial void LogStartupFailed(ILogger logger, string reason);
}
