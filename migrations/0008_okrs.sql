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
