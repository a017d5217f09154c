-- A scenario's dependency conflicts, exact (SPEC §9 over §10): a scenario that moves a blocker's
-- date or a dependent's start, or finishes or cancels either, makes or clears conflicts. The
-- initiatives whose flag can differ in the scenario are the ones it changes and those they block;
-- for each, the flag is the rule over the scenario's values of both ends (the live ones where the
-- scenario leaves them). The contributions then carry the scenario's flag for the changed
-- initiatives, and for a blocked one the scenario leaves alone, −live +live with the flag moved.

-- Each initiative a scenario changes or whose blocker it changes, with its live flag and the
-- scenario's.
CREATE FUNCTION scenario_conflicts(org uuid, scenario uuid)
RETURNS TABLE (initiative_id uuid, live boolean, planned boolean)
LANGUAGE sql STABLE AS $$
    WITH plan AS MATERIALIZED (
        SELECT x.initiative_id AS id, x.status, x.start_date, x.target_date
        FROM scenario_changed_initiatives(org, scenario) x
    ), affected AS (
        SELECT p.id FROM plan p
        UNION
        SELECT l.dependent_id FROM plan p
        JOIN initiative_dependencies l ON l.org_id = org AND l.blocker_id = p.id
    )
    SELECT d.id, d.dependency_conflict,
           EXISTS (
               SELECT 1 FROM initiative_dependencies l
               JOIN initiatives b ON b.org_id = l.org_id AND b.id = l.blocker_id
               LEFT JOIN plan pb ON pb.id = b.id
               WHERE l.org_id = org AND l.dependent_id = d.id
                 AND dependency_in_conflict(
                         CASE WHEN pb.id IS NULL THEN b.status ELSE pb.status END,
                         CASE WHEN pb.id IS NULL THEN b.target_date ELSE pb.target_date END,
                         CASE WHEN pd.id IS NULL THEN d.status ELSE pd.status END,
                         CASE WHEN pd.id IS NULL THEN d.start_date ELSE pd.start_date END))
    FROM affected a
    JOIN initiatives d ON d.org_id = org AND d.id = a.id
    LEFT JOIN plan pd ON pd.id = d.id
$$;

CREATE OR REPLACE FUNCTION scenario_rollup_changes(org uuid, scenario uuid) RETURNS rollup_change[]
LANGUAGE sql STABLE AS $$
    WITH flags AS MATERIALIZED (
        SELECT * FROM scenario_conflicts(org, scenario)
    ), x AS MATERIALIZED (
        SELECT s.*, i.dependency_conflict AS conflict, f.planned AS planned_conflict,
               i.optimistic_from AS old_optimistic,
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
                   x.old_effort::numeric, x.old_budget, x.old_target, -1, x.old_optimistic, x.conflict)::rollup_change
        FROM x
        JOIN portfolio_closure a ON a.org_id = org AND a.descendant_id = x.old_portfolio
        UNION ALL
        SELECT ROW(org, a.ancestor_id, x.theme_id, x.status, x.health, x.progress,
                   x.effort::numeric, x.budget, x.target_date, 1, x.optimistic_from, x.planned_conflict)::rollup_change
        FROM x
        JOIN portfolio_closure a ON a.org_id = org AND a.descendant_id = x.portfolio_id
        UNION ALL
        SELECT ROW(org, a.ancestor_id, b.theme_id, b.status, b.health, b.progress, b.effort::numeric,
                   b.budget, b.target_date, sign.value, b.optimistic_from,
                   CASE WHEN sign.value = 1 THEN b.planned_conflict ELSE b.dependency_conflict END)::rollup_change
        FROM blocked b
        CROSS JOIN (VALUES (-1), (1)) AS sign (value)
        JOIN portfolio_closure a ON a.org_id = org AND a.descendant_id = b.portfolio_id
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
