-- Roadmaps (SPEC §2): saved views of the work in one portfolio subtree over a time window, and the
-- share links (capability URLs) that let someone without an account read exactly one of them.

CREATE TABLE roadmaps (
    org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id            uuid NOT NULL,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- The scope: this portfolio and everything under it. Deleting the portfolio deletes its
    -- roadmaps and their links: a link must never start showing something else.
    portfolio_id  uuid NOT NULL,
    from_date     date NOT NULL,
    to_date       date NOT NULL,
    layout        text NOT NULL DEFAULT 'timeline' CHECK (layout IN ('timeline', 'now_next_later')),
    group_by      text NOT NULL DEFAULT 'portfolio'
                  CHECK (group_by IN ('portfolio', 'theme', 'objective', 'owner', 'status')),
    -- Filters; empty means "all".
    statuses      text[] NOT NULL DEFAULT '{}'
                  CHECK (statuses <@ ARRAY['proposed', 'planned', 'in_progress', 'done', 'cancelled']),
    theme_ids     uuid[] NOT NULL DEFAULT '{}',
    -- Whether a shared link shows budgets (members always see them).
    show_budget   boolean NOT NULL DEFAULT false,
    created_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    version       bigint NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    CONSTRAINT roadmaps_portfolio_fkey FOREIGN KEY (org_id, portfolio_id)
        REFERENCES portfolios (org_id, id) ON DELETE CASCADE,
    CONSTRAINT roadmaps_window_check CHECK (to_date >= from_date)
);
CREATE INDEX roadmaps_portfolio_idx ON roadmaps (org_id, portfolio_id);
CREATE INDEX roadmaps_list_idx ON roadmaps (org_id, name, id);

-- A roadmap selects the initiatives of a subtree by dates, status and theme. With these columns in
-- the portfolio index the selection is an index-only scan (a product's 2,000 initiatives at 100k
-- read no table pages), and only the few hundred shown are fetched whole.
DROP INDEX initiatives_portfolio_idx;
CREATE INDEX initiatives_portfolio_idx ON initiatives (org_id, portfolio_id)
    INCLUDE (id, start_date, target_date, status, theme_id);

-- A capability URL to one roadmap. Only the SHA-256 of the token is kept; the token itself is
-- shown once, to whoever created the link. Revoking keeps the row (its views stay countable).
CREATE TABLE share_links (
    org_id          uuid NOT NULL,
    id              uuid NOT NULL,
    roadmap_id      uuid NOT NULL,
    token_hash      bytea NOT NULL CHECK (length(token_hash) = 32),
    -- Null: never expires.
    expires_at      timestamptz,
    revoked_at      timestamptz,
    view_count      bigint NOT NULL DEFAULT 0 CHECK (view_count >= 0),
    last_viewed_at  timestamptz,
    created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    CONSTRAINT share_links_roadmap_fkey FOREIGN KEY (org_id, roadmap_id)
        REFERENCES roadmaps (org_id, id) ON DELETE CASCADE
);
-- The public path looks a link up by its digest alone (before any organization is known).
CREATE INDEX share_links_hash_idx ON share_links (token_hash);
CREATE INDEX share_links_roadmap_idx ON share_links (org_id, roadmap_id, created_at);
