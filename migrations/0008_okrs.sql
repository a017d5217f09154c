-- OKRs (SPEC §2, §3): objectives scoped to a portfolio and a period, key results that measure them,
-- check-ins that record each new value of a key result, and the initiatives that move them.

CREATE TABLE objectives (
    org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id            uuid NOT NULL,
    title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description   text NOT NULL DEFAULT '' CHECK (length(description) <= 10000),
    portfolio_id  uuid NOT NULL,
    -- A fiscal quarter ('2026-Q4') or a fiscal year ('2026').
    period        text NOT NULL CHECK (period ~ '^[0-9]{4}(-Q[1-4])?$'),
    owner_id      uuid,
    -- The objective this one supports (alignment); it may sit in another period or portfolio.
    parent_id     uuid,
    -- Σ weight·progress / Σ weight over the key results, as a fraction 0–1 with full precision;
    -- null without key results. Kept by db::key_results in the transaction of every key result
    -- write, so that a roll-up averages stored values instead of reading every key result.
    progress      numeric CHECK (progress BETWEEN 0 AND 1),
    version       bigint NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    -- A portfolio with objectives is not empty: deleting it answers 409.
    FOREIGN KEY (org_id, portfolio_id) REFERENCES portfolios (org_id, id),
    FOREIGN KEY (org_id, owner_id) REFERENCES memberships (org_id, user_id) ON DELETE SET NULL (owner_id),
    FOREIGN KEY (org_id, parent_id) REFERENCES objectives (org_id, id) ON DELETE SET NULL (parent_id),
    CHECK (parent_id IS NULL OR parent_id <> id)
);
-- OKR progress of a subtree for a period: the objectives of that period, by portfolio.
CREATE INDEX objectives_period_idx ON objectives (org_id, period, portfolio_id) INCLUDE (progress);
CREATE INDEX objectives_portfolio_idx ON objectives (org_id, portfolio_id);
CREATE INDEX objectives_parent_idx ON objectives (org_id, parent_id);

CREATE TABLE key_results (
    org_id         uuid NOT NULL,
    id             uuid NOT NULL,
    objective_id   uuid NOT NULL,
    title          text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    start_value    numeric NOT NULL,
    target_value   numeric NOT NULL,
    current_value  numeric NOT NULL,
    unit           text NOT NULL DEFAULT '' CHECK (length(unit) <= 20),
    weight         numeric NOT NULL DEFAULT 1 CHECK (weight > 0),
    position       integer NOT NULL DEFAULT 0,
    version        bigint NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, objective_id) REFERENCES objectives (org_id, id) ON DELETE CASCADE
);
CREATE INDEX key_results_objective_idx ON key_results (org_id, objective_id, position);

-- Every new value of a key result, kept forever like status updates.
CREATE TABLE key_result_check_ins (
    org_id          uuid NOT NULL,
    id              uuid NOT NULL,
    key_result_id   uuid NOT NULL,
    author_id       uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    value           numeric NOT NULL,
    previous_value  numeric NOT NULL,
    note            text CHECK (length(note) <= 2000),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, key_result_id) REFERENCES key_results (org_id, id) ON DELETE CASCADE
);
CREATE INDEX key_result_check_ins_kr_idx ON key_result_check_ins (org_id, key_result_id, created_at DESC, id DESC);

-- Initiatives move key results (many to many).
CREATE TABLE initiative_key_results (
    org_id         uuid NOT NULL,
    initiative_id  uuid NOT NULL,
    key_result_id  uuid NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, initiative_id, key_result_id),
    FOREIGN KEY (org_id, initiative_id) REFERENCES initiatives (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, key_result_id) REFERENCES key_results (org_id, id) ON DELETE CASCADE
);
CREATE INDEX initiative_key_results_kr_idx ON initiative_key_results (org_id, key_result_id);

-- OKR progress per subtree and period (SPEC §3: the mean over the subtree's objectives of the
-- period that have key results), kept like portfolio_totals (migration 0002): for every portfolio
-- and period, the number of measured objectives in its subtree and the sum of their progress, so
-- that a roll-up reads one row per portfolio shown instead of every objective below it.
CREATE TABLE portfolio_okr_totals (
    org_id        uuid NOT NULL,
    portfolio_id  uuid NOT NULL,
    period        text NOT NULL,
    objectives    bigint NOT NULL DEFAULT 0,
    progress      numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, portfolio_id, period),
    FOREIGN KEY (org_id, portfolio_id) REFERENCES portfolios (org_id, id) ON DELETE CASCADE
) WITH (fillfactor = 70);

