-- Roll-up figures kept up to date in the same transaction as every write (SPEC §3).
--
-- For every portfolio P, the rows below hold the additive parts of P's figures over P's whole
-- subtree, so that reading a roll-up costs the same at 1,000 initiatives as at 100,000: one row for
-- P and one per child. Rolled health, progress and shares are derived from these parts at read
-- time (src/domain/rollup.rs). Sums are `numeric` so that incremental upkeep never drifts from a
-- from-scratch computation.
--
-- Upkeep is by statement-level triggers with transition tables: a bulk insert of initiatives is
-- one aggregated update per statement, not one per row. Two sources change a subtree's figures:
--   * initiatives inserted, updated or deleted: their contribution is applied to every ancestor
--     of their portfolio (the closure table's rows for it, depth 0 included);
--   * closure rows inserted or deleted (a portfolio moved): the descendant's own initiatives are
--     added to or removed from the ancestor.
-- Writers lock the totals rows they change in portfolio-id order first, so concurrent writers
-- wait for each other instead of deadlocking.

CREATE TABLE portfolio_totals (
    org_id                 uuid NOT NULL,
    portfolio_id           uuid NOT NULL,
    n_proposed             bigint NOT NULL DEFAULT 0,
    n_planned              bigint NOT NULL DEFAULT 0,
    n_in_progress          bigint NOT NULL DEFAULT 0,
    n_done                 bigint NOT NULL DEFAULT 0,
    n_cancelled            bigint NOT NULL DEFAULT 0,
    -- Health counts and efforts over Active (planned or in progress).
    n_on_track             bigint NOT NULL DEFAULT 0,
    n_at_risk              bigint NOT NULL DEFAULT 0,
    n_off_track            bigint NOT NULL DEFAULT 0,
    active_effort          numeric NOT NULL DEFAULT 0,
    active_effort_at_risk  numeric NOT NULL DEFAULT 0,
    active_effort_off_track numeric NOT NULL DEFAULT 0,
    -- Over A (everything but cancelled): Σ effort, Σ effort·p (p = 100 when done), Σ budget.
    effort                 numeric NOT NULL DEFAULT 0,
    effort_progress        numeric NOT NULL DEFAULT 0,
    budget                 numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, portfolio_id),
    FOREIGN KEY (org_id, portfolio_id) REFERENCES portfolios (org_id, id) ON DELETE CASCADE
);

-- Σ effort over A per theme; theme_id null is the "Unassigned" row. No foreign key to themes: a
-- deleted theme's row is left at zero and ignored by readers.
CREATE TABLE portfolio_theme_totals (
    org_id        uuid NOT NULL,
    portfolio_id  uuid NOT NULL,
    theme_id      uuid,
    effort        numeric NOT NULL DEFAULT 0,
    CONSTRAINT portfolio_theme_totals_key UNIQUE NULLS NOT DISTINCT (org_id, portfolio_id, theme_id),
    FOREIGN KEY (org_id, portfolio_id) REFERENCES portfolios (org_id, id) ON DELETE CASCADE
);

-- Open (not done, not cancelled) initiatives with a target date, counted per subtree and date.
-- Late = Σ open over dates before today: a range scan bounded by the calendar, not by the number
-- of initiatives.
CREATE TABLE portfolio_deadlines (
    org_id        uuid NOT NULL,
    portfolio_id  uuid NOT NULL,
    target_date   date NOT NULL,
    open          bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, portfolio_id, target_date),
    FOREIGN KEY (org_id, portfolio_id) REFERENCES portfolios (org_id, id) ON DELETE CASCADE
);

-- One initiative's contribution to one ancestor: +1 entering the subtree, -1 leaving it.
CREATE TYPE rollup_change AS (
    org_id uuid, ancestor_id uuid, theme_id uuid, status text, health text, progress smallint,
    effort numeric, budget bigint, target_date date, sign integer
);

