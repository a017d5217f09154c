-- Outcomes (SPEC §11): KPIs per portfolio with their values over time, counted per subtree as a
-- §3 figure; customer feedback linked to the initiatives it asks for, summed per initiative as
-- its demand.

-- A KPI of a portfolio (usually a product). Its latest value and the one before are kept on it by
-- the triggers below whenever a value is written, so its status — the one rule of "on target",
-- written here once — is a column the roll-up's upkeep can count.
CREATE TABLE kpis (
    org_id          uuid NOT NULL,
    id              uuid NOT NULL,
    -- A portfolio with KPIs is not empty: deleting it answers 409, as with objectives.
    portfolio_id    uuid NOT NULL,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    unit            text NOT NULL DEFAULT '' CHECK (length(unit) <= 20),
    direction       text NOT NULL CHECK (direction IN ('increase', 'decrease')),
    target          numeric NOT NULL,
    latest_date     date,
    latest_value    numeric,
    previous_value  numeric,
    status          text NOT NULL GENERATED ALWAYS AS (
                        CASE WHEN latest_value IS NULL THEN 'no_data'
                             WHEN (direction = 'increase' AND latest_value >= target)
                               OR (direction = 'decrease' AND latest_value <= target) THEN 'on_target'
                             ELSE 'off_target' END) STORED,
    version         bigint NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, portfolio_id) REFERENCES portfolios (org_id, id)
);
CREATE INDEX kpis_portfolio_idx ON kpis (org_id, portfolio_id, name);

-- One value per KPI per date; a second for the same date replaces the first.
CREATE TABLE kpi_values (
    org_id       uuid NOT NULL,
    kpi_id       uuid NOT NULL,
    date         date NOT NULL,
    value        numeric NOT NULL,
    recorded_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, kpi_id, date),
    FOREIGN KEY (org_id, kpi_id) REFERENCES kpis (org_id, id) ON DELETE CASCADE
);

-- Sets the latest value, its date and the value before it of the KPIs `ids` from their values.
CREATE FUNCTION refresh_kpi_latest(org uuid, ids uuid[]) RETURNS void
LANGUAGE sql AS $$
    UPDATE kpis k SET latest_date = x.latest_date, latest_value = x.latest_value, previous_value = x.previous_value
    FROM (
        SELECT k.id,
               (SELECT v.date FROM kpi_values v WHERE v.org_id = org AND v.kpi_id = k.id
                ORDER BY v.date DESC LIMIT 1) AS latest_date,
               (SELECT v.value FROM kpi_values v WHERE v.org_id = org AND v.kpi_id = k.id
                ORDER BY v.date DESC LIMIT 1) AS latest_value,
               (SELECT v.value FROM kpi_values v WHERE v.org_id = org AND v.kpi_id = k.id
                ORDER BY v.date DESC OFFSET 1 LIMIT 1) AS previous_value
        FROM kpis k
        WHERE k.org_id = org AND k.id = ANY (ids)
    ) x
    WHERE k.org_id = org AND k.id = x.id
      AND (k.latest_date, k.latest_value, k.previous_value) IS DISTINCT FROM (x.latest_date, x.latest_value, x.previous_value)
$$;

CREATE FUNCTION kpi_values_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_kpi_latest(x.org_id, array_agg(DISTINCT x.kpi_id))
    FROM changed_rows x GROUP BY x.org_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER kpi_values_insert AFTER INSERT ON kpi_values
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_values_changed();
CREATE TRIGGER kpi_values_update AFTER UPDATE ON kpi_values
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_values_changed();
CREATE TRIGGER kpi_values_delete AFTER DELETE ON kpi_values
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_values_changed();

-- KPI status counts per subtree (the §3 figure `kpis`), kept like portfolio_okr_totals (0008): a
-- KPI counts in every ancestor of its portfolio, and a moved portfolio takes its KPIs along.
CREATE TABLE portfolio_kpi_totals (
    org_id        uuid NOT NULL,
    portfolio_id  uuid NOT NULL,
    on_target     bigint NOT NULL DEFAULT 0,
    off_target    bigint NOT NULL DEFAULT 0,
    no_data       bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, portfolio_id),
    FOREIGN KEY (org_id, portfolio_id) REFERENCES portfolios (org_id, id) ON DELETE CASCADE
) WITH (fillfactor = 70);

CREATE TYPE kpi_change AS (org_id uuid, ancestor_id uuid, status text, sign integer);

