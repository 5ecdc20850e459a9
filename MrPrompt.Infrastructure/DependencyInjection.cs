using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MrPrompt.Infrastructure.Accounts;
using MrPrompt.Infrastructure.ApiKeys;
using MrPrompt.Infrastructure.Chat;
using MrPrompt.Infrastructure.Cluster;
using MrPrompt.Infrastructure.Credentials;
using MrPrompt.Infrastructure.Gateway;
using MrPrompt.Infrastructure.Gateway.Limits;
using MrPrompt.Infrastructure.Gateway.Middleware;
using MrPrompt.Infrastructure.Gateway.Providers;
using MrPrompt.Infrastructure.Gateway.Reuse;
using MrPrompt.Infrastructure.Generation;
using MrPrompt.Infrastructure.Jobs;
using MrPrompt.Infrastructure.Knowledge;
using MrPrompt.Infrastructure.Gateway.Embeddings;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Persistence.Embedded;
using MrPrompt.Infrastructure.Persistence.Interceptors;
using MrPrompt.Infrastructure.Persistence.RowSecurity;
using MrPrompt.Infrastructure.Profiles;
using MrPrompt.Infrastructure.Prompts;
using MrPrompt.Infrastructure.Prompts.Loaders;
using MrPrompt.Infrastructure.Security;
using MrPrompt.Infrastructure.Usage;

namespace MrPrompt.Infrastructure;

public static class DependencyInjection
{
    public static IServiceCollection AddInfrastructure(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingletonTimeProvider();
        services.AddPersistence(configuration);
        services.AddCluster(configuration);
        services.AddSecrets(configuration);
        services.AddAccounts(configuration);
        services.AddUsageLog(configuration);
        services.AddGateway(configuration);
        services.AddChat(configuration);
        services.AddKnowledge(configuration);
        services.AddPrompts(configuration);
        return services;
    }

    private static void TryAddSingletonTimeProvider(this IServiceCollection services)
    {
        if (services.All(d => d.ServiceType != typeof(TimeProvider)))
        {
            services.AddSingleton(TimeProvider.System);
        }
    }

