-- Dependencies and pace (SPEC §10): two more §3 figures, kept per subtree like the others.
--
-- * `dependency_conflicts`: the subtree's initiatives with at least one conflicting blocker. Whether
--   an initiative is in conflict depends on its own start and status and on its blockers' target
--   dates and statuses, never on today, so it is kept on the initiative (`dependency_conflict`),
--   refreshed by the triggers below whenever a link or one of those fields changes, and counted
--   per subtree by the roll-up's upkeep (0002) like a status.
-- * `optimistic`: in-progress, on-track work that is behind its time by the organization's
--   `optimism_threshold` or more. It depends on today, like late, so it is not a stored count:
--   each initiative keeps the day from which it is optimistic (`optimistic_from`), which changes
--   only on writes, and `portfolio_optimism` counts the subtree's initiatives per such day. The
--   count is a range scan over the days up to today, bounded by the calendar.

ALTER TABLE organizations ADD COLUMN optimism_threshold smallint NOT NULL DEFAULT 25
    CHECK (optimism_threshold BETWEEN 1 AND 100);

-- A dependency: `dependent_id` cannot finish (or start) before `blocker_id` is done. Any two
-- initiatives of the organization, across portfolios.
CREATE TABLE initiative_dependencies (
    org_id        uuid NOT NULL,
    dependent_id  uuid NOT NULL,
    blocker_id    uuid NOT NULL,
    created_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, dependent_id, blocker_id),
    FOREIGN KEY (org_id, dependent_id) REFERENCES initiatives (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, blocker_id) REFERENCES initiatives (org_id, id) ON DELETE CASCADE,
    CHECK (dependent_id <> blocker_id)
);
CREATE INDEX initiative_dependencies_blocker_idx ON initiative_dependencies (org_id, blocker_id);

