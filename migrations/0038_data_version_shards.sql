-- The data version kept in sixteen rows per organization instead of one (issue 23). Every write
-- transaction bumps the version at its commit (0014); with one row, each writer waited for the row
-- lock of the writer before it, which is held until that one's commit is flushed to the WAL — so
-- an organization's commits were flushed one at a time (about 500 status updates a second on two
-- cores, every COMMIT waiting either on the lock or on its own flush). Now a writer bumps the row
-- of its own database session (pg_backend_pid() % 16): writers on other connections take other
-- rows, and their commits are flushed together.
--
-- The organization's version is the sum of its rows. Each committed write transaction adds one to
-- one row, so the sum grows with every commit and two snapshots with the same sum saw the same
-- writes — all a stamp (src/read_cache.rs) needs.
ALTER TABLE data_versions ADD COLUMN shard smallint NOT NULL DEFAULT 0 CHECK (shard BETWEEN 0 AND 15);
ALTER TABLE data_versions DROP CONSTRAINT data_versions_pkey;
ALTER TABLE data_versions ADD PRIMARY KEY (org_id, shard);

-- The organization's data version, as the calling transaction's snapshot has it. PL/pgSQL, so
-- that its plan is kept per session (a SQL function with an aggregate is not inlined).
CREATE FUNCTION data_version(org uuid) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT coalesce(sum(v.version), 0)::bigint FROM data_versions v WHERE v.org_id = org);
END
$$;

CREATE OR REPLACE FUNCTION bump_data_version() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    org uuid;
BEGIN
    IF TG_TABLE_NAME = 'organizations' THEN
        org := NEW.id;
    ELSIF TG_OP = 'DELETE' THEN
        org := OLD.org_id;
    ELSE
        org := NEW.org_id;
    END IF;
    IF current_setting('cairn.data_version_bumped', true) IS DISTINCT FROM org::text THEN
        INSERT INTO data_versions AS v (org_id, shard, version) VALUES (org, pg_backend_pid() % 16, 1)
        ON CONFLICT (org_id, shard) DO UPDATE SET version = v.version + 1;
        PERFORM set_config('cairn.data_version_bumped', org::text, true);
    END IF;
    RETURN NULL;
END
$$;

-- (Replaced in place: its owner, cairn_lookup, and its grants stay.)
CREATE OR REPLACE FUNCTION bump_data_versions_of_user() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    INSERT INTO data_versions AS v (org_id, shard, version)
    SELECT m.org_id, pg_backend_pid() % 16, 1 FROM memberships m WHERE m.user_id = NEW.id ORDER BY m.org_id
    ON CONFLICT (org_id, shard) DO UPDATE SET version = v.version + 1;
    RETURN NULL;
END
$$;

-- The lookups that authenticate a request or open a share link read the sum (0017, 0036).
CREATE OR REPLACE FUNCTION share_link_target(token_hash bytea)
RETURNS TABLE (org_id uuid, share_id uuid, roadmap_id uuid, data_version bigint, today date)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    RETURN QUERY
    SELECT s.org_id, s.id, s.roadmap_id, data_version(s.org_id), (now() AT TIME ZONE o.time_zone)::date
    FROM share_links s
    JOIN organizations o ON o.id = s.org_id
    WHERE s.token_hash = share_link_target.token_hash
      AND share_link_state(s.revoked_at, s.expires_at) = 'active';
END
$$;

CREATE OR REPLACE FUNCTION session_membership(session_org uuid, session_user_id uuid)
RETURNS TABLE (org_id uuid, user_id uuid, role text, data_version bigint, today date)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    RETURN QUERY
    SELECT m.org_id, m.user_id, m.role, data_version(m.org_id), (now() AT TIME ZONE o.time_zone)::date
    FROM memberships m
    JOIN organizations o ON o.id = m.org_id
    WHERE m.org_id = session_org AND m.user_id = session_user_id;
END
$$;

CREATE OR REPLACE FUNCTION token_membership(token_hash bytea)
RETURNS TABLE (org_id uuid, user_id uuid, role text, data_version bigint, today date)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    RETURN QUERY
    SELECT m.org_id, m.user_id, m.role, data_version(m.org_id), (now() AT TIME ZONE o.time_zone)::date
    FROM api_tokens t
    JOIN memberships m ON m.org_id = t.org_id AND m.user_id = t.user_id
    JOIN organizations o ON o.id = m.org_id
    WHERE t.token_hash = token_membership.token_hash;
END
$$;
