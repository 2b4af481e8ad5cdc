-- Statistics of large areas (issue 12): the 200 m statistics cells
-- (coverage_cells) at coarser levels, and the network cut by comune.
--
-- An area used to test every statistics cell it touches: the whole
-- Cremasco, 16,760 cells, 60 ms of PostgreSQL CPU for the counts. The cells
-- now form a quadtree: level k is a square of 200 * 2^k EPSG:3857 metres
-- (level 0 is coverage_cells, level 8 about 51 km), and an area descends
-- from the top, summing the cells it covers whole at the coarsest level
-- and testing only the cells on its edge; the civic numbers of the 200 m
-- cells on the edge are tested one by one (coverage.Stats; read in cell
-- order from coverage_cell_points since 00071).
--
-- The network was clipped to the area and then cut by every comune per
-- request (60 ms for the whole Cremasco). coverage_network_pieces holds
-- each route and its part in each comune with their lengths, kept in step
-- by row triggers on network_routes and comuni; an area sums the pieces
-- it covers and clips only the others.

-- +goose Up
-- The quadtree cell of level `level` holding the level-0 cell `cell` (see
-- coverage_cell), and its square in EPSG:3857.
-- +goose StatementBegin
CREATE FUNCTION coverage_quad(cell bigint, level integer) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT (((cell >> 24) >> level) << 24) + ((cell & 16777215) >> level)
$$;
CREATE FUNCTION coverage_quad_geom(level integer, cell bigint) RETURNS geometry
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT ST_MakeEnvelope((((cell >> 24) << level) - 1048576) * 200.0, (((cell & 16777215) << level) - 1048576) * 200.0,
                           ((((cell >> 24) + 1) << level) - 1048576) * 200.0, ((((cell & 16777215) + 1) << level) - 1048576) * 200.0, 3857)
$$;
-- +goose StatementEnd

-- The counters of coverage_cells summed per quadtree cell and comune, at
-- every level from 0 (a copy of coverage_cells) to the top; rebuilt with
-- coverage_cells by every coverage load (coverage.refresh).
CREATE TABLE coverage_quads (
    level          smallint NOT NULL,
    cell           bigint NOT NULL,
    istat_code     text NOT NULL,
    civici         integer NOT NULL,
    st_active      integer NOT NULL, st_connectable integer NOT NULL, st_in_works integer NOT NULL,
    st_planned     integer NOT NULL, st_none integer NOT NULL,
    t_ftth         integer NOT NULL, t_fttc integer NOT NULL, t_fwa integer NOT NULL,
    t_other        integer NOT NULL, t_none integer NOT NULL,
    p_aree_bianche integer NOT NULL, p_aree_grigie integer NOT NULL, p_commercial integer NOT NULL,
    s_1000         integer NOT NULL, s_300 integer NOT NULL, s_100 integer NOT NULL,
    s_30           integer NOT NULL, s_below_30 integer NOT NULL, s_none integer NOT NULL,
    PRIMARY KEY (level, cell, istat_code)
);

-- The quadtree cells that hold civic numbers, as exact lon/lat rectangles
-- (the corners transformed one by one, so that a cell is exactly the union
-- of its four children).
CREATE TABLE coverage_quad_cells (
    level smallint NOT NULL,
    cell  bigint NOT NULL,
    geom  geometry(Polygon, 4326) NOT NULL,
    PRIMARY KEY (level, cell)
);

INSERT INTO coverage_quads
SELECT l, coverage_quad(cell, l), istat_code, sum(civici), sum(st_active), sum(st_connectable), sum(st_in_works),
       sum(st_planned), sum(st_none), sum(t_ftth), sum(t_fttc), sum(t_fwa), sum(t_other), sum(t_none),
       sum(p_aree_bianche), sum(p_aree_grigie), sum(p_commercial), sum(s_1000), sum(s_300), sum(s_100),
       sum(s_30), sum(s_below_30), sum(s_none)
FROM coverage_cells, generate_series(0, 8) l GROUP BY 1, 2, 3;
INSERT INTO coverage_quad_cells (level, cell, geom)
SELECT DISTINCT level, cell, ST_Transform(coverage_quad_geom(level, cell), 4326) FROM coverage_quads;

