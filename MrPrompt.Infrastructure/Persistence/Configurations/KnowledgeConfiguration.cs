using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using MrPrompt.Domain.Knowledge;
using MrPrompt.Infrastructure.Security;
using NpgsqlTypes;

namespace MrPrompt.Infrastructure.Persistence.Configurations;

internal sealed class KnowledgeCollectionConfiguration : IEntityTypeConfiguration<KnowledgeCollection>
{
    public void Configure(EntityTypeBuilder<KnowledgeCollection> builder)
    {
        builder.ToTable("knowledge_collections");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Id).ValueGeneratedNever();
        builder.Property(c => c.Name).HasMaxLength(KnowledgeRules.MaxNameLength).IsRequired();
        builder.Property(c => c.Visibility).HasConversion<string>().HasMaxLength(16);
        builder.Property(c => c.EmbeddingModel).HasMaxLength(300).IsRequired();
        builder.HasIndex(c => c.OwnerId);
        builder.HasIndex(c => c.Visibility).HasFilter("visibility = 'Shared'");
        // One collection per chat: two tabs attaching at once share it rather than split the chat's documents.
        builder.HasIndex(c => c.ChatSessionId).IsUnique().HasFilter("chat_session_id IS NOT NULL");
        builder.HasOne<ApplicationUser>().WithMany().HasForeignKey(c => c.OwnerId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class KnowledgeDocumentConfiguration : IEntityTypeConfiguration<KnowledgeDocument>
{
    public void Configure(EntityTypeBuilder<KnowledgeDocument> builder)
    {
        builder.ToTable("knowledge_documents");
        builder.HasKey(d => d.Id);
        builder.Property(d => d.Id).ValueGeneratedNever();
        builder.Property(d => d.Title).HasMaxLength(KnowledgeRules.MaxTitleLength).IsRequired();
        builder.Property(d => d.FileName).HasMaxLength(300);
        builder.Property(d => d.Format).HasConversion<string>().HasMaxLength(16);
        builder.Property(d => d.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(d => d.ContentHash).HasMaxLength(64).IsRequired();
        builder.Property(d => d.Error).HasMaxLength(1000);
        // The same content twice in one collection is a duplicate (docs/contracts.md, "Knowledge").
        builder.HasIndex(d => new { d.CollectionId, d.ContentHash }).IsUnique();
        builder.HasOne<KnowledgeCollection>().WithMany().HasForeignKey(d => d.CollectionId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class KnowledgeChunkConfiguration : IEntityTypeConfiguration<KnowledgeChunk>
{
    public const string SearchColumn = "search";

    public void Configure(EntityTypeBuilder<KnowledgeChunk> builder)
    {
        // The seed's table name: chunks and their vectors.
        builder.ToTable("vector_documents");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Id).ValueGeneratedNever();
        builder.Property(c => c.Heading).HasMaxLength(1000);
        builder.Property(c => c.Content).IsRequired();
        builder.Property(c => c.Embedding).HasColumnType("real[]");
        builder.Property(c => c.Model).HasMaxLength(300).IsRequired();
        // English stemming and stop words: a question's "policies" finds a passage's "policy", and "the" finds nothing.
        builder.Property<NpgsqlTsVector>(SearchColumn)
            .HasComputedColumnSql("to_tsvector('english', coalesce(heading, '') || ' ' || content)", stored: true);
        builder.HasIndex(SearchColumn).HasMethod("GIN");
        // Seed 004's idempotency: one row per collection, document and chunk; an ingestion run again replaces them.
        builder.HasIndex(c => new { c.CollectionId, c.DocumentId, c.ChunkIndex }).IsUnique();
        builder.HasIndex(c => c.DocumentId);
        builder.HasOne<KnowledgeDocument>().WithMany().HasForeignKey(c => c.DocumentId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<KnowledgeCollection>().WithMany().HasForeignKey(c => c.CollectionId).OnDelete(DeleteBehavior.Cascade);
    }
}