    /// <summary>This instance's name, and the notifications that keep what instances hold in memory true across the fleet.</summary>
    private static void AddCluster(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(new InstanceIdentity(configuration[InstanceIdentity.NameSetting]));
        services.AddSingleton<ClusterChanges>();
        services.AddSingleton<FleetSchedule>();
        services.AddOptions<ShutdownOptions>()
            .Bind(configuration.GetSection(ShutdownOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        // The host waits for the drain and then for the hand-backs and the last requests.
        var drain = configuration.GetSection(ShutdownOptions.SectionName).Get<ShutdownOptions>()?.Drain ?? new ShutdownOptions().Drain;
        services.Configure<Microsoft.Extensions.Hosting.HostOptions>(host => host.ShutdownTimeout = drain + TimeSpan.FromSeconds(15));
        services.AddSingleton<ClusterChangeListener>();
        services.AddHostedService(sp => sp.GetRequiredService<ClusterChangeListener>());
    }

    private static void AddPersistence(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DatabaseOptions>()
            .Bind(configuration.GetSection(DatabaseOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        var connection = new DatabaseConnection(configuration.GetConnectionString("Default"), configuration.GetConnectionString("Migrations"));
        services.AddSingleton(connection);
        if (connection.IsEmbedded)
        {
            services.AddSingleton(sp =>
            {
                var options = sp.GetRequiredService<IOptions<DatabaseOptions>>().Value;
                return new EmbeddedPostgresServer(
                    new EmbeddedPostgresOptions(options.ResolveDataDir(), options.PostgresBinDir, options.Name),
                    sp.GetRequiredService<ILogger<EmbeddedPostgresServer>>());
            });
        }

        services.AddSingleton<AuditTimestampsInterceptor>();
        services.AddSingleton<RowSecurityInterceptor>();
        // Components take the factory (one short-lived context per operation); Identity's stores take
        // the scoped context. Both share one options instance, read lazily so an embedded server can
        // start first.
        void Configure(IServiceProvider sp, DbContextOptionsBuilder options) =>
            options.UseMrPromptPostgres(sp.GetRequiredService<DatabaseConnection>().ConnectionString)
                .AddInterceptors(sp.GetRequiredService<AuditTimestampsInterceptor>(), sp.GetRequiredService<RowSecurityInterceptor>());
        services.AddDbContext<AppDbContext>(Configure, optionsLifetime: ServiceLifetime.Singleton);
        services.AddDbContextFactory<AppDbContext>(Configure);
        services.AddSingleton<DatabaseStartup>();
    }

    /// <summary>
    /// Data Protection with its key ring in Postgres, each key encrypted by a certificate kept outside
    /// the database: a dump alone decrypts nothing. Provider keys, cookies and Identity tokens use it.
    /// </summary>
    private static void AddSecrets(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = configuration.GetSection(DataProtectionSettings.SectionName).Get<DataProtectionSettings>() ?? new();
        // Data Protection wants the certificate itself at registration, so it is read (or made) here.
        var database = configuration.GetSection(DatabaseOptions.SectionName).Get<DatabaseOptions>() ?? new();
        var certificate = KeyRingCertificate.LoadOrCreate(settings, database.ResolveDataDir());
        services.AddDataProtection()
            .SetApplicationName("MrPrompt")
            .PersistKeysToDbContext<AppDbContext>()
            .ProtectKeysWithCertificate(certificate)
            .UnprotectKeysWithAnyCertificate(certificate);
        services.AddSingleton<CredentialProtector>();
    }

    private static void AddUsageLog(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<UsageWriterOptions>()
            .Bind(configuration.GetSection(UsageWriterOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddMetrics();
        services.AddSingleton<UsageLogWriter>();
        services.AddSingleton<IUsageSink>(sp => sp.GetRequiredService<UsageLogWriter>());
        services.AddHostedService(sp => sp.GetRequiredService<UsageLogWriter>());
        services.AddSingleton<ITokenCounter, TiktokenCounter>();

        // The admin side: reading the log, and deleting what the retention no longer keeps.
        services.AddOptions<UsageRetentionOptions>()
            .Bind(configuration.GetSection(UsageRetentionOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => Domain.Usage.UsageRetention.Check(o.RetentionDays) is null,
                $"Usage:RetentionDays must be 0 (keep for ever) or {Domain.Usage.UsageRetention.MinimumDays} to {Domain.Usage.UsageRetention.MaximumDays}.")
            .ValidateOnStart();
        services.AddSingleton<UsageReport>();
        services.AddSingleton<UsageRetentionPolicy>();
        services.AddSingleton<UsageRetentionSweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<UsageRetentionSweeper>());
    }

    private static void AddGateway(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<GatewayOptions>()
            .Bind(configuration.GetSection(GatewayOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => o.PrivateHosts().All(h => h.Host.Length > 0 && h.Port is not 0),
                "Gateway:AllowedPrivateHosts lists hosts as host or host:port (port 1-65535), comma-separated.")
            .ValidateOnStart();
        services.AddMemoryCache();
        services.AddSingleton(new ProviderCatalog(configuration));
        services.AddSingleton<PublicOnlyConnector>();
        services.AddSingleton<ProviderHttp>();
        services.AddSingleton<ProviderClientFactory>();
        services.AddSingleton<ProviderModels>();
        services.AddSingleton<CircuitBreakerRegistry>();
        services.AddSingleton<ChatGatewayPipeline>();
        services.AddSingleton<CredentialService>();
        services.AddSingleton<GatewayTargetResolver>();
        services.AddSingleton<IChatGateway, ChatGateway>();
        services.AddLimits(configuration);
        services.AddSingleton<UserModelCatalog>();
        services.AddHostedService<ProviderModelCheck>();
        services.AddOptions<ProviderRefreshOptions>().BindConfiguration("StoredProviders");
        services.AddSingleton<StoredProviders>();
        services.AddHostedService<StoredProvidersRefresh>();

        // What programs add on top: replay, cache and in-flight sharing (see ReusingGateway).
        services.AddHybridCache();
        services.AddSingleton<InFlightCalls>();
        services.AddSingleton<FleetCalls>();
        services.AddSingleton<ResponseCache>();
        services.AddSingleton<IdempotencyStore>();
        services.AddSingleton<ReusingGateway>();
        services.AddSingleton<ReuseHousekeeping>();
        services.AddHostedService(sp => sp.GetRequiredService<ReuseHousekeeping>());
    }

    /// <summary>Requests and tokens per minute and monthly budgets, checked by the gateway for every caller.</summary>
    private static void AddLimits(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<LimitOptions>()
            .Bind(configuration.GetSection(LimitOptions.SectionName))
            .Configure(limits =>
            {
                // CHAT_RATE_LIMIT_PER_MIN wins over the section, as operators set it last (docs/contracts.md, "Environment variables").
                if (int.TryParse(configuration[LimitOptions.RequestsPerMinuteVariable], out var perMinute))
                {
                    limits.RequestsPerMinute = perMinute;
                }
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<CallerAllowances>();
        services.AddSingleton<CallerCounters>();
        services.AddSingleton<CallRateLimits>();
        services.AddSingleton<BudgetLedger>();
        services.AddSingleton<CallAdmission>();
    }

    /// <summary>Chats and compare runs, the durable queue of their answers, and the runner that writes them independently of any page.</summary>
    private static void AddChat(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ConversationOptions>()
            .Bind(configuration.GetSection(ConversationOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<JobOptions>()
            .Bind(configuration.GetSection(JobOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<JobMetrics>();
        services.AddSingleton<JobQueue>();
        services.AddSingleton<JobViews>();
        services.AddSingleton<GenerationRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<GenerationRunner>());
        services.AddSingleton<JobWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<JobWorker>());
        services.AddSingleton<ChatEvents>();
        services.AddSingleton<SessionTitler>();
        services.AddSingleton<ChatService>();
        services.AddSingleton<ChatSessionStore>();
        services.AddSingleton<ChatShares>();
        services.AddSingleton<ChatAttachments>();
        services.AddSingleton<CompareService>();
    }

    /// <summary>Embeddings through the gateway, knowledge collections, their ingestion jobs and hybrid search.</summary>
    private static void AddKnowledge(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<EmbeddingOptions>()
            .Bind(configuration.GetSection(EmbeddingOptions.SectionName))
            .Configure(embeddings =>
            {
                // The seed's variables win over the section (docs/contracts.md, "Environment variables").
                if (int.TryParse(configuration[EmbeddingOptions.MaxBatchVariable], out var batch))
                {
                    embeddings.MaxBatch = batch;
                }
                if (int.TryParse(configuration[EmbeddingOptions.MaxRetriesVariable], out var retries))
                {
                    embeddings.MaxRetries = retries;
                }
                if (int.TryParse(configuration[EmbeddingOptions.RequestsPerMinuteVariable], out var perMinute))
                {
                    embeddings.RequestsPerMinute = perMinute;
                }
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<KnowledgeOptions>()
            .Bind(configuration.GetSection(KnowledgeOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<EmbeddingCatalog>();
        services.AddSingleton<LocalEmbeddingGenerator>();
        services.AddSingleton<EmbeddingGateway>();
        services.AddSingleton<VectorIndex>();
        services.AddSingleton<KnowledgeService>();
        services.AddSingleton<KnowledgeSearch>();
        services.AddSingleton<KnowledgeIngestion>();
        services.AddHostedService(sp => sp.GetRequiredService<KnowledgeIngestion>());
    }

    private static void AddPrompts(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<IDataLoader, UserProfileLoader>();
        services.AddSingleton<IDataLoader, RecentSessionsLoader>();
        services.AddSingleton<IDataLoader, DateTimeLoader>();
        services.AddSingleton<IDataLoader, KnowledgeLoader>();
        services.AddSingleton<DataLoaderRegistry>();
        services.AddSingleton<PromptLibrary>();
        services.AddSingleton<PromptEditor>();
        services.AddSingleton<ProtectedLabels>();
        services.AddSingleton<PromptRunner>();
        services.AddOptions<PromptOptions>()
            .Bind(configuration.GetSection(PromptOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
    }

    private static void AddAccounts(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AccountOptions>()
            .Bind(configuration.GetSection(AccountOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<AdminOptions>()
            .Bind(configuration.GetSection(AdminOptions.SectionName))
            .Validate(o => string.IsNullOrWhiteSpace(o.Email) == string.IsNullOrWhiteSpace(o.Password),
                "Admin:Email and Admin:Password must be set together.")
            .ValidateOnStart();

        services.AddIdentityCore<ApplicationUser>(IdentityRules.Configure)
            .AddRoles<IdentityRole<Guid>>()
            .AddEntityFrameworkStores<AppDbContext>()
            .AddSignInManager<EnabledAccountsSignInManager>()
            .AddClaimsPrincipalFactory<AccountClaims>()
            .AddDefaultTokenProviders();

        // A changed security stamp (a new password, a disabled account) ends browser sessions: at once
        // where AccountChanges knows of it, else within a minute.
        services.Configure<SecurityStampValidatorOptions>(stamps => stamps.ValidationInterval = TimeSpan.FromMinutes(1));
        services.AddSingleton<AccountChanges>();
        services.AddSingleton<SignInThrottle>();
        services.AddSingleton<AccountRecovery>();
        services.Configure<DataProtectionTokenProviderOptions>(tokens => tokens.TokenLifespan = AccountRecovery.LinkLifetime);
        services.AddScoped<AccountRegistrar>();
        services.AddSingleton<Invitations>();
        services.AddSingleton<ApiKeyService>();
        services.AddScoped<AdminAccountSeeder>();
        services.AddSingleton<ProfileService>();
        services.AddSingleton<AccountDirectory>();
        services.AddSingleton<Admin.AdminGate>();
        services.AddSingleton<Admin.ProviderHealth>();
        services.AddSingleton<Admin.JobsConsole>();
        services.AddSingleton<Audit.AuditLog>();
    }
}
