-- After 00080 rewrote civici (a stored column added), no page of the table
-- is marked all-visible until autovacuum passes, which a rewrite does not
-- prompt: the count of a bbox (features.countSQL), which reads the page
-- keys inside the box from the index alone, would visit every row of the
-- table instead (a box of 43,000 civic numbers: 25-60 ms, 5 ms after this).
-- VACUUM cannot run in a transaction.

-- +goose NO TRANSACTION
-- +goose Up
VACUUM (ANALYZE) civici;

-- +goose Down
