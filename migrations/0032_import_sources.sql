-- The import page takes Cairn's own CSV (the initiative list's export, edited) as well as Jira's:
-- an upload says which it is, so that its dry run and its import read it the same way.
ALTER TABLE import_uploads
    ADD COLUMN source text NOT NULL DEFAULT 'jira' CHECK (source IN ('jira', 'cairn'));
