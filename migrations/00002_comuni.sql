-- Municipal boundaries: one row per comune, keyed by the 6-digit ISTAT code.

-- +goose Up
CREATE TABLE comuni (
    istat_code     text PRIMARY KEY CHECK (istat_code ~ '^[0-9]{6}$'),
    name           text NOT NULL CHECK (name <> ''),
    province_code  text NOT NULL CHECK (province_code ~ '^[0-9]{3}$'),
    cadastral_code text CHECK (cadastral_code ~ '^[A-Z][0-9]{3}$'),
    -- member of the Area omogenea cremasca, the 48 comuni served by Consorzio.IT
    consortium     boolean NOT NULL DEFAULT false,
    -- where the boundary comes from; synthetic demo boundaries say so
    source         text NOT NULL,
    synthetic      boolean NOT NULL DEFAULT false,
    geom           geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom)),
    -- pre-projected for vector tiles, so a tile request never reprojects
    geom_3857      geometry(MultiPolygon, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED,
    area_km2       double precision GENERATED ALWAYS AS (round((ST_Area(geom::geography) / 1e6)::numeric, 3)) STORED,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comuni_geom_idx ON comuni USING gist (geom);
CREATE INDEX comuni_geom_3857_idx ON comuni USING gist (geom_3857);
CREATE INDEX comuni_name_idx ON comuni (lower(name));

CREATE TRIGGER comuni_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON comuni
    FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version();
INSERT INTO layer_versions (table_name) VALUES ('comuni');

-- +goose Down
DROP TABLE IF EXISTS comuni;
DELETE FROM layer_versions WHERE table_name = 'comuni';
