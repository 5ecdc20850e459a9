using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MrPrompt.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class CompareResultExpiry : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "expires_at",
                table: "compare_runs",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_compare_runs_expires_at",
                table: "compare_runs",
                column: "expires_at",
                filter: "expires_at IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_compare_runs_expires_at",
                table: "compare_runs");

            migrationBuilder.DropColumn(
                name: "expires_at",
                table: "compare_runs");
        }
    }
}