-- Applies contributions, summed per row, in a global row order so that concurrent writers wait
-- for each other instead of deadlocking.
CREATE FUNCTION kpi_apply(changes kpi_change[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO portfolio_kpi_totals AS t (org_id, portfolio_id, on_target, off_target, no_data)
    SELECT c.org_id, c.ancestor_id,
           coalesce(sum(c.sign) FILTER (WHERE c.status = 'on_target'), 0),
           coalesce(sum(c.sign) FILTER (WHERE c.status = 'off_target'), 0),
           coalesce(sum(c.sign) FILTER (WHERE c.status = 'no_data'), 0)
    FROM unnest(changes) c
    GROUP BY c.org_id, c.ancestor_id
    ORDER BY c.org_id, c.ancestor_id
    ON CONFLICT (org_id, portfolio_id) DO UPDATE
        SET on_target = t.on_target + excluded.on_target, off_target = t.off_target + excluded.off_target,
            no_data = t.no_data + excluded.no_data;
END
$$;

CREATE FUNCTION kpi_kpis_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM kpi_apply(ARRAY(
        SELECT ROW(n.org_id, c.ancestor_id, n.status, 1)::kpi_change
        FROM new_rows n
        JOIN portfolio_closure c ON c.org_id = n.org_id AND c.descendant_id = n.portfolio_id));
    RETURN NULL;
END
$$;

CREATE FUNCTION kpi_kpis_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM kpi_apply(ARRAY(
        SELECT ROW(o.org_id, c.ancestor_id, o.status, -1)::kpi_change
        FROM old_rows o
        JOIN portfolio_closure c ON c.org_id = o.org_id AND c.descendant_id = o.portfolio_id));
    RETURN NULL;
END
$$;

-- Only rows whose portfolio or status changed count: a rename locks nothing.
CREATE FUNCTION kpi_kpis_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM kpi_apply(ARRAY(
        WITH changed AS (
            SELECT o.org_id, o.portfolio_id AS old_portfolio, o.status AS old_status, n.portfolio_id, n.status
            FROM old_rows o JOIN new_rows n ON n.org_id = o.org_id AND n.id = o.id
            WHERE (o.portfolio_id, o.status) IS DISTINCT FROM (n.portfolio_id, n.status)
        )
        SELECT ROW(x.org_id, c.ancestor_id, x.old_status, -1)::kpi_change
        FROM changed x JOIN portfolio_closure c ON c.org_id = x.org_id AND c.descendant_id = x.old_portfolio
        UNION ALL
        SELECT ROW(x.org_id, c.ancestor_id, x.status, 1)::kpi_change
        FROM changed x JOIN portfolio_closure c ON c.org_id = x.org_id AND c.descendant_id = x.portfolio_id));
    RETURN NULL;
END
$$;

CREATE TRIGGER kpis_rollup_insert AFTER INSERT ON kpis
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_kpis_inserted();
CREATE TRIGGER kpis_rollup_update AFTER UPDATE ON kpis
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_kpis_updated();
CREATE TRIGGER kpis_rollup_delete AFTER DELETE ON kpis
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_kpis_deleted();

-- A portfolio moved: the descendant's own KPIs join (+1) or leave (-1) the ancestor's subtree.
CREATE FUNCTION kpi_closure_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM kpi_apply(ARRAY(
        SELECT ROW(k.org_id, r.ancestor_id, k.status, 1)::kpi_change
        FROM new_rows r
        JOIN kpis k ON k.org_id = r.org_id AND k.portfolio_id = r.descendant_id));
    RETURN NULL;
END
$$;

CREATE FUNCTION kpi_closure_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM kpi_apply(ARRAY(
        SELECT ROW(k.org_id, r.ancestor_id, k.status, -1)::kpi_change
        FROM old_rows r
        JOIN kpis k ON k.org_id = r.org_id AND k.portfolio_id = r.descendant_id));
    RETURN NULL;
END
$$;

CREATE TRIGGER portfolio_closure_kpi_insert AFTER INSERT ON portfolio_closure
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_closure_inserted();
CREATE TRIGGER portfolio_closure_kpi_delete AFTER DELETE ON portfolio_closure
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_closure_deleted();

-- Customer feedback: what a customer asked for, in their words, with what they are worth.
CREATE TABLE feedback (
    org_id          uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id              uuid NOT NULL,
    text            text NOT NULL CHECK (length(text) BETWEEN 1 AND 5000),
    customer        text NOT NULL CHECK (length(customer) BETWEEN 1 AND 200),
    -- Customers are told apart by name, whatever its case and surrounding spaces.
    customer_key    text NOT NULL GENERATED ALWAYS AS (lower(btrim(customer))) STORED,
    -- In the organization's currency, minor units, like an initiative's budget.
    customer_value  bigint CHECK (customer_value >= 0),
    importance      text NOT NULL CHECK (importance IN ('nice_to_have', 'important', 'critical')),
    source          text CHECK (length(source) <= 200),
    created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- How many initiatives it is linked to, kept by the triggers below: the inbox lists unlinked
    -- feedback first, newest first, from one index.
    initiatives     integer NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, id)
);
-- Ids are time-ordered (UUIDv7): newest first is id descending.
CREATE INDEX feedback_inbox_idx ON feedback (org_id, (initiatives > 0), id DESC);
CREATE INDEX feedback_customer_idx ON feedback (org_id, customer_key, id DESC);

-- Feedback asks for initiatives (many to many).
CREATE TABLE initiative_feedback (
    org_id         uuid NOT NULL,
    initiative_id  uuid NOT NULL,
    feedback_id    uuid NOT NULL,
    linked_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    linked_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, initiative_id, feedback_id),
    FOREIGN KEY (org_id, initiative_id) REFERENCES initiatives (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, feedback_id) REFERENCES feedback (org_id, id) ON DELETE CASCADE
);
CREATE INDEX initiative_feedback_feedback_idx ON initiative_feedback (org_id, feedback_id);

