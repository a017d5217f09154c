-- A roll-up's "late" sums the open work of each portfolio shown over the dates before today. Each
-- date is a row of portfolio_deadlines, and one portfolio's rows lie scattered over the table (they
-- arrive as dates are first used), so the sum read one table page per date: at 100k initiatives
-- 776 pages for the root roll-up's six portfolios, most of the statement's time. With the count in
-- the key's index the sum is an index-only scan (66 pages). The index replaces the primary key
-- rather than adding one beside it: writes keep maintaining a single index. (An update of `open`
-- can no longer be heap-only; autovacuum is already set to keep this table tidy, see 0005.)
CREATE UNIQUE INDEX portfolio_deadlines_open_key
    ON portfolio_deadlines (org_id, portfolio_id, target_date) INCLUDE (open);
ALTER TABLE portfolio_deadlines
    DROP CONSTRAINT portfolio_deadlines_pkey,
    ADD CONSTRAINT portfolio_deadlines_pkey PRIMARY KEY USING INDEX portfolio_deadlines_open_key;
