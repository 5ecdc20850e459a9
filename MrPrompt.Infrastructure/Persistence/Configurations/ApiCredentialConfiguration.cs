using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using MrPrompt.Domain.Credentials;
using MrPrompt.Infrastructure.Security;

namespace MrPrompt.Infrastructure.Persistence.Configurations;

internal sealed class ApiCredentialConfiguration : IEntityTypeConfiguration<ApiCredential>
{
    public void Configure(EntityTypeBuilder<ApiCredential> builder)
    {
        builder.ToTable("api_credentials");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Provider).HasMaxLength(64).IsRequired();
        builder.Property(c => c.Kind).HasConversion<string>().HasMaxLength(32);
        builder.Property(c => c.Name).HasMaxLength(CredentialRules.NameMaxLength).IsRequired();
        builder.Property(c => c.BaseUrl).HasMaxLength(CredentialRules.BaseUrlMaxLength);
        builder.Property(c => c.EncryptedKey).IsRequired();
        builder.Property(c => c.KeyHint).HasMaxLength(8);
        builder.HasIndex(c => new { c.UserId, c.Provider }).IsUnique();
        builder.HasOne<ApplicationUser>().WithMany().HasForeignKey(c => c.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
