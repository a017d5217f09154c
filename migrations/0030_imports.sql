-- Imports (SPEC §12): an initiative brought in from another tool keeps that tool's key, so that a
-- second import of the same file updates it instead of making a duplicate.
ALTER TABLE initiatives ADD COLUMN external_ref text CHECK (length(external_ref) BETWEEN 1 AND 300);
CREATE UNIQUE INDEX initiatives_external_ref_key ON initiatives (org_id, external_ref) WHERE external_ref IS NOT NULL;

-- A file uploaded on the import page, kept between its dry run and the confirmed import (the page
-- works without JavaScript, so the file is not sent twice). Deleted once imported; uploads left
-- unconfirmed are deleted a day later, at the next upload.
CREATE TABLE import_uploads (
    org_id           uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id               uuid NOT NULL,
    portfolio_id     uuid NOT NULL,
    points_per_week  double precision NOT NULL CHECK (points_per_week > 0),
    file_name        text NOT NULL DEFAULT '',
    body             text NOT NULL,
    created_by       uuid REFERENCES users (id) ON DELETE CASCADE,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, portfolio_id) REFERENCES portfolios (org_id, id) ON DELETE CASCADE
);
ALTER TABLE import_uploads ENABLE ROW LEVEL SECURITY;
ALTER TABLE import_uploads FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON import_uploads
    USING (org_id = nullif(current_setting('cairn.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('cairn.org_id', true), '')::uuid);