-- One measured objective entering (+1) or leaving (-1) an ancestor's subtree.
CREATE TYPE okr_change AS (org_id uuid, ancestor_id uuid, period text, progress numeric, sign integer);

-- Applies contributions, summed per row, in a global row order so that concurrent writers wait
-- for each other instead of deadlocking.
CREATE FUNCTION okr_apply(changes okr_change[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO portfolio_okr_totals AS t (org_id, portfolio_id, period, objectives, progress)
    SELECT c.org_id, c.ancestor_id, c.period, sum(c.sign), sum(c.sign * c.progress)
    FROM unnest(changes) c
    WHERE c.progress IS NOT NULL
    GROUP BY c.org_id, c.ancestor_id, c.period
    ORDER BY c.org_id, c.ancestor_id, c.period
    ON CONFLICT (org_id, portfolio_id, period) DO UPDATE
        SET objectives = t.objectives + excluded.objectives, progress = t.progress + excluded.progress;
END
$$;

CREATE FUNCTION okr_objectives_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM okr_apply(ARRAY(
        SELECT ROW(n.org_id, c.ancestor_id, n.period, n.progress, 1)::okr_change
        FROM new_rows n
        JOIN portfolio_closure c ON c.org_id = n.org_id AND c.descendant_id = n.portfolio_id));
    RETURN NULL;
END
$$;

CREATE FUNCTION okr_objectives_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM okr_apply(ARRAY(
        SELECT ROW(o.org_id, c.ancestor_id, o.period, o.progress, -1)::okr_change
        FROM old_rows o
        JOIN portfolio_closure c ON c.org_id = o.org_id AND c.descendant_id = o.portfolio_id));
    RETURN NULL;
END
$$;

-- Only rows whose portfolio, period or progress changed count: a title edit locks nothing.
CREATE FUNCTION okr_objectives_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM okr_apply(ARRAY(
        WITH changed AS (
            SELECT o.org_id, o.portfolio_id AS old_portfolio, o.period AS old_period, o.progress AS old_progress,
                   n.portfolio_id, n.period, n.progress
            FROM old_rows o JOIN new_rows n ON n.org_id = o.org_id AND n.id = o.id
            WHERE (o.portfolio_id, o.period, o.progress) IS DISTINCT FROM (n.portfolio_id, n.period, n.progress)
        )
        SELECT ROW(x.org_id, c.ancestor_id, x.old_period, x.old_progress, -1)::okr_change
        FROM changed x JOIN portfolio_closure c ON c.org_id = x.org_id AND c.descendant_id = x.old_portfolio
        UNION ALL
        SELECT ROW(x.org_id, c.ancestor_id, x.period, x.progress, 1)::okr_change
        FROM changed x JOIN portfolio_closure c ON c.org_id = x.org_id AND c.descendant_id = x.portfolio_id));
    RETURN NULL;
END
$$;

CREATE TRIGGER objectives_okr_insert AFTER INSERT ON objectives
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION okr_objectives_inserted();
CREATE TRIGGER objectives_okr_update AFTER UPDATE ON objectives
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION okr_objectives_updated();
CREATE TRIGGER objectives_okr_delete AFTER DELETE ON objectives
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION okr_objectives_deleted();

-- A portfolio moved: the descendant's own objectives join (+1) or leave (-1) the ancestor's subtree.
CREATE FUNCTION okr_closure_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM okr_apply(ARRAY(
        SELECT ROW(o.org_id, r.ancestor_id, o.period, o.progress, 1)::okr_change
        FROM new_rows r
        JOIN objectives o ON o.org_id = r.org_id AND o.portfolio_id = r.descendant_id));
    RETURN NULL;
END
$$;

CREATE FUNCTION okr_closure_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM okr_apply(ARRAY(
        SELECT ROW(o.org_id, r.ancestor_id, o.period, o.progress, -1)::okr_change
        FROM old_rows r
        JOIN objectives o ON o.org_id = r.org_id AND o.portfolio_id = r.descendant_id));
    RETURN NULL;
END
$$;

CREATE TRIGGER portfolio_closure_okr_insert AFTER INSERT ON portfolio_closure
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION okr_closure_inserted();
CREATE TRIGGER portfolio_closure_okr_delete AFTER DELETE ON portfolio_closure
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION okr_closure_deleted();
