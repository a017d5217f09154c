-- Capacity and demand per fiscal quarter (SPEC §8), kept per subtree like the §3 figures (0002).
--
-- * `portfolio_capacity`: the person-weeks a portfolio's own people give in a fiscal quarter, as
--   whoever may edit the portfolio sets them, keyed by the quarter's name ('2027-Q1').
-- * `portfolio_quarter_totals`: per portfolio P and quarter, over P's whole subtree: Σ capacity,
--   Σ demand of planned and in-progress work, Σ demand of proposed work.
-- * `portfolio_unscheduled`: per portfolio P, over its subtree: the effort of planned and
--   in-progress work without both dates, and (apart) that of proposed work without both dates.
--
-- Demand of an initiative in quarter Q = effort × days([start, target] ∩ Q) ÷ days([start, target]),
-- inclusive day counts. The quotient is rarely a finite decimal, so each initiative's share of a
-- quarter is rounded once, to 12 decimal places, by the one function below, and the tables hold
-- exact sums of those shares: upkeep by increments and a computation from scratch add the same
-- numbers and agree to the last digit. Figures are rounded to one decimal only when shown, so the
-- rounding of the shares (under 5e-13 each) cannot show below 10^11 initiatives.
--
-- Upkeep is by statement-level triggers in the same transaction as every write, as for the §3
-- figures: an initiative's change applies to every ancestor of its portfolio; a closure row gained
-- or lost (a portfolio moved) moves the descendant's own demand and capacity; a capacity set applies
-- to every ancestor; a new fiscal year start month recomputes the organization's demand (capacity
-- stays under its quarter's name). Writers lock the ancestors' `portfolio_totals` rows in portfolio
-- order first, the lock order of 0002, so that concurrent writers wait instead of deadlocking.

-- The fiscal quarter that starts on `quarter_start` (a quarter's first day), named as
-- `domain::period::Period` names it: a fiscal year is named by the calendar year it ends in.
CREATE FUNCTION fiscal_quarter_name(quarter_start date, start_month integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (extract(year FROM quarter_start)::integer
        + CASE WHEN start_month <> 1 AND extract(month FROM quarter_start) >= start_month THEN 1 ELSE 0 END)::text
    || '-Q' || (((extract(month FROM quarter_start)::integer - start_month + 12) % 12) / 3 + 1)::text;

-- The first day of the fiscal quarter `day` falls in.
CREATE FUNCTION fiscal_quarter_start(day date, start_month integer) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (date_trunc('month', day)
        - make_interval(months => ((extract(month FROM day)::integer - start_month + 12) % 12) % 3))::date;

-- The first day of the fiscal quarter named `quarter` ('2027-Q1').
CREATE FUNCTION fiscal_quarter_first_day(quarter text, start_month integer) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (make_date(split_part(quarter, '-Q', 1)::integer - CASE WHEN start_month <> 1 THEN 1 ELSE 0 END, start_month, 1)
        + make_interval(months => (split_part(quarter, '-Q', 2)::integer - 1) * 3))::date;

-- The initiative lists' `quarter` filter (beside `initiative_passes`, 0017): work whose dates, both
-- set, touch the fiscal quarter; a null quarter passes everything. Inlined like the rules of 0017.
CREATE FUNCTION initiative_in_quarter(start_date date, target_date date, quarter text, start_month integer)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN quarter IS NULL
    OR (start_date < fiscal_quarter_first_day(quarter, start_month) + interval '3 months'
        AND target_date >= fiscal_quarter_first_day(quarter, start_month));

-- An initiative's share of each fiscal quarter its dates touch (SPEC §8), rounded as the header says.
CREATE FUNCTION initiative_quarter_shares(effort numeric, start_date date, target_date date, start_month integer)
RETURNS TABLE (quarter text, share numeric)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT fiscal_quarter_name(q.first, start_month),
           round(effort * (least(target_date, q.next - 1) - greatest(start_date, q.first) + 1)
                 / (target_date - start_date + 1), 12)
    FROM generate_series(fiscal_quarter_start(start_date, start_month)::timestamp, target_date::timestamp,
                         interval '3 months') s(first_at)
    CROSS JOIN LATERAL (SELECT s.first_at::date AS first, (s.first_at + interval '3 months')::date AS next) q
$$;

-- What an initiative adds to a subtree: per quarter (null: unscheduled) its committed demand and
-- its proposed demand. Done and cancelled work adds nothing.
CREATE FUNCTION initiative_demand(status text, effort numeric, start_date date, target_date date, start_month integer)
RETURNS TABLE (quarter text, demand numeric, proposed numeric)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT s.quarter,
           CASE WHEN status = 'proposed' THEN 0 ELSE s.share END,
           CASE WHEN status = 'proposed' THEN s.share ELSE 0 END
    FROM initiative_quarter_shares(effort, start_date, target_date, start_month) s
    WHERE status IN ('proposed', 'planned', 'in_progress') AND start_date IS NOT NULL AND target_date IS NOT NULL
    UNION ALL
    SELECT NULL,
           CASE WHEN status = 'proposed' THEN 0 ELSE effort END,
           CASE WHEN status = 'proposed' THEN effort ELSE 0 END
    WHERE status IN ('proposed', 'planned', 'in_progress') AND (start_date IS NULL OR target_date IS NULL)
$$;

CREATE TABLE portfolio_capacity (
    org_id        uuid NOT NULL,
    portfolio_id  uuid NOT NULL,
    quarter       text NOT NULL CHECK (quarter ~ '^[1-9][0-9]{3}-Q[1-4]$'),
    person_weeks  numeric NOT NULL CHECK (person_weeks >= 0 AND person_weeks < 1e9),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, portfolio_id, quarter),
    FOREIGN KEY (org_id, portfolio_id) REFERENCES portfolios (org_id, id) ON DELETE CASCADE
);

CREATE TABLE portfolio_quarter_totals (
    org_id        uuid NOT NULL,
    portfolio_id  uuid NOT NULL,
    quarter       text NOT NULL,
    capacity      numeric NOT NULL DEFAULT 0,
    demand        numeric NOT NULL DEFAULT 0,
    proposed      numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, portfolio_id, quarter),
    FOREIGN KEY (org_id, portfolio_id) REFERENCES portfolios (org_id, id) ON DELETE CASCADE
);

