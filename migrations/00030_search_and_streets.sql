-- Address search that understands people, and the streets layer.
--
-- 1. Search. coverage_streets gains what the typeahead needs without
--    touching civici: the street's name without its type word
--    (street_core: "VIA ROMA" -> "ROMA", so "roma 12" finds Via Roma and
--    Piazza Roma), the range of its house numbers (to say "numbers run
--    from 1 to 80") and its extent (to fit the map). fuzzystrmatch gives
--    levenshtein_less_equal, the bounded edit distance used for typos.
--
-- 2. Streets. coverage_street_lines holds each street of each comune as a
--    line along its civic numbers, for placing street names at high zoom:
--    the points are ordered along the street's principal direction (the
--    main axis of their spread), averaged in 50 m (EPSG:3857) steps along
--    it — which puts the line between the odd and the even side — split
--    where consecutive steps are more than 400 m apart, and smoothed
--    (Chaikin). A street that bends back on itself gets a rough line; a
--    street whose civic numbers fit in one step gets none.
--
-- Both are rebuilt by coverage_refresh_streets(), which the coverage
-- refresh calls after every load (internal/coverage/refresh.go), and once
-- here for the data already loaded. They change only with civici, whose
-- data version the streets layer follows.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;

-- +goose StatementBegin
-- street_core drops the leading type word of a street key (see
-- coverage.StreetKey and coverage.streetTypes, which must list the same
-- words): "VIA ROMA" -> "ROMA", "PIAZZA GARIBALDI" -> "GARIBALDI". A key
-- that is only a type word stays as it is.
CREATE FUNCTION street_core(k text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT regexp_replace(k, '^(VIA|VIALE|VIALETTO|PIAZZA|PIAZZALE|PIAZZETTA|CORSO|LARGO|VICOLO|VICOLETTO|STRADA|STRADELLO|STRADONE|LOCALITA|FRAZIONE|CONTRADA|QUARTIERE|SALITA|TRAVERSA) (?=.)', '')
$$;
-- +goose StatementEnd

ALTER TABLE coverage_streets
    ADD COLUMN street_core text,
    ADD COLUMN number_min integer,
    ADD COLUMN number_max integer,
    ADD COLUMN west float8, ADD COLUMN south float8, ADD COLUMN east float8, ADD COLUMN north float8;
CREATE INDEX coverage_streets_core_idx ON coverage_streets (street_core text_pattern_ops);
CREATE INDEX coverage_streets_core_trgm_idx ON coverage_streets USING gin (street_core gin_trgm_ops);

CREATE TABLE coverage_street_lines (
    id          text PRIMARY KEY, -- istat_code-STREET-KEY, e.g. 019035-VIA-ROMA
    istat_code  text NOT NULL,
    street      text NOT NULL,
    street_key  text NOT NULL,
    civici      integer NOT NULL,
    number_min  integer,
    number_max  integer,
    synthetic   boolean NOT NULL,
    geom        geometry(MultiLineString, 4326) NOT NULL,
    geom_3857   geometry(MultiLineString, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED,
    UNIQUE (istat_code, street_key)
);
CREATE INDEX coverage_street_lines_geom_idx ON coverage_street_lines USING gist (geom);
CREATE INDEX coverage_street_lines_geom_3857_idx ON coverage_street_lines USING gist (geom_3857);

-- +goose StatementBegin
-- coverage_refresh_streets rebuilds both tables with one pass over civici:
-- each street's points (EPSG:3857) and the moments of their spread, then
-- a line per street from its own points.
CREATE FUNCTION coverage_refresh_streets() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    CREATE TEMP TABLE coverage_street_points ON COMMIT DROP AS
    SELECT istat_code, street_key, mode() WITHIN GROUP (ORDER BY street) AS street, count(*)::int AS civici,
           min(number) AS number_min, max(number) AS number_max, bool_and(synthetic) AS synthetic,
           ST_Collect(geom_3857) AS pts, avg(ST_X(geom_3857)) AS mx, avg(ST_Y(geom_3857)) AS my,
           -- the principal direction: half the angle of (2 cov(x, y), var(x) - var(y))
           0.5 * atan2(2 * covar_pop(ST_X(geom_3857), ST_Y(geom_3857)),
                       var_pop(ST_X(geom_3857)) - var_pop(ST_Y(geom_3857))) AS theta
    FROM civici GROUP BY istat_code, street_key;

    -- Web Mercator is monotonic in x and in y: the extent of the points
    -- in 3857 is the extent in 4326, transformed.
    TRUNCATE coverage_streets;
    INSERT INTO coverage_streets (istat_code, street_key, street, street_core, civici, number_min, number_max,
                                  geom, west, south, east, north)
    SELECT istat_code, street_key, street, street_core(street_key), civici, number_min, number_max,
           ST_Transform(ST_Centroid(pts), 4326), ST_X(lo), ST_Y(lo), ST_X(hi), ST_Y(hi)
    FROM coverage_street_points,
         LATERAL ST_Transform(ST_SetSRID(ST_MakePoint(ST_XMin(pts), ST_YMin(pts)), 3857), 4326) AS lo,
         LATERAL ST_Transform(ST_SetSRID(ST_MakePoint(ST_XMax(pts), ST_YMax(pts)), 3857), 4326) AS hi;

    TRUNCATE coverage_street_lines;
    INSERT INTO coverage_street_lines (id, istat_code, street, street_key, civici, number_min, number_max, synthetic, geom)
    SELECT s.istat_code || '-' || replace(s.street_key, ' ', '-'), s.istat_code, s.street, s.street_key, s.civici,
           s.number_min, s.number_max, s.synthetic, l.geom
    FROM coverage_street_points s CROSS JOIN LATERAL (
        -- 50 m steps along the direction; a new part after a gap of 400 m
        SELECT ST_Transform(ST_SetSRID(ST_Multi(ST_Collect(line ORDER BY part)), 3857), 4326) AS geom FROM (
            SELECT part, ST_ChaikinSmoothing(ST_MakeLine(ST_MakePoint(x, y) ORDER BY step), 2, true) AS line
            FROM (SELECT *, count(*) FILTER (WHERE gap) OVER (ORDER BY step) AS part FROM (
                SELECT step, x, y, coalesce(sqrt((x - lag(x) OVER w) ^ 2 + (y - lag(y) OVER w) ^ 2) > 400, true) AS gap
                FROM (SELECT floor(t / 50) AS step, avg(x) AS x, avg(y) AS y
                      FROM (SELECT ST_X(d.geom) AS x, ST_Y(d.geom) AS y,
                                   (ST_X(d.geom) - s.mx) * cos(s.theta) + (ST_Y(d.geom) - s.my) * sin(s.theta) AS t
                            FROM ST_Dump(s.pts) d) p
                      GROUP BY 1) st
                WINDOW w AS (ORDER BY step)) g) q
            GROUP BY part HAVING count(*) >= 2) lines
        HAVING count(*) > 0
    ) l
    WHERE s.civici >= 2
    ORDER BY s.istat_code, s.street_key;
    DROP TABLE coverage_street_points;
END
$$;
-- +goose StatementEnd

SELECT coverage_refresh_streets();

-- +goose Down
DROP FUNCTION IF EXISTS coverage_refresh_streets();
DROP TABLE IF EXISTS coverage_street_lines;
DROP INDEX IF EXISTS coverage_streets_core_idx, coverage_streets_core_trgm_idx;
ALTER TABLE coverage_streets DROP COLUMN IF EXISTS street_core, DROP COLUMN IF EXISTS number_min, DROP COLUMN IF EXISTS number_max,
    DROP COLUMN IF EXISTS west, DROP COLUMN IF EXISTS south, DROP COLUMN IF EXISTS east, DROP COLUMN IF EXISTS north;
DROP FUNCTION IF EXISTS street_core(text);
