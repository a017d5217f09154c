-- The rules of an initiative's status, each written once for every query (SPEC §3), as the domain
-- writes them in Rust (src/domain: `Status::is_active`, `Status::is_closed`, `initiative::is_late`,
-- `InitiativeFilter`; tests/app/status_rules.rs holds the two to the same answers).
--
-- Each is one SQL expression (LANGUAGE sql, no FROM, no sub-select), so the planner inlines it
-- where it is called: the query is planned as if the expression were written there, and an index
-- or a partial index's predicate (initiatives_open_target_idx, 0007) serves it as before. Called
-- with constants (a custom plan's parameters), the filter's unused clauses fold away as they did.

-- Open work: not done and not cancelled. Only open work can be late.
CREATE FUNCTION initiative_is_open(status text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN status NOT IN ('done', 'cancelled');

-- Active work: planned or in progress, what health is judged over.
CREATE FUNCTION initiative_is_active(status text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN status IN ('planned', 'in_progress');

-- Late: open work whose target date is before `today` (the organization's, see `organization_today`).
CREATE FUNCTION initiative_is_late(status text, target_date date, today date) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN initiative_is_open(status) AND target_date < today;

-- The filter of initiative lists (the API's and the list page's; `domain::initiative::InitiativeFilter`)
-- but for the portfolio's subtree, which each query reaches its own way: an initiative's columns,
-- then the filter's values, a null or false one passing everything. `today` is only read for `late`.
CREATE FUNCTION initiative_passes(
    status text, health text, owner_id uuid, theme_id uuid, target_date date,
    want_status text, want_health text, want_owner uuid, want_theme uuid, unthemed boolean,
    late boolean, scope text, today date
) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (want_status IS NULL OR status = want_status)
   AND (want_health IS NULL OR health = want_health)
   AND (want_owner IS NULL OR owner_id = want_owner)
   AND (want_theme IS NULL OR theme_id = want_theme)
   AND (NOT unthemed OR theme_id IS NULL)
   AND (NOT late OR initiative_is_late(status, target_date, today))
   AND (scope IS NULL OR (scope = 'active' AND initiative_is_active(status))
                      OR (scope = 'not_cancelled' AND status <> 'cancelled'));

-- The roll-up's upkeep (0002) with its active and open work from the rules above.
CREATE OR REPLACE FUNCTION rollup_apply(changes rollup_change[]) RETURNS void
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
        FROM (SELECT *, initiative_is_active(status) AS active FROM unnest(changes)) c
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
    WHERE c.target_date IS NOT NULL AND initiative_is_open(c.status)
    GROUP BY c.org_id, c.ancestor_id, c.target_date
    HAVING sum(c.sign) <> 0
    ON CONFLICT (org_id, portfolio_id, target_date) DO UPDATE SET open = t.open + excluded.open;
END
$$;

-- Where a share link stands, on the database's clock: revoked (first), expired, or active. Only an
-- active link opens (share_link_target); its editors see the same state (`ShareLinkState`).
CREATE FUNCTION share_link_state(revoked_at timestamptz, expires_at timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN revoked_at IS NOT NULL THEN 'revoked'
            WHEN expires_at <= now() THEN 'expired'
            ELSE 'active' END;

-- The link a token opens (0014), by the rule above. (Replaced in place: its owner, cairn_lookup,
-- and its grants stay.)
CREATE OR REPLACE FUNCTION share_link_target(token_hash bytea)
RETURNS TABLE (org_id uuid, share_id uuid, roadmap_id uuid, data_version bigint, today date)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    RETURN QUERY
    SELECT s.org_id, s.id, s.roadmap_id, coalesce(v.version, 0), (now() AT TIME ZONE o.time_zone)::date
    FROM share_links s
    JOIN organizations o ON o.id = s.org_id
    LEFT JOIN data_versions v ON v.org_id = s.org_id
    WHERE s.token_hash = share_link_target.token_hash
      AND share_link_state(s.revoked_at, s.expires_at) = 'active';
END
$$;
