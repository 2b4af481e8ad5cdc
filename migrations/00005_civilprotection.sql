-- Civil-protection plans per comune (Regione Lombardia's model, d.g.r.
-- XI/7278 of 2022): risk scenarios, emergency areas, strategic buildings,
-- the local crisis unit (personal data), and the plan's lifecycle.

-- +goose Up
CREATE TABLE cp_plans (
    istat_code   text PRIMARY KEY CHECK (istat_code ~ '^[0-9]{6}$'),
    status       text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted', 'validated', 'returned')),
    version      integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    status_since timestamptz NOT NULL DEFAULT now(),
    -- when a version of the plan was last validated; kept while a new
    -- version is drafted
    validated_at timestamptz,
    validated_version integer
);

CREATE TABLE cp_plan_history (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    istat_code  text NOT NULL REFERENCES cp_plans (istat_code) ON DELETE CASCADE,
    version     integer NOT NULL,
    from_status text,
    to_status   text NOT NULL,
    actor       text NOT NULL,
    token_id    bigint REFERENCES api_tokens (id),
    at          timestamptz NOT NULL DEFAULT now(),
    reason      text
);
CREATE INDEX cp_plan_history_comune_idx ON cp_plan_history (istat_code, at);

CREATE TABLE cp_scenarios (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    istat_code  text NOT NULL CHECK (istat_code ~ '^[0-9]{6}$'),
    hazard      text NOT NULL CHECK (hazard IN ('idraulico', 'idrogeologico', 'sismico', 'incendio_boschivo',
                    'industriale', 'trasporti', 'neve', 'vento_temporali', 'ondate_calore', 'altro')),
    title       text NOT NULL CHECK (title <> ''),
    description text,
    -- 1 low, 2 medium, 3 high, 4 very high
    severity    smallint NOT NULL CHECK (severity BETWEEN 1 AND 4),
    source      text,
    geom        geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom)),
    geom_3857   geometry(MultiPolygon, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED,
    version     integer NOT NULL DEFAULT 1,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cp_scenarios_geom_idx ON cp_scenarios USING gist (geom);
CREATE INDEX cp_scenarios_geom_3857_idx ON cp_scenarios USING gist (geom_3857);
CREATE INDEX cp_scenarios_comune_idx ON cp_scenarios (istat_code);

CREATE TABLE cp_emergency_areas (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    istat_code  text NOT NULL CHECK (istat_code ~ '^[0-9]{6}$'),
    kind        text NOT NULL CHECK (kind IN ('attesa', 'accoglienza', 'ammassamento')),
    name        text NOT NULL CHECK (name <> ''),
    -- persons the area can take
    capacity    integer NOT NULL CHECK (capacity >= 0),
    geom        geometry(Geometry, 4326) NOT NULL
                CHECK (GeometryType(geom) IN ('POINT', 'POLYGON', 'MULTIPOLYGON') AND ST_IsValid(geom)),
    geom_3857   geometry(Geometry, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED,
    version     integer NOT NULL DEFAULT 1,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cp_emergency_areas_geom_idx ON cp_emergency_areas USING gist (geom);
CREATE INDEX cp_emergency_areas_geom_3857_idx ON cp_emergency_areas USING gist (geom_3857);

CREATE TABLE cp_buildings (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    istat_code  text NOT NULL CHECK (istat_code ~ '^[0-9]{6}$'),
    kind        text NOT NULL CHECK (kind IN ('municipio', 'scuola', 'ospedale', 'caserma', 'sede_protezione_civile', 'altro')),
    name        text NOT NULL CHECK (name <> ''),
    geom        geometry(Point, 4326) NOT NULL,
    geom_3857   geometry(Point, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED,
    version     integer NOT NULL DEFAULT 1,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cp_buildings_geom_idx ON cp_buildings USING gist (geom);
CREATE INDEX cp_buildings_geom_3857_idx ON cp_buildings USING gist (geom_3857);

-- Personal data: never in a layer, a tile, a search or an error.
CREATE TABLE cp_crisis_unit (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    istat_code  text NOT NULL CHECK (istat_code ~ '^[0-9]{6}$'),
    role        text NOT NULL CHECK (role IN ('sindaco', 'referente_operativo_comunale', 'tecnico_comunale',
                    'polizia_locale', 'volontariato', 'altro')),
    name        text NOT NULL CHECK (name <> ''),
    phone       text,
    email       text,
    version     integer NOT NULL DEFAULT 1,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cp_crisis_unit_comune_idx ON cp_crisis_unit (istat_code);

-- Every edit bumps the row's version (the ETag of If-Match) and its time.
-- +goose StatementBegin
CREATE FUNCTION bump_row_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

-- A plan that is submitted or validated is frozen: its data cannot change
-- until it is returned or a new version is opened. A comune without a plan
-- gets a draft on its first edit.
CREATE FUNCTION cp_check_plan_open() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    code text;
    st   text;
BEGIN
    FOREACH code IN ARRAY ARRAY[CASE WHEN TG_OP <> 'INSERT' THEN OLD.istat_code END,
                                CASE WHEN TG_OP <> 'DELETE' THEN NEW.istat_code END] LOOP
        CONTINUE WHEN code IS NULL;
        SELECT status INTO st FROM cp_plans WHERE istat_code = code;
        IF st IN ('submitted', 'validated') THEN
            RAISE EXCEPTION USING ERRCODE = 'AT409',
                MESSAGE = format('the civil-protection plan of comune %s is %s: it cannot change until it is %s',
                                 code, st, CASE st WHEN 'submitted' THEN 'validated or returned' ELSE 'reopened as a new version' END);
        ELSIF st IS NULL THEN
            INSERT INTO cp_plans (istat_code) VALUES (code) ON CONFLICT DO NOTHING;
        END IF;
    END LOOP;
    RETURN coalesce(NEW, OLD);
END
$$;
-- +goose StatementEnd

CREATE TRIGGER cp_scenarios_row_version BEFORE UPDATE ON cp_scenarios FOR EACH ROW EXECUTE FUNCTION bump_row_version();
CREATE TRIGGER cp_emergency_areas_row_version BEFORE UPDATE ON cp_emergency_areas FOR EACH ROW EXECUTE FUNCTION bump_row_version();
CREATE TRIGGER cp_buildings_row_version BEFORE UPDATE ON cp_buildings FOR EACH ROW EXECUTE FUNCTION bump_row_version();
CREATE TRIGGER cp_crisis_unit_row_version BEFORE UPDATE ON cp_crisis_unit FOR EACH ROW EXECUTE FUNCTION bump_row_version();

CREATE TRIGGER cp_scenarios_plan_open BEFORE INSERT OR UPDATE OR DELETE ON cp_scenarios FOR EACH ROW EXECUTE FUNCTION cp_check_plan_open();
CREATE TRIGGER cp_emergency_areas_plan_open BEFORE INSERT OR UPDATE OR DELETE ON cp_emergency_areas FOR EACH ROW EXECUTE FUNCTION cp_check_plan_open();
CREATE TRIGGER cp_buildings_plan_open BEFORE INSERT OR UPDATE OR DELETE ON cp_buildings FOR EACH ROW EXECUTE FUNCTION cp_check_plan_open();
CREATE TRIGGER cp_crisis_unit_plan_open BEFORE INSERT OR UPDATE OR DELETE ON cp_crisis_unit FOR EACH ROW EXECUTE FUNCTION cp_check_plan_open();

CREATE TRIGGER cp_scenarios_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cp_scenarios
    FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version();
CREATE TRIGGER cp_emergency_areas_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cp_emergency_areas
    FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version();
CREATE TRIGGER cp_buildings_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cp_buildings
    FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version();
CREATE TRIGGER cp_plans_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cp_plans
    FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version();
INSERT INTO layer_versions (table_name) VALUES ('cp_scenarios'), ('cp_emergency_areas'), ('cp_buildings'), ('cp_plans');

-- Which comuni have a validated plan, and since when: a public layer.
CREATE VIEW cp_plan_status AS
SELECT c.istat_code, c.name, c.geom, c.geom_3857,
       coalesce(p.status, 'none') AS status, p.version, p.status_since,
       p.validated_at, p.validated_version,
       (p.validated_at IS NOT NULL) AS has_validated_plan
FROM comuni c LEFT JOIN cp_plans p USING (istat_code)
WHERE c.consortium;

-- +goose Down
DROP VIEW IF EXISTS cp_plan_status;
DROP TABLE IF EXISTS cp_crisis_unit, cp_buildings, cp_emergency_areas, cp_scenarios, cp_plan_history, cp_plans;
DROP FUNCTION IF EXISTS cp_check_plan_open(), bump_row_version();
DELETE FROM layer_versions WHERE table_name IN ('cp_scenarios', 'cp_emergency_areas', 'cp_buildings', 'cp_plans');
