-- Fibre coverage by civic number: the address register (civici), coverage
-- offers per civic number, network routes, and the derived tables that keep
-- area statistics, search and tiles fast over a million civic numbers.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE civici (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- ANNCSU access id (PROGRESSIVO_ACCESSO) when known
    anncsu_id       bigint UNIQUE,
    istat_code      text NOT NULL CHECK (istat_code ~ '^[0-9]{6}$'),
    street          text NOT NULL CHECK (street <> ''),
    -- normalised street name for matching and search (coverage.StreetKey)
    street_key      text NOT NULL CHECK (street_key <> ''),
    number          integer CHECK (number >= 0),
    suffix          text NOT NULL DEFAULT '',
    source          text NOT NULL,
    synthetic       boolean NOT NULL DEFAULT false,
    geom            geometry(Point, 4326) NOT NULL,
    geom_3857       geometry(Point, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED
);
CREATE INDEX civici_geom_idx ON civici USING gist (geom);
CREATE INDEX civici_geom_3857_idx ON civici USING gist (geom_3857);
CREATE INDEX civici_address_idx ON civici (istat_code, street_key, number, suffix);

CREATE TABLE coverage_offers (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    civico_id     bigint NOT NULL REFERENCES civici (id) ON DELETE CASCADE,
    programme     text NOT NULL CHECK (programme IN ('aree_bianche', 'aree_grigie', 'commercial')),
    operator      text NOT NULL CHECK (operator <> ''),
    technology    text NOT NULL CHECK (technology IN ('FTTH', 'FTTC', 'FWA', 'other')),
    max_down_mbps integer NOT NULL CHECK (max_down_mbps > 0 AND max_down_mbps <= 100000),
    status        text NOT NULL CHECK (status IN ('planned', 'in_works', 'connectable', 'active')),
    status_date   date,
    source        text NOT NULL,
    UNIQUE (civico_id, programme, operator, technology)
);

CREATE TABLE network_routes (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    programme  text NOT NULL CHECK (programme IN ('aree_bianche', 'aree_grigie', 'commercial')),
    operator   text NOT NULL CHECK (operator <> ''),
    status     text NOT NULL CHECK (status IN ('planned', 'in_works', 'connectable', 'active')),
    name       text,
    source     text NOT NULL,
    synthetic  boolean NOT NULL DEFAULT false,
    geom       geometry(MultiLineString, 4326) NOT NULL CHECK (ST_IsValid(geom)),
    geom_3857  geometry(MultiLineString, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED,
    length_m   double precision GENERATED ALWAYS AS (round(ST_Length(geom::geography)::numeric, 1)) STORED
);
CREATE INDEX network_routes_geom_idx ON network_routes USING gist (geom);
CREATE INDEX network_routes_geom_3857_idx ON network_routes USING gist (geom_3857);

-- Derived tables, rebuilt in the transaction of every load (coverage.refresh).

-- The best offer of each civic number that has offers. A table of its own,
-- rebuilt whole: rewriting a million civici rows would also rewrite their
-- index entries.
CREATE TABLE civici_best (
    civico_id       bigint PRIMARY KEY,
    best_status     text NOT NULL,
    best_technology text NOT NULL,
    best_down_mbps  integer NOT NULL,
    programmes      text NOT NULL
);

-- Civic numbers with their best offer: the civici layer.
CREATE VIEW civici_coverage AS
SELECT v.id, v.anncsu_id, v.istat_code, v.street, v.street_key, v.number, v.suffix, v.source, v.synthetic,
       v.geom, v.geom_3857, b.best_status, b.best_technology, b.best_down_mbps, coalesce(b.programmes, '') AS programmes
FROM civici v LEFT JOIN civici_best b ON b.civico_id = v.id;

-- Streets per comune, for the address typeahead.
CREATE TABLE coverage_streets (
    istat_code text NOT NULL,
    street_key text NOT NULL,
    street     text NOT NULL,
    civici     integer NOT NULL,
    geom       geometry(Point, 4326) NOT NULL,
    PRIMARY KEY (istat_code, street_key)
);
CREATE INDEX coverage_streets_trgm_idx ON coverage_streets USING gin (street_key gin_trgm_ops);

-- The statistics cell of a point: squares of 200 EPSG:3857 metres (about
-- 140 m on the ground here). Small enough that few civic numbers need an
-- exact point-in-polygon test on the edge of an area, large enough that
-- the whole Cremasco is a few thousand cells.
-- +goose StatementBegin
CREATE FUNCTION coverage_cell(g geometry) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT ((floor(ST_X(g) / 200.0)::bigint + 1048576) << 24) + (floor(ST_Y(g) / 200.0)::bigint + 1048576)
$$;
CREATE FUNCTION coverage_cell_geom(cell bigint) RETURNS geometry
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT ST_MakeEnvelope(((cell >> 24) - 1048576) * 200.0, ((cell & 16777215) - 1048576) * 200.0,
                           ((cell >> 24) - 1048575) * 200.0, ((cell & 16777215) - 1048575) * 200.0, 3857)
$$;
-- +goose StatementEnd

-- Per statistics cell and comune: counts of civic numbers by best status,
-- technology, programme and speed class. Area statistics add up the cells
-- an area covers entirely and test only the civic numbers of the cells on
-- its edge.
CREATE TABLE coverage_cells (
    cell           bigint NOT NULL,
    istat_code     text NOT NULL,
    geom           geometry(Polygon, 4326) NOT NULL, -- the cell, an exact lon/lat rectangle
    civici         integer NOT NULL,
    st_active      integer NOT NULL, st_connectable integer NOT NULL, st_in_works integer NOT NULL,
    st_planned     integer NOT NULL, st_none integer NOT NULL,
    t_ftth         integer NOT NULL, t_fttc integer NOT NULL, t_fwa integer NOT NULL,
    t_other        integer NOT NULL, t_none integer NOT NULL,
    p_aree_bianche integer NOT NULL, p_aree_grigie integer NOT NULL, p_commercial integer NOT NULL,
    s_1000         integer NOT NULL, s_300 integer NOT NULL, s_100 integer NOT NULL,
    s_30           integer NOT NULL, s_below_30 integer NOT NULL, s_none integer NOT NULL,
    PRIMARY KEY (cell, istat_code)
);
CREATE INDEX coverage_cells_geom_idx ON coverage_cells USING gist (geom);

-- Per comune, for the choropleth.
CREATE TABLE coverage_comuni_stats (
    istat_code  text PRIMARY KEY,
    civici      integer NOT NULL,
    connectable integer NOT NULL,
    s_1000 integer NOT NULL, s_300 integer NOT NULL, s_100 integer NOT NULL, s_30 integer NOT NULL,
    network_km  double precision NOT NULL DEFAULT 0
);

CREATE VIEW coverage_comuni AS
SELECT c.istat_code, c.name, c.geom, c.geom_3857,
       s.civici, s.connectable,
       round(100.0 * s.connectable / NULLIF(s.civici, 0), 1)::float8 AS pct_connectable,
       round(100.0 * s.s_1000 / NULLIF(s.civici, 0), 1)::float8 AS pct_1000,
       round(100.0 * (s.s_1000 + s.s_300 + s.s_100) / NULLIF(s.civici, 0), 1)::float8 AS pct_100,
       round(100.0 * (s.s_1000 + s.s_300 + s.s_100 + s.s_30) / NULLIF(s.civici, 0), 1)::float8 AS pct_30,
       round(s.network_km::numeric, 1)::float8 AS network_km
FROM comuni c JOIN coverage_comuni_stats s USING (istat_code);

-- Civic numbers aggregated per tile cell for the low zooms of the civici
-- tiles: 64 x 64 cells per tile (a cell is 64 MVT units), at zooms 0-14.
-- x, y are the mean EPSG:3857 position of the civic numbers in the cell.
CREATE TABLE civici_tile_cells (
    z           smallint NOT NULL,
    cx          integer NOT NULL,
    cy          integer NOT NULL,
    x           float8 NOT NULL,
    y           float8 NOT NULL,
    n           integer NOT NULL,
    connectable integer NOT NULL,
    gigabit     integer NOT NULL,
    planned     integer NOT NULL,
    PRIMARY KEY (z, cx, cy)
);

-- The civic numbers of the civici tiles: position and best offer, written
-- in spatial order by every coverage load (coverage.refresh), so the point
-- layer of a tile reads few pages and probes no other table.
CREATE TABLE civici_tile_points (
    id         bigint NOT NULL,
    geom_3857  geometry(Point, 3857) NOT NULL,
    status     text,
    technology text,
    mbps       integer
);
CREATE INDEX civici_tile_points_geom_idx ON civici_tile_points USING gist (geom_3857);

-- civici_tile builds the civici vector tiles: the civic numbers themselves
-- where a tile holds at most 8,000 of them (a few hundred KB, a few ms),
-- else cells with counts (property n), so that no tile grows past a few
-- hundred KB and no civic number is dropped. Zooms up to 13 always get the
-- cells of their zoom; dense tiles at 15 and deeper get the cells of zoom 14.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION civici_tile(tz integer, tx integer, ty integer) RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    env   geometry := ST_TileEnvelope(tz, tx, ty);
    total bigint := 0;
    cz    integer := least(tz, 14);
    -- the tile's range of cells at zoom cz (64 per tile side at zoom cz)
    c0x   bigint := (tx::bigint * 64) >> greatest(tz - 14, 0);
    c0y   bigint := (ty::bigint * 64) >> greatest(tz - 14, 0);
    cn    bigint := greatest(64 >> greatest(tz - 14, 0), 1);
    tile  bytea;
BEGIN
    IF tz >= 14 AND tz <= 20 THEN
        -- the tile is one cell of zoom tz - 6 (64 cells per tile side),
        -- whose count is the sum of its zoom-14 cells: one key lookup
        -- instead of adding up to 4,096 rows
        SELECT coalesce(max(c.n), 0) INTO total FROM civici_tile_cells c
        WHERE c.z = tz - 6 AND c.cx = tx AND c.cy = ty;
    END IF;
    IF tz >= 14 AND total <= 8000 THEN
        SELECT ST_AsMVT(m.*, 'civici', 4096, 'geom', 'id') INTO tile FROM (
            SELECT ST_AsMVTGeom(v.geom_3857, env, 4096, 64, true) AS geom, v.id,
                   v.status, v.technology, v.mbps
            FROM civici_tile_points v
            WHERE v.geom_3857 && ST_TileEnvelope(tz, tx, ty, margin => 64.0 / 4096)
        ) m;
    ELSE
        -- cells of 64 MVT units at zoom cz, and one cell of buffer around
        SELECT ST_AsMVT(m.*, 'civici', 4096, 'geom') INTO tile FROM (
            SELECT ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(c.x, c.y), 3857), env, 4096, 64, true) AS geom,
                   c.n, c.connectable, c.gigabit, c.planned
            FROM civici_tile_cells c
            WHERE c.z = cz AND c.cx BETWEEN c0x - 1 AND c0x + cn
                           AND c.cy BETWEEN c0y - 1 AND c0y + cn
        ) m WHERE m.geom IS NOT NULL;
    END IF;
    RETURN coalesce(tile, ''::bytea);
END
$$;
-- +goose StatementEnd


CREATE TRIGGER civici_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON civici
    FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version();
CREATE TRIGGER coverage_offers_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON coverage_offers
    FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version();
CREATE TRIGGER network_routes_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON network_routes
    FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version();
INSERT INTO layer_versions (table_name) VALUES ('civici'), ('coverage_offers'), ('network_routes');

-- +goose Down
DROP FUNCTION IF EXISTS civici_tile(integer, integer, integer);
DROP VIEW IF EXISTS coverage_comuni, civici_coverage;
DROP TABLE IF EXISTS civici_tile_points, civici_best, civici_tile_cells, coverage_comuni_stats, coverage_cells, coverage_streets,
    network_routes, coverage_offers, civici;
DROP FUNCTION IF EXISTS coverage_cell(geometry), coverage_cell_geom(bigint);
DELETE FROM layer_versions WHERE table_name IN ('civici', 'coverage_offers', 'network_routes');
