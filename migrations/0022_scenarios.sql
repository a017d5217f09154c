-- Scenarios (SPEC §9): named what-if sandboxes over a portfolio subtree. A scenario holds changes to
-- live initiatives, hypothetical initiatives and capacity changes; nothing in it touches the live
-- plan until it is applied (src/db/scenarios.rs).
--
-- A scenario's figures are the live figures plus the effect of its changes: each changed initiative
-- leaves its live ancestors (-1) and enters its new ones (+1) exactly as an UPDATE of it would in
-- the upkeep of 0002 and 0020, hypothetical ones enter (+1) as an INSERT would. The contributions
-- are aggregated by the same functions the upkeep applies (rollup_deltas and its two siblings,
-- initiative_demand), so a scenario's figures and the live ones come from one implementation of the
-- math, and a scenario's read costs what its changes cost, not what the organization holds.

CREATE TABLE scenarios (
    org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id            uuid NOT NULL,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    portfolio_id  uuid NOT NULL,
    created_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    updated_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    version       bigint NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, portfolio_id) REFERENCES portfolios (org_id, id) ON DELETE CASCADE
);
CREATE INDEX scenarios_portfolio_idx ON scenarios (org_id, portfolio_id);

-- A change to one live initiative. `sets` names the fields the change sets; the others follow the
-- live initiative, so a scenario shows what applying it now would give. `kept_version` is the
-- initiative's version when the change was made: apply refuses the change once it moved on.
CREATE TABLE scenario_changes (
    org_id         uuid NOT NULL,
    scenario_id    uuid NOT NULL,
    initiative_id  uuid NOT NULL,
    kept_version   bigint NOT NULL,
    sets           text[] NOT NULL CHECK (cardinality(sets) > 0 AND sets <@ ARRAY[
                       'status', 'start_date', 'target_date', 'effort', 'progress', 'portfolio_id', 'theme_id']),
    status         text CHECK (status IN ('proposed', 'planned', 'in_progress', 'done', 'cancelled')),
    start_date     date,
    target_date    date,
    effort         double precision CHECK (effort > 0),
    progress       smallint CHECK (progress BETWEEN 0 AND 100),
    portfolio_id   uuid,
    theme_id       uuid,
    made_by        uuid REFERENCES users (id) ON DELETE SET NULL,
    made_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, scenario_id, initiative_id),
    FOREIGN KEY (org_id, scenario_id) REFERENCES scenarios (org_id, id) ON DELETE CASCADE,
    -- A deleted initiative has nothing left to change; a deleted theme leaves the work unthemed, as
    -- it does live.
    FOREIGN KEY (org_id, initiative_id) REFERENCES initiatives (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, portfolio_id) REFERENCES portfolios (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, theme_id) REFERENCES themes (org_id, id) ON DELETE SET NULL (theme_id)
);
CREATE INDEX scenario_changes_initiative_idx ON scenario_changes (org_id, initiative_id);
CREATE INDEX scenario_changes_portfolio_idx ON scenario_changes (org_id, portfolio_id) WHERE portfolio_id IS NOT NULL;

