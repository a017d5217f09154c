-- Webhooks (SPEC §12): endpoints an admin registers, events written to an outbox in the same
-- transaction as the change they tell of, one delivery per endpoint and event, and a log of every
-- attempt. The delivery worker (src/webhook_delivery.rs) claims due deliveries across organizations through
-- `claim_webhook_deliveries`, then works on each inside its organization's row-level security.

CREATE TABLE webhooks (
    org_id           uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id               uuid NOT NULL,
    url              text NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
    events           text[] NOT NULL CHECK (cardinality(events) >= 1),
    -- `whsec_` + base64 of the key, as the Standard Webhooks libraries take it.
    secret           text NOT NULL,
    enabled          boolean NOT NULL DEFAULT true,
    -- Why the endpoint was disabled, for its admins ("failing since …: HTTP 500").
    disabled_reason  text,
    -- The first failure since the last success; 24 hours of failures disable the endpoint.
    failing_since    timestamptz,
    created_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    version          bigint NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id)
);

-- The outbox. `body` is the exact payload signed and sent, fixed when the event is written, so
-- every retry sends the same bytes under the same `webhook-id` (the event's id).
CREATE TABLE webhook_events (
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id          uuid NOT NULL,
    type        text NOT NULL,
    body        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id)
);
CREATE INDEX webhook_events_created_idx ON webhook_events (created_at);

-- One event for one endpoint: pending until delivered, or failed after 24 hours of retries.
-- `next_attempt_at` is also the claim: a worker that takes a delivery moves it past its lease, so
-- a worker that dies mid-delivery leaves it to be retried, never lost.
CREATE TABLE webhook_deliveries (
    org_id           uuid NOT NULL,
    id               uuid NOT NULL,
    webhook_id       uuid NOT NULL,
    event_id         uuid NOT NULL,
    state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, webhook_id) REFERENCES webhooks (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, event_id) REFERENCES webhook_events (org_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_event_idx ON webhook_deliveries (org_id, event_id);

-- Every attempt, for the delivery log: `status` is the receiver's HTTP status (null when none
-- came: a refused address, a timeout), `error` says what went wrong, `response` is the start of
-- the receiver's answer.
CREATE TABLE webhook_attempts (
    org_id       uuid NOT NULL,
    id           uuid NOT NULL,
    webhook_id   uuid NOT NULL,
    delivery_id  uuid NOT NULL,
    event_id     uuid NOT NULL,
    attempt      integer NOT NULL,
    at           timestamptz NOT NULL DEFAULT now(),
    status       integer,
    latency_ms   integer NOT NULL,
    error        text,
    response     text NOT NULL DEFAULT '',
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, delivery_id) REFERENCES webhook_deliveries (org_id, id) ON DELETE CASCADE
);
-- The log, newest first: attempt ids are UUIDv7, ordered by time.
CREATE INDEX webhook_attempts_log_idx ON webhook_attempts (org_id, webhook_id, id DESC);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (org_id, delivery_id);

-- Writes an event of `type` about `data` to the outbox and a delivery for every enabled endpoint
-- of the organization that subscribes to it (or for `only_webhook`: a test event). Nothing is
-- written when no endpoint would receive it. The one place an event's payload is shaped: the
-- Standard Webhooks `{type, timestamp, data}`.
CREATE FUNCTION webhook_emit(org uuid, type text, data jsonb, only_webhook uuid DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
    event uuid;
BEGIN
    IF NOT EXISTS (SELECT FROM webhooks w
                   WHERE w.org_id = org AND w.enabled
                     AND (CASE WHEN only_webhook IS NULL THEN webhook_emit.type = ANY (w.events)
                               ELSE w.id = only_webhook END)) THEN
        RETURN NULL;
    END IF;
    event := gen_random_uuid();
    INSERT INTO webhook_events (org_id, id, type, body)
    VALUES (org, event, webhook_emit.type,
            jsonb_build_object('type', webhook_emit.type,
                               'timestamp', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                               'data', data)::text);
    INSERT INTO webhook_deliveries (org_id, id, webhook_id, event_id)
    SELECT org, gen_random_uuid(), w.id, event
    FROM webhooks w
    WHERE w.org_id = org AND w.enabled
      AND (CASE WHEN only_webhook IS NULL THEN webhook_emit.type = ANY (w.events) ELSE w.id = only_webhook END);
    RETURN event;
END
$$;

-- What an event tells of an initiative.
CREATE FUNCTION webhook_initiative(i initiatives) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', i.id, 'key', i.key, 'title', i.title, 'portfolio_id', i.portfolio_id,
        'owner_id', i.owner_id, 'theme_id', i.theme_id, 'status', i.status, 'health', i.health,
        'progress', i.progress, 'effort', i.effort, 'start_date', i.start_date,
        'target_date', i.target_date, 'external_ref', i.external_ref, 'version', i.version,
        'updated_at', i.updated_at)
$$;

-- The events of initiatives, status updates and key-result check-ins come from triggers, so that
-- every way of writing them (forms, the API, bulk edits, imports, scenarios) tells of it. An
-- update is one that changed the version: a user's write, not a figure the database keeps.
CREATE FUNCTION webhook_initiative_event() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM webhook_emit(NEW.org_id,
                         CASE TG_OP WHEN 'INSERT' THEN 'initiative.created' ELSE 'initiative.updated' END,
                         webhook_initiative(NEW));
    RETURN NULL;
