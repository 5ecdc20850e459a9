using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using MrPrompt.Domain.Providers;

namespace MrPrompt.Infrastructure.Persistence.Configurations;

internal sealed class StoredProviderConfiguration : IEntityTypeConfiguration<StoredProvider>
{
    public void Configure(EntityTypeBuilder<StoredProvider> builder)
    {
        builder.ToTable("system_providers");
        builder.HasKey(p => p.Id);
        builder.Property(p => p.Id).HasMaxLength(StoredProviderRules.IdMaxLength);
        builder.Property(p => p.DisplayName).HasMaxLength(StoredProviderRules.DisplayNameMaxLength).IsRequired();
        builder.Property(p => p.Kind).HasConversion<string>().HasMaxLength(32);
        builder.Property(p => p.BaseUrl).HasMaxLength(500);
        builder.Property(p => p.KeyHint).HasMaxLength(32);
        builder.Property(p => p.Models).HasColumnType("jsonb").IsRequired();
    }
}
