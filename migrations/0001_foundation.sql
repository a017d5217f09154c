-- Cairn's foundation schema.
--
-- Tenancy: every tenant table carries org_id, leads its primary key with it, and every foreign key
-- between tenant tables is composite (org_id, …). A row can therefore never point at another
-- organization's row, and the tables distribute by org_id on Citus unchanged. `organizations` and
-- `users` (one sign-in identity across organizations) would be reference tables there.

CREATE TABLE organizations (
    id                       uuid PRIMARY KEY,
    name                     text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    slug                     text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    -- Prefix of initiative keys (ACME-42).
    key_prefix               text NOT NULL CHECK (key_prefix ~ '^[A-Z][A-Z0-9]{0,9}$'),
    time_zone                text NOT NULL DEFAULT 'UTC',
    fiscal_year_start_month  smallint NOT NULL DEFAULT 1 CHECK (fiscal_year_start_month BETWEEN 1 AND 12),
    currency                 text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    -- Rolled-health thresholds as fractions of active effort (SPEC §3).
    off_track_threshold      double precision NOT NULL DEFAULT 0.25 CHECK (off_track_threshold > 0 AND off_track_threshold <= 1),
    at_risk_threshold        double precision NOT NULL DEFAULT 0.25 CHECK (at_risk_threshold > 0 AND at_risk_threshold <= 1),
    -- Per-organization counter behind initiative keys.
    next_initiative_number   bigint NOT NULL DEFAULT 1,
    version                  bigint NOT NULL DEFAULT 1,
    created_at               timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id             uuid PRIMARY KEY,
    email          text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- argon2id PHC string; null until an invited user sets a password.
    password_hash  text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_key UNIQUE (email)
);

CREATE TABLE memberships (
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

-- Server-side sessions (tower-sessions records). A session names its user and organization in
-- `data`; a removed member's session is refused because the membership is checked on every request.
CREATE TABLE sessions (
    id          text PRIMARY KEY,
    data        jsonb NOT NULL,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expires_at);

CREATE TABLE api_tokens (
    org_id        uuid NOT NULL,
    id            uuid NOT NULL,
    user_id       uuid NOT NULL,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- SHA-256 of the token; the token itself is shown once and never stored.
    token_hash    bytea NOT NULL CHECK (length(token_hash) = 32),
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    -- A removed member's tokens go with the membership.
    FOREIGN KEY (org_id, user_id) REFERENCES memberships (org_id, user_id) ON DELETE CASCADE
);
CREATE INDEX api_tokens_hash_idx ON api_tokens (token_hash);

CREATE TABLE themes (
    org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id            uuid NOT NULL,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    colour        text NOT NULL CHECK (colour ~ '^#[0-9a-f]{6}$'),
    target_share  numeric(4, 1) NOT NULL DEFAULT 0 CHECK (target_share BETWEEN 0 AND 100),
    version       bigint NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    CONSTRAINT themes_name_key UNIQUE (org_id, name)
);

CREATE TABLE portfolios (
    org_id       uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id           uuid NOT NULL,
    parent_id    uuid,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description  text NOT NULL DEFAULT '' CHECK (length(description) <= 10000),
    level        text NOT NULL CHECK (level IN ('portfolio', 'product_line', 'product', 'area')),
    owner_id     uuid,
    lifecycle    text CHECK (lifecycle IN ('concept', 'development', 'launch', 'growth', 'maturity', 'retirement')),
    position     integer NOT NULL DEFAULT 0,
    version      bigint NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, parent_id) REFERENCES portfolios (org_id, id),
    FOREIGN KEY (org_id, owner_id) REFERENCES memberships (org_id, user_id) ON DELETE SET NULL (owner_id),
    CHECK (lifecycle IS NULL OR level = 'product'),
    CHECK (parent_id IS NULL OR parent_id <> id)
);
CREATE INDEX portfolios_parent_idx ON portfolios (org_id, parent_id, position);
CREATE INDEX portfolios_owner_idx ON portfolios (org_id, owner_id);

-- Closure table of the portfolio hierarchy: one row per (ancestor, descendant) pair, the node
-- itself included at depth 0. Subtree queries become one indexed join instead of a recursive CTE.
CREATE TABLE portfolio_closure (
    org_id         uuid NOT NULL,
    ancestor_id    uuid NOT NULL,
    descendant_id  uuid NOT NULL,
    depth          integer NOT NULL CHECK (depth >= 0),
    PRIMARY KEY (org_id, ancestor_id, descendant_id),
    FOREIGN KEY (org_id, ancestor_id) REFERENCES portfolios (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, descendant_id) REFERENCES portfolios (org_id, id) ON DELETE CASCADE
);
CREATE INDEX portfolio_closure_descendant_idx ON portfolio_closure (org_id, descendant_id, depth);

CREATE TABLE initiatives (
    org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id            uuid NOT NULL,
    number        bigint NOT NULL,
    key           text NOT NULL,
    title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description   text NOT NULL DEFAULT '' CHECK (length(description) <= 20000),
    portfolio_id  uuid NOT NULL,
    owner_id      uuid,
    theme_id      uuid,
    status        text NOT NULL DEFAULT 'proposed'
                  CHECK (status IN ('proposed', 'planned', 'in_progress', 'done', 'cancelled')),
    health        text NOT NULL DEFAULT 'on_track' CHECK (health IN ('on_track', 'at_risk', 'off_track')),
    progress      smallint NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    effort        double precision NOT NULL DEFAULT 1 CHECK (effort > 0),
    budget        bigint CHECK (budget >= 0),
    start_date    date,
    target_date   date,
    reach         bigint CHECK (reach >= 0),
    impact        double precision CHECK (impact IN (0.25, 0.5, 1, 2, 3)),
    confidence    smallint CHECK (confidence BETWEEN 0 AND 100),
    version       bigint NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    CONSTRAINT initiatives_key_key UNIQUE (org_id, key),
    FOREIGN KEY (org_id, portfolio_id) REFERENCES portfolios (org_id, id),
    FOREIGN KEY (org_id, owner_id) REFERENCES memberships (org_id, user_id) ON DELETE SET NULL (owner_id),
    FOREIGN KEY (org_id, theme_id) REFERENCES themes (org_id, id) ON DELETE SET NULL (theme_id),
    CHECK (target_date IS NULL OR start_date IS NULL OR target_date >= start_date)
);
CREATE INDEX initiatives_portfolio_idx ON initiatives (org_id, portfolio_id);
CREATE INDEX initiatives_owner_idx ON initiatives (org_id, owner_id);
CREATE INDEX initiatives_theme_idx ON initiatives (org_id, theme_id);
-- Keyset pagination of the list: newest first by id (UUIDv7 ids are time-ordered).
CREATE INDEX initiatives_list_idx ON initiatives (org_id, id DESC);

-- Immutable history of an initiative's status, health and progress.
CREATE TABLE status_updates (
    org_id             uuid NOT NULL,
    id                 uuid NOT NULL,
    initiative_id      uuid NOT NULL,
    author_id          uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    note               text CHECK (length(note) <= 2000),
    status             text NOT NULL,
    health             text NOT NULL,
    progress           smallint NOT NULL,
    previous_status    text NOT NULL,
    previous_health    text NOT NULL,
    previous_progress  smallint NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, initiative_id) REFERENCES initiatives (org_id, id) ON DELETE CASCADE
);
CREATE INDEX status_updates_initiative_idx ON status_updates (org_id, initiative_id, created_at DESC, id DESC);
