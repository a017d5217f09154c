-- The roll-up grouped by objective has a "No objective" group: the work moving no objective of the
-- period asked. The initiative list gains it as a filter (`objective_id=none`, with
-- `objective_period`), so that group links to its work like every other (0033); `objective_period`
-- alone keeps the work moving some objective of the period.

DROP FUNCTION initiative_in_groups(uuid, uuid, uuid, uuid, uuid, text, text, boolean, boolean);

-- As in 0033, and: `unlinked`, work moving no objective of `objective_period` (of any period when
-- it is null); else with `objective_period`, work moving some objective of that period.
CREATE FUNCTION initiative_in_groups(
    org uuid, initiative uuid, portfolio uuid, owner uuid,
    want_objective uuid, want_stage text, want_level text, unowned boolean, unstaged boolean,
    unlinked boolean, objective_period text
) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (want_objective IS NULL OR EXISTS (
            SELECT 1 FROM initiative_key_results l
            JOIN key_results kr ON kr.org_id = l.org_id AND kr.id = l.key_result_id
            WHERE l.org_id = org AND l.initiative_id = initiative AND kr.objective_id = want_objective))
   AND (NOT unlinked OR NOT EXISTS (
            SELECT 1 FROM initiative_key_results l
            JOIN key_results kr ON kr.org_id = l.org_id AND kr.id = l.key_result_id
            JOIN objectives o ON o.org_id = kr.org_id AND o.id = kr.objective_id
            WHERE l.org_id = org AND l.initiative_id = initiative
              AND (objective_period IS NULL OR o.period = objective_period)))
   AND (unlinked OR objective_period IS NULL OR EXISTS (
            SELECT 1 FROM initiative_key_results l
            JOIN key_results kr ON kr.org_id = l.org_id AND kr.id = l.key_result_id
            JOIN objectives o ON o.org_id = kr.org_id AND o.id = kr.objective_id
            WHERE l.org_id = org AND l.initiative_id = initiative AND o.period = objective_period))
   AND (want_stage IS NULL OR portfolio_stage(org, portfolio) = want_stage)
   AND (NOT unstaged OR portfolio_stage(org, portfolio) IS NULL)
   AND (want_level IS NULL OR (SELECT p.level FROM portfolios p WHERE p.org_id = org AND p.id = portfolio) = want_level)
   AND (NOT unowned OR owner IS NULL);
