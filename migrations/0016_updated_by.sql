-- Who saved the current version of each record an edit form changes: a form submitted against an
-- older version names that person ("Maya Chen saved this initiative while you were editing", or
-- "You … in another tab"). Kept on the row, not in a history, because only the latest author is
-- asked for; null for rows saved before this column and for authors since removed.
ALTER TABLE initiatives ADD COLUMN updated_by uuid REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE portfolios ADD COLUMN updated_by uuid REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE objectives ADD COLUMN updated_by uuid REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE key_results ADD COLUMN updated_by uuid REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE roadmaps ADD COLUMN updated_by uuid REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE organizations ADD COLUMN updated_by uuid REFERENCES users (id) ON DELETE SET NULL;
