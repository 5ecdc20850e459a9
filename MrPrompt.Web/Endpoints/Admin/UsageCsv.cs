using System.Globalization;
using System.Text;
using MrPrompt.Infrastructure.Usage;

namespace MrPrompt.Web.Endpoints.Admin;

/// <summary>
/// Usage rows as CSV (RFC 4180), written as they are read. Text a spreadsheet would take for a formula
/// (starting with <c>=</c>, <c>+</c>, <c>-</c> or <c>@</c>, or a tab or carriage return) gets an
/// apostrophe in front, and so does every such start after a character a spreadsheet's import may
/// split fields on (comma, semicolon, tab, pipe, space, line break, quote): however the file is opened,
/// an exported email, key name or model name never runs as a formula.
/// </summary>
public static class UsageCsv
{
    public static readonly string[] Columns =
    [
        "executed_at", "trace_id", "user_email", "user_id", "source", "api_key", "provider", "model", "prompt_key", "prompt_version",
        "status", "error_code", "attempt", "input_tokens", "output_tokens", "tokens_estimated", "cost_usd", "latency_ms",
        "time_to_first_token_ms", "chat_session_id",
    ];

    public static async Task WriteAsync(IAsyncEnumerable<UsageRow> rows, Stream output, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 64 * 1024, leaveOpen: true)
        {
            NewLine = "\r\n", // as RFC 4180 has it, whatever the server's platform
        };
        await writer.WriteLineAsync(string.Join(',', Columns));
        var line = new StringBuilder();
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            line.Clear();
            Append(line, row.ExecutedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
            Append(line, row.TraceId);
            Append(line, row.UserEmail);
            Append(line, row.UserId.ToString());
            Append(line, row.Source.ToString());
            Append(line, row.ApiKeyName);
            Append(line, row.Provider);
            Append(line, row.Model);
            Append(line, row.PromptKey);
            Append(line, row.PromptVersion?.ToString(CultureInfo.InvariantCulture));
            Append(line, row.Status.ToString());
            Append(line, row.ErrorCode);
            Append(line, row.Attempt.ToString(CultureInfo.InvariantCulture));
            Append(line, row.InputTokens.ToString(CultureInfo.InvariantCulture));
            Append(line, row.OutputTokens.ToString(CultureInfo.InvariantCulture));
            Append(line, row.TokensEstimated ? "true" : "false");
            Append(line, row.CostUsd?.ToString("0.##########", CultureInfo.InvariantCulture));
            Append(line, row.LatencyMs.ToString(CultureInfo.InvariantCulture));
            Append(line, row.TimeToFirstTokenMs?.ToString(CultureInfo.InvariantCulture));
            Append(line, row.ChatSessionId?.ToString());
            line.Length--; // the last separator
            await writer.WriteLineAsync(line, cancellationToken);
        }
        await writer.FlushAsync(cancellationToken);
    }

    /// <summary>One field and its separator; empty for a missing value.</summary>
    internal static void Append(StringBuilder line, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            value = Defused(value);
            if (value.AsSpan().IndexOfAny(",\"\r\n") >= 0)
            {
                value = "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
            }
            line.Append(value);
        }
        line.Append(',');
    }

    private static string Defused(string value)
    {
        StringBuilder? defused = null;
        for (var i = 0; i < value.Length; i++)
        {
            var startsFormula = i == 0
                ? value[0] is '=' or '+' or '-' or '@' or '\t' or '\r'
                : value[i] is '=' or '+' or '-' or '@' && value[i - 1] is ',' or ';' or '\t' or '|' or ' ' or '\r' or '\n' or '"';
            if (startsFormula)
            {
                defused ??= new StringBuilder(value, 0, i, value.Length + 8);
                defused.Append('\'');
            }
            defused?.Append(value[i]);
        }
        return defused?.ToString() ?? value;
    }
}