-- Work that exists only in the scenario, with an initiative's fields and checks.
CREATE TABLE scenario_initiatives (
    org_id            uuid NOT NULL,
    scenario_id       uuid NOT NULL,
    id                uuid NOT NULL,
    title             text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description       text NOT NULL DEFAULT '' CHECK (length(description) <= 20000),
    portfolio_id      uuid NOT NULL,
    owner_id          uuid,
    theme_id          uuid,
    status            text NOT NULL CHECK (status IN ('proposed', 'planned', 'in_progress', 'done', 'cancelled')),
    health            text NOT NULL CHECK (health IN ('on_track', 'at_risk', 'off_track')),
    progress          smallint NOT NULL CHECK (progress BETWEEN 0 AND 100),
    effort            double precision NOT NULL CHECK (effort > 0),
    budget            bigint CHECK (budget >= 0),
    start_date        date,
    target_date       date,
    reach             bigint CHECK (reach >= 0),
    impact            double precision CHECK (impact IN (0.25, 0.5, 1, 2, 3)),
    confidence        smallint CHECK (confidence BETWEEN 0 AND 100),
    business_value    smallint CHECK (business_value IN (1, 2, 3, 5, 8, 13, 20)),
    time_criticality  smallint CHECK (time_criticality IN (1, 2, 3, 5, 8, 13, 20)),
    risk_reduction    smallint CHECK (risk_reduction IN (1, 2, 3, 5, 8, 13, 20)),
    benefit           numeric CHECK (benefit >= 0 AND benefit < 1e15),
    made_by           uuid REFERENCES users (id) ON DELETE SET NULL,
    made_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, scenario_id, id),
    FOREIGN KEY (org_id, scenario_id) REFERENCES scenarios (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, portfolio_id) REFERENCES portfolios (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, owner_id) REFERENCES memberships (org_id, user_id) ON DELETE SET NULL (owner_id),
    FOREIGN KEY (org_id, theme_id) REFERENCES themes (org_id, id) ON DELETE SET NULL (theme_id),
    CHECK (target_date IS NULL OR start_date IS NULL OR target_date >= start_date)
);
CREATE INDEX scenario_initiatives_portfolio_idx ON scenario_initiatives (org_id, portfolio_id);

-- A portfolio's own capacity in a quarter as the scenario sets it, in place of the live one.
CREATE TABLE scenario_capacity (
    org_id        uuid NOT NULL,
    scenario_id   uuid NOT NULL,
    portfolio_id  uuid NOT NULL,
    quarter       text NOT NULL CHECK (quarter ~ '^[1-9][0-9]{3}-Q[1-4]$'),
    person_weeks  numeric NOT NULL CHECK (person_weeks >= 0 AND person_weeks < 1e9),
    made_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    made_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, scenario_id, portfolio_id, quarter),
    FOREIGN KEY (org_id, scenario_id) REFERENCES scenarios (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, portfolio_id) REFERENCES portfolios (org_id, id) ON DELETE CASCADE
);
CREATE INDEX scenario_capacity_portfolio_idx ON scenario_capacity (org_id, portfolio_id);

-- The aggregation of 0002's rollup_apply, as functions of their own: the upkeep applies their
-- results, a scenario's read adds them to the live figures.
CREATE FUNCTION rollup_deltas(changes rollup_change[])
RETURNS TABLE (org_id uuid, ancestor_id uuid, n_proposed bigint, n_planned bigint, n_in_progress bigint,
               n_done bigint, n_cancelled bigint, n_on_track bigint, n_at_risk bigint, n_off_track bigint,
               active_effort numeric, active_effort_at_risk numeric, active_effort_off_track numeric,
               effort numeric, effort_progress numeric, budget numeric)
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
        coalesce(sum(c.sign * coalesce(c.budget, 0)) FILTER (WHERE c.status <> 'cancelled'), 0)
    FROM (SELECT u.*, u.status IN ('planned', 'in_progress') AS active FROM unnest(changes) u) c
    GROUP BY c.org_id, c.ancestor_id
$$;

-- Σ effort over A per ancestor and theme (null: unassigned).
CREATE FUNCTION rollup_theme_deltas(changes rollup_change[])
RETURNS TABLE (org_id uuid, ancestor_id uuid, theme_id uuid, effort numeric)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT c.org_id, c.ancestor_id, c.theme_id, sum(c.sign * c.effort)
    FROM unnest(changes) c
    WHERE c.status <> 'cancelled'
    GROUP BY c.org_id, c.ancestor_id, c.theme_id
    HAVING sum(c.sign * c.effort) <> 0
$$;

