-- Two rules every write obeys, whichever way it comes (OGC API – Features
-- Part 4, an import, psql):
--
-- 1. The territory rule. A feature placed in a comune (a scenario, an
--    emergency area, a strategic building, an energy site) must lie in the
--    comune its istat_code names. Boundaries are generalised and features
--    are drawn by hand along them, so a geometry may reach at most 50 m
--    beyond the boundary: all of it must be covered by the comune grown by
--    50 m. A scenario polygon that crosses the border is refused when any
--    part of it lies more than 50 m outside. territory_problem says so
--    with the comune and the distance; the trigger check_territory raises
--    it as SQLSTATE AT422 (422 for clients), and the importers ask the same
--    function first so that they can name the feature.
--
-- 2. The freeze holds under concurrency. cp_check_plan_open read the plan's
--    status without a lock, so a write racing a transition could commit
--    after the plan was submitted. It now locks the plan row FOR SHARE:
--    writes to one plan still run side by side, but a transition (which
--    locks the row FOR UPDATE, civilprotection.ChangePlan) waits for them
--    to commit, and a write that comes after a transition waits for it and
--    then reads the new status.

-- +goose Up
-- +goose StatementBegin

-- territory_problem returns NULL when g may be placed in comune code, and
-- otherwise what is wrong: the comune is not loaded, or g reaches further
-- than 50 m outside it (how far: the farthest vertex of the part outside,
-- or the centre of the largest circle inside that part, whichever is
-- farther). Metres are those of the comune's UTM zone (WGS 84): planar
-- work there is ten times faster than geography for a polygon of many
-- vertices, and within a zone it is off by less than 0.1%.
CREATE FUNCTION territory_problem(code text, g geometry) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    tolerance constant float8 := 50;
    c         record;
    centre    geometry;
    srid      integer;
    cm        geometry;
    gm        geometry;
    outside   geometry;
    d         float8;
BEGIN
    IF g IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT istat_code, name, geom INTO c FROM comuni WHERE istat_code = code;
    IF NOT FOUND THEN
        RETURN format('comune %s is not loaded', code);
    END IF;
    IF ST_CoveredBy(g, c.geom) THEN
        RETURN NULL;
    END IF;
    centre := ST_PointOnSurface(c.geom);
    srid := CASE WHEN ST_Y(centre) >= 0 THEN 32600 ELSE 32700 END + least(60, floor((ST_X(centre) + 180) / 6)::integer + 1);
    cm := ST_Transform(c.geom, srid);
    gm := ST_Transform(g, srid);
    IF ST_CoveredBy(gm, ST_Buffer(cm, tolerance)) THEN
        RETURN NULL;
    END IF;
    outside := ST_Difference(gm, cm);
    SELECT max(ST_Distance(cm, p)) INTO d FROM (
        SELECT (ST_DumpPoints(outside)).geom AS p
        UNION ALL
        SELECT (ST_MaximumInscribedCircle(x.geom)).center
        FROM ST_Dump(ST_CollectionExtract(outside, 3)) x WHERE NOT ST_IsEmpty(x.geom)
    ) q;
    RETURN format('%s %s outside comune %s (%s); at most %s m are tolerated along the border',
        CASE WHEN ST_Intersects(g, c.geom) THEN 'reaches' ELSE 'lies' END,
        CASE WHEN d IS NULL OR d <= tolerance THEN format('more than %s m', tolerance)
             WHEN d < 1000 THEN format('%s m', round(d))
             ELSE format('%s km', round((d / 1000)::numeric, 1)) END,
        c.istat_code, c.name, tolerance);
END
$$;

-- check_territory applies the territory rule to a row with istat_code and
-- geom, when either is new.
CREATE FUNCTION check_territory() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    problem text;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.geom IS NOT DISTINCT FROM OLD.geom AND NEW.istat_code IS NOT DISTINCT FROM OLD.istat_code THEN
        RETURN NEW;
    END IF;
    IF NEW.geom IS NULL OR NEW.istat_code IS NULL THEN
        RETURN NEW; -- the NOT NULL constraints say which
    END IF;
    IF NOT EXISTS (SELECT 1 FROM comuni c WHERE c.istat_code = NEW.istat_code) THEN
        RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'istat_code is not a known comune',
            MESSAGE = format('comune %s is not loaded', NEW.istat_code);
    END IF;
    problem := territory_problem(NEW.istat_code, NEW.geom);
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'AT422', COLUMN = 'geom', MESSAGE = problem;
    END IF;
    RETURN NEW;
END
$$;

