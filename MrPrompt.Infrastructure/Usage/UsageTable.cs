using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using MrPrompt.Domain.Usage;
using Npgsql;
using NpgsqlTypes;

namespace MrPrompt.Infrastructure.Usage;

/// <summary>
/// Binary COPY into <c>prompt_usage_logs</c>, through a temporary table of the same shape: Postgres refuses
/// COPY into a table under row-level security, so the rows land in the temporary table and move across in
/// one INSERT, in one transaction. Table and column names come from the EF model, so the fast path cannot
/// drift from the migrations.
/// </summary>
internal sealed class UsageTable
{
    private static readonly (string Property, Func<NpgsqlBinaryImporter, UsageRecord, CancellationToken, Task> Write)[] Columns =
    [
        (nameof(UsageRecord.Id), (w, r, ct) => w.WriteAsync(r.Id, NpgsqlDbType.Uuid, ct)),
        (nameof(UsageRecord.UserId), (w, r, ct) => w.WriteAsync(r.UserId, NpgsqlDbType.Uuid, ct)),
        (nameof(UsageRecord.Provider), (w, r, ct) => w.WriteAsync(r.Provider, NpgsqlDbType.Varchar, ct)),
        (nameof(UsageRecord.Model), (w, r, ct) => w.WriteAsync(r.Model, NpgsqlDbType.Varchar, ct)),
        (nameof(UsageRecord.PromptVersionId), (w, r, ct) => WriteNullableAsync(w, r.PromptVersionId, NpgsqlDbType.Uuid, ct)),
        (nameof(UsageRecord.ChatSessionId), (w, r, ct) => WriteNullableAsync(w, r.ChatSessionId, NpgsqlDbType.Uuid, ct)),
        (nameof(UsageRecord.ApiKeyId), (w, r, ct) => WriteNullableAsync(w, r.ApiKeyId, NpgsqlDbType.Uuid, ct)),
        (nameof(UsageRecord.JobId), (w, r, ct) => WriteNullableAsync(w, r.JobId, NpgsqlDbType.Uuid, ct)),
        (nameof(UsageRecord.Source), (w, r, ct) => w.WriteAsync(r.Source.ToString(), NpgsqlDbType.Varchar, ct)),
        (nameof(UsageRecord.Status), (w, r, ct) => w.WriteAsync(r.Status.ToString(), NpgsqlDbType.Varchar, ct)),
        (nameof(UsageRecord.Attempt), (w, r, ct) => w.WriteAsync(r.Attempt, NpgsqlDbType.Integer, ct)),
        (nameof(UsageRecord.InputTokens), (w, r, ct) => w.WriteAsync(r.InputTokens, NpgsqlDbType.Integer, ct)),
        (nameof(UsageRecord.OutputTokens), (w, r, ct) => w.WriteAsync(r.OutputTokens, NpgsqlDbType.Integer, ct)),
        (nameof(UsageRecord.TokensEstimated), (w, r, ct) => w.WriteAsync(r.TokensEstimated, NpgsqlDbType.Boolean, ct)),
        (nameof(UsageRecord.TimeToFirstTokenMs), (w, r, ct) => WriteNullableAsync(w, r.TimeToFirstTokenMs, NpgsqlDbType.Integer, ct)),
        (nameof(UsageRecord.LatencyMs), (w, r, ct) => w.WriteAsync(r.LatencyMs, NpgsqlDbType.Integer, ct)),
        (nameof(UsageRecord.CostUsd), (w, r, ct) => WriteNullableAsync(w, r.CostUsd, NpgsqlDbType.Numeric, ct)),
        (nameof(UsageRecord.ErrorCode), (w, r, ct) => WriteTextAsync(w, r.ErrorCode, ct)),
        (nameof(UsageRecord.TraceId), (w, r, ct) => WriteTextAsync(w, r.TraceId, ct)),
        (nameof(UsageRecord.ExecutedAt), (w, r, ct) => w.WriteAsync(r.ExecutedAt.UtcDateTime, NpgsqlDbType.TimestampTz, ct)),
    ];

    private const string Staging = "usage_staging";

    private readonly string _stageCommand;
    private readonly string _copyCommand;
    private readonly string _moveCommand;

    public UsageTable(IModel model)
    {
        var entity = model.FindEntityType(typeof(UsageRecord))
            ?? throw new InvalidOperationException("UsageRecord is not in the model.");
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        var mapped = entity.GetProperties().Select(p => p.Name).ToHashSet();
        if (!mapped.SetEquals(Columns.Select(c => c.Property)))
        {
            throw new InvalidOperationException("UsageTable's columns differ from the UsageRecord mapping; update both together.");
        }
        var columns = Columns.Select(c => Quote(entity.FindProperty(c.Property)!.GetColumnName(table)!));
        var columnList = string.Join(", ", columns);
        _stageCommand = $"CREATE TEMP TABLE {Staging} (LIKE {Quote(table.Name)}) ON COMMIT DROP";
        _copyCommand = $"COPY {Staging} ({columnList}) FROM STDIN (FORMAT BINARY)";
        _moveCommand = $"INSERT INTO {Quote(table.Name)} ({columnList}) SELECT {columnList} FROM {Staging}";
    }

    public async Task WriteAsync(NpgsqlConnection connection, IReadOnlyList<UsageRecord> rows, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var stage = new NpgsqlCommand(_stageCommand, connection, transaction))
        {
            await stage.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var importer = await connection.BeginBinaryImportAsync(_copyCommand, cancellationToken))
        {
            foreach (var row in rows)
            {
                await importer.StartRowAsync(cancellationToken);
                foreach (var (_, write) in Columns)
                {
                    await write(importer, row, cancellationToken);
                }
            }
            await importer.CompleteAsync(cancellationToken);
        }
        await using (var move = new NpgsqlCommand(_moveCommand, connection, transaction))
        {
            await move.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    private static Task WriteNullableAsync<T>(NpgsqlBinaryImporter writer, T? value, NpgsqlDbType type, CancellationToken ct)
        where T : struct =>
        value is { } v ? writer.WriteAsync(v, type, ct) : writer.WriteNullAsync(ct);

    private static Task WriteTextAsync(NpgsqlBinaryImporter writer, string? value, CancellationToken ct) =>
        value is null ? writer.WriteNullAsync(ct) : writer.WriteAsync(value, NpgsqlDbType.Varchar, ct);

    private static string Quote(string identifier) => $"\"{identifier.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
}