-- Open work per ancestor and target date.
CREATE FUNCTION rollup_deadline_deltas(changes rollup_change[])
RETURNS TABLE (org_id uuid, ancestor_id uuid, target_date date, open bigint)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT c.org_id, c.ancestor_id, c.target_date, sum(c.sign)
    FROM unnest(changes) c
    WHERE c.target_date IS NOT NULL AND c.status NOT IN ('done', 'cancelled')
    GROUP BY c.org_id, c.ancestor_id, c.target_date
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
        budget = t.budget + d.budget
    FROM rollup_deltas(changes) d
    WHERE t.org_id = d.org_id AND t.portfolio_id = d.ancestor_id;

    INSERT INTO portfolio_theme_totals AS t (org_id, portfolio_id, theme_id, effort)
    SELECT d.org_id, d.ancestor_id, d.theme_id, d.effort FROM rollup_theme_deltas(changes) d
    ON CONFLICT ON CONSTRAINT portfolio_theme_totals_key DO UPDATE SET effort = t.effort + excluded.effort;

    INSERT INTO portfolio_deadlines AS t (org_id, portfolio_id, target_date, open)
    SELECT d.org_id, d.ancestor_id, d.target_date, d.open FROM rollup_deadline_deltas(changes) d
    ON CONFLICT (org_id, portfolio_id, target_date) DO UPDATE SET open = t.open + excluded.open;
END
$$;

-- Every initiative a scenario changes: its live values and the scenario's.
CREATE FUNCTION scenario_changed_initiatives(org uuid, scenario uuid)
RETURNS TABLE (initiative_id uuid,
               old_portfolio uuid, old_theme uuid, old_status text, old_health text, old_progress smallint,
               old_effort double precision, old_budget bigint, old_start date, old_target date,
               portfolio_id uuid, theme_id uuid, status text, health text, progress smallint,
               effort double precision, budget bigint, start_date date, target_date date)
LANGUAGE sql STABLE AS $$
    SELECT i.id,
           i.portfolio_id, i.theme_id, i.status, i.health, i.progress, i.effort, i.budget, i.start_date, i.target_date,
           CASE WHEN 'portfolio_id' = ANY (c.sets) THEN c.portfolio_id ELSE i.portfolio_id END,
           CASE WHEN 'theme_id' = ANY (c.sets) THEN c.theme_id ELSE i.theme_id END,
           CASE WHEN 'status' = ANY (c.sets) THEN c.status ELSE i.status END,
           i.health,
           CASE WHEN 'progress' = ANY (c.sets) THEN c.progress ELSE i.progress END,
           CASE WHEN 'effort' = ANY (c.sets) THEN c.effort ELSE i.effort END,
           i.budget,
           CASE WHEN 'start_date' = ANY (c.sets) THEN c.start_date ELSE i.start_date END,
           CASE WHEN 'target_date' = ANY (c.sets) THEN c.target_date ELSE i.target_date END
    FROM scenario_changes c
    JOIN initiatives i ON i.org_id = c.org_id AND i.id = c.initiative_id
    WHERE c.org_id = org AND c.scenario_id = scenario
$$;

-- A scenario's contributions to the §3 figures of every ancestor they touch.
CREATE FUNCTION scenario_rollup_changes(org uuid, scenario uuid) RETURNS rollup_change[]
LANGUAGE sql STABLE AS $$
    SELECT ARRAY(
        SELECT ROW(org, a.ancestor_id, x.old_theme, x.old_status, x.old_health, x.old_progress,
                   x.old_effort::numeric, x.old_budget, x.old_target, -1)::rollup_change
        FROM scenario_changed_initiatives(org, scenario) x
        JOIN portfolio_closure a ON a.org_id = org AND a.descendant_id = x.old_portfolio
        UNION ALL
        SELECT ROW(org, a.ancestor_id, x.theme_id, x.status, x.health, x.progress,
                   x.effort::numeric, x.budget, x.target_date, 1)::rollup_change
        FROM scenario_changed_initiatives(org, scenario) x
        JOIN portfolio_closure a ON a.org_id = org AND a.descendant_id = x.portfolio_id
        UNION ALL
        SELECT ROW(org, a.ancestor_id, h.theme_id, h.status, h.health, h.progress,
                   h.effort::numeric, h.budget, h.target_date, 1)::rollup_change
        FROM scenario_initiatives h
        JOIN portfolio_closure a ON a.org_id = org AND a.descendant_id = h.portfolio_id
        WHERE h.org_id = org AND h.scenario_id = scenario)
