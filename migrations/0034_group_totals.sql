-- The roll-up grouped by theme and by owner (SPEC §13), kept like the tree's own figures (0002,
-- 0024): for every portfolio P and every theme (or owner) G, the additive parts of the figures of
-- P's subtree's initiatives in G, with their open work per target date and their optimistic work
-- per day. Reading the root grouped by owner is then one row per owner, whatever the subtree holds.
-- The same contributions (`rollup_change`) and the same aggregates feed the tree and the groups:
-- a group's figures follow a portfolio's rules because they are computed by the same functions.
--
-- The other dimensions (status, health, objective, lifecycle, level) stay computed per request
-- (src/db/rollup.rs): docs/performance.md says why and what they cost.
--
-- The theme totals of 0002 are the theme groups' `effort`, so they go: the investment mix reads the
-- groups.

-- A contribution carries its owner, the second kept dimension.
ALTER TYPE rollup_change ADD ATTRIBUTE owner_id uuid;

-- `dimension` names the kept grouping; `group_id` is the theme's or owner's id, null for the work
-- without one. No foreign key to themes or users: a group whose work has all left it stays at zero
-- and is not shown.
CREATE TABLE portfolio_group_totals (
    org_id                  uuid NOT NULL,
    portfolio_id            uuid NOT NULL,
    dimension               text NOT NULL CHECK (dimension IN ('theme', 'owner')),
    group_id                uuid,
    n_proposed              bigint NOT NULL DEFAULT 0,
    n_planned               bigint NOT NULL DEFAULT 0,
    n_in_progress           bigint NOT NULL DEFAULT 0,
    n_done                  bigint NOT NULL DEFAULT 0,
    n_cancelled             bigint NOT NULL DEFAULT 0,
    n_on_track              bigint NOT NULL DEFAULT 0,
    n_at_risk               bigint NOT NULL DEFAULT 0,
    n_off_track             bigint NOT NULL DEFAULT 0,
    active_effort           numeric NOT NULL DEFAULT 0,
    active_effort_at_risk   numeric NOT NULL DEFAULT 0,
    active_effort_off_track numeric NOT NULL DEFAULT 0,
    effort                  numeric NOT NULL DEFAULT 0,
    effort_progress         numeric NOT NULL DEFAULT 0,
    budget                  numeric NOT NULL DEFAULT 0,
    n_dependency_conflicts  bigint NOT NULL DEFAULT 0,
    CONSTRAINT portfolio_group_totals_key UNIQUE NULLS NOT DISTINCT (org_id, portfolio_id, dimension, group_id),
    FOREIGN KEY (org_id, portfolio_id) REFERENCES portfolios (org_id, id) ON DELETE CASCADE
);

-- Open work per group and target date. The date comes before the group in the key, so that "late"
-- for every group of a portfolio is one range of the index up to today (index-only: the count is
-- in it).
CREATE TABLE portfolio_group_deadlines (
    org_id        uuid NOT NULL,
    portfolio_id  uuid NOT NULL,
    dimension     text NOT NULL,
    target_date   date NOT NULL,
    group_id      uuid,
    open          bigint NOT NULL DEFAULT 0,
    CONSTRAINT portfolio_group_deadlines_key
        UNIQUE NULLS NOT DISTINCT (org_id, portfolio_id, dimension, target_date, group_id) INCLUDE (open),
    FOREIGN KEY (org_id, portfolio_id) REFERENCES portfolios (org_id, id) ON DELETE CASCADE
);

