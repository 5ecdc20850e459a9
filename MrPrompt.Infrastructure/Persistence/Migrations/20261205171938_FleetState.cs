using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MrPrompt.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// What the instances sharing a database share beyond the data: rate windows and budget reservations (CallRateLimits,
    /// BudgetLedger), identical calls under way (FleetCalls), and when each piece of housekeeping is next due (FleetSchedule).
    /// All but the last are UNLOGGED: hot rows rewritten on every call, worth no WAL and no commit flush; after a database crash
    /// they start empty (windows forget the last minute, budgets reload the month's spend from the usage log, calls under way
    /// are no longer shared).
    /// </summary>
    public partial class FleetState : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // One row per window ("u:<user>:requests", "k:<key>:tokens", …): what was taken in each of the last 60 seconds, a ring
            // (second s in counts[s % 60 + 1]) with its running total, `second` the newest second it has seen. The key names no
            // account's data, so no row-level security.
            migrationBuilder.Sql("""
                CREATE UNLOGGED TABLE rate_windows (
                    key text PRIMARY KEY,
                    second bigint NOT NULL,
                    total bigint NOT NULL,
                    counts bigint[] NOT NULL
                );

                -- Takes p_amount from the window under p_limit (p_take), or only looks whether it fits (not p_take); a null
                -- limit always takes. Returns 0 when it fits, else the seconds until enough of the window has expired. The row
                -- lock makes concurrent takes on every instance wait for each other: the limit holds across the fleet.
                CREATE FUNCTION mrprompt_rate_take(p_key text, p_now timestamptz, p_limit bigint, p_amount bigint, p_take boolean)
                RETURNS double precision LANGUAGE plpgsql AS $$
                DECLARE
                    now_epoch double precision := extract(epoch FROM p_now);
                    now_second bigint := floor(extract(epoch FROM p_now));
                    w rate_windows%ROWTYPE;
                    needed bigint;
                    running bigint := 0;
                    slot int;
                BEGIN
                    SELECT * INTO w FROM rate_windows WHERE key = p_key FOR UPDATE;
                    IF NOT FOUND THEN
                        INSERT INTO rate_windows (key, second, total, counts) VALUES (p_key, now_second, 0, array_fill(0::bigint, ARRAY[60]))
                            ON CONFLICT (key) DO NOTHING;
                        SELECT * INTO w FROM rate_windows WHERE key = p_key FOR UPDATE;
                    END IF;
                    -- Seconds that left the window since the last look give back what they held. A clock a moment behind
                    -- another instance's counts into the newest second.
                    IF now_second > w.second THEN
                        FOR step IN 1..least(now_second - w.second, 60) LOOP
                            slot := ((w.second + step) % 60) + 1;
                            w.total := w.total - w.counts[slot];
                            w.counts[slot] := 0;
                        END LOOP;
                        w.second := now_second;
                    END IF;
                    IF p_limit IS NOT NULL AND w.total + p_amount > p_limit THEN
                        needed := w.total + p_amount - p_limit;
                        FOR age IN 0..59 LOOP
                            running := running + w.counts[((w.second - 59 + age) % 60) + 1];
                            IF running >= needed THEN
                                -- Taken in second (w.second - 59 + age), it leaves the window 60 seconds later.
                                RETURN greatest(w.second + age + 1 - now_epoch, 0.001);
                            END IF;
                        END LOOP;
                        RETURN 60;
                    END IF;
                    IF p_take THEN
                        slot := (w.second % 60) + 1;
                        w.counts[slot] := w.counts[slot] + p_amount;
                        w.total := w.total + p_amount;
                    END IF;
                    UPDATE rate_windows SET second = w.second, total = w.total, counts = w.counts WHERE key = p_key;
                    RETURN 0;
                END $$;

                -- A call's place in its caller's limits, in one round trip: tokens left (the user's, the key's), then a request
                -- each from the key's and the user's windows, taken only when both have room. Windows are locked in one order
                -- (user tokens, key tokens, key requests, user requests), the order mrprompt_rate_take's other callers keep too.
                CREATE FUNCTION mrprompt_rate_admit(
                    p_now timestamptz, p_user text, p_key text, p_user_requests bigint, p_user_tokens bigint, p_key_requests bigint, p_key_tokens bigint,
                    OUT refused text, OUT wait double precision)
                LANGUAGE plpgsql AS $$
                BEGIN
                    wait := mrprompt_rate_take(p_user || ':tokens', p_now, p_user_tokens, 1, false);
                    IF wait > 0 THEN refused := 'user_tokens'; RETURN; END IF;
                    IF p_key IS NOT NULL THEN
                        wait := mrprompt_rate_take(p_key || ':tokens', p_now, p_key_tokens, 1, false);
                        IF wait > 0 THEN refused := 'key_tokens'; RETURN; END IF;
                        wait := mrprompt_rate_take(p_key || ':requests', p_now, p_key_requests, 1, false);
                        IF wait > 0 THEN refused := 'key_requests'; RETURN; END IF;
                    END IF;
                    wait := mrprompt_rate_take(p_user || ':requests', p_now, p_user_requests, 1, true);
                    IF wait > 0 THEN refused := 'user_requests'; RETURN; END IF;
                    IF p_key IS NOT NULL THEN
                        PERFORM mrprompt_rate_take(p_key || ':requests', p_now, NULL, 1, true);
                    END IF;
                    wait := 0;
                END $$;
                """);

            // A month's spend per account (read once from the usage log, then kept up to date by every instance) and the
            // reservations of calls under way, each named by the instance making it so a dead instance's can be let go.
            migrationBuilder.Sql("""
                CREATE UNLOGGED TABLE budget_months (
                    user_id uuid NOT NULL,
                    month timestamptz NOT NULL,
                    spent numeric NOT NULL,
                    PRIMARY KEY (user_id, month)
                );
                CREATE UNLOGGED TABLE budget_reservations (
                    id uuid PRIMARY KEY,
                    user_id uuid NOT NULL,
                    month timestamptz NOT NULL,
                    amount numeric NOT NULL,
                    instance text NOT NULL,
                    created_at timestamptz NOT NULL
                );
                CREATE INDEX ix_budget_reservations_user_id_month ON budget_reservations (user_id, month);
                """);

            // Identical calls under way across the fleet (FleetCalls): who runs each (under a lease it renews), and its answer
            // once it has one.
            migrationBuilder.Sql("""
                CREATE UNLOGGED TABLE shared_calls (
                    key text PRIMARY KEY,
                    user_id uuid NOT NULL,
                    instance text NOT NULL,
                    started_at timestamptz NOT NULL,
                    expires_at timestamptz NOT NULL,
                    finished_at timestamptz,
                    outcome jsonb
                );
                """);
            foreach (var table in new[] { "budget_months", "budget_reservations", "shared_calls" })
            {
                migrationBuilder.Sql($"""
                    ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
                    ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
                    CREATE POLICY owner_only ON {table}
                        USING (user_id = mrprompt_user_id() OR mrprompt_is_system())
                        WITH CHECK (user_id = mrprompt_user_id() OR mrprompt_is_system());
                    """);
            }
            migrationBuilder.Sql("""
                -- Reserves p_estimate when the month's spend and what calls under way hold leave room for it under p_budget.
                -- known is false when the month has not been read from the usage log yet (mrprompt_budget_load, then again).
                -- The month's row lock makes concurrent reservations on every instance wait for each other.
                CREATE FUNCTION mrprompt_budget_reserve(
                    p_user uuid, p_month timestamptz, p_budget numeric, p_estimate numeric, p_id uuid, p_instance text, p_now timestamptz,
                    OUT known boolean, OUT reserved boolean, OUT spent numeric)
                LANGUAGE plpgsql AS $$
                DECLARE
                    held numeric;
                BEGIN
                    reserved := false;
                    SELECT m.spent INTO spent FROM budget_months m WHERE m.user_id = p_user AND m.month = p_month FOR UPDATE;
                    known := FOUND;
                    IF NOT known THEN RETURN; END IF;
                    SELECT coalesce(sum(r.amount), 0) INTO held FROM budget_reservations r WHERE r.user_id = p_user AND r.month = p_month;
                    IF spent + held + p_estimate > p_budget THEN RETURN; END IF;
                    INSERT INTO budget_reservations (id, user_id, month, amount, instance, created_at)
                        VALUES (p_id, p_user, p_month, p_estimate, p_instance, p_now);
                    reserved := true;
                END $$;

                CREATE FUNCTION mrprompt_budget_load(p_user uuid, p_month timestamptz, p_spent numeric) RETURNS void LANGUAGE sql AS $$
                    INSERT INTO budget_months (user_id, month, spent) VALUES (p_user, p_month, p_spent) ON CONFLICT DO NOTHING
                $$;

                -- Adds what a call cost to its month (when the month is being kept) and lets go of its reservation, if it had one.
                CREATE FUNCTION mrprompt_budget_settle(p_id uuid, p_user uuid, p_month timestamptz, p_cost numeric) RETURNS void LANGUAGE plpgsql AS $$
                BEGIN
                    UPDATE budget_months SET spent = spent + p_cost WHERE user_id = p_user AND month = p_month;
                    DELETE FROM budget_reservations WHERE id = p_id;
                END $$;
                """);

            // One row per piece of housekeeping: the instance that moves next_run_at on runs it, once across the fleet.
            migrationBuilder.Sql("""
                CREATE TABLE scheduled_tasks (
                    name text PRIMARY KEY,
                    next_run_at timestamptz NOT NULL,
                    last_run_by text,
                    last_run_at timestamptz
                );
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TABLE scheduled_tasks;
                DROP TABLE shared_calls;
                DROP FUNCTION mrprompt_budget_settle(uuid, uuid, timestamptz, numeric);
                DROP FUNCTION mrprompt_budget_load(uuid, timestamptz, numeric);
                DROP FUNCTION mrprompt_budget_reserve(uuid, timestamptz, numeric, numeric, uuid, text, timestamptz);
                DROP TABLE budget_reservations;
                DROP TABLE budget_months;
                DROP FUNCTION mrprompt_rate_admit(timestamptz, text, text, bigint, bigint, bigint, bigint);
                DROP FUNCTION mrprompt_rate_take(text, timestamptz, bigint, bigint, boolean);
                DROP TABLE rate_windows;
                """);
        }
    }
}
