-- The import page takes Cairn's own CSV (the initiative list's export, edited) as well as Jira's:
-- an upload says which it is, so that its dry run and its import read it the same way.
ALTER TABLE import_uploads
    ADD COLUMN source text NOT NULL DEFAULT 'jira' CHECK (source IN ('jira', 'cairn'));

-- A confirmed import runs in the background, so that the page can show its progress while it
-- writes (a Jira export of 50,000 issues): when it started, how many of its rows are written
-- (committed apart from the import's own transaction, so that others see them), and, once it is
-- over, its report or why it failed. The file is let go once imported.
ALTER TABLE import_uploads
    ADD COLUMN started_at  timestamptz,
    ADD COLUMN rows_total  integer,
    ADD COLUMN rows_done   integer NOT NULL DEFAULT 0,
    ADD COLUMN finished_at timestamptz,
    ADD COLUMN report      jsonb,
    ADD COLUMN failure     text;
