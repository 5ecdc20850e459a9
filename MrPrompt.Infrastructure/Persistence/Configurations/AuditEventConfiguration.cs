using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using MrPrompt.Domain.Accounts;

namespace MrPrompt.Infrastructure.Persistence.Configurations;

internal sealed class AuditEventConfiguration : IEntityTypeConfiguration<AuditEvent>
{
    public void Configure(EntityTypeBuilder<AuditEvent> builder)
    {
        builder.ToTable("audit_events");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Id).ValueGeneratedNever();
        builder.Property(e => e.ActorEmail).HasMaxLength(256).IsRequired();
        builder.Property(e => e.Action).HasMaxLength(40).IsRequired();
        builder.Property(e => e.Detail).HasMaxLength(500).IsRequired();
        builder.Property(e => e.Source).HasMaxLength(64);
        // The log is read newest first, by action or by person; rows outlive the accounts they name.
        builder.HasIndex(e => e.At);
        builder.HasIndex(e => new { e.Action, e.At });
        builder.HasIndex(e => new { e.ActorId, e.At });
    }
}