-- The site's own checks, without the 50 m rule of 00007: check_territory
-- says it now, with the distance.
CREATE OR REPLACE FUNCTION cer_sites_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    listed text[];
BEGIN
    NEW.pv_kw := coalesce(NEW.pv_kw, 0);
    NEW.storage_kwh := coalesce(NEW.storage_kwh, 0);
    NEW.consumption_kwh := coalesce(NEW.consumption_kwh, 0);
    IF TG_OP = 'UPDATE' AND NEW.istat_code IS NOT DISTINCT FROM OLD.istat_code
       AND NEW.community_id IS NOT DISTINCT FROM OLD.community_id THEN
        RETURN NEW;
    END IF;
    IF NEW.istat_code IS NULL OR NEW.community_id IS NULL THEN
        RETURN NEW; -- the NOT NULL constraints say which
    END IF;
    IF NOT EXISTS (SELECT 1 FROM comuni c WHERE c.istat_code = NEW.istat_code) THEN
        RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'istat_code is not a known comune',
            MESSAGE = format('comune %s is not loaded', NEW.istat_code);
    END IF;
    SELECT comuni INTO listed FROM cer_communities WHERE id = NEW.community_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'community_id is not a known community',
            MESSAGE = format('no community %s', NEW.community_id);
    END IF;
    IF NOT NEW.istat_code = ANY (listed) THEN
        RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'the site''s comune is not one of its community''s',
            MESSAGE = format('comune %s is not among the comuni of community %s', NEW.istat_code, NEW.community_id);
    END IF;
    RETURN NEW;
END
$$;

-- The freeze, with the plan row locked FOR SHARE (see the top).
CREATE OR REPLACE FUNCTION cp_check_plan_open() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    code text;
    st   text;
BEGIN
    FOREACH code IN ARRAY ARRAY[CASE WHEN TG_OP <> 'INSERT' THEN OLD.istat_code END,
                                CASE WHEN TG_OP <> 'DELETE' THEN NEW.istat_code END] LOOP
        CONTINUE WHEN code IS NULL;
        SELECT status INTO st FROM cp_plans WHERE istat_code = code FOR SHARE;
        IF NOT FOUND THEN
            INSERT INTO cp_plans (istat_code) VALUES (code) ON CONFLICT DO NOTHING;
            -- Another transaction may have created it meanwhile: read it again.
            SELECT status INTO st FROM cp_plans WHERE istat_code = code FOR SHARE;
        END IF;
        IF st IN ('submitted', 'validated') THEN
            RAISE EXCEPTION USING ERRCODE = 'AT409',
                MESSAGE = format('the civil-protection plan of comune %s is %s: it cannot change until it is %s',
                                 code, st, CASE st WHEN 'submitted' THEN 'validated or returned' ELSE 'reopened as a new version' END);
        END IF;
    END LOOP;
    RETURN coalesce(NEW, OLD);
END
$$;
-- +goose StatementEnd

-- Named to fire before the plan check and the version bump (triggers of one
-- event fire in name order), and after cer_sites_check, which says first
-- whether the comune and the community exist.
CREATE TRIGGER cp_scenarios_in_comune BEFORE INSERT OR UPDATE ON cp_scenarios FOR EACH ROW EXECUTE FUNCTION check_territory();
CREATE TRIGGER cp_emergency_areas_in_comune BEFORE INSERT OR UPDATE ON cp_emergency_areas FOR EACH ROW EXECUTE FUNCTION check_territory();
CREATE TRIGGER cp_buildings_in_comune BEFORE INSERT OR UPDATE ON cp_buildings FOR EACH ROW EXECUTE FUNCTION check_territory();
CREATE TRIGGER cer_sites_in_comune BEFORE INSERT OR UPDATE ON cer_sites FOR EACH ROW EXECUTE FUNCTION check_territory();

-- +goose Down
DROP TRIGGER IF EXISTS cp_scenarios_in_comune ON cp_scenarios;
DROP TRIGGER IF EXISTS cp_emergency_areas_in_comune ON cp_emergency_areas;
DROP TRIGGER IF EXISTS cp_buildings_in_comune ON cp_buildings;
DROP TRIGGER IF EXISTS cer_sites_in_comune ON cer_sites;
DROP FUNCTION IF EXISTS check_territory(), territory_problem(text, geometry);
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION cer_sites_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    listed text[];
BEGIN
    NEW.pv_kw := coalesce(NEW.pv_kw, 0);
    NEW.storage_kwh := coalesce(NEW.storage_kwh, 0);
    NEW.consumption_kwh := coalesce(NEW.consumption_kwh, 0);
    IF TG_OP = 'UPDATE' AND NEW.geom IS NOT DISTINCT FROM OLD.geom AND NEW.istat_code IS NOT DISTINCT FROM OLD.istat_code
       AND NEW.community_id IS NOT DISTINCT FROM OLD.community_id THEN
        RETURN NEW;
    END IF;
    IF NEW.geom IS NULL OR NEW.istat_code IS NULL OR NEW.community_id IS NULL THEN
        RETURN NEW;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM comuni c WHERE c.istat_code = NEW.istat_code) THEN
        RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'istat_code is not a known comune',
            MESSAGE = format('comune %s is not loaded', NEW.istat_code);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM comuni c WHERE c.istat_code = NEW.istat_code
                   AND ST_DWithin(c.geom::geography, NEW.geom::geography, 50)) THEN
        RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'the site must lie in its comune (istat_code)',
            MESSAGE = format('the site is not in comune %s', NEW.istat_code);
    END IF;
    SELECT comuni INTO listed FROM cer_communities WHERE id = NEW.community_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'community_id is not a known community',
            MESSAGE = format('no community %s', NEW.community_id);
    END IF;
    IF NOT NEW.istat_code = ANY (listed) THEN
        RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'the site''s comune is not one of its community''s',
            MESSAGE = format('comune %s is not among the comuni of community %s', NEW.istat_code, NEW.community_id);
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION cp_check_plan_open() RETURNS trigger LANGUAGE plpgsql AS $$
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
