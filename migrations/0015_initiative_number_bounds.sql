-- The bounds of an initiative's numbers, as the domain's parser holds them
-- (src/domain/initiative.rs: EFFORT_MIN … REACH_MAX): every figure over any number of initiatives
-- then fits the exact decimals the roll-ups are read into. Held here too, so that a row written
-- past the parser (a loader, an import) cannot make the roll-up of every portfolio above it
-- unreadable. NOT VALID: rows written before are not checked, so that an organization holding one
-- still migrates; its figures were unreadable already, and an edit of the row must now fix it.
ALTER TABLE initiatives
    ADD CONSTRAINT initiatives_effort_bounds CHECK (effort BETWEEN 0.01 AND 100000) NOT VALID,
    ADD CONSTRAINT initiatives_budget_bounds CHECK (budget <= 1000000000000000) NOT VALID,
    ADD CONSTRAINT initiatives_reach_bounds CHECK (reach <= 1000000000000) NOT VALID;
