-- Emergency areas are served as two layers of one geometry type each:
-- GIS clients type a layer by its declared (or first) geometries and draw
-- nothing else, so one layer of points and polygons lost one kind (QGIS
-- drew none of the polygons). Polygons are stored as MultiPolygons, so the
-- polygon layer has one type too. Both layers are views over the one table,
-- writable (PostgreSQL's automatically updatable views, whose WHERE limits
-- what each layer's writes can see and WITH CHECK OPTION what they can
-- store); the table's triggers (plan frozen, row version, layer version)
-- fire as before.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION cp_area_multipolygon() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF GeometryType(NEW.geom) = 'POLYGON' THEN
        NEW.geom := ST_Multi(NEW.geom);
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
-- Named to fire first of the BEFORE triggers (they fire in name order).
CREATE TRIGGER cp_emergency_areas_a_multipolygon BEFORE INSERT OR UPDATE OF geom ON cp_emergency_areas
    FOR EACH ROW EXECUTE FUNCTION cp_area_multipolygon();

-- The conversion changes no area: frozen plans and row versions stay as
-- they are; the layer version tells the caches.
ALTER TABLE cp_emergency_areas DISABLE TRIGGER USER;
UPDATE cp_emergency_areas SET geom = ST_Multi(geom) WHERE GeometryType(geom) = 'POLYGON';
ALTER TABLE cp_emergency_areas ENABLE TRIGGER USER;
UPDATE layer_versions SET version = version + 1, changed_at = now() WHERE table_name = 'cp_emergency_areas';

ALTER TABLE cp_emergency_areas DROP CONSTRAINT cp_emergency_areas_geom_check,
    ADD CONSTRAINT cp_emergency_areas_geom_check CHECK (GeometryType(geom) IN ('POINT', 'MULTIPOLYGON') AND ST_IsValid(geom));

CREATE VIEW cp_emergency_area_polygons AS
SELECT id, istat_code, kind, name, capacity, geom, geom_3857, version, updated_at, synthetic
FROM cp_emergency_areas WHERE GeometryType(geom) = 'MULTIPOLYGON'
WITH CASCADED CHECK OPTION;

CREATE VIEW cp_emergency_area_points AS
SELECT id, istat_code, kind, name, capacity, geom, geom_3857, version, updated_at, synthetic
FROM cp_emergency_areas WHERE GeometryType(geom) = 'POINT'
WITH CASCADED CHECK OPTION;

-- +goose Down
DROP VIEW IF EXISTS cp_emergency_area_points, cp_emergency_area_polygons;
ALTER TABLE cp_emergency_areas DROP CONSTRAINT cp_emergency_areas_geom_check,
    ADD CONSTRAINT cp_emergency_areas_geom_check CHECK (GeometryType(geom) IN ('POINT', 'POLYGON', 'MULTIPOLYGON') AND ST_IsValid(geom));
DROP TRIGGER IF EXISTS cp_emergency_areas_a_multipolygon ON cp_emergency_areas;
DROP FUNCTION IF EXISTS cp_area_multipolygon();
