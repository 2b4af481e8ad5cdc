-- Polygons simplified per zoom for vector tiles (catalog.TileGeoms). A tile
-- of a polygon layer used to simplify every whole polygon it touches on
-- each request; these tables hold each feature's EPSG:3857 geometry
-- simplified by half a tile unit of each zoom up to 16 (what the tile
-- query did per request, with the same tolerance), so a cold tile looks
-- them up by (id, z) and only clips. Row triggers on the source tables keep
-- them in step.

-- +goose Up
-- tile_tolerance is tiles.Tolerance: half a tile unit at zoom z, in metres.
-- +goose StatementBegin
CREATE FUNCTION tile_tolerance(z integer) RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT 40075016.685578488::float8 / power(2::float8, z) / 4096 / 2
$$;

-- tile_geoms_sync keeps a table of simplified geometries (id, z, geom) in
-- step with its source table. Arguments: the table, the source's id column,
-- the first and the deepest zoom kept. The source has a geom_3857 column.
CREATE FUNCTION tile_geoms_sync() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    target text := TG_ARGV[0];
    idcol  text := TG_ARGV[1];
    minz   integer := TG_ARGV[2]::integer;
    maxz   integer := TG_ARGV[3]::integer;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        EXECUTE format('TRUNCATE %I', target);
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        EXECUTE format('DELETE FROM %I WHERE id = ($1).%I', target, idcol) USING OLD;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        EXECUTE format('INSERT INTO %I (id, z, geom) SELECT ($1).%I, z, ST_Simplify(($1).geom_3857, tile_tolerance(z), true)
                        FROM generate_series(%s, %s) z', target, idcol, minz, maxz) USING NEW;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TABLE comuni_tile_geoms (
    id   text NOT NULL,
    z    smallint NOT NULL,
    geom geometry(Geometry, 3857) NOT NULL,
    PRIMARY KEY (id, z)
);
INSERT INTO comuni_tile_geoms (id, z, geom)
SELECT c.istat_code, z, ST_Simplify(c.geom_3857, tile_tolerance(z), true) FROM comuni c, generate_series(0, 16) z;
CREATE TRIGGER comuni_tile_geoms AFTER INSERT OR DELETE OR UPDATE OF istat_code, geom ON comuni
    FOR EACH ROW EXECUTE FUNCTION tile_geoms_sync('comuni_tile_geoms', 'istat_code', '0', '16');
CREATE TRIGGER comuni_tile_geoms_truncate AFTER TRUNCATE ON comuni
    FOR EACH STATEMENT EXECUTE FUNCTION tile_geoms_sync('comuni_tile_geoms', 'istat_code', '0', '16');

CREATE TABLE cer_zones_tile_geoms (
    id   text NOT NULL,
    z    smallint NOT NULL,
    geom geometry(Geometry, 3857) NOT NULL,
    PRIMARY KEY (id, z)
);
INSERT INTO cer_zones_tile_geoms (id, z, geom)
SELECT c.code, z, ST_Simplify(c.geom_3857, tile_tolerance(z), true) FROM cer_zones c, generate_series(0, 16) z;
CREATE TRIGGER cer_zones_tile_geoms AFTER INSERT OR DELETE OR UPDATE OF code, geom ON cer_zones
    FOR EACH ROW EXECUTE FUNCTION tile_geoms_sync('cer_zones_tile_geoms', 'code', '0', '16');
CREATE TRIGGER cer_zones_tile_geoms_truncate AFTER TRUNCATE ON cer_zones
    FOR EACH STATEMENT EXECUTE FUNCTION tile_geoms_sync('cer_zones_tile_geoms', 'code', '0', '16');

-- The risk scenarios (tiles from zoom 8), edited one by one through the API.
CREATE TABLE cp_scenarios_tile_geoms (
    id   bigint NOT NULL,
    z    smallint NOT NULL,
    geom geometry(Geometry, 3857) NOT NULL,
    PRIMARY KEY (id, z)
);
INSERT INTO cp_scenarios_tile_geoms (id, z, geom)
SELECT c.id, z, ST_Simplify(c.geom_3857, tile_tolerance(z), true) FROM cp_scenarios c, generate_series(8, 16) z;
CREATE TRIGGER cp_scenarios_tile_geoms AFTER INSERT OR DELETE OR UPDATE OF id, geom ON cp_scenarios
    FOR EACH ROW EXECUTE FUNCTION tile_geoms_sync('cp_scenarios_tile_geoms', 'id', '8', '16');
CREATE TRIGGER cp_scenarios_tile_geoms_truncate AFTER TRUNCATE ON cp_scenarios
    FOR EACH STATEMENT EXECUTE FUNCTION tile_geoms_sync('cp_scenarios_tile_geoms', 'id', '8', '16');

-- +goose Down
DROP TRIGGER IF EXISTS comuni_tile_geoms ON comuni;
DROP TRIGGER IF EXISTS comuni_tile_geoms_truncate ON comuni;
DROP TRIGGER IF EXISTS cer_zones_tile_geoms ON cer_zones;
DROP TRIGGER IF EXISTS cer_zones_tile_geoms_truncate ON cer_zones;
DROP TRIGGER IF EXISTS cp_scenarios_tile_geoms ON cp_scenarios;
DROP TRIGGER IF EXISTS cp_scenarios_tile_geoms_truncate ON cp_scenarios;
DROP TABLE IF EXISTS comuni_tile_geoms, cer_zones_tile_geoms, cp_scenarios_tile_geoms;
DROP FUNCTION IF EXISTS tile_geoms_sync(), tile_tolerance(integer);
