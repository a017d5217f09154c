-- The roll-up's other dimensions (SPEC §13) as rules of their own, so that the grouped roll-up and
-- the initiative lists that its groups link to read them alike.

-- The lifecycle stage of the work in `portfolio`: that of the product it is, or lies under; null
-- above any product (only products have a stage).
CREATE FUNCTION portfolio_stage(org uuid, portfolio uuid) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT a.lifecycle
        FROM portfolio_closure up
        JOIN portfolios a ON a.org_id = up.org_id AND a.id = up.ancestor_id
        WHERE up.org_id = org AND up.descendant_id = portfolio AND a.level = 'product'
        ORDER BY up.depth
        LIMIT 1);

-- The initiative lists' filters by group: work moving an objective (through any of its key
-- results), work in a product stage (or in none), work attached to portfolios of a level, work
-- without an owner. A null want, or false, passes everything.
CREATE FUNCTION initiative_in_groups(
    org uuid, initiative uuid, portfolio uuid, owner uuid,
    want_objective uuid, want_stage text, want_level text, unowned boolean, unstaged boolean
) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (want_objective IS NULL OR EXISTS (
            SELECT 1 FROM initiative_key_results l
            JOIN key_results kr ON kr.org_id = l.org_id AND kr.id = l.key_result_id
            WHERE l.org_id = org AND l.initiative_id = initiative AND kr.objective_id = want_objective))
   AND (want_stage IS NULL OR portfolio_stage(org, portfolio) = want_stage)
   AND (NOT unstaged OR portfolio_stage(org, portfolio) IS NULL)
   AND (want_level IS NULL OR (SELECT p.level FROM portfolios p WHERE p.org_id = org AND p.id = portfolio) = want_level)
   AND (NOT unowned OR owner IS NULL);
