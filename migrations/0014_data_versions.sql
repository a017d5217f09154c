-- A version number per organization that changes with every committed write to the data Cairn's
-- pages show, so that a part of a page read once can be shown again, unchanged, for as long as the
-- version and the organization's date stay what they were (src/read_cache.rs). Reads see the
-- version in the same snapshot as the data: a page never shows a part older than the data around it.
--
-- The number is bumped by deferred constraint triggers, that is at COMMIT, as the transaction's
-- last lock. Bumped mid-transaction, the row would be taken after some locks and before others: a
-- status update (the initiative, the roll-up rows, then this row) and an initiative created at the
-- same moment (the organization's key counter, then the roll-up rows) could each hold what the
-- other waits for. Taken last, it waits only for another transaction's commit. The row is not the
-- organization's own: that row is taken mid-transaction for key numbers and settings.
CREATE TABLE data_versions (
    org_id  uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    version bigint NOT NULL
);
-- One small row per organization, updated by every write: room for heap-only updates.
ALTER TABLE data_versions SET (fillfactor = 50);
ALTER TABLE data_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE data_versions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON data_versions
    USING (org_id = nullif(current_setting('cairn.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('cairn.org_id', true), '')::uuid);

-- Once per transaction and organization, however many rows it wrote (a seed writes 100,000): the
-- transaction-local setting remembers the organization last bumped.
CREATE FUNCTION bump_data_version() RETURNS trigger
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
        INSERT INTO data_versions AS v (org_id, version) VALUES (org, 1)
        ON CONFLICT (org_id) DO UPDATE SET version = v.version + 1;
        PERFORM set_config('cairn.data_version_bumped', org::text, true);
    END IF;
    RETURN NULL;
END
$$;

-- The tables whose rows pages show. Not here: what triggers derive from these in the same
-- transaction (portfolio_closure and the portfolio_* totals), and what no page's figures or lists
-- show (api_tokens, idempotency_keys, invites, share_links, sessions, sign_in_attempts).
-- tests/app/data_versions.rs fails for a table with `org_id` that is in neither list.
DO $$
DECLARE
    t regclass;
BEGIN
    FOREACH t IN ARRAY ARRAY[
        'initiatives'::regclass, 'status_updates'::regclass, 'portfolios'::regclass, 'themes'::regclass,
        'memberships'::regclass, 'objectives'::regclass, 'key_results'::regclass,
        'key_result_check_ins'::regclass, 'initiative_key_results'::regclass, 'roadmaps'::regclass]
    LOOP
        EXECUTE format(
            'CREATE CONSTRAINT TRIGGER data_version AFTER INSERT OR UPDATE OR DELETE ON %s
                 DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_data_version()',
            t);
    END LOOP;
END
$$;

-- The organization's settings: name, time zone, fiscal year, currency, health thresholds.
CREATE CONSTRAINT TRIGGER data_version AFTER UPDATE ON organizations
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*)
    EXECUTE FUNCTION bump_data_version();

-- A user's name shows in every organization they belong to, and a transaction sees only its own
-- organization's memberships: the bump for a renamed user runs as cairn_lookup, which may read all
-- memberships (migrations/0011) and, here, bump any version. In organization order, so that two
-- renames never take the same rows in opposite orders.
CREATE FUNCTION bump_data_versions_of_user() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    INSERT INTO data_versions AS v (org_id, version)
    SELECT m.org_id, 1 FROM memberships m WHERE m.user_id = NEW.id ORDER BY m.org_id
    ON CONFLICT (org_id) DO UPDATE SET version = v.version + 1;
    RETURN NULL;
END
$$;
GRANT SELECT, INSERT, UPDATE ON data_versions TO cairn_lookup;
CREATE POLICY lookup ON data_versions TO cairn_lookup USING (true) WITH CHECK (true);
ALTER FUNCTION bump_data_versions_of_user() OWNER TO cairn_lookup;
CREATE CONSTRAINT TRIGGER data_version AFTER UPDATE OF name ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION bump_data_versions_of_user();

-- What a share link opens, if it may be opened now (by its SHA-256): the organization and roadmap,
-- and the organization's data version and date, which tell whether a page rendered earlier for the
-- link is still exact — all in the one lookup a viewer's request needs when it is.
GRANT SELECT (id, time_zone) ON organizations TO cairn_lookup;
CREATE FUNCTION share_link_target(token_hash bytea)
RETURNS TABLE (org_id uuid, share_id uuid, roadmap_id uuid, data_version bigint, today date)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    RETURN QUERY
    SELECT s.org_id, s.id, s.roadmap_id, coalesce(v.version, 0), (now() AT TIME ZONE o.time_zone)::date
    FROM share_links s
    JOIN organizations o ON o.id = s.org_id
    LEFT JOIN data_versions v ON v.org_id = s.org_id
    WHERE s.token_hash = share_link_target.token_hash
      AND s.revoked_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > now());
END
$$;
ALTER FUNCTION share_link_target(bytea) OWNER TO cairn_lookup;
REVOKE EXECUTE ON FUNCTION share_link_target(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION share_link_target(bytea) TO cairn_app;
DROP FUNCTION share_link_organization(bytea);

-- The member behind a signed-in session: one statement, where a tenant transaction (begin, read,
-- commit) took three round trips on every page. The session names the organization and user it
-- signed in as; this answers whether that membership still stands, and with which role.
CREATE FUNCTION session_membership(session_org uuid, session_user_id uuid)
RETURNS TABLE (org_id uuid, user_id uuid, role text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    RETURN QUERY
    SELECT m.org_id, m.user_id, m.role FROM memberships m
    WHERE m.org_id = session_org AND m.user_id = session_user_id;
END
$$;
ALTER FUNCTION session_membership(uuid, uuid) OWNER TO cairn_lookup;
REVOKE EXECUTE ON FUNCTION session_membership(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION session_membership(uuid, uuid) TO cairn_app;
