using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MrPrompt.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class AdminUsage : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_prompt_usage_logs_prompt_version_id",
                table: "prompt_usage_logs");

            migrationBuilder.CreateTable(
                name: "app_settings",
                columns: table => new
                {
                    key = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    value = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_by = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_app_settings", x => x.key);
                });

            migrationBuilder.CreateIndex(
                name: "ix_prompt_usage_logs_prompt_version_id_executed_at",
                table: "prompt_usage_logs",
                columns: new[] { "prompt_version_id", "executed_at" },
                filter: "prompt_version_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_prompt_usage_logs_provider_model_executed_at",
                table: "prompt_usage_logs",
                columns: new[] { "provider", "model", "executed_at" });

            migrationBuilder.CreateIndex(
                name: "ix_prompt_usage_logs_source_executed_at",
                table: "prompt_usage_logs",
                columns: new[] { "source", "executed_at" });

            migrationBuilder.CreateIndex(
                name: "ix_prompt_usage_logs_status_executed_at",
                table: "prompt_usage_logs",
                columns: new[] { "status", "executed_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "app_settings");

            migrationBuilder.DropIndex(
                name: "ix_prompt_usage_logs_prompt_version_id_executed_at",
                table: "prompt_usage_logs");

            migrationBuilder.DropIndex(
                name: "ix_prompt_usage_logs_provider_model_executed_at",
                table: "prompt_usage_logs");

            migrationBuilder.DropIndex(
                name: "ix_prompt_usage_logs_source_executed_at",
                table: "prompt_usage_logs");

            migrationBuilder.DropIndex(
                name: "ix_prompt_usage_logs_status_executed_at",
                table: "prompt_usage_logs");

            migrationBuilder.CreateIndex(
                name: "ix_prompt_usage_logs_prompt_version_id",
                table: "prompt_usage_logs",
                column: "prompt_version_id",
                filter: "prompt_version_id IS NOT NULL");
        }
    }
}
