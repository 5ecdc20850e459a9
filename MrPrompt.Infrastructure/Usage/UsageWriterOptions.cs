namespace MrPrompt.Infrastructure.Usage;

/// <summary>The <c>Usage</c> section: how much the usage writer buffers and how it batches.</summary>
public sealed class UsageWriterOptions
{
    public const string SectionName = "Usage";

    /// <summary>Rows held in memory while the database is slow or away; past this, rows are dropped and counted.</summary>
    [System.ComponentModel.DataAnnotations.Range(100, 10_000_000)]
    public int BufferCapacity { get; set; } = 100_000;

    [System.ComponentModel.DataAnnotations.Range(1, 100_000)]
    public int BatchSize { get; set; } = 2_000;
}
