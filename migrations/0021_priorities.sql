-- Priorities (SPEC §8): the subtree's open work ranked by a score or by the manual rank, a page at
-- a time. Each order has an index that delivers it, as the list's three (0006), so the first page
-- of the whole organization's open work reads about a page of rows instead of sorting 60,000.
-- The expressions are the scores' order (their value before rounding; ties by key number):
-- WSJF = cost of delay ÷ effort, MoAR = benefit ÷ effort, scorecard = value ÷ effort.
CREATE INDEX initiatives_by_wsjf_idx ON initiatives
    (org_id, ((business_value + time_criticality + risk_reduction) / effort) DESC NULLS LAST, number);
CREATE INDEX initiatives_by_moar_idx ON initiatives (org_id, (benefit / effort::numeric) DESC NULLS LAST, number);
CREATE INDEX initiatives_by_scorecard_idx ON initiatives
    (org_id, (scorecard_value / effort::numeric) DESC NULLS LAST, number);
CREATE INDEX initiatives_by_rank_idx ON initiatives (org_id, rank ASC NULLS LAST, number);

-- The list filter (0017) with one more scope: `open`, the work priorities rank (not done, not
-- cancelled). The same signature, so every caller keeps calling it.
CREATE OR REPLACE FUNCTION initiative_passes(
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
                      OR (scope = 'not_cancelled' AND status <> 'cancelled')
                      OR (scope = 'open' AND initiative_is_open(status)));