-- On-track, in-progress work per group and the day it becomes optimistic (0024), read as late is.
CREATE TABLE portfolio_group_optimism (
    org_id           uuid NOT NULL,
    portfolio_id     uuid NOT NULL,
    dimension        text NOT NULL,
    optimistic_from  date NOT NULL,
    group_id         uuid,
    initiatives      bigint NOT NULL DEFAULT 0,
    CONSTRAINT portfolio_group_optimism_key
        UNIQUE NULLS NOT DISTINCT (org_id, portfolio_id, dimension, optimistic_from, group_id) INCLUDE (initiatives),
    FOREIGN KEY (org_id, portfolio_id) REFERENCES portfolios (org_id, id) ON DELETE CASCADE
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['portfolio_group_totals', 'portfolio_group_deadlines', 'portfolio_group_optimism'] LOOP
        -- Rows written on every roll-up change, as portfolio_totals' are.
        EXECUTE format('ALTER TABLE %I SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.02)', t);
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
                           USING (org_id = nullif(current_setting('cairn.org_id', true), '')::uuid)
                           WITH CHECK (org_id = nullif(current_setting('cairn.org_id', true), '')::uuid)$p$, t);
    END LOOP;
END
$$;

-- The group of a contribution in `dimension`; null for the tree's own figures (no dimension) and
-- for the work without a theme or owner.
CREATE FUNCTION rollup_group_of(c rollup_change, dimension text) RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE dimension WHEN 'theme' THEN c.theme_id WHEN 'owner' THEN c.owner_id END;

-- The aggregates of 0024 per ancestor and group of `dimension`. The tree's own (`rollup_deltas`
-- and its kin) are these without a dimension, so that one definition serves both.
CREATE FUNCTION rollup_group_deltas(changes rollup_change[], dimension text)
RETURNS TABLE (org_id uuid, ancestor_id uuid, group_id uuid, n_proposed bigint, n_planned bigint,
               n_in_progress bigint, n_done bigint, n_cancelled bigint, n_on_track bigint, n_at_risk bigint,
               n_off_track bigint, active_effort numeric, active_effort_at_risk numeric,
               active_effort_off_track numeric, effort numeric, effort_progress numeric, budget numeric,
               n_dependency_conflicts bigint)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT c.org_id, c.ancestor_id, c.group_id,
        coalesce(sum(c.sign) FILTER (WHERE c.status = 'proposed'), 0),
        coalesce(sum(c.sign) FILTER (WHERE c.status = 'planned'), 0),
        coalesce(sum(c.sign) FILTER (WHERE c.status = 'in_progress'), 0),
        coalesce(sum(c.sign) FILTER (WHERE c.status = 'done'), 0),
        coalesce(sum(c.sign) FILTER (WHERE c.status = 'cancelled'), 0),
        coalesce(sum(c.sign) FILTER (WHERE c.active AND c.health = 'on_track'), 0),
        coalesce(sum(c.sign) FILTER (WHERE c.active AND c.health = 'at_risk'), 0),
        coalesce(sum(c.sign) FILTER (WHERE c.active AND c.health = 'off_track'), 0),
        coalesce(sum(c.sign * c.effort) FILTER (WHERE c.active), 0),
        coalesce(sum(c.sign * c.effort) FILTER (WHERE c.active AND c.health = 'at_risk'), 0),
        coalesce(sum(c.sign * c.effort) FILTER (WHERE c.active AND c.health = 'off_track'), 0),
        coalesce(sum(c.sign * c.effort) FILTER (WHERE c.status <> 'cancelled'), 0),
        coalesce(sum(c.sign * c.effort * CASE WHEN c.status = 'done' THEN 100 ELSE c.progress END)
                 FILTER (WHERE c.status <> 'cancelled'), 0),
        coalesce(sum(c.sign * coalesce(c.budget, 0)) FILTER (WHERE c.status <> 'cancelled'), 0),
        coalesce(sum(c.sign) FILTER (WHERE c.dependency_conflict), 0)
    FROM (SELECT u.*, initiative_is_active(u.status) AS active, rollup_group_of(u, dimension) AS group_id
          FROM unnest(changes) u) c
    GROUP BY c.org_id, c.ancestor_id, c.group_id
$$;

CREATE FUNCTION rollup_group_deadline_deltas(changes rollup_change[], dimension text)
RETURNS TABLE (org_id uuid, ancestor_id uuid, group_id uuid, target_date date, open bigint)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT c.org_id, c.ancestor_id, rollup_group_of(c, dimension), c.target_date, sum(c.sign)
    FROM unnest(changes) c
    WHERE c.target_date IS NOT NULL AND initiative_is_open(c.status)
    GROUP BY 1, 2, 3, 4
    HAVING sum(c.sign) <> 0