$$;

-- A scenario's contributions to the §8 capacity figures (0020) of every ancestor they touch: the
-- demand its changed and hypothetical initiatives move, and its capacities in place of the live ones.
CREATE FUNCTION scenario_capacity_changes(org uuid, scenario uuid) RETURNS capacity_change[]
LANGUAGE sql STABLE AS $$
    SELECT ARRAY(
        SELECT ROW(org, a.ancestor_id, d.quarter, 0, -d.demand, -d.proposed)::capacity_change
        FROM scenario_changed_initiatives(org, scenario) x
        JOIN organizations o ON o.id = org
        JOIN portfolio_closure a ON a.org_id = org AND a.descendant_id = x.old_portfolio
        CROSS JOIN LATERAL initiative_demand(x.old_status, x.old_effort::numeric, x.old_start, x.old_target,
                                             o.fiscal_year_start_month) d
        UNION ALL
        SELECT ROW(org, a.ancestor_id, d.quarter, 0, d.demand, d.proposed)::capacity_change
        FROM scenario_changed_initiatives(org, scenario) x
        JOIN organizations o ON o.id = org
        JOIN portfolio_closure a ON a.org_id = org AND a.descendant_id = x.portfolio_id
        CROSS JOIN LATERAL initiative_demand(x.status, x.effort::numeric, x.start_date, x.target_date,
                                             o.fiscal_year_start_month) d
        UNION ALL
        SELECT ROW(org, a.ancestor_id, d.quarter, 0, d.demand, d.proposed)::capacity_change
        FROM scenario_initiatives h
        JOIN organizations o ON o.id = org
        JOIN portfolio_closure a ON a.org_id = org AND a.descendant_id = h.portfolio_id
        CROSS JOIN LATERAL initiative_demand(h.status, h.effort::numeric, h.start_date, h.target_date,
                                             o.fiscal_year_start_month) d
        WHERE h.org_id = org AND h.scenario_id = scenario
        UNION ALL
        SELECT ROW(org, a.ancestor_id, k.quarter, k.person_weeks - coalesce(live.person_weeks, 0), 0, 0)::capacity_change
        FROM scenario_capacity k
        LEFT JOIN portfolio_capacity live
               ON live.org_id = k.org_id AND live.portfolio_id = k.portfolio_id AND live.quarter = k.quarter
        JOIN portfolio_closure a ON a.org_id = org AND a.descendant_id = k.portfolio_id
        WHERE k.org_id = org AND k.scenario_id = scenario)
$$;

-- Tenancy as every tenant table (0011); what people write in a scenario bumps the data version (0014).
DO $$
DECLARE
    t regclass;
BEGIN
    FOREACH t IN ARRAY ARRAY['scenarios'::regclass, 'scenario_changes'::regclass,
                             'scenario_initiatives'::regclass, 'scenario_capacity'::regclass]
    LOOP
        EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %s
                 USING (org_id = nullif(current_setting(''cairn.org_id'', true), '''')::uuid)
                 WITH CHECK (org_id = nullif(current_setting(''cairn.org_id'', true), '''')::uuid)',
            t);
        EXECUTE format(
            'CREATE CONSTRAINT TRIGGER data_version AFTER INSERT OR UPDATE OR DELETE ON %s
                 DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_data_version()',
            t);
    END LOOP;
END
$$;