END
$$;
CREATE TRIGGER webhook_initiative_created AFTER INSERT ON initiatives
    FOR EACH ROW EXECUTE FUNCTION webhook_initiative_event();
CREATE TRIGGER webhook_initiative_updated AFTER UPDATE ON initiatives
    FOR EACH ROW WHEN (OLD.version IS DISTINCT FROM NEW.version) EXECUTE FUNCTION webhook_initiative_event();

CREATE FUNCTION webhook_status_update_event() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM webhook_emit(NEW.org_id, 'status_update.created', jsonb_build_object(
        'id', NEW.id, 'initiative_id', NEW.initiative_id,
        'initiative_key', (SELECT i.key FROM initiatives i WHERE i.org_id = NEW.org_id AND i.id = NEW.initiative_id),
        'author_id', NEW.author_id, 'created_at', NEW.created_at, 'note', NEW.note,
        'status', NEW.status, 'health', NEW.health, 'progress', NEW.progress,
        'previous_status', NEW.previous_status, 'previous_health', NEW.previous_health,
        'previous_progress', NEW.previous_progress));
    RETURN NULL;
END
$$;
CREATE TRIGGER webhook_status_update_created AFTER INSERT ON status_updates
    FOR EACH ROW EXECUTE FUNCTION webhook_status_update_event();

CREATE FUNCTION webhook_check_in_event() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM webhook_emit(NEW.org_id, 'key_result.checked_in', jsonb_build_object(
        'id', NEW.id, 'key_result_id', NEW.key_result_id, 'author_id', NEW.author_id,
        'created_at', NEW.created_at, 'value', NEW.value, 'previous_value', NEW.previous_value,
        'note', NEW.note));
    RETURN NULL;
END
$$;
CREATE TRIGGER webhook_key_result_checked_in AFTER INSERT ON key_result_check_ins
    FOR EACH ROW EXECUTE FUNCTION webhook_check_in_event();

-- Tenancy (0011). These tables bump no data version: they are shown only on the webhook settings
-- pages, read fresh, and the worker writes to them on every attempt.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['webhooks', 'webhook_events', 'webhook_deliveries', 'webhook_attempts'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
                           USING (org_id = nullif(current_setting('cairn.org_id', true), '')::uuid)
                           WITH CHECK (org_id = nullif(current_setting('cairn.org_id', true), '')::uuid)$p$, t);
    END LOOP;
END
$$;

-- The worker's two reaches across organizations, as the lookups of 0011 are: through SECURITY
-- DEFINER functions owned by cairn_lookup, which may touch exactly these rows.
GRANT SELECT, UPDATE ON webhook_deliveries TO cairn_lookup;
GRANT SELECT ON webhooks TO cairn_lookup;
GRANT SELECT, DELETE ON webhook_events TO cairn_lookup;
CREATE POLICY worker ON webhook_deliveries FOR SELECT TO cairn_lookup USING (true);
CREATE POLICY worker_claim ON webhook_deliveries FOR UPDATE TO cairn_lookup USING (true) WITH CHECK (true);
CREATE POLICY worker ON webhooks FOR SELECT TO cairn_lookup USING (true);
CREATE POLICY worker ON webhook_events FOR SELECT TO cairn_lookup USING (true);
CREATE POLICY worker_forget ON webhook_events FOR DELETE TO cairn_lookup USING (true);

-- Claims up to `batch` due deliveries of enabled endpoints, oldest due first, for `lease`: they are
-- not due again until it runs out. SKIP LOCKED lets several servers claim at once, each a different
-- delivery, so an event is delivered once however many servers run.
CREATE FUNCTION claim_webhook_deliveries(batch integer, lease interval)
RETURNS TABLE (org_id uuid, id uuid)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    RETURN QUERY
    UPDATE webhook_deliveries d SET next_attempt_at = now() + lease
    FROM (SELECT due.org_id, due.id FROM webhook_deliveries due
          JOIN webhooks w ON w.org_id = due.org_id AND w.id = due.webhook_id AND w.enabled
          WHERE due.state = 'pending' AND due.next_attempt_at <= now()
          ORDER BY due.next_attempt_at
          LIMIT batch
          FOR UPDATE OF due SKIP LOCKED) claimed
    WHERE d.org_id = claimed.org_id AND d.id = claimed.id
    RETURNING d.org_id, d.id;
END
$$;

-- Forgets the events older than `age` (their deliveries and attempts go with them).
CREATE FUNCTION forget_webhook_events(age interval)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    forgotten bigint;
BEGIN
    DELETE FROM webhook_events e WHERE e.created_at < now() - age;
    GET DIAGNOSTICS forgotten = ROW_COUNT;
    RETURN forgotten;
END
$$;

DO $$
DECLARE
    f regprocedure;
BEGIN
    FOREACH f IN ARRAY ARRAY['claim_webhook_deliveries(integer, interval)'::regprocedure,
                             'forget_webhook_events(interval)'::regprocedure]
    LOOP
        EXECUTE format('ALTER FUNCTION %s OWNER TO cairn_lookup', f);
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO cairn_app', f);
    END LOOP;
END
$$;
