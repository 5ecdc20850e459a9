using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using MrPrompt.Domain.Gateway;
using MrPrompt.Infrastructure.Security;

namespace MrPrompt.Infrastructure.Persistence.Configurations;

internal sealed class CachedResponseConfiguration : IEntityTypeConfiguration<CachedResponse>
{
    public void Configure(EntityTypeBuilder<CachedResponse> builder)
    {
        builder.ToTable("ai_response_cache", table =>
            table.HasCheckConstraint("ck_ai_response_cache_valid_expiry", "expires_at > created_at"));
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Id).ValueGeneratedNever();
        builder.Property(c => c.CacheKey).HasMaxLength(64).IsRequired();
        builder.Property(c => c.PromptKey).HasMaxLength(Domain.Prompts.PromptRules.KeyMaxLength).IsRequired();
        builder.Property(c => c.RequestHash).HasMaxLength(64).IsRequired();
        builder.Property(c => c.Model).HasMaxLength(200).IsRequired();
        builder.Property(c => c.FinishReason).HasMaxLength(32);

        // Indexes for lookups by key, cleanup by expiry and per-user deletes.
        builder.HasIndex(c => c.CacheKey).IsUnique();
        builder.HasIndex(c => c.ExpiresAt);
        builder.HasIndex(c => c.UserId);
        builder.HasOne<ApplicationUser>().WithMany().HasForeignKey(c => c.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