CREATE TABLE portfolio_unscheduled (
    org_id        uuid NOT NULL,
    portfolio_id  uuid NOT NULL,
    demand        numeric NOT NULL DEFAULT 0,
    proposed      numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, portfolio_id),
    FOREIGN KEY (org_id, portfolio_id) REFERENCES portfolios (org_id, id) ON DELETE CASCADE
);

-- Updated by every write below the root, as portfolio_totals (0004).
ALTER TABLE portfolio_quarter_totals SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 1000);
ALTER TABLE portfolio_unscheduled SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 500);

-- One contribution to one ancestor; `quarter` null is unscheduled work.
CREATE TYPE capacity_change AS (
    org_id uuid, ancestor_id uuid, quarter text, capacity numeric, demand numeric, proposed numeric
);

CREATE FUNCTION capacity_apply(changes capacity_change[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(changes) = 0 THEN
        RETURN;
    END IF;
    PERFORM 1 FROM portfolio_totals t
    WHERE (t.org_id, t.portfolio_id) IN (SELECT DISTINCT c.org_id, c.ancestor_id FROM unnest(changes) c)
    ORDER BY t.org_id, t.portfolio_id
    FOR UPDATE;

    INSERT INTO portfolio_quarter_totals AS t (org_id, portfolio_id, quarter, capacity, demand, proposed)
    SELECT c.org_id, c.ancestor_id, c.quarter, sum(c.capacity), sum(c.demand), sum(c.proposed)
    FROM unnest(changes) c
    WHERE c.quarter IS NOT NULL
    GROUP BY c.org_id, c.ancestor_id, c.quarter
    HAVING sum(c.capacity) <> 0 OR sum(c.demand) <> 0 OR sum(c.proposed) <> 0
    ORDER BY c.org_id, c.ancestor_id, c.quarter
    ON CONFLICT (org_id, portfolio_id, quarter) DO UPDATE SET
        capacity = t.capacity + excluded.capacity,
        demand = t.demand + excluded.demand,
        proposed = t.proposed + excluded.proposed;

    INSERT INTO portfolio_unscheduled AS t (org_id, portfolio_id, demand, proposed)
    SELECT c.org_id, c.ancestor_id, sum(c.demand), sum(c.proposed)
    FROM unnest(changes) c
    WHERE c.quarter IS NULL
    GROUP BY c.org_id, c.ancestor_id
    HAVING sum(c.demand) <> 0 OR sum(c.proposed) <> 0
    ORDER BY c.org_id, c.ancestor_id
    ON CONFLICT (org_id, portfolio_id) DO UPDATE SET
        demand = t.demand + excluded.demand,
        proposed = t.proposed + excluded.proposed;
END
$$;

-- Initiatives entering (+1) or leaving (-1) a subtree.
CREATE FUNCTION capacity_initiatives_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM capacity_apply(ARRAY(
        SELECT ROW(n.org_id, c.ancestor_id, d.quarter, 0, d.demand, d.proposed)::capacity_change
        FROM new_rows n
        JOIN organizations o ON o.id = n.org_id
        JOIN portfolio_closure c ON c.org_id = n.org_id AND c.descendant_id = n.portfolio_id
        CROSS JOIN LATERAL initiative_demand(n.status, n.effort::numeric, n.start_date, n.target_date,
                                             o.fiscal_year_start_month) d));
    RETURN NULL;
END
$$;

CREATE FUNCTION capacity_initiatives_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM capacity_apply(ARRAY(
        SELECT ROW(x.org_id, c.ancestor_id, d.quarter, 0, -d.demand, -d.proposed)::capacity_change
        FROM old_rows x
        JOIN organizations o ON o.id = x.org_id
        JOIN portfolio_closure c ON c.org_id = x.org_id AND c.descendant_id = x.portfolio_id
        CROSS JOIN LATERAL initiative_demand(x.status, x.effort::numeric, x.start_date, x.target_date,
                                             o.fiscal_year_start_month) d));
    RETURN NULL;
END
$$;

-- Only rows whose demand columns changed count: a title edit locks nothing here.
CREATE FUNCTION capacity_initiatives_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM capacity_apply(ARRAY(
        WITH changed AS (
            SELECT o.org_id, o.portfolio_id AS old_portfolio, o.status AS old_status, o.effort AS old_effort,
                   o.start_date AS old_start, o.target_date AS old_target,
                   n.portfolio_id, n.status, n.effort, n.start_date, n.target_date
            FROM old_rows o JOIN new_rows n ON n.org_id = o.org_id AND n.id = o.id
            WHERE (o.portfolio_id, o.status, o.effort, o.start_date, o.target_date)
                IS DISTINCT FROM (n.portfolio_id, n.status, n.effort, n.start_date, n.target_date)
        )
        SELECT ROW(x.org_id, c.ancestor_id, d.quarter, 0, -d.demand, -d.proposed)::capacity_change
        FROM changed x
        JOIN organizations g ON g.id = x.org_id
        JOIN portfolio_closure c ON c.org_id = x.org_id AND c.descendant_id = x.old_portfolio
        CROSS JOIN LATERAL initiative_demand(x.old_status, x.old_effort::numeric, x.old_start, x.old_target,
                                             g.fiscal_year_start_month) d
        UNION ALL
        SELECT ROW(x.org_id, c.ancestor_id, d.quarter, 0, d.demand, d.proposed)::capacity_change
        FROM changed x
        JOIN organizations g ON g.id = x.org_id
        JOIN portfolio_closure c ON c.org_id = x.org_id AND c.descendant_id = x.portfolio_id
        CROSS JOIN LATERAL initiative_demand(x.status, x.effort::numeric, x.start_date, x.target_date,
                                             g.fiscal_year_start_month) d));
    RETURN NULL;
END
$$;

CREATE TRIGGER initiatives_capacity_insert AFTER INSERT ON initiatives
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION capacity_initiatives_inserted();
CREATE TRIGGER initiatives_capacity_update AFTER UPDATE ON initiatives
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION capacity_initiatives_updated();
CREATE TRIGGER initiatives_capacity_delete AFTER DELETE ON initiatives
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION capacity_initiatives_deleted();

-- A portfolio's own capacity set, changed or removed: the difference applies to every ancestor.
CREATE FUNCTION capacity_set() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM capacity_apply(ARRAY(
            SELECT ROW(x.org_id, c.ancestor_id, x.quarter, -x.person_weeks, 0, 0)::capacity_change
            FROM old_rows x
            JOIN portfolio_closure c ON c.org_id = x.org_id AND c.descendant_id = x.portfolio_id));
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM capacity_apply(ARRAY(
            SELECT ROW(x.org_id, c.ancestor_id, x.quarter, x.person_weeks, 0, 0)::capacity_change
            FROM new_rows x
            JOIN portfolio_closure c ON c.org_id = x.org_id AND c.descendant_id = x.portfolio_id));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER portfolio_capacity_insert AFTER INSERT ON portfolio_capacity
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION capacity_set();
CREATE TRIGGER portfolio_capacity_update AFTER UPDATE ON portfolio_capacity
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION capacity_set();
CREATE TRIGGER portfolio_capacity_delete AFTER DELETE ON portfolio_capacity
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION capacity_set();

-- A portfolio deleted: its capacity leaves its ancestors first, while the closure still links them.
-- (Left to the foreign keys' cascades, the capacity and the closure rows would both be gone before
-- either's upkeep ran, and the ancestors would keep the capacity.)
CREATE FUNCTION capacity_portfolio_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM portfolio_capacity WHERE org_id = OLD.org_id AND portfolio_id = OLD.id;
    RETURN OLD;
END
$$;

CREATE TRIGGER portfolios_capacity_delete BEFORE DELETE ON portfolios
    FOR EACH ROW EXECUTE FUNCTION capacity_portfolio_deleted();

-- A closure row gained (+1) or lost (-1): the descendant's own initiatives and own capacity join
-- or leave the ancestor's subtree.
CREATE FUNCTION capacity_closure_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    direction integer := CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END;
BEGIN
    PERFORM capacity_apply(ARRAY(
        SELECT ROW(r.org_id, r.ancestor_id, d.quarter, 0, direction * d.demand, direction * d.proposed)::capacity_change
        FROM changed_rows r
        JOIN organizations o ON o.id = r.org_id
        JOIN initiatives i ON i.org_id = r.org_id AND i.portfolio_id = r.descendant_id
        CROSS JOIN LATERAL initiative_demand(i.status, i.effort::numeric, i.start_date, i.target_date,
                                             o.fiscal_year_start_month) d
        UNION ALL
        SELECT ROW(r.org_id, r.ancestor_id, k.quarter, direction * k.person_weeks, 0, 0)::capacity_change
        FROM changed_rows r
        JOIN portfolio_capacity k ON k.org_id = r.org_id AND k.portfolio_id = r.descendant_id));
    RETURN NULL;
END
$$;

CREATE TRIGGER portfolio_closure_capacity_insert AFTER INSERT ON portfolio_closure
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION capacity_closure_changed();
CREATE TRIGGER portfolio_closure_capacity_delete AFTER DELETE ON portfolio_closure
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION capacity_closure_changed();

-- The organization's demand, from scratch: every quarter's and the unscheduled figures rebuilt
-- (capacity stays).
CREATE FUNCTION capacity_recompute(org uuid) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM portfolio_totals t WHERE t.org_id = org ORDER BY t.org_id, t.portfolio_id FOR UPDATE;
    UPDATE portfolio_quarter_totals SET demand = 0, proposed = 0
    WHERE org_id = org AND (demand <> 0 OR proposed <> 0);
    UPDATE portfolio_unscheduled SET demand = 0, proposed = 0
    WHERE org_id = org AND (demand <> 0 OR proposed <> 0);
    PERFORM capacity_apply(ARRAY(
        SELECT ROW(i.org_id, c.ancestor_id, d.quarter, 0, d.demand, d.proposed)::capacity_change
        FROM initiatives i
        JOIN organizations o ON o.id = i.org_id
        JOIN portfolio_closure c ON c.org_id = i.org_id AND c.descendant_id = i.portfolio_id
        CROSS JOIN LATERAL initiative_demand(i.status, i.effort::numeric, i.start_date, i.target_date,
                                             o.fiscal_year_start_month) d
        WHERE i.org_id = org));
END
$$;

-- A new fiscal year start month moves every quarter's boundaries: the organization's quarters are
-- computed again, in the transaction that changed the setting.
CREATE FUNCTION capacity_fiscal_year_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM capacity_recompute(NEW.id);
    RETURN NULL;
END
$$;

CREATE TRIGGER organizations_capacity_fiscal_year AFTER UPDATE OF fiscal_year_start_month ON organizations
    FOR EACH ROW WHEN (OLD.fiscal_year_start_month IS DISTINCT FROM NEW.fiscal_year_start_month)
    EXECUTE FUNCTION capacity_fiscal_year_changed();

-- Tenancy as every tenant table (0011). Capacity is what a user sets: it bumps the data version
-- (0014); the two totals tables are derived from it and from initiatives by the triggers above.
DO $$
DECLARE
    t regclass;
BEGIN
    FOREACH t IN ARRAY ARRAY['portfolio_capacity'::regclass, 'portfolio_quarter_totals'::regclass,
                             'portfolio_unscheduled'::regclass]
    LOOP
        EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %s
                 USING (org_id = nullif(current_setting(''cairn.org_id'', true), '''')::uuid)
                 WITH CHECK (org_id = nullif(current_setting(''cairn.org_id'', true), '''')::uuid)',
            t);
    END LOOP;
END
$$;
CREATE CONSTRAINT TRIGGER data_version AFTER INSERT OR UPDATE OR DELETE ON portfolio_capacity
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_data_version();

-- Organizations that existed before this migration: their demand from scratch, each as itself
-- (row-level security).
DO $$
DECLARE
    org uuid;
BEGIN
    FOR org IN SELECT id FROM organizations ORDER BY id LOOP
        PERFORM set_config('cairn.org_id', org::text, true);
        PERFORM capacity_recompute(org);
    END LOOP;
    PERFORM set_config('cairn.org_id', '', true);
END
$$;
