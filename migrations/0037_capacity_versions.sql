-- A portfolio's capacity in a quarter gets a version, like every other record a person edits, so
-- that two people saving the same quarter from pages opened at the same time cannot silently
-- overwrite each other (issue 17): the API's PUT takes `If-Match`, and the forms carry the
-- version they were rendered with. A quarter without a row is version 0.
ALTER TABLE portfolio_capacity ADD COLUMN version bigint NOT NULL DEFAULT 1;