-- Applies a set of contributions to the three tables. (An array rather than a temporary table:
-- no catalog churn on every write.)
CREATE FUNCTION rollup_apply(changes rollup_change[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(changes) = 0 THEN
        RETURN;
    END IF;
    -- Lock the totals rows in a global order before changing any of them (see the header).
    PERFORM 1 FROM portfolio_totals t
    WHERE (t.org_id, t.portfolio_id) IN (SELECT DISTINCT c.org_id, c.ancestor_id FROM unnest(changes) c)
    ORDER BY t.org_id, t.portfolio_id
    FOR UPDATE;

    UPDATE portfolio_totals t SET
        n_proposed = t.n_proposed + d.n_proposed,
        n_planned = t.n_planned + d.n_planned,
        n_in_progress = t.n_in_progress + d.n_in_progress,
        n_done = t.n_done + d.n_done,
        n_cancelled = t.n_cancelled + d.n_cancelled,
        n_on_track = t.n_on_track + d.n_on_track,
        n_at_risk = t.n_at_risk + d.n_at_risk,
        n_off_track = t.n_off_track + d.n_off_track,
        active_effort = t.active_effort + d.active_effort,
        active_effort_at_risk = t.active_effort_at_risk + d.active_effort_at_risk,
        active_effort_off_track = t.active_effort_off_track + d.active_effort_off_track,
        effort = t.effort + d.effort,
        effort_progress = t.effort_progress + d.effort_progress,
        budget = t.budget + d.budget
    FROM (
        SELECT c.org_id, c.ancestor_id,
            sum(c.sign) FILTER (WHERE c.status = 'proposed') AS n_proposed,
            sum(c.sign) FILTER (WHERE c.status = 'planned') AS n_planned,
            sum(c.sign) FILTER (WHERE c.status = 'in_progress') AS n_in_progress,
            sum(c.sign) FILTER (WHERE c.status = 'done') AS n_done,
            sum(c.sign) FILTER (WHERE c.status = 'cancelled') AS n_cancelled,
            sum(c.sign) FILTER (WHERE c.active AND c.health = 'on_track') AS n_on_track,
            sum(c.sign) FILTER (WHERE c.active AND c.health = 'at_risk') AS n_at_risk,
            sum(c.sign) FILTER (WHERE c.active AND c.health = 'off_track') AS n_off_track,
            sum(c.sign * c.effort) FILTER (WHERE c.active) AS active_effort,
            sum(c.sign * c.effort) FILTER (WHERE c.active AND c.health = 'at_risk') AS active_effort_at_risk,
            sum(c.sign * c.effort) FILTER (WHERE c.active AND c.health = 'off_track') AS active_effort_off_track,
            sum(c.sign * c.effort) FILTER (WHERE c.status <> 'cancelled') AS effort,
            sum(c.sign * c.effort * CASE WHEN c.status = 'done' THEN 100 ELSE c.progress END)
                FILTER (WHERE c.status <> 'cancelled') AS effort_progress,
            sum(c.sign * coalesce(c.budget, 0)) FILTER (WHERE c.status <> 'cancelled') AS budget
        FROM (SELECT *, status IN ('planned', 'in_progress') AS active FROM unnest(changes)) c
        GROUP BY c.org_id, c.ancestor_id
    ) d0
    CROSS JOIN LATERAL (SELECT
        d0.org_id, d0.ancestor_id,
        coalesce(d0.n_proposed, 0) AS n_proposed, coalesce(d0.n_planned, 0) AS n_planned,
        coalesce(d0.n_in_progress, 0) AS n_in_progress, coalesce(d0.n_done, 0) AS n_done,
        coalesce(d0.n_cancelled, 0) AS n_cancelled, coalesce(d0.n_on_track, 0) AS n_on_track,
        coalesce(d0.n_at_risk, 0) AS n_at_risk, coalesce(d0.n_off_track, 0) AS n_off_track,
        coalesce(d0.active_effort, 0) AS active_effort,
        coalesce(d0.active_effort_at_risk, 0) AS active_effort_at_risk,
        coalesce(d0.active_effort_off_track, 0) AS active_effort_off_track,
        coalesce(d0.effort, 0) AS effort, coalesce(d0.effort_progress, 0) AS effort_progress,
        coalesce(d0.budget, 0) AS budget
    ) d
    WHERE t.org_id = d.org_id AND t.portfolio_id = d.ancestor_id;

    INSERT INTO portfolio_theme_totals AS t (org_id, portfolio_id, theme_id, effort)
    SELECT c.org_id, c.ancestor_id, c.theme_id, sum(c.sign * c.effort)
    FROM unnest(changes) c
    WHERE c.status <> 'cancelled'
    GROUP BY c.org_id, c.ancestor_id, c.theme_id
    HAVING sum(c.sign * c.effort) <> 0
    ON CONFLICT ON CONSTRAINT portfolio_theme_totals_key DO UPDATE SET effort = t.effort + excluded.effort;

    INSERT INTO portfolio_deadlines AS t (org_id, portfolio_id, target_date, open)
    SELECT c.org_id, c.ancestor_id, c.target_date, sum(c.sign)
    FROM unnest(changes) c
    WHERE c.target_date IS NOT NULL AND c.status NOT IN ('done', 'cancelled')
    GROUP BY c.org_id, c.ancestor_id, c.target_date
    HAVING sum(c.sign) <> 0
    ON CONFLICT (org_id, portfolio_id, target_date) DO UPDATE SET open = t.open + excluded.open;
END
$$;

-- A new portfolio starts with zero totals.
CREATE FUNCTION rollup_portfolios_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO portfolio_totals (org_id, portfolio_id) SELECT org_id, id FROM inserted;
    RETURN NULL;
END
$$;
CREATE TRIGGER portfolios_rollup_insert AFTER INSERT ON portfolios
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION rollup_portfolios_inserted();

-- Initiatives entering (+1) or leaving (-1) a subtree, applied to every ancestor. One function per
-- operation: a transition table exists only for the operations that have it.
CREATE FUNCTION rollup_initiatives_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_apply(ARRAY(
        SELECT ROW(n.org_id, c.ancestor_id, n.theme_id, n.status, n.health, n.progress,
                   n.effort::numeric, n.budget, n.target_date, 1)::rollup_change
        FROM new_rows n
        JOIN portfolio_closure c ON c.org_id = n.org_id AND c.descendant_id = n.portfolio_id));
    RETURN NULL;
END
$$;

CREATE FUNCTION rollup_initiatives_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_apply(ARRAY(
        SELECT ROW(o.org_id, c.ancestor_id, o.theme_id, o.status, o.health, o.progress,
                   o.effort::numeric, o.budget, o.target_date, -1)::rollup_change
        FROM old_rows o
        JOIN portfolio_closure c ON c.org_id = o.org_id AND c.descendant_id = o.portfolio_id));
    RETURN NULL;
END
$$;

-- Only rows whose roll-up columns changed count: a title edit must not lock the root's totals.
CREATE FUNCTION rollup_initiatives_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_apply(ARRAY(
        WITH changed AS (
            SELECT o.org_id,
                   o.portfolio_id AS old_portfolio, o.theme_id AS old_theme, o.status AS old_status,
                   o.health AS old_health, o.progress AS old_progress, o.effort AS old_effort,
                   o.budget AS old_budget, o.target_date AS old_target,
                   n.portfolio_id, n.theme_id, n.status, n.health, n.progress, n.effort, n.budget, n.target_date
            FROM old_rows o JOIN new_rows n ON n.org_id = o.org_id AND n.id = o.id
            WHERE (o.portfolio_id, o.theme_id, o.status, o.health, o.progress, o.effort, o.budget, o.target_date)
                IS DISTINCT FROM
                  (n.portfolio_id, n.theme_id, n.status, n.health, n.progress, n.effort, n.budget, n.target_date)
        )
        SELECT ROW(x.org_id, c.ancestor_id, x.old_theme, x.old_status, x.old_health, x.old_progress,
                   x.old_effort::numeric, x.old_budget, x.old_target, -1)::rollup_change
        FROM changed x JOIN portfolio_closure c ON c.org_id = x.org_id AND c.descendant_id = x.old_portfolio
        UNION ALL
        SELECT ROW(x.org_id, c.ancestor_id, x.theme_id, x.status, x.health, x.progress,
                   x.effort::numeric, x.budget, x.target_date, 1)::rollup_change
        FROM changed x JOIN portfolio_closure c ON c.org_id = x.org_id AND c.descendant_id = x.portfolio_id));
    RETURN NULL;
END
$$;

CREATE TRIGGER initiatives_rollup_insert AFTER INSERT ON initiatives
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rollup_initiatives_inserted();
CREATE TRIGGER initiatives_rollup_update AFTER UPDATE ON initiatives
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rollup_initiatives_updated();
CREATE TRIGGER initiatives_rollup_delete AFTER DELETE ON initiatives
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rollup_initiatives_deleted();

-- A closure row gained (+1) or lost (-1): the descendant's own initiatives join or leave the
-- ancestor's subtree.
CREATE FUNCTION rollup_closure_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_apply(ARRAY(
        SELECT ROW(i.org_id, r.ancestor_id, i.theme_id, i.status, i.health, i.progress,
                   i.effort::numeric, i.budget, i.target_date, 1)::rollup_change
        FROM new_rows r
        JOIN initiatives i ON i.org_id = r.org_id AND i.portfolio_id = r.descendant_id));
    RETURN NULL;
END
$$;

CREATE FUNCTION rollup_closure_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- (A deleted portfolio has no initiatives: deleting a non-empty one is refused.)
    PERFORM rollup_apply(ARRAY(
        SELECT ROW(i.org_id, r.ancestor_id, i.theme_id, i.status, i.health, i.progress,
                   i.effort::numeric, i.budget, i.target_date, -1)::rollup_change
        FROM old_rows r
        JOIN initiatives i ON i.org_id = r.org_id AND i.portfolio_id = r.descendant_id));
    RETURN NULL;
END
$$;

CREATE TRIGGER portfolio_closure_rollup_insert AFTER INSERT ON portfolio_closure
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rollup_closure_inserted();
CREATE TRIGGER portfolio_closure_rollup_delete AFTER DELETE ON portfolio_closure
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rollup_closure_deleted();

-- Organizations that existed before this migration: build their figures from scratch.
INSERT INTO portfolio_totals (org_id, portfolio_id) SELECT org_id, id FROM portfolios;
SELECT rollup_apply(ARRAY(
    SELECT ROW(i.org_id, c.ancestor_id, i.theme_id, i.status, i.health, i.progress, i.effort::numeric,
               i.budget, i.target_date, 1)::rollup_change
    FROM initiatives i JOIN portfolio_closure c ON c.org_id = i.org_id AND c.descendant_id = i.portfolio_id));

-- Lists on the roll-up page: open work by target date, and at-risk active work.
CREATE INDEX initiatives_open_target_idx ON initiatives (org_id, target_date)
    WHERE status NOT IN ('done', 'cancelled');
CREATE INDEX initiatives_portfolio_target_idx ON initiatives (org_id, portfolio_id, target_date);