-- Every network route (istat_code NULL) and its part in each comune it
-- crosses, with the geodesic length in metres. A route is stored dissolved
-- (ST_UnaryUnion: a stretch it runs twice counts once), as clipping it
-- does to the pieces in comuni.
CREATE TABLE coverage_network_pieces (
    route_id   bigint NOT NULL,
    istat_code text,
    geom       geometry(Geometry, 4326) NOT NULL,
    length_m   float8 NOT NULL
);
CREATE INDEX coverage_network_pieces_route_idx ON coverage_network_pieces (route_id);
CREATE INDEX coverage_network_pieces_comune_idx ON coverage_network_pieces (istat_code);
CREATE INDEX coverage_network_pieces_geom_idx ON coverage_network_pieces USING gist (geom);

-- coverage_network_pieces_sync keeps coverage_network_pieces in step with
-- network_routes and comuni (row and TRUNCATE triggers on both).
-- +goose StatementBegin
CREATE FUNCTION coverage_network_pieces_sync() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'network_routes' THEN
        IF TG_OP = 'TRUNCATE' THEN
            TRUNCATE coverage_network_pieces;
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            DELETE FROM coverage_network_pieces WHERE route_id = OLD.id;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            INSERT INTO coverage_network_pieces (route_id, istat_code, geom, length_m)
            SELECT NEW.id, NULL, u.geom, ST_Length(u.geom::geography) FROM (SELECT ST_UnaryUnion(NEW.geom) AS geom) u;
            INSERT INTO coverage_network_pieces (route_id, istat_code, geom, length_m)
            SELECT NEW.id, c.istat_code, x.geom, ST_Length(x.geom::geography)
            FROM comuni c, LATERAL (SELECT ST_Intersection(NEW.geom, c.geom) AS geom) x
            WHERE ST_Intersects(NEW.geom, c.geom);
        END IF;
    ELSE -- comuni
        IF TG_OP = 'TRUNCATE' THEN
            DELETE FROM coverage_network_pieces WHERE istat_code IS NOT NULL;
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            DELETE FROM coverage_network_pieces WHERE istat_code = OLD.istat_code;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            INSERT INTO coverage_network_pieces (route_id, istat_code, geom, length_m)
            SELECT r.id, NEW.istat_code, x.geom, ST_Length(x.geom::geography)
            FROM network_routes r, LATERAL (SELECT ST_Intersection(r.geom, NEW.geom) AS geom) x
            WHERE ST_Intersects(r.geom, NEW.geom);
        END IF;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

INSERT INTO coverage_network_pieces (route_id, istat_code, geom, length_m)
SELECT r.id, NULL, u.geom, ST_Length(u.geom::geography) FROM network_routes r, LATERAL (SELECT ST_UnaryUnion(r.geom) AS geom) u;
INSERT INTO coverage_network_pieces (route_id, istat_code, geom, length_m)
SELECT r.id, c.istat_code, x.geom, ST_Length(x.geom::geography)
FROM network_routes r JOIN comuni c ON ST_Intersects(r.geom, c.geom), LATERAL (SELECT ST_Intersection(r.geom, c.geom) AS geom) x;

CREATE TRIGGER network_routes_pieces AFTER INSERT OR DELETE OR UPDATE OF geom ON network_routes
    FOR EACH ROW EXECUTE FUNCTION coverage_network_pieces_sync();
CREATE TRIGGER network_routes_pieces_truncate AFTER TRUNCATE ON network_routes
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_network_pieces_sync();
CREATE TRIGGER comuni_network_pieces AFTER INSERT OR DELETE OR UPDATE OF istat_code, geom ON comuni
    FOR EACH ROW EXECUTE FUNCTION coverage_network_pieces_sync();
CREATE TRIGGER comuni_network_pieces_truncate AFTER TRUNCATE ON comuni
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_network_pieces_sync();

ANALYZE coverage_quads, coverage_quad_cells, coverage_network_pieces;

-- +goose Down
DROP TRIGGER IF EXISTS network_routes_pieces ON network_routes;
DROP TRIGGER IF EXISTS network_routes_pieces_truncate ON network_routes;
DROP TRIGGER IF EXISTS comuni_network_pieces ON comuni;
DROP TRIGGER IF EXISTS comuni_network_pieces_truncate ON comuni;
DROP FUNCTION IF EXISTS coverage_network_pieces_sync();
DROP TABLE IF EXISTS coverage_network_pieces, coverage_quad_cells, coverage_quads;
DROP FUNCTION IF EXISTS coverage_quad(bigint, integer), coverage_quad_geom(integer, bigint);
