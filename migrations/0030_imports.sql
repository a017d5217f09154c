-- Imports (SPEC §12): an initiative brought in from another tool keeps that tool's key, so that a
-- second import of the same file updates it instead of making a duplicate.
ALTER TABLE initiatives ADD COLUMN external_ref text CHECK (length(external_ref) BETWEEN 1 AND 300);
CREATE UNIQUE INDEX initiatives_external_ref_key ON initiatives (org_id, external_ref) WHERE external_ref IS NOT NULL;