-- An initiative's demand (SPEC §11), kept on it so lists and the priorities page sort by it from an
-- index: requests, distinct customers, Σ over them of each one's highest value and of the weight
-- (1, 2, 3) of each one's highest importance.
ALTER TABLE initiatives ADD COLUMN demand_requests integer NOT NULL DEFAULT 0,
                        ADD COLUMN demand_customers integer NOT NULL DEFAULT 0,
                        ADD COLUMN demand_customer_value bigint NOT NULL DEFAULT 0,
                        ADD COLUMN demand_importance integer NOT NULL DEFAULT 0;
CREATE INDEX initiatives_by_demand_idx ON initiatives
    (org_id, demand_importance DESC, demand_customer_value DESC, number);

CREATE FUNCTION feedback_importance_weight(importance text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE importance WHEN 'critical' THEN 3 WHEN 'important' THEN 2 ELSE 1 END;

-- Sets the demand of the initiatives `ids` from their linked feedback, writing only what changed.
CREATE FUNCTION refresh_initiative_demand(org uuid, ids uuid[]) RETURNS void
LANGUAGE sql AS $$
    UPDATE initiatives i SET demand_requests = x.requests, demand_customers = x.customers,
                             demand_customer_value = x.customer_value, demand_importance = x.importance
    FROM (
        SELECT i.id, coalesce(sum(c.requests), 0)::integer AS requests, count(c.customer_key)::integer AS customers,
               coalesce(sum(c.customer_value), 0)::bigint AS customer_value,
               coalesce(sum(c.importance), 0)::integer AS importance
        FROM initiatives i
        LEFT JOIN LATERAL (
            SELECT f.customer_key, count(*) AS requests, coalesce(max(f.customer_value), 0) AS customer_value,
                   max(feedback_importance_weight(f.importance)) AS importance
            FROM initiative_feedback l
            JOIN feedback f ON f.org_id = l.org_id AND f.id = l.feedback_id
            WHERE l.org_id = org AND l.initiative_id = i.id
            GROUP BY f.customer_key
        ) c ON true
        WHERE i.org_id = org AND i.id = ANY (ids)
        GROUP BY i.id
    ) x
    WHERE i.org_id = org AND i.id = x.id
      AND (i.demand_requests, i.demand_customers, i.demand_customer_value, i.demand_importance)
          IS DISTINCT FROM (x.requests, x.customers, x.customer_value, x.importance)
$$;

-- Sets how many initiatives each of the feedback items `ids` is linked to.
CREATE FUNCTION refresh_feedback_links(org uuid, ids uuid[]) RETURNS void
LANGUAGE sql AS $$
    UPDATE feedback f SET initiatives = x.n
    FROM (SELECT f.id, (SELECT count(*) FROM initiative_feedback l
                        WHERE l.org_id = org AND l.feedback_id = f.id)::integer AS n
          FROM feedback f WHERE f.org_id = org AND f.id = ANY (ids)) x
    WHERE f.org_id = org AND f.id = x.id AND f.initiatives <> x.n
$$;

-- A link added or removed (a deleted initiative's or feedback item's links go by cascade).
CREATE FUNCTION initiative_feedback_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_initiative_demand(x.org_id, array_agg(DISTINCT x.initiative_id)),
            refresh_feedback_links(x.org_id, array_agg(DISTINCT x.feedback_id))
    FROM changed_rows x GROUP BY x.org_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER initiative_feedback_insert AFTER INSERT ON initiative_feedback
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION initiative_feedback_changed();
CREATE TRIGGER initiative_feedback_delete AFTER DELETE ON initiative_feedback
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION initiative_feedback_changed();

-- A feedback item's customer, value or importance changed: the initiatives it is linked to.
CREATE FUNCTION feedback_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_initiative_demand(l.org_id, array_agg(DISTINCT l.initiative_id))
    FROM old_rows o
    JOIN new_rows n ON n.org_id = o.org_id AND n.id = o.id
    JOIN initiative_feedback l ON l.org_id = n.org_id AND l.feedback_id = n.id
    WHERE (o.customer_key, o.customer_value, o.importance) IS DISTINCT FROM (n.customer_key, n.customer_value, n.importance)
    GROUP BY l.org_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER feedback_demand_update AFTER UPDATE ON feedback
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feedback_updated();

-- Tenancy and data versions for the new tables (0011, 0014).
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['kpis', 'kpi_values', 'portfolio_kpi_totals', 'feedback', 'initiative_feedback'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
                           USING (org_id = nullif(current_setting('cairn.org_id', true), '')::uuid)
                           WITH CHECK (org_id = nullif(current_setting('cairn.org_id', true), '')::uuid)$p$, t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['kpis', 'kpi_values', 'feedback', 'initiative_feedback'] LOOP
        EXECUTE format('CREATE CONSTRAINT TRIGGER data_version AFTER INSERT OR UPDATE OR DELETE ON %I
                        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_data_version()', t);
    END LOOP;
END
$$;
