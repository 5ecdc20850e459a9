using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MrPrompt.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class GenerationJobs : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "job_id",
                table: "prompt_usage_logs",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "generation_jobs",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    kind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    user_id = table.Column<Guid>(type: "uuid", nullable: false),
                    priority = table.Column<int>(type: "integer", nullable: false),
                    status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    max_attempts = table.Column<int>(type: "integer", nullable: false),
                    lease_owner = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    lease_expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    run_after = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    payload = table.Column<string>(type: "jsonb", nullable: false),
                    session_id = table.Column<Guid>(type: "uuid", nullable: false),
                    message_id = table.Column<Guid>(type: "uuid", nullable: false),
                    compare_run_id = table.Column<Guid>(type: "uuid", nullable: true),
                    cancel_requested = table.Column<bool>(type: "boolean", nullable: false),
                    error_code = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    error_message = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    trace_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    finished_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_generation_jobs", x => x.id);
                    table.ForeignKey(
                        name: "fk_generation_jobs_messages_message_id",
                        column: x => x.message_id,
                        principalTable: "messages",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_prompt_usage_logs_job_id",
                table: "prompt_usage_logs",
                column: "job_id",
                filter: "job_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_generation_jobs_compare_run_id",
                table: "generation_jobs",
                column: "compare_run_id",
                filter: "compare_run_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_generation_jobs_leased",
                table: "generation_jobs",
                column: "lease_expires_at",
                filter: "status = 'Processing'");

            migrationBuilder.CreateIndex(
                name: "ix_generation_jobs_message_id",
                table: "generation_jobs",
                column: "message_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_generation_jobs_session_id_created_at",
                table: "generation_jobs",
                columns: new[] { "session_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_generation_jobs_user_id_status",
                table: "generation_jobs",
                columns: new[] { "user_id", "status" });

            migrationBuilder.CreateIndex(
                name: "ix_generation_jobs_waiting",
                table: "generation_jobs",
                columns: new[] { "priority", "id" },
                descending: new[] { true, false },
                filter: "status IN ('Pending', 'Retrying')");

            // A job is its owner's, like the chat it answers in; workers and the sweeper act across accounts in the system scope.
            migrationBuilder.Sql("""
                ALTER TABLE generation_jobs ENABLE ROW LEVEL SECURITY;
                ALTER TABLE generation_jobs FORCE ROW LEVEL SECURITY;
                CREATE POLICY owner_only ON generation_jobs
                    USING (user_id = mrprompt_user_id() OR mrprompt_is_system())
                    WITH CHECK (user_id = mrprompt_user_id() OR mrprompt_is_system());
                """);
            // Wakes the workers of every instance when a job becomes claimable. Delivered when the transaction that
            // queued it commits, once per transaction however many jobs it queued (same channel, same empty payload).
            migrationBuilder.Sql("""
                CREATE FUNCTION mrprompt_notify_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('mrprompt_jobs', '');
                    RETURN NULL;
                END $$;
                CREATE TRIGGER generation_jobs_waiting
                    AFTER INSERT OR UPDATE OF status ON generation_jobs
                    FOR EACH ROW WHEN (NEW.status = 'Pending')
                    EXECUTE FUNCTION mrprompt_notify_jobs();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "generation_jobs");

            migrationBuilder.Sql("DROP FUNCTION mrprompt_notify_jobs();");

            migrationBuilder.DropIndex(
                name: "ix_prompt_usage_logs_job_id",
                table: "prompt_usage_logs");

            migrationBuilder.DropColumn(
                name: "job_id",
                table: "prompt_usage_logs");
        }
    }
}
