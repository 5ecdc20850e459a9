using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using MrPrompt.Domain.Chat;
using MrPrompt.Domain.Jobs;
using MrPrompt.Domain.Knowledge;

namespace MrPrompt.Infrastructure.Persistence.Configurations;

internal sealed class GenerationJobConfiguration : IEntityTypeConfiguration<GenerationJob>
{
    public void Configure(EntityTypeBuilder<GenerationJob> builder)
    {
        builder.ToTable("generation_jobs");
        builder.HasKey(j => j.Id);
        builder.Property(j => j.Id).ValueGeneratedNever();
        builder.Property(j => j.Kind).HasConversion<string>().HasMaxLength(32);
        builder.Property(j => j.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(j => j.LeaseOwner).HasMaxLength(200);
        builder.Property(j => j.Payload).HasColumnType("jsonb");
        builder.Property(j => j.ErrorCode).HasMaxLength(64);
        builder.Property(j => j.ErrorMessage).HasMaxLength(1000);
        builder.Property(j => j.TraceId).HasMaxLength(64);
        builder.Ignore(j => j.IsOpen);

        // The claim: waiting jobs in priority then age order. Only open rows are indexed, so the index stays
        // as small as the queue however many finished jobs the table keeps.
        builder.HasIndex(j => new { j.Priority, j.Id }).IsDescending(true, false).HasFilter("status IN ('Pending', 'Retrying')").HasDatabaseName("ix_generation_jobs_waiting");
        // The sweeper's look for leases run out.
        builder.HasIndex(j => j.LeaseExpiresAt).HasFilter("status = 'Processing'").HasDatabaseName("ix_generation_jobs_leased");
        // One job per answer: a re-run writes the same message, never a second one.
        builder.HasIndex(j => j.MessageId).IsUnique();
        builder.HasIndex(j => new { j.UserId, j.Status });
        builder.HasIndex(j => new { j.SessionId, j.CreatedAt });
        builder.HasIndex(j => j.CompareRunId).HasFilter("compare_run_id IS NOT NULL");
        // A job goes with its answer: deleting the chat (or regenerating the answer) removes it.
        builder.HasOne<Message>().WithMany().HasForeignKey(j => j.MessageId).OnDelete(DeleteBehavior.Cascade);
        // An ingestion goes with its document.
        builder.HasOne<KnowledgeDocument>().WithMany().HasForeignKey(j => j.DocumentId).OnDelete(DeleteBehavior.Cascade);
    }
}
