-- Pre-rendered zoom-14 civici tiles. A z14 tile over the Cremasco holds up
-- to 8,000 civic numbers; building it costs PostgreSQL ~4 ms (index scan,
-- ST_AsMVTGeom and ST_AsMVT per point), which capped cold z14 tiles near
-- 400 per second on two cores. Every coverage load (coverage.refresh)
-- renders them all again in its transaction, right after the tile points,
-- so a z14 tile is one key lookup and never older than the data.

-- +goose Up
CREATE TABLE civici_tiles_z14 (
    x   integer NOT NULL,
    y   integer NOT NULL,
    mvt bytea NOT NULL,
    PRIMARY KEY (x, y)
);

-- civici_tile_render builds a civici tile from the tile points and cells:
-- what civici_tile did before the pre-rendered tiles (same body).
-- +goose StatementBegin
CREATE FUNCTION civici_tile_render(tz integer, tx integer, ty integer) RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    env   geometry := ST_TileEnvelope(tz, tx, ty);
    total bigint := 0;
    cz    integer := least(tz, 14);
    c0x   bigint := (tx::bigint * 64) >> greatest(tz - 14, 0);
    c0y   bigint := (ty::bigint * 64) >> greatest(tz - 14, 0);
    cn    bigint := greatest(64 >> greatest(tz - 14, 0), 1);
    tile  bytea;
BEGIN
    IF tz >= 14 AND tz <= 20 THEN
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

-- civici_tiles_z14_render fills civici_tiles_z14: every z14 tile that
-- holds a civic number in its extent or its buffer. A zoom-14 cell is 64
-- tile units, the width of the buffer, so those are the tiles of the cells
-- with civic numbers and of their neighbours.
CREATE FUNCTION civici_tiles_z14_render() RETURNS void
LANGUAGE sql VOLATILE AS $$
    TRUNCATE civici_tiles_z14;
    INSERT INTO civici_tiles_z14 (x, y, mvt)
    SELECT t.x, t.y, civici_tile_render(14, t.x, t.y)
    FROM (SELECT DISTINCT (c.cx + dx) >> 6 AS x, (c.cy + dy) >> 6 AS y
          FROM civici_tile_cells c, generate_series(-1, 1) dx, generate_series(-1, 1) dy
          WHERE c.z = 14) t;
    DELETE FROM civici_tiles_z14 WHERE mvt = ''::bytea;
$$;

-- civici_tile serves the pre-rendered tile at zoom 14, and renders the
-- others (and a z14 tile with no civic number) on request.
CREATE OR REPLACE FUNCTION civici_tile(tz integer, tx integer, ty integer) RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    tile bytea;
BEGIN
    IF tz = 14 THEN
        SELECT t.mvt INTO tile FROM civici_tiles_z14 t WHERE t.x = tx AND t.y = ty;
        IF FOUND THEN
            RETURN tile;
        END IF;
    END IF;
    RETURN civici_tile_render(tz, tx, ty);
END
$$;
-- +goose StatementEnd

SELECT civici_tiles_z14_render();

-- +goose Down
-- civici_tile as 00003 left it.
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
DROP FUNCTION IF EXISTS civici_tiles_z14_render(), civici_tile_render(integer, integer, integer);
DROP TABLE IF EXISTS civici_tiles_z14;
