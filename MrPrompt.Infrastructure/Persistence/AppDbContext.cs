using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using MrPrompt.Domain.ApiKeys;
using MrPrompt.Domain.Chat;
using MrPrompt.Domain.Credentials;
using MrPrompt.Domain.Gateway;
using MrPrompt.Domain.Profiles;
using MrPrompt.Domain.Prompts;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Security;

namespace MrPrompt.Infrastructure.Persistence;

public sealed class AppDbContext(DbContextOptions<AppDbContext> options)
    : IdentityDbContext<ApplicationUser, IdentityRole<Guid>, Guid>(options), IDataProtectionKeyContext
{
    public DbSet<Profile> Profiles => Set<Profile>();
    public DbSet<ApiCredential> ApiCredentials => Set<ApiCredential>();
    public DbSet<UsageRecord> UsageRecords => Set<UsageRecord>();
    public DbSet<ChatSession> ChatSessions => Set<ChatSession>();
    public DbSet<ChatShare> ChatShares => Set<ChatShare>();
    public DbSet<MessageAttachment> MessageAttachments => Set<MessageAttachment>();
    public DbSet<MrPrompt.Domain.Providers.StoredProvider> StoredProviders => Set<MrPrompt.Domain.Providers.StoredProvider>();
    public DbSet<Message> Messages => Set<Message>();
    public DbSet<CompareRun> CompareRuns => Set<CompareRun>();
    public DbSet<MrPrompt.Domain.Jobs.GenerationJob> GenerationJobs => Set<MrPrompt.Domain.Jobs.GenerationJob>();
    public DbSet<MrPrompt.Domain.Jobs.WorkerHeartbeat> WorkerHeartbeats => Set<MrPrompt.Domain.Jobs.WorkerHeartbeat>();
    public DbSet<Prompt> Prompts => Set<Prompt>();
    public DbSet<PromptVersion> PromptVersions => Set<PromptVersion>();
    public DbSet<PromptLabel> PromptLabels => Set<PromptLabel>();
    public DbSet<PersonalApiKey> PersonalApiKeys => Set<PersonalApiKey>();
    public DbSet<CachedResponse> CachedResponses => Set<CachedResponse>();
    public DbSet<IdempotencyRecord> IdempotencyRecords => Set<IdempotencyRecord>();
    public DbSet<MrPrompt.Domain.Accounts.AuditEvent> AuditEvents => Set<MrPrompt.Domain.Accounts.AuditEvent>();
    public DbSet<MrPrompt.Domain.Accounts.Invitation> Invitations => Set<MrPrompt.Domain.Accounts.Invitation>();
    public DbSet<MrPrompt.Domain.Settings.AppSetting> AppSettings => Set<MrPrompt.Domain.Settings.AppSetting>();
    public DbSet<MrPrompt.Domain.Knowledge.KnowledgeCollection> KnowledgeCollections => Set<MrPrompt.Domain.Knowledge.KnowledgeCollection>();
    public DbSet<MrPrompt.Domain.Knowledge.KnowledgeDocument> KnowledgeDocuments => Set<MrPrompt.Domain.Knowledge.KnowledgeDocument>();
    public DbSet<MrPrompt.Domain.Knowledge.KnowledgeChunk> KnowledgeChunks => Set<MrPrompt.Domain.Knowledge.KnowledgeChunk>();

    /// <summary>The Data Protection key ring; each key is itself encrypted by a certificate kept outside the database.</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(AppDbContext).Assembly);
    }
}
