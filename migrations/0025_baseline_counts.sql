-- How many initiatives a baseline froze, kept on its row: a list of baselines reads one row each
-- instead of counting up to 100,000 frozen rows per baseline.
ALTER TABLE baselines ADD COLUMN initiatives bigint NOT NULL DEFAULT 0;
UPDATE baselines b SET initiatives = (
    SELECT count(*) FROM baseline_initiatives f WHERE f.org_id = b.org_id AND f.baseline_id = b.id);
