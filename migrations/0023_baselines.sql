-- Baselines (SPEC §10): a portfolio subtree frozen at a moment, to tell later "what changed since
-- the Q1 plan". A baseline keeps each initiative of the subtree as it was (the fields a diff reads)
-- and the §3 figures of the portfolio and its children as they were shown (src/db/baselines.rs).
-- Applying a scenario takes one first (SPEC §9), so an apply can always be looked back on.

CREATE TABLE baselines (
    org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id            uuid NOT NULL,
    portfolio_id  uuid NOT NULL,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- The roll-up of the portfolio at the moment, in the API's shape: totals, children, themes.
    figures       jsonb NOT NULL,
    created_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, portfolio_id) REFERENCES portfolios (org_id, id) ON DELETE CASCADE
);
CREATE INDEX baselines_portfolio_idx ON baselines (org_id, portfolio_id, created_at DESC);

-- An initiative as the baseline froze it. No reference to the initiative: a baseline outlives what
-- was deleted since (the diff's `removed`).
CREATE TABLE baseline_initiatives (
    org_id         uuid NOT NULL,
    baseline_id    uuid NOT NULL,
    initiative_id  uuid NOT NULL,
    key            text NOT NULL,
    portfolio_id   uuid NOT NULL,
    title          text NOT NULL,
    status         text NOT NULL,
    health         text NOT NULL,
    progress       smallint NOT NULL,
    effort         double precision NOT NULL,
    theme_id       uuid,
    start_date     date,
    target_date    date,
    version        bigint NOT NULL,
    PRIMARY KEY (org_id, baseline_id, initiative_id),
    FOREIGN KEY (org_id, baseline_id) REFERENCES baselines (org_id, id) ON DELETE CASCADE
);

DO $$
DECLARE
    t regclass;
BEGIN
    FOREACH t IN ARRAY ARRAY['baselines'::regclass, 'baseline_initiatives'::regclass]
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

-- A baseline's row bumps the organization's data version, as every table a page may show does; its
-- frozen initiatives are written once with it and never change, so they need not (one deferred
-- trigger event per frozen row would cost more than the snapshot itself).
CREATE CONSTRAINT TRIGGER data_version AFTER INSERT OR UPDATE OR DELETE ON baselines
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_data_version();
