-- Renewable energy communities (CER): the primary-substation zones as GSE
-- publishes them ("aree convenzionali" of the "cabine primarie"), the
-- communities, their member sites, and the views that say which zone each
-- site is in and whether each community meets the rules (package energy).

-- +goose Up

-- One zone per primary substation. GSE names each with an 11-character
-- alphanumeric code (e.g. AC001E00934).
CREATE TABLE cer_zones (
    code        text PRIMARY KEY CONSTRAINT "zone code must be 11 letters or digits" CHECK (code ~ '^[A-Z0-9]{11}$'),
    name        text NOT NULL DEFAULT '',
    distributor text NOT NULL DEFAULT '',
    source      text NOT NULL,
    synthetic   boolean NOT NULL DEFAULT false,
    geom        geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom)),
    geom_3857   geometry(MultiPolygon, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cer_zones_geom_idx ON cer_zones USING gist (geom);
CREATE INDEX cer_zones_geom_3857_idx ON cer_zones USING gist (geom_3857);

-- A community. comuni lists the ISTAT codes of the comuni it involves: a
-- token may change the community only if it covers all of them, and its
-- member sites must lie in them. The referent is an organisation, never a
-- person's contact: names refuse e-mail addresses and phone numbers.
CREATE TABLE cer_communities (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL
               CONSTRAINT "name must be 1 to 200 characters" CHECK (btrim(name) <> '' AND length(name) <= 200)
               CONSTRAINT "names hold no e-mail address or phone number" CHECK (name !~ '@' AND name !~ '[0-9]([ ./-]?[0-9]){8}'),
    status     text NOT NULL CONSTRAINT "status is not a community status" CHECK (status IN ('proposed', 'constituting', 'constituted', 'operating')),
    referent   text NOT NULL DEFAULT ''
               CONSTRAINT "referent must be at most 200 characters" CHECK (length(referent) <= 200)
               CONSTRAINT "referent is an organisation, not a contact" CHECK (referent !~ '@' AND referent !~ '[0-9]([ ./-]?[0-9]){8}'),
    comuni     text[] NOT NULL
               CONSTRAINT "comuni must be 1 to 100 ISTAT codes" CHECK (cardinality(comuni) BETWEEN 1 AND 100
                   AND array_to_string(comuni, ',') ~ '^[0-9]{6}(,[0-9]{6})*$'),
    source     text NOT NULL DEFAULT 'edited in Atlante',
    synthetic  boolean NOT NULL DEFAULT false,
    version    integer NOT NULL DEFAULT 1,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX cer_communities_name_idx ON cer_communities (lower(name));
CREATE INDEX cer_communities_comuni_idx ON cer_communities USING gin (comuni);

-- A member site: a point of connection (POD) of a member, as a point. One
-- PV plant per site at most (pv_kw); producers and prosumers have one,
-- consumers none. istat_code is the comune the site lies in, and the scope
-- of edits. The POD code itself is not kept: it identifies a customer.
CREATE TABLE cer_sites (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    community_id    bigint NOT NULL REFERENCES cer_communities (id),
    kind            text NOT NULL CONSTRAINT "kind is not producer, consumer or prosumer" CHECK (kind IN ('producer', 'consumer', 'prosumer')),
    name            text NOT NULL
                    CONSTRAINT "name must be 1 to 200 characters" CHECK (btrim(name) <> '' AND length(name) <= 200)
                    CONSTRAINT "names hold no e-mail address or phone number" CHECK (name !~ '@' AND name !~ '[0-9]([ ./-]?[0-9]){8}'),
    category        text NOT NULL CONSTRAINT "category is not a site category" CHECK (category IN
                        ('public_building', 'school', 'company', 'condominium', 'household', 'other')),
    pv_kw           double precision NOT NULL DEFAULT 0
                    CONSTRAINT "pv_kw must be between 0 and 100000 kW" CHECK (pv_kw >= 0 AND pv_kw <= 100000),
    storage_kwh     double precision NOT NULL DEFAULT 0
                    CONSTRAINT "storage_kwh must be between 0 and 1000000" CHECK (storage_kwh >= 0 AND storage_kwh <= 1000000),
    consumption_kwh double precision NOT NULL DEFAULT 0
                    CONSTRAINT "consumption_kwh must be between 0 and 1e9" CHECK (consumption_kwh >= 0 AND consumption_kwh <= 1e9),
    istat_code      text NOT NULL CONSTRAINT "istat_code must be 6 digits" CHECK (istat_code ~ '^[0-9]{6}$'),
    source          text NOT NULL DEFAULT 'edited in Atlante',
    synthetic       boolean NOT NULL DEFAULT false,
    geom            geometry(Point, 4326) NOT NULL,
    geom_3857       geometry(Point, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED,
    version         integer NOT NULL DEFAULT 1,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT "a consumer has no plant: pv_kw must be 0" CHECK (kind <> 'consumer' OR pv_kw = 0),
    CONSTRAINT "a producer or prosumer needs pv_kw above 0" CHECK (kind = 'consumer' OR pv_kw > 0)
);
CREATE INDEX cer_sites_geom_idx ON cer_sites USING gist (geom);
CREATE INDEX cer_sites_geom_3857_idx ON cer_sites USING gist (geom_3857);
CREATE INDEX cer_sites_community_idx ON cer_sites (community_id);
CREATE INDEX cer_sites_comune_idx ON cer_sites (istat_code);

-- +goose StatementBegin
-- cer_sites_check keeps every write honest, whichever way it comes (OGC
-- API – Features Part 4, import, psql): absent figures mean none; the site
-- must lie in its comune (within 50 m, for generalised boundaries), so a
-- token scoped to one comune cannot place sites in another by labelling
-- them; the community must exist and list the comune. Violations are
-- raised as check violations named for what is wrong.
CREATE FUNCTION cer_sites_check() RETURNS trigger LANGUAGE plpgsql AS $$
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
        RETURN NEW; -- the NOT NULL constraints say which
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

-- A community may not drop a comune its member sites are in.
CREATE FUNCTION cer_communities_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.comuni IS DISTINCT FROM OLD.comuni AND EXISTS (
        SELECT 1 FROM cer_sites s WHERE s.community_id = NEW.id AND NOT s.istat_code = ANY (NEW.comuni)) THEN
        RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'member sites lie in a comune no longer listed',
            MESSAGE = format('community %s has member sites in a comune it no longer lists', NEW.id);
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER cer_sites_check BEFORE INSERT OR UPDATE ON cer_sites FOR EACH ROW EXECUTE FUNCTION cer_sites_check();
CREATE TRIGGER cer_communities_check BEFORE UPDATE ON cer_communities FOR EACH ROW EXECUTE FUNCTION cer_communities_check();
-- bump_row_version (00005) makes the version the ETag of If-Match.
CREATE TRIGGER cer_sites_row_version BEFORE UPDATE ON cer_sites FOR EACH ROW EXECUTE FUNCTION bump_row_version();
CREATE TRIGGER cer_communities_row_version BEFORE UPDATE ON cer_communities FOR EACH ROW EXECUTE FUNCTION bump_row_version();

CREATE TRIGGER cer_zones_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cer_zones
    FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version();
CREATE TRIGGER cer_communities_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cer_communities
    FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version();
CREATE TRIGGER cer_sites_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cer_sites
    FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version();
INSERT INTO layer_versions (table_name) VALUES ('cer_zones'), ('cer_communities'), ('cer_sites');

-- The zone of each site: the zone that covers its point. A point covered
-- by several zones (on a shared border, or where published zones overlap)
-- belongs to the one whose code comes first in byte order; zone_codes
-- lists them all. A site outside every zone has no zone_code. The
-- function cer_zones_at is the one place the rule lives: this view, the
-- eligibility, the layers and the zone lookup all use it.
-- +goose StatementBegin
CREATE FUNCTION cer_zones_at(g geometry) RETURNS text[] LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(z.code ORDER BY z.code COLLATE "C"), '{}')
    FROM cer_zones z WHERE ST_Covers(z.geom, g)
$$;
-- +goose StatementEnd

CREATE VIEW cer_site_zones AS
SELECT s.id AS site_id, z.codes[1] AS zone_code, z.codes AS zone_codes
FROM cer_sites s, LATERAL (SELECT cer_zones_at(s.geom) AS codes) z;

-- Whether each community meets the rules (see package energy): at least
-- one member, every member in a zone, all in the same zone, no plant over
-- 1 MW (1000 kW).
CREATE VIEW cer_community_eligibility AS
SELECT c.id AS community_id,
       count(s.id)::integer AS members,
       count(DISTINCT sz.zone_code)::integer AS zones,
       CASE WHEN count(DISTINCT sz.zone_code) = 1 AND count(s.id) FILTER (WHERE sz.zone_code IS NULL) = 0
            THEN min(sz.zone_code) END AS zone_code,
       (count(s.id) FILTER (WHERE sz.zone_code IS NULL))::integer AS outside,
       (count(s.id) FILTER (WHERE s.pv_kw > 1000))::integer AS over_limit,
       (count(s.id) > 0 AND count(DISTINCT sz.zone_code) = 1
        AND count(s.id) FILTER (WHERE sz.zone_code IS NULL) = 0
        AND count(s.id) FILTER (WHERE s.pv_kw > 1000) = 0) AS eligible
FROM cer_communities c
LEFT JOIN cer_sites s ON s.community_id = c.id
LEFT JOIN cer_site_zones sz ON sz.site_id = s.id
GROUP BY c.id;

-- The energy-zones layer: each zone with what lies in it.
CREATE VIEW cer_zones_map AS
SELECT z.code, z.name, z.distributor, z.source, z.synthetic, z.updated_at, z.geom, z.geom_3857,
       coalesce(a.sites, 0) AS sites, coalesce(a.communities, 0) AS communities,
       coalesce(a.installed_kw, 0)::float8 AS installed_kw
FROM cer_zones z
LEFT JOIN (
    SELECT sz.zone_code, count(*)::integer AS sites, count(DISTINCT s.community_id)::integer AS communities,
           round(sum(s.pv_kw)::numeric, 3) AS installed_kw
    FROM cer_sites s JOIN cer_site_zones sz ON sz.site_id = s.id
    WHERE sz.zone_code IS NOT NULL
    GROUP BY sz.zone_code
) a ON a.zone_code = z.code;

-- The energy-communities layer: a community's footprint is the convex hull
-- of its members buffered by 100 m (a circle for a single member).
-- Communities without members have no footprint and are not in the layer.
CREATE VIEW cer_communities_map AS
SELECT c.id, c.name, c.status, c.referent, array_to_string(c.comuni, ',') AS comuni, c.synthetic, c.updated_at,
       e.members, e.eligible, e.zones, e.zone_code, e.outside, e.over_limit,
       m.producers, m.consumers, m.prosumers, m.installed_kw,
       ST_Multi(ST_Buffer(m.hull::geography, 100)::geometry)::geometry(MultiPolygon, 4326) AS geom
FROM cer_communities c
JOIN cer_community_eligibility e ON e.community_id = c.id
JOIN (
    SELECT s.community_id,
           (count(*) FILTER (WHERE s.kind = 'producer'))::integer AS producers,
           (count(*) FILTER (WHERE s.kind = 'consumer'))::integer AS consumers,
           (count(*) FILTER (WHERE s.kind = 'prosumer'))::integer AS prosumers,
           round(sum(s.pv_kw)::numeric, 3)::float8 AS installed_kw,
           ST_ConvexHull(ST_Collect(s.geom)) AS hull
    FROM cer_sites s GROUP BY s.community_id
) m ON m.community_id = c.id;

-- The energy-sites layer: each site with its zone and its community's
-- standing, so a map can show who keeps a community from being eligible.
CREATE VIEW cer_sites_map AS
SELECT s.id, s.community_id, c.name AS community, c.status AS community_status,
       s.kind, s.name, s.category, s.pv_kw, s.storage_kwh, s.consumption_kwh, s.istat_code,
       sz.zone_code, cardinality(sz.zone_codes) > 1 AS on_zone_border,
       s.pv_kw > 1000 AS over_1mw,
       e.eligible AS community_eligible, e.zone_code AS community_zone,
       s.source, s.synthetic, s.updated_at, s.geom, s.geom_3857
FROM cer_sites s
JOIN cer_communities c ON c.id = s.community_id
JOIN cer_site_zones sz ON sz.site_id = s.id
JOIN cer_community_eligibility e ON e.community_id = s.community_id;

-- +goose Down
DROP VIEW IF EXISTS cer_sites_map, cer_communities_map, cer_zones_map, cer_community_eligibility, cer_site_zones;
DROP TABLE IF EXISTS cer_sites, cer_communities, cer_zones;
DROP FUNCTION IF EXISTS cer_sites_check(), cer_communities_check(), cer_zones_at(geometry);
DELETE FROM layer_versions WHERE table_name IN ('cer_zones', 'cer_communities', 'cer_sites');