$$;

CREATE FUNCTION rollup_group_optimism_deltas(changes rollup_change[], dimension text)
RETURNS TABLE (org_id uuid, ancestor_id uuid, group_id uuid, optimistic_from date, initiatives bigint)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT c.org_id, c.ancestor_id, rollup_group_of(c, dimension), c.optimistic_from, sum(c.sign)
    FROM unnest(changes) c
    WHERE c.optimistic_from IS NOT NULL
    GROUP BY 1, 2, 3, 4
    HAVING sum(c.sign) <> 0
$$;

-- The tree's aggregates, now the groups' without a dimension (signatures unchanged).
CREATE OR REPLACE FUNCTION rollup_deltas(changes rollup_change[])
RETURNS TABLE (org_id uuid, ancestor_id uuid, n_proposed bigint, n_planned bigint, n_in_progress bigint,
               n_done bigint, n_cancelled bigint, n_on_track bigint, n_at_risk bigint, n_off_track bigint,
               active_effort numeric, active_effort_at_risk numeric, active_effort_off_track numeric,
               effort numeric, effort_progress numeric, budget numeric, n_dependency_conflicts bigint)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT d.org_id, d.ancestor_id, d.n_proposed, d.n_planned, d.n_in_progress, d.n_done, d.n_cancelled,
           d.n_on_track, d.n_at_risk, d.n_off_track, d.active_effort, d.active_effort_at_risk,
           d.active_effort_off_track, d.effort, d.effort_progress, d.budget, d.n_dependency_conflicts
    FROM rollup_group_deltas(changes, NULL) d
$$;

CREATE OR REPLACE FUNCTION rollup_deadline_deltas(changes rollup_change[])
RETURNS TABLE (org_id uuid, ancestor_id uuid, target_date date, open bigint)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT d.org_id, d.ancestor_id, d.target_date, d.open FROM rollup_group_deadline_deltas(changes, NULL) d
$$;

CREATE OR REPLACE FUNCTION rollup_optimism_deltas(changes rollup_change[])
RETURNS TABLE (org_id uuid, ancestor_id uuid, optimistic_from date, initiatives bigint)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT d.org_id, d.ancestor_id, d.optimistic_from, d.initiatives FROM rollup_group_optimism_deltas(changes, NULL) d
$$;

