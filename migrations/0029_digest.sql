-- The digest (SPEC §12): what a subtree's week wrote, read by time rather than by scanning the
-- subtree. Status updates already have their time index (0005); here the two other things a
-- digest tells — target dates that moved, conflicts that appeared — get a record of when, and new
-- initiatives an index on when they were created.

-- Every change of an initiative's target date, from any write (a PATCH, a scenario applied, the
-- demo's slips): the digest's "slipped" compares the first date of the period with the one now.
CREATE TABLE initiative_target_changes (
    org_id           uuid NOT NULL,
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    initiative_id    uuid NOT NULL,
    changed_at       timestamptz NOT NULL DEFAULT now(),
    previous_target  date,
    target           date,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, initiative_id) REFERENCES initiatives (org_id, id) ON DELETE CASCADE
);
CREATE INDEX initiative_target_changes_time_idx ON initiative_target_changes (org_id, changed_at);
CREATE INDEX initiative_target_changes_initiative_idx ON initiative_target_changes (org_id, initiative_id);
ALTER TABLE initiative_target_changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE initiative_target_changes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON initiative_target_changes
    USING (org_id = nullif(current_setting('cairn.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('cairn.org_id', true), '')::uuid);

CREATE FUNCTION record_target_changes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO initiative_target_changes (org_id, initiative_id, previous_target, target)
    SELECT n.org_id, n.id, o.target_date, n.target_date
    FROM old_rows o JOIN new_rows n ON n.org_id = o.org_id AND n.id = o.id
    WHERE o.target_date IS DISTINCT FROM n.target_date;
    RETURN NULL;
END
$$;
CREATE TRIGGER initiatives_target_changes AFTER UPDATE ON initiatives
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION record_target_changes();

-- Since when an initiative has been in conflict with a blocker; null while it is not. Conflicts
-- older than this migration have no day: no digest calls them new.
ALTER TABLE initiatives ADD COLUMN dependency_conflict_since timestamptz;
CREATE FUNCTION initiative_conflict_since() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.dependency_conflict_since := CASE WHEN NEW.dependency_conflict THEN now() END;
    RETURN NEW;
END
$$;
CREATE TRIGGER initiatives_conflict_since BEFORE UPDATE OF dependency_conflict ON initiatives
    FOR EACH ROW WHEN (OLD.dependency_conflict IS DISTINCT FROM NEW.dependency_conflict)
    EXECUTE FUNCTION initiative_conflict_since();

-- The digest's new work, by when it was created.
CREATE INDEX initiatives_created_idx ON initiatives (org_id, created_at);
