-- The member behind a session or a token, now with the organization's data stamp: its data version
-- and its date (src/read_cache.rs). A page or answer kept from an earlier request at that stamp is
-- still exact, so a request that finds one costs the lookups that authenticate it and nothing
-- more (issue 23). The functions keep their names and their first columns; their result grows, so
-- they are made again (CREATE OR REPLACE cannot change a function's result), with the same owner
-- and grants as before (0011, 0014).
DROP FUNCTION session_membership(uuid, uuid);
CREATE FUNCTION session_membership(session_org uuid, session_user_id uuid)
RETURNS TABLE (org_id uuid, user_id uuid, role text, data_version bigint, today date)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    RETURN QUERY
    SELECT m.org_id, m.user_id, m.role, coalesce(v.version, 0), (now() AT TIME ZONE o.time_zone)::date
    FROM memberships m
    JOIN organizations o ON o.id = m.org_id
    LEFT JOIN data_versions v ON v.org_id = m.org_id
    WHERE m.org_id = session_org AND m.user_id = session_user_id;
END
$$;
ALTER FUNCTION session_membership(uuid, uuid) OWNER TO cairn_lookup;
REVOKE EXECUTE ON FUNCTION session_membership(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION session_membership(uuid, uuid) TO cairn_app;

DROP FUNCTION token_membership(bytea);
CREATE FUNCTION token_membership(token_hash bytea)
RETURNS TABLE (org_id uuid, user_id uuid, role text, data_version bigint, today date)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    RETURN QUERY
    SELECT m.org_id, m.user_id, m.role, coalesce(v.version, 0), (now() AT TIME ZONE o.time_zone)::date
    FROM api_tokens t
    JOIN memberships m ON m.org_id = t.org_id AND m.user_id = t.user_id
    JOIN organizations o ON o.id = m.org_id
    LEFT JOIN data_versions v ON v.org_id = m.org_id
    WHERE t.token_hash = token_membership.token_hash;
END
$$;
ALTER FUNCTION token_membership(bytea) OWNER TO cairn_lookup;
REVOKE EXECUTE ON FUNCTION token_membership(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION token_membership(bytea) TO cairn_app;
