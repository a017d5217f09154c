-- The scorecard's value 0–100 on each initiative (SPEC §8), kept exact in the transaction of every
-- write that changes it, so that ranking by scorecard_value ÷ effort is an index walk:
--   value = 100 × Σ weight·(value ÷ max) ÷ Σ weight over all the organization's drivers,
--   an unset value counting 0; null while the organization has no drivers.
-- Stored to ten decimals: the score shows two, the formula one.

-- Recomputes the value of `initiative_ids` (null: every initiative of the organization) in one
-- set-based UPDATE; rows whose value does not change are not written. Called by the write paths of
-- driver values and of drivers (src/db/scorecard.rs) and by the demo and the seed.
CREATE FUNCTION refresh_scorecard_values(org uuid, initiative_ids uuid[]) RETURNS void
LANGUAGE sql AS $$
    UPDATE initiatives i SET scorecard_value = n.value
    FROM (
        SELECT x.id,
               CASE WHEN t.total IS NULL THEN NULL
                    ELSE round(100 * coalesce(s.weighted, 0) / t.total, 10) END AS value
        FROM initiatives x
        CROSS JOIN (SELECT sum(weight) AS total FROM scorecard_drivers WHERE org_id = org) t
        LEFT JOIN (
            SELECT v.initiative_id, sum(d.weight * v.value::numeric / d.max) AS weighted
            FROM initiative_driver_values v
            JOIN scorecard_drivers d ON d.org_id = v.org_id AND d.id = v.driver_id
            WHERE v.org_id = org AND (initiative_ids IS NULL OR v.initiative_id = ANY (initiative_ids))
            GROUP BY v.initiative_id
        ) s ON s.initiative_id = x.id
        WHERE x.org_id = org AND (initiative_ids IS NULL OR x.id = ANY (initiative_ids))
    ) n
    WHERE i.org_id = org AND i.id = n.id AND i.scorecard_value IS DISTINCT FROM n.value;
$$;

-- A new initiative has no driver values yet: 0 when the organization has drivers, else null.
-- Whoever inserts initiatives (API, import, demo, seed) gets it right without knowing. The shared
-- lock waits for a driver's write under way (which holds it exclusively, src/db/mod.rs lock_org
-- 'scorecard'), so a driver created meanwhile is seen, or its refresh sees this initiative.
CREATE FUNCTION initiative_scorecard_default() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(hashtextextended(NEW.org_id::text || ':' || 'scorecard', 0));
    NEW.scorecard_value := CASE
        WHEN EXISTS (SELECT 1 FROM scorecard_drivers d WHERE d.org_id = NEW.org_id) THEN 0 END;
    RETURN NEW;
END
$$;

CREATE TRIGGER initiatives_scorecard_default BEFORE INSERT ON initiatives
    FOR EACH ROW EXECUTE FUNCTION initiative_scorecard_default();
