-- "What changed since …" on a large subtree walks the organization's recent history newest first
-- and keeps the rows inside the subtree, rather than joining every initiative with its history.
CREATE INDEX status_updates_recent_idx ON status_updates (org_id, created_at DESC, id DESC);
