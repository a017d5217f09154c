-- Every write updates the same few roll-up rows (its portfolio's ancestors, the root above all), so
-- those rows pile up dead versions that a read must step over: at 100k initiatives a root roll-up
-- read 9,000 buffers instead of 750 until vacuumed. Leave room on each page for heap-only updates
-- (pruned on the spot, no index churn) and vacuum these small tables early and often.
ALTER TABLE portfolio_totals SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 500);
ALTER TABLE portfolio_theme_totals SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 500);
ALTER TABLE portfolio_deadlines SET (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 1000);
