-- The PostGIS extension and the data-version bookkeeping that lets every
-- instance invalidate its caches when a layer's table changes.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS postgis;

-- One row per table that backs a layer. A statement-level trigger bumps the
-- version on every write, so an instance can compare versions instead of
-- guessing when its cached tiles went stale.
CREATE TABLE layer_versions (
    table_name text PRIMARY KEY,
    version    bigint      NOT NULL DEFAULT 1,
    changed_at timestamptz NOT NULL DEFAULT now()
);

-- +goose StatementBegin
CREATE FUNCTION bump_layer_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO layer_versions AS v (table_name) VALUES (TG_TABLE_NAME)
    ON CONFLICT (table_name) DO UPDATE SET version = v.version + 1, changed_at = now();
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION IF EXISTS bump_layer_version();
DROP TABLE IF EXISTS layer_versions;
