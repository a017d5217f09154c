-- Planning (SPEC §8): the inputs of the WSJF, MoAR and scorecard scores, and the manual order.
-- Capacity and its demand are kept by migrations of their own.

-- MoAR's benefit is counted in a unit the organization names (revenue, points, NPS…).
ALTER TABLE organizations
    ADD COLUMN benefit_unit text NOT NULL DEFAULT 'points' CHECK (length(benefit_unit) BETWEEN 1 AND 40);

-- WSJF's cost of delay in SAFe's modified Fibonacci scale, MoAR's benefit, and the manual order.
-- `rank` is numeric so that moving one initiative between two others takes the midpoint and writes
-- one row; applying a score's order writes 1, 2, 3… over a subtree. Null: never ranked (last).
ALTER TABLE initiatives
    ADD COLUMN business_value smallint CHECK (business_value IN (1, 2, 3, 5, 8, 13, 20)),
    ADD COLUMN time_criticality smallint CHECK (time_criticality IN (1, 2, 3, 5, 8, 13, 20)),
    ADD COLUMN risk_reduction smallint CHECK (risk_reduction IN (1, 2, 3, 5, 8, 13, 20)),
    ADD COLUMN benefit numeric CHECK (benefit >= 0 AND benefit < 1e15),
    ADD COLUMN rank numeric,
    -- The scorecard's value 0–100 (SPEC §8) as the organization's drivers weigh this initiative's
    -- driver values: kept on the row so that ranking by scorecard ÷ effort is an index walk.
    -- Null while the organization has no drivers.
    ADD COLUMN scorecard_value numeric CHECK (scorecard_value BETWEEN 0 AND 100);

-- The organization's own scorecard: drivers with a weight and the top of their scale.
CREATE TABLE scorecard_drivers (
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id          uuid NOT NULL,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    weight      numeric NOT NULL CHECK (weight > 0 AND weight < 1e6),
    max         smallint NOT NULL CHECK (max BETWEEN 1 AND 100),
    position    integer NOT NULL DEFAULT 0,
    version     bigint NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    CONSTRAINT scorecard_drivers_name_key UNIQUE (org_id, name)
);

-- An initiative's value on one driver; a driver without a row counts 0.
CREATE TABLE initiative_driver_values (
    org_id         uuid NOT NULL,
    initiative_id  uuid NOT NULL,
    driver_id      uuid NOT NULL,
    value          smallint NOT NULL CHECK (value BETWEEN 0 AND 100),
    PRIMARY KEY (org_id, initiative_id, driver_id),
    FOREIGN KEY (org_id, initiative_id) REFERENCES initiatives (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, driver_id) REFERENCES scorecard_drivers (org_id, id) ON DELETE CASCADE
);
CREATE INDEX initiative_driver_values_by_driver_idx ON initiative_driver_values (org_id, driver_id);

-- Tenancy as every tenant table (migrations/0011), and pages see the change (migrations/0014).
DO $$
DECLARE
    t regclass;
BEGIN
    FOREACH t IN ARRAY ARRAY['scorecard_drivers'::regclass, 'initiative_driver_values'::regclass]
    LOOP
        EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %s
                 USING (org_id = nullif(current_setting(''cairn.org_id'', true), '''')::uuid)
                 WITH CHECK (org_id = nullif(current_setting(''cairn.org_id'', true), '''')::uuid)',
            t);
        EXECUTE format(
            'CREATE CONSTRAINT TRIGGER data_version AFTER INSERT OR UPDATE OR DELETE ON %s
                 DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_data_version()',
            t);
    END LOOP;
END
$$;
