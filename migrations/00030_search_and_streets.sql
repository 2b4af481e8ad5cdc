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
CREATE FUNCTION coverage_refresh_streets() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE coverage_streets;
    INSERT INTO coverage_streets (istat_code, street_key, street, street_core, civici, number_min, number_max,
                                  geom, west, south, east, north)
    SELECT istat_code, street_key, street, street_core(street_key), n, lo, hi, ST_Centroid(pts),
           ST_XMin(pts), ST_YMin(pts), ST_XMax(pts), ST_YMax(pts)
    FROM (
        SELECT istat_code, street_key, mode() WITHIN GROUP (ORDER BY street) AS street, count(*)::int AS n,
               min(number) AS lo, max(number) AS hi, ST_Collect(geom) AS pts
        FROM civici GROUP BY istat_code, street_key
    ) s;

    TRUNCATE coverage_street_lines;
    INSERT INTO coverage_street_lines (id, istat_code, street, street_key, civici, number_min, number_max, synthetic, geom)
    WITH p AS (
        SELECT istat_code, street_key, ST_X(geom_3857) AS x, ST_Y(geom_3857) AS y FROM civici
    ), axis AS (
        -- the principal direction: half the angle of (2 cov(x, y), var(x) - var(y))
        SELECT istat_code, street_key, avg(x) AS mx, avg(y) AS my,
               0.5 * atan2(2 * covar_pop(x, y), var_pop(x) - var_pop(y)) AS theta
        FROM p GROUP BY istat_code, street_key HAVING count(*) >= 2
    ), steps AS (
        SELECT istat_code, street_key, floor(t / 50) AS step, avg(x) AS x, avg(y) AS y
        FROM (SELECT p.*, (p.x - a.mx) * cos(a.theta) + (p.y - a.my) * sin(a.theta) AS t
              FROM p JOIN axis a USING (istat_code, street_key)) q
        GROUP BY istat_code, street_key, floor(t / 50)
    ), parts AS (
        SELECT *, count(*) FILTER (WHERE gap) OVER (PARTITION BY istat_code, street_key ORDER BY step) AS part
        FROM (SELECT *, coalesce(sqrt((x - lag(x) OVER w) ^ 2 + (y - lag(y) OVER w) ^ 2) > 400, true) AS gap
              FROM steps WINDOW w AS (PARTITION BY istat_code, street_key ORDER BY step)) q
    ), lines AS (
        SELECT istat_code, street_key, part,
               ST_ChaikinSmoothing(ST_MakeLine(ST_MakePoint(x, y) ORDER BY step), 2, true) AS line
        FROM parts GROUP BY istat_code, street_key, part HAVING count(*) >= 2
    ), streets AS (
        SELECT istat_code, street_key, ST_Transform(ST_SetSRID(ST_Multi(ST_Collect(line ORDER BY part)), 3857), 4326) AS geom
        FROM lines GROUP BY istat_code, street_key
    )
    SELECT l.istat_code || '-' || replace(l.street_key, ' ', '-'), l.istat_code, s.street, l.street_key, s.civici,
           s.number_min, s.number_max,
           (SELECT bool_and(v.synthetic) FROM civici v WHERE v.istat_code = l.istat_code AND v.street_key = l.street_key),
           l.geom
    FROM streets l JOIN coverage_streets s USING (istat_code, street_key)
    ORDER BY l.istat_code, l.street_key;
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