-- The kept groups' share of the upkeep. Called by rollup_apply with the totals rows of every
-- ancestor already locked, so concurrent writers serialize on those as before.
CREATE FUNCTION rollup_apply_groups(changes rollup_change[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO portfolio_group_totals AS t (
        org_id, portfolio_id, dimension, group_id, n_proposed, n_planned, n_in_progress, n_done, n_cancelled,
        n_on_track, n_at_risk, n_off_track, active_effort, active_effort_at_risk, active_effort_off_track,
        effort, effort_progress, budget, n_dependency_conflicts)
    SELECT d.org_id, d.ancestor_id, dim.name, d.group_id, d.n_proposed, d.n_planned, d.n_in_progress, d.n_done,
           d.n_cancelled, d.n_on_track, d.n_at_risk, d.n_off_track, d.active_effort, d.active_effort_at_risk,
           d.active_effort_off_track, d.effort, d.effort_progress, d.budget, d.n_dependency_conflicts
    FROM unnest(ARRAY['theme', 'owner']) dim (name), rollup_group_deltas(changes, dim.name) d
    ON CONFLICT ON CONSTRAINT portfolio_group_totals_key DO UPDATE SET
        n_proposed = t.n_proposed + excluded.n_proposed,
        n_planned = t.n_planned + excluded.n_planned,
        n_in_progress = t.n_in_progress + excluded.n_in_progress,
        n_done = t.n_done + excluded.n_done,
        n_cancelled = t.n_cancelled + excluded.n_cancelled,
        n_on_track = t.n_on_track + excluded.n_on_track,
        n_at_risk = t.n_at_risk + excluded.n_at_risk,
        n_off_track = t.n_off_track + excluded.n_off_track,
        active_effort = t.active_effort + excluded.active_effort,
        active_effort_at_risk = t.active_effort_at_risk + excluded.active_effort_at_risk,
        active_effort_off_track = t.active_effort_off_track + excluded.active_effort_off_track,
        effort = t.effort + excluded.effort,
        effort_progress = t.effort_progress + excluded.effort_progress,
        budget = t.budget + excluded.budget,
        n_dependency_conflicts = t.n_dependency_conflicts + excluded.n_dependency_conflicts;

    INSERT INTO portfolio_group_deadlines AS t (org_id, portfolio_id, dimension, target_date, group_id, open)
    SELECT d.org_id, d.ancestor_id, dim.name, d.target_date, d.group_id, d.open
    FROM unnest(ARRAY['theme', 'owner']) dim (name), rollup_group_deadline_deltas(changes, dim.name) d
    ON CONFLICT ON CONSTRAINT portfolio_group_deadlines_key DO UPDATE SET open = t.open + excluded.open;

    INSERT INTO portfolio_group_optimism AS t (org_id, portfolio_id, dimension, optimistic_from, group_id, initiatives)
    SELECT d.org_id, d.ancestor_id, dim.name, d.optimistic_from, d.group_id, d.initiatives
    FROM unnest(ARRAY['theme', 'owner']) dim (name), rollup_group_optimism_deltas(changes, dim.name) d
    ON CONFLICT ON CONSTRAINT portfolio_group_optimism_key DO UPDATE SET initiatives = t.initiatives + excluded.initiatives;
END
$$;

CREATE OR REPLACE FUNCTION rollup_apply(changes rollup_change[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(changes) = 0 THEN
        RETURN;
    END IF;
    -- Lock the totals rows in a global order before changing any of them (see 0002's header).
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
        budget = t.budget + d.budget,
        n_dependency_conflicts = t.n_dependency_conflicts + d.n_dependency_conflicts
    FROM rollup_deltas(changes) d
    WHERE t.org_id = d.org_id AND t.portfolio_id = d.ancestor_id;

    INSERT INTO portfolio_deadlines AS t (org_id, portfolio_id, target_date, open)
    SELECT d.org_id, d.ancestor_id, d.target_date, d.open FROM rollup_deadline_deltas(changes) d
    ON CONFLICT (org_id, portfolio_id, target_date) DO UPDATE SET open = t.open + excluded.open;

    INSERT INTO portfolio_optimism AS t (org_id, portfolio_id, optimistic_from, initiatives)
    SELECT d.org_id, d.ancestor_id, d.optimistic_from, d.initiatives FROM rollup_optimism_deltas(changes) d
    ON CONFLICT (org_id, portfolio_id, optimistic_from) DO UPDATE SET initiatives = t.initiatives + excluded.initiatives;

    PERFORM rollup_apply_groups(changes);
END
$$;

-- The upkeep's contributions, with the owner (0024's functions otherwise unchanged).
CREATE OR REPLACE FUNCTION rollup_initiatives_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_apply(ARRAY(
        SELECT ROW(n.org_id, c.ancestor_id, n.theme_id, n.status, n.health, n.progress, n.effort::numeric,
                   n.budget, n.target_date, 1, n.optimistic_from, n.dependency_conflict, n.owner_id)::rollup_change
        FROM new_rows n
        JOIN portfolio_closure c ON c.org_id = n.org_id AND c.descendant_id = n.portfolio_id));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION rollup_initiatives_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_apply(ARRAY(
        SELECT ROW(o.org_id, c.ancestor_id, o.theme_id, o.status, o.health, o.progress, o.effort::numeric,
                   o.budget, o.target_date, -1, o.optimistic_from, o.dependency_conflict, o.owner_id)::rollup_change
        FROM old_rows o
        JOIN portfolio_closure c ON c.org_id = o.org_id AND c.descendant_id = o.portfolio_id));
    RETURN NULL;
END
$$;

-- Only rows whose roll-up columns changed count: a title edit must not lock the root's totals. An
-- owner's change now does: it moves work between owner groups.
CREATE OR REPLACE FUNCTION rollup_initiatives_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_apply(ARRAY(
        WITH changed AS (
            SELECT o.org_id,
                   o.portfolio_id AS old_portfolio, o.theme_id AS old_theme, o.status AS old_status,
                   o.health AS old_health, o.progress AS old_progress, o.effort AS old_effort,
                   o.budget AS old_budget, o.target_date AS old_target, o.optimistic_from AS old_optimistic,
                   o.dependency_conflict AS old_conflict, o.owner_id AS old_owner,
                   n.portfolio_id, n.theme_id, n.status, n.health, n.progress, n.effort, n.budget, n.target_date,
                   n.optimistic_from, n.dependency_conflict, n.owner_id
            FROM old_rows o JOIN new_rows n ON n.org_id = o.org_id AND n.id = o.id
            WHERE (o.portfolio_id, o.theme_id, o.status, o.health, o.progress, o.effort, o.budget, o.target_date,
                   o.optimistic_from, o.dependency_conflict, o.owner_id)
                IS DISTINCT FROM
                  (n.portfolio_id, n.theme_id, n.status, n.health, n.progress, n.effort, n.budget, n.target_date,
                   n.optimistic_from, n.dependency_conflict, n.owner_id)
        )
        SELECT ROW(x.org_id, c.ancestor_id, x.old_theme, x.old_status, x.old_health, x.old_progress,
                   x.old_effort::numeric, x.old_budget, x.old_target, -1, x.old_optimistic, x.old_conflict,
                   x.old_owner)::rollup_change
        FROM changed x JOIN portfolio_closure c ON c.org_id = x.org_id AND c.descendant_id = x.old_portfolio
        UNION ALL
        SELECT ROW(x.org_id, c.ancestor_id, x.theme_id, x.status, x.health, x.progress,
                   x.effort::numeric, x.budget, x.target_date, 1, x.optimistic_from, x.dependency_conflict,
                   x.owner_id)::rollup_change
        FROM changed x JOIN portfolio_closure c ON c.org_id = x.org_id AND c.descendant_id = x.portfolio_id));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION rollup_closure_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_apply(ARRAY(
        SELECT ROW(i.org_id, r.ancestor_id, i.theme_id, i.status, i.health, i.progress, i.effort::numeric,
                   i.budget, i.target_date, 1, i.optimistic_from, i.dependency_conflict, i.owner_id)::rollup_change
        FROM new_rows r
        JOIN initiatives i ON i.org_id = r.org_id AND i.portfolio_id = r.descendant_id));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION rollup_closure_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- (A deleted portfolio has no initiatives: deleting a non-empty one is refused.)
    PERFORM rollup_apply(ARRAY(
        SELECT ROW(i.org_id, r.ancestor_id, i.theme_id, i.status, i.health, i.progress, i.effort::numeric,
                   i.budget, i.target_date, -1, i.optimistic_from, i.dependency_conflict, i.owner_id)::rollup_change
        FROM old_rows r
        JOIN initiatives i ON i.org_id = r.org_id AND i.portfolio_id = r.descendant_id));
    RETURN NULL;
END
$$;

-- A scenario's contributions (0026) with the owner: a scenario does not change owners, so the
-- live one (a hypothetical initiative's own).
CREATE OR REPLACE FUNCTION scenario_rollup_changes(org uuid, scenario uuid) RETURNS rollup_change[]
LANGUAGE sql STABLE AS $$
    WITH flags AS MATERIALIZED (
        SELECT * FROM scenario_conflicts(org, scenario)
    ), x AS MATERIALIZED (
        SELECT s.*, i.dependency_conflict AS conflict, f.planned AS planned_conflict,
               i.optimistic_from AS old_optimistic, i.owner_id,
               initiative_optimistic_from(s.status, s.health, s.progress, s.start_date, s.target_date,
                                          o.optimism_threshold) AS optimistic_from
        FROM scenario_changed_initiatives(org, scenario) s
        JOIN initiatives i ON i.org_id = org AND i.id = s.initiative_id
        JOIN flags f ON f.initiative_id = s.initiative_id
        JOIN organizations o ON o.id = org
    ), blocked AS (
        -- Left alone by the scenario, but a blocker of theirs is not: the flag alone moves.
        SELECT i.*, f.planned AS planned_conflict
        FROM flags f
        JOIN initiatives i ON i.org_id = org AND i.id = f.initiative_id
        WHERE f.live IS DISTINCT FROM f.planned
          AND NOT EXISTS (SELECT 1 FROM x WHERE x.initiative_id = f.initiative_id)
    )
    SELECT ARRAY(
        SELECT ROW(org, a.ancestor_id, x.old_theme, x.old_status, x.old_health, x.old_progress,
                   x.old_effort::numeric, x.old_budget, x.old_target, -1, x.old_optimistic, x.conflict,
                   x.owner_id)::rollup_change
        FROM x
        JOIN portfolio_closure a ON a.org_id = org AND a.descendant_id = x.old_portfolio
        UNION ALL
        SELECT ROW(org, a.ancestor_id, x.theme_id, x.status, x.health, x.progress,
                   x.effort::numeric, x.budget, x.target_date, 1, x.optimistic_from, x.planned_conflict,
                   x.owner_id)::rollup_change
        FROM x
        JOIN portfolio_closure a ON a.org_id = org AND a.descendant_id = x.portfolio_id
        UNION ALL
        SELECT ROW(org, a.ancestor_id, b.theme_id, b.status, b.health, b.progress, b.effort::numeric,
                   b.budget, b.target_date, sign.value, b.optimistic_from,
                   CASE WHEN sign.value = 1 THEN b.planned_conflict ELSE b.dependency_conflict END,
                   b.owner_id)::rollup_change
        FROM blocked b
        CROSS JOIN (VALUES (-1), (1)) AS sign (value)
        JOIN portfolio_closure a ON a.org_id = org AND a.descendant_id = b.portfolio_id
        UNION ALL
        SELECT ROW(org, a.ancestor_id, h.theme_id, h.status, h.health, h.progress,
                   h.effort::numeric, h.budget, h.target_date, 1,
                   initiative_optimistic_from(h.status, h.health, h.progress, h.start_date, h.target_date,
                                              o.optimism_threshold), false, h.owner_id)::rollup_change
        FROM scenario_initiatives h
        JOIN organizations o ON o.id = org
        JOIN portfolio_closure a ON a.org_id = org AND a.descendant_id = h.portfolio_id
        WHERE h.org_id = org AND h.scenario_id = scenario)
$$;

-- The groups of the work that exists, organization by organization (row-level security reads
-- one at a time).
DO $$
DECLARE
    org uuid;
BEGIN
    FOR org IN SELECT id FROM organizations LOOP
        PERFORM set_config('cairn.org_id', org::text, true);
        PERFORM rollup_apply_groups(ARRAY(
            SELECT ROW(i.org_id, c.ancestor_id, i.theme_id, i.status, i.health, i.progress, i.effort::numeric,
                       i.budget, i.target_date, 1, i.optimistic_from, i.dependency_conflict, i.owner_id)::rollup_change
            FROM initiatives i
            JOIN portfolio_closure c ON c.org_id = i.org_id AND c.descendant_id = i.portfolio_id
            WHERE i.org_id = org));
    END LOOP;
    PERFORM set_config('cairn.org_id', '', true);
END
$$;

-- The investment mix reads the theme groups' effort now.
DROP FUNCTION rollup_theme_deltas(rollup_change[]);
DROP TABLE portfolio_theme_totals;