ALTER TABLE initiative_dependencies ENABLE ROW LEVEL SECURITY;
ALTER TABLE initiative_dependencies FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON initiative_dependencies
    USING (org_id = nullif(current_setting('cairn.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('cairn.org_id', true), '')::uuid);
CREATE CONSTRAINT TRIGGER data_version AFTER INSERT OR UPDATE OR DELETE ON initiative_dependencies
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_data_version();

-- The conflict rule, written once (`domain::dependency::in_conflict` is the same in Rust;
-- tests/app/status_rules.rs holds the two to the same answers): the blocker is still open, the
-- dependent is not cancelled, and the blocker is due on or after the day the dependent starts.
CREATE FUNCTION dependency_in_conflict(blocker_status text, blocker_target date,
                                       dependent_status text, dependent_start date) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN initiative_is_open(blocker_status) AND dependent_status <> 'cancelled'
   AND coalesce(blocker_target >= dependent_start, false);

-- The pace rule (`domain::pace`): expected = clamp((today − start) ÷ (target − start), 0, 1) × 100,
-- optimistic when on track, in progress and expected − progress ≥ threshold. Solved for today: the
-- first day k days after the start with 100·k ≥ span·(progress + threshold), in whole numbers;
-- null when it never comes (progress + threshold above 100, or not in progress on track with dates).
-- A one-day span (start = target) expects everything from its day on.
CREATE FUNCTION initiative_optimistic_from(status text, health text, progress smallint, start_date date,
                                           target_date date, threshold smallint) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN status = 'in_progress' AND health = 'on_track' AND progress + threshold <= 100
            THEN start_date + ((target_date - start_date) * (progress + threshold) + 99) / 100 END;

ALTER TABLE initiatives ADD COLUMN dependency_conflict boolean NOT NULL DEFAULT false,
                        ADD COLUMN optimistic_from date;
-- The list's and the roll-up page's optimistic work: a range of days up to today.
CREATE INDEX initiatives_optimistic_idx ON initiatives (org_id, optimistic_from, number)
    WHERE optimistic_from IS NOT NULL;

-- An initiative's day, set whenever what it depends on is written.
CREATE FUNCTION initiative_set_optimistic_from() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.optimistic_from := initiative_optimistic_from(
        NEW.status, NEW.health, NEW.progress, NEW.start_date, NEW.target_date,
        (SELECT o.optimism_threshold FROM organizations o WHERE o.id = NEW.org_id));
    RETURN NEW;
END
$$;
CREATE TRIGGER initiatives_optimistic_from BEFORE INSERT OR UPDATE OF status, health, progress, start_date, target_date
    ON initiatives FOR EACH ROW EXECUTE FUNCTION initiative_set_optimistic_from();
-- The roll-up page's and the list's "in conflict" read few rows of many.
CREATE INDEX initiatives_in_conflict_idx ON initiatives (org_id, target_date, number) WHERE dependency_conflict;

-- Sets `dependency_conflict` of the initiatives `ids` from their blockers, writing only what changed
-- (so the roll-up's upkeep runs only for those).
CREATE FUNCTION refresh_dependency_conflicts(org uuid, ids uuid[]) RETURNS void
LANGUAGE sql AS $$
    UPDATE initiatives i SET dependency_conflict = x.conflict
    FROM (
        SELECT d.id, EXISTS (
                   SELECT 1 FROM initiative_dependencies l
                   JOIN initiatives b ON b.org_id = l.org_id AND b.id = l.blocker_id
                   WHERE l.org_id = org AND l.dependent_id = d.id
                     AND dependency_in_conflict(b.status, b.target_date, d.status, d.start_date)) AS conflict
        FROM initiatives d
        WHERE d.org_id = org AND d.id = ANY (ids)
    ) x
    WHERE i.org_id = org AND i.id = x.id AND i.dependency_conflict <> x.conflict
$$;

-- A link added or removed: its dependent. (A deleted initiative's links go by cascade, and this
-- refreshes the dependents of a deleted blocker.)
CREATE FUNCTION dependencies_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_dependency_conflicts(x.org_id, array_agg(DISTINCT x.dependent_id))
    FROM changed_rows x GROUP BY x.org_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER initiative_dependencies_insert AFTER INSERT ON initiative_dependencies
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION dependencies_changed();
CREATE TRIGGER initiative_dependencies_delete AFTER DELETE ON initiative_dependencies
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION dependencies_changed();

-- An initiative's status or dates changed: itself (as a dependent) and every initiative it blocks.
-- The refresh's own update changes none of these columns, so it stops there.
CREATE FUNCTION dependencies_initiatives_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_dependency_conflicts(a.org_id, array_agg(DISTINCT a.id))
    FROM (
        WITH changed AS (
            SELECT n.org_id, n.id
            FROM old_rows o JOIN new_rows n ON n.org_id = o.org_id AND n.id = o.id
            WHERE (o.status, o.start_date, o.target_date) IS DISTINCT FROM (n.status, n.start_date, n.target_date)
        )
        SELECT c.org_id, c.id FROM changed c
        WHERE EXISTS (SELECT 1 FROM initiative_dependencies l WHERE l.org_id = c.org_id AND l.dependent_id = c.id)
        UNION
        SELECT l.org_id, l.dependent_id FROM changed c
        JOIN initiative_dependencies l ON l.org_id = c.org_id AND l.blocker_id = c.id
    ) a
    GROUP BY a.org_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER initiatives_dependencies_update AFTER UPDATE ON initiatives
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION dependencies_initiatives_updated();

-- The kept figures: the conflict count beside the status counts, and the optimistic work per day.
ALTER TABLE portfolio_totals ADD COLUMN n_dependency_conflicts bigint NOT NULL DEFAULT 0;

CREATE TABLE portfolio_optimism (
    org_id           uuid NOT NULL,
    portfolio_id     uuid NOT NULL,
    optimistic_from  date NOT NULL,
    initiatives      bigint NOT NULL DEFAULT 0,
    FOREIGN KEY (org_id, portfolio_id) REFERENCES portfolios (org_id, id) ON DELETE CASCADE
);
-- The count in the key's index, as portfolio_deadlines (0012): the sum up to today is index-only.
CREATE UNIQUE INDEX portfolio_optimism_key ON portfolio_optimism (org_id, portfolio_id, optimistic_from)
    INCLUDE (initiatives);
ALTER TABLE portfolio_optimism ADD CONSTRAINT portfolio_optimism_pkey PRIMARY KEY USING INDEX portfolio_optimism_key;
ALTER TABLE portfolio_optimism SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE portfolio_optimism ENABLE ROW LEVEL SECURITY;
ALTER TABLE portfolio_optimism FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON portfolio_optimism
    USING (org_id = nullif(current_setting('cairn.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('cairn.org_id', true), '')::uuid);

-- A contribution now carries what the two figures read.
ALTER TYPE rollup_change ADD ATTRIBUTE optimistic_from date, ADD ATTRIBUTE dependency_conflict boolean;

DROP FUNCTION rollup_deltas(rollup_change[]);
CREATE FUNCTION rollup_deltas(changes rollup_change[])
RETURNS TABLE (org_id uuid, ancestor_id uuid, n_proposed bigint, n_planned bigint, n_in_progress bigint,
               n_done bigint, n_cancelled bigint, n_on_track bigint, n_at_risk bigint, n_off_track bigint,
               active_effort numeric, active_effort_at_risk numeric, active_effort_off_track numeric,
               effort numeric, effort_progress numeric, budget numeric, n_dependency_conflicts bigint)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT c.org_id, c.ancestor_id,
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
    FROM (SELECT u.*, initiative_is_active(u.status) AS active FROM unnest(changes) u) c
    GROUP BY c.org_id, c.ancestor_id
$$;

-- Optimistic work per ancestor and the day it becomes so.
CREATE FUNCTION rollup_optimism_deltas(changes rollup_change[])
RETURNS TABLE (org_id uuid, ancestor_id uuid, optimistic_from date, initiatives bigint)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT c.org_id, c.ancestor_id, c.optimistic_from, sum(c.sign)
    FROM unnest(changes) c
    WHERE c.optimistic_from IS NOT NULL
    GROUP BY c.org_id, c.ancestor_id, c.optimistic_from
    HAVING sum(c.sign) <> 0
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

    INSERT INTO portfolio_theme_totals AS t (org_id, portfolio_id, theme_id, effort)
    SELECT d.org_id, d.ancestor_id, d.theme_id, d.effort FROM rollup_theme_deltas(changes) d
    ON CONFLICT ON CONSTRAINT portfolio_theme_totals_key DO UPDATE SET effort = t.effort + excluded.effort;

    INSERT INTO portfolio_deadlines AS t (org_id, portfolio_id, target_date, open)
    SELECT d.org_id, d.ancestor_id, d.target_date, d.open FROM rollup_deadline_deltas(changes) d
    ON CONFLICT (org_id, portfolio_id, target_date) DO UPDATE SET open = t.open + excluded.open;

    INSERT INTO portfolio_optimism AS t (org_id, portfolio_id, optimistic_from, initiatives)
    SELECT d.org_id, d.ancestor_id, d.optimistic_from, d.initiatives FROM rollup_optimism_deltas(changes) d
    ON CONFLICT (org_id, portfolio_id, optimistic_from) DO UPDATE SET initiatives = t.initiatives + excluded.initiatives;
END
$$;

-- The upkeep's contributions, with the two new attributes (0002's functions otherwise unchanged).
CREATE OR REPLACE FUNCTION rollup_initiatives_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_apply(ARRAY(
        SELECT ROW(n.org_id, c.ancestor_id, n.theme_id, n.status, n.health, n.progress,
                   n.effort::numeric, n.budget, n.target_date, 1, n.optimistic_from, n.dependency_conflict)::rollup_change
        FROM new_rows n
        JOIN portfolio_closure c ON c.org_id = n.org_id AND c.descendant_id = n.portfolio_id));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION rollup_initiatives_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_apply(ARRAY(
        SELECT ROW(o.org_id, c.ancestor_id, o.theme_id, o.status, o.health, o.progress,
                   o.effort::numeric, o.budget, o.target_date, -1, o.optimistic_from, o.dependency_conflict)::rollup_change
        FROM old_rows o
        JOIN portfolio_closure c ON c.org_id = o.org_id AND c.descendant_id = o.portfolio_id));
    RETURN NULL;
END
$$;

-- Only rows whose roll-up columns changed count: a title edit must not lock the root's totals.
CREATE OR REPLACE FUNCTION rollup_initiatives_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_apply(ARRAY(
        WITH changed AS (
            SELECT o.org_id,
                   o.portfolio_id AS old_portfolio, o.theme_id AS old_theme, o.status AS old_status,
                   o.health AS old_health, o.progress AS old_progress, o.effort AS old_effort,
                   o.budget AS old_budget, o.target_date AS old_target, o.optimistic_from AS old_optimistic,
                   o.dependency_conflict AS old_conflict,
                   n.portfolio_id, n.theme_id, n.status, n.health, n.progress, n.effort, n.budget, n.target_date,
                   n.optimistic_from, n.dependency_conflict
            FROM old_rows o JOIN new_rows n ON n.org_id = o.org_id AND n.id = o.id
            WHERE (o.portfolio_id, o.theme_id, o.status, o.health, o.progress, o.effort, o.budget, o.target_date,
                   o.optimistic_from, o.dependency_conflict)
                IS DISTINCT FROM
                  (n.portfolio_id, n.theme_id, n.status, n.health, n.progress, n.effort, n.budget, n.target_date,
                   n.optimistic_from, n.dependency_conflict)
        )
        SELECT ROW(x.org_id, c.ancestor_id, x.old_theme, x.old_status, x.old_health, x.old_progress,
                   x.old_effort::numeric, x.old_budget, x.old_target, -1, x.old_optimistic, x.old_conflict)::rollup_change
        FROM changed x JOIN portfolio_closure c ON c.org_id = x.org_id AND c.descendant_id = x.old_portfolio
        UNION ALL
        SELECT ROW(x.org_id, c.ancestor_id, x.theme_id, x.status, x.health, x.progress,
                   x.effort::numeric, x.budget, x.target_date, 1, x.optimistic_from, x.dependency_conflict)::rollup_change
        FROM changed x JOIN portfolio_closure c ON c.org_id = x.org_id AND c.descendant_id = x.portfolio_id));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION rollup_closure_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_apply(ARRAY(
        SELECT ROW(i.org_id, r.ancestor_id, i.theme_id, i.status, i.health, i.progress,
                   i.effort::numeric, i.budget, i.target_date, 1, i.optimistic_from, i.dependency_conflict)::rollup_change
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
        SELECT ROW(i.org_id, r.ancestor_id, i.theme_id, i.status, i.health, i.progress,
                   i.effort::numeric, i.budget, i.target_date, -1, i.optimistic_from, i.dependency_conflict)::rollup_change
        FROM old_rows r
        JOIN initiatives i ON i.org_id = r.org_id AND i.portfolio_id = r.descendant_id));
    RETURN NULL;
END
$$;

-- A new threshold moves the day of every in-progress, on-track initiative of the organization (the
-- roll-up's upkeep then moves their counts).
CREATE FUNCTION optimism_threshold_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE initiatives i
    SET optimistic_from = initiative_optimistic_from(i.status, i.health, i.progress, i.start_date, i.target_date,
                                                     NEW.optimism_threshold)
    WHERE i.org_id = NEW.id AND i.status = 'in_progress' AND i.health = 'on_track'
      AND i.optimistic_from IS DISTINCT FROM initiative_optimistic_from(
              i.status, i.health, i.progress, i.start_date, i.target_date, NEW.optimism_threshold);
    RETURN NULL;
END
$$;
CREATE TRIGGER organizations_optimism_threshold AFTER UPDATE OF optimism_threshold ON organizations
    FOR EACH ROW WHEN (OLD.optimism_threshold IS DISTINCT FROM NEW.optimism_threshold)
    EXECUTE FUNCTION optimism_threshold_changed();

-- A scenario's contributions (0022) with the two new attributes: the day a changed or hypothetical
-- initiative would be optimistic from, at the organization's threshold. A changed initiative keeps
-- its live conflict flag but for one the scenario cancels; the conflicts a scenario's dates would
-- make or clear among its blockers are not computed (docs/decisions.md).
CREATE OR REPLACE FUNCTION scenario_rollup_changes(org uuid, scenario uuid) RETURNS rollup_change[]
LANGUAGE sql STABLE AS $$
    WITH x AS MATERIALIZED (
        SELECT s.*, i.dependency_conflict AS conflict, i.optimistic_from AS old_optimistic,
               initiative_optimistic_from(s.status, s.health, s.progress, s.start_date, s.target_date,
                                          o.optimism_threshold) AS optimistic_from
        FROM scenario_changed_initiatives(org, scenario) s
        JOIN initiatives i ON i.org_id = org AND i.id = s.initiative_id
        JOIN organizations o ON o.id = org)
    SELECT ARRAY(
        SELECT ROW(org, a.ancestor_id, x.old_theme, x.old_status, x.old_health, x.old_progress,
                   x.old_effort::numeric, x.old_budget, x.old_target, -1, x.old_optimistic, x.conflict)::rollup_change
        FROM x
        JOIN portfolio_closure a ON a.org_id = org AND a.descendant_id = x.old_portfolio
        UNION ALL
        SELECT ROW(org, a.ancestor_id, x.theme_id, x.status, x.health, x.progress,
                   x.effort::numeric, x.budget, x.target_date, 1, x.optimistic_from,
                   x.conflict AND x.status <> 'cancelled')::rollup_change
        FROM x
        JOIN portfolio_closure a ON a.org_id = org AND a.descendant_id = x.portfolio_id
        UNION ALL
        SELECT ROW(org, a.ancestor_id, h.theme_id, h.status, h.health, h.progress,
                   h.effort::numeric, h.budget, h.target_date, 1,
                   initiative_optimistic_from(h.status, h.health, h.progress, h.start_date, h.target_date,
                                              o.optimism_threshold), false)::rollup_change
        FROM scenario_initiatives h
        JOIN organizations o ON o.id = org
        JOIN portfolio_closure a ON a.org_id = org AND a.descendant_id = h.portfolio_id
        WHERE h.org_id = org AND h.scenario_id = scenario)
$$;

-- Initiatives that existed before: their days, counted by the upkeep above as they are set.
UPDATE initiatives SET optimistic_from = initiative_optimistic_from(
    status, health, progress, start_date, target_date,
    (SELECT o.optimism_threshold FROM organizations o WHERE o.id = org_id))
WHERE status = 'in_progress' AND health = 'on_track';
