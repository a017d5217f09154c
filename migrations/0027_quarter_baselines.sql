-- An organization may ask for a baseline of every top-level portfolio when a fiscal quarter starts
-- (issue 19): the server takes them itself, the first time it looks in a new quarter — at start and
-- then hourly, no cron. A row here claims the organization's quarter, in the transaction that
-- takes its baselines: several servers looking at once wait on the row's key, and only the first
-- takes them.
ALTER TABLE organizations ADD COLUMN quarter_baselines boolean NOT NULL DEFAULT false;

CREATE TABLE quarter_baselines_taken (
    org_id    uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- The fiscal quarter's name, as `Period` writes it (2027-Q1).
    quarter   text NOT NULL,
    taken_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, quarter)
);

ALTER TABLE quarter_baselines_taken ENABLE ROW LEVEL SECURITY;
ALTER TABLE quarter_baselines_taken FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON quarter_baselines_taken
    USING (org_id = nullif(current_setting('cairn.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('cairn.org_id', true), '')::uuid);
