package energy

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/cremasco/atlante/geo/repair"
	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/plaintext"
	"github.com/cremasco/atlante/internal/store"
)

// LoadOptions say how to load zones or sites.
type LoadOptions struct {
	// SRID is the CRS of the geometries; 0 means EPSG:4326 (CRS84).
	SRID int
	// Replace deletes first what the load replaces: every zone not in the
	// load, or the community's sites.
	Replace bool
	// Source is stored with every row.
	Source string
	// Synthetic marks made-up demo rows.
	Synthetic bool
	// Actor names who loads, for the audit log (default "command line").
	Actor string
	// File names the input in messages.
	File string
}

func (o LoadOptions) actor() string {
	if o.Actor == "" {
		return "command line"
	}
	return o.Actor
}

func (o LoadOptions) srid() int {
	if o.SRID == 0 {
		return 4326
	}
	return o.SRID
}

// LoadSummary says what a load did.
type LoadSummary struct {
	Inserted int           `json:"inserted"`
	Updated  int           `json:"updated"`
	Deleted  int           `json:"deleted"`
	Duration time.Duration `json:"-"`
}

// ZoneRow is one zone to load.
type ZoneRow struct {
	Ref         string // how the input names it, for messages: "features[3]", "line 4"
	Code        string
	Name        string
	Distributor string
	Geom        orb.Geometry // Polygon or MultiPolygon in LoadOptions.SRID
}

// rowError is an Invalid error about one row of the input: file, row,
// field, reason.
func rowError(op string, opts LoadOptions, ref, field, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &apperr.Error{Op: op, Kind: apperr.Invalid, Msg: rowWhere(opts, ref) + ": " + field + ": " + msg,
		Fields: []apperr.FieldError{{Field: field, Reason: msg}}}
}

// rowWhere names the input and the row, for messages.
func rowWhere(opts LoadOptions, ref string) string {
	where := opts.File
	if where == "" {
		where = "input"
	}
	if ref != "" {
		where += ": " + ref
	}
	return where
}

// checkSRID refuses a CRS PostGIS does not know, before a transformation
// fails with a less helpful message.
func checkSRID(ctx context.Context, q querier, op string, opts LoadOptions) error {
	var known bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM spatial_ref_sys WHERE srid = $1)`, opts.srid()).Scan(&known); err != nil {
		return err
	}
	if !known {
		return rowError(op, opts, "", "crs", "EPSG:%d is unknown to PostGIS (spatial_ref_sys)", opts.srid())
	}
	return nil
}

const upsertZonesSQL = `
INSERT INTO cer_zones AS z (code, name, distributor, source, synthetic, geom)
SELECT u.code, u.name, u.distributor, $5, $6,
       ST_ForcePolygonCCW(ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Transform(ST_SetSRID(ST_GeomFromWKB(u.w), $7::int), 4326)), 3)))
FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[]) AS u(code, name, distributor, w)
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, distributor = EXCLUDED.distributor, source = EXCLUDED.source,
	synthetic = EXCLUDED.synthetic, geom = EXCLUDED.geom, updated_at = now()
RETURNING (xmax = 0)`

// LoadZones loads primary-substation zones in one transaction: each is
// checked (code, names, geometry with geo/repair) and the first bad one
// fails the load naming the row and the field; zones are inserted or
// updated by code, converted to EPSG:4326 by PostGIS. With Replace, zones
// not in the load are deleted. Nothing changes on error.
func (s *Store) LoadZones(ctx context.Context, zones []ZoneRow, opts LoadOptions) (LoadSummary, error) {
	const op = "energy.LoadZones"
	start := time.Now()
	var sum LoadSummary
	if len(zones) == 0 {
		return sum, rowError(op, opts, "", "features", "no zones to load")
	}
	if opts.Source == "" {
		opts.Source = "imported"
	}
	checker := repair.NewChecker()
	codes := make([]string, len(zones))
	names := make([]string, len(zones))
	dists := make([]string, len(zones))
	geoms := make([][]byte, len(zones))
	seen := map[string]string{}
	for i, z := range zones {
		code := strings.ToUpper(strings.TrimSpace(z.Code))
		switch {
		case code == "":
			return sum, rowError(op, opts, z.Ref, "code", "missing: give the zone's 11-character GSE code (e.g. AC001E00934)")
		case !zonePattern.MatchString(code):
			return sum, rowError(op, opts, z.Ref, "code", "%q is not a GSE zone code (11 letters or digits, e.g. AC001E00934)", truncate(z.Code, 30))
		case seen[code] != "":
			return sum, rowError(op, opts, z.Ref, "code", "%s is given twice (also at %s)", code, seen[code])
		}
		for _, t := range []struct{ field, v string }{{"name", z.Name}, {"distributor", z.Distributor}} {
			if err := plaintext.Check(t.v, plaintext.Line, 200); err != nil {
				return sum, rowError(op, opts, z.Ref, t.field, "%s", err)
			}
		}
		ref := z.Ref
		if ref == "" {
			ref = fmt.Sprintf("zone %d", i+1)
		}
		seen[code] = ref
		if z.Geom == nil {
			return sum, rowError(op, opts, z.Ref, "geometry", "missing: a zone is a Polygon or MultiPolygon")
		}
		mp, _, err := checker.Polygonal(z.Geom)
		if err != nil {
			return sum, rowError(op, opts, z.Ref, "geometry", "%s", err)
		}
		if opts.srid() == 4326 {
			if b := mp.Bound(); b.Min[0] < -180 || b.Max[0] > 180 || b.Min[1] < -90 || b.Max[1] > 90 {
				return sum, rowError(op, opts, z.Ref, "geometry", "coordinates are not longitude and latitude; give the file's CRS")
			}
		}
		b, err := wkb.Marshal(mp)
		if err != nil {
			return sum, rowError(op, opts, z.Ref, "geometry", "cannot be encoded")
		}
		codes[i], names[i], dists[i], geoms[i] = code, strings.TrimSpace(z.Name), strings.TrimSpace(z.Distributor), b
	}
	err := s.versions.InTx(ctx, s.primary, func(tx pgx.Tx) error {
		if err := checkSRID(ctx, tx, op, opts); err != nil {
			return err
		}
		if opts.Replace {
			tag, err := tx.Exec(ctx, `DELETE FROM cer_zones WHERE code <> ALL ($1)`, codes)
			if err != nil {
				return err
			}
			sum.Deleted = int(tag.RowsAffected())
		}
		rows, err := tx.Query(ctx, upsertZonesSQL, codes, names, dists, geoms, opts.Source, opts.Synthetic, opts.srid())
		if err != nil {
			return err
		}
		inserted, err := pgx.CollectRows(rows, pgx.RowTo[bool])
		if err != nil {
			return err
		}
		for _, ins := range inserted {
			if ins {
				sum.Inserted++
			} else {
				sum.Updated++
			}
		}
		// A transformation outside the CRS's area gives infinite
		// coordinates, which ST_IsValid refuses: say so per zone.
		var bad []string
		if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(code ORDER BY code), '{}') FROM cer_zones
			WHERE code = ANY ($1) AND NOT (ST_XMin(geom) >= -180 AND ST_XMax(geom) <= 180 AND ST_YMin(geom) >= -90 AND ST_YMax(geom) <= 90)`,
			codes).Scan(&bad); err != nil {
			return err
		}
		if len(bad) > 0 {
			return rowError(op, opts, seen[bad[0]], "geometry", "outside the area of EPSG:%d once converted", opts.srid())
		}
		return nil
	})
	sum.Duration = time.Since(start)
	if err != nil {
		return LoadSummary{}, store.Translate(op, err)
	}
	return sum, nil
}

// SiteRow is one member site to load.
type SiteRow struct {
	Ref            string // how the input names it, for messages: "line 4", "features[2]"
	Kind           string
	Name           string
	Category       string
	PVKW           float64
	StorageKWh     float64
	ConsumptionKWh float64
	// ISTATCode is the comune the site lies in; "" derives it from the
	// point (the comune that covers it).
	ISTATCode string
	Point     orb.Point // in LoadOptions.SRID
}

// check validates the row's values; it returns the field at fault and
// the reason.
func (r SiteRow) check() (string, string) {
	nameErr := plaintext.Check(r.Name, plaintext.Line, 0)
	switch {
	case !slices.Contains(Kinds, r.Kind):
		if r.Kind == "" {
			return "kind", "missing; want one of " + strings.Join(Kinds, ", ")
		}
		return "kind", fmt.Sprintf("%q is not one of %s", truncate(r.Kind, 30), strings.Join(Kinds, ", "))
	case strings.TrimSpace(r.Name) == "":
		return "name", "missing"
	case nameErr != nil:
		return "name", nameErr.Error()
	case len([]rune(r.Name)) > 200:
		return "name", "longer than 200 characters"
	case strings.Contains(r.Name, "@") || phonePattern.MatchString(r.Name):
		return "name", "a name may not hold e-mail addresses or phone numbers (never name a person)"
	case !slices.Contains(Categories, r.Category):
		if r.Category == "" {
			return "category", "missing; want one of " + strings.Join(Categories, ", ")
		}
		return "category", fmt.Sprintf("%q is not one of %s", truncate(r.Category, 30), strings.Join(Categories, ", "))
	case math.IsNaN(r.PVKW) || r.PVKW < 0 || r.PVKW > 100000:
		return "pv_kw", fmt.Sprintf("%g is not a power in kW between 0 and 100000", r.PVKW)
	case math.IsNaN(r.StorageKWh) || r.StorageKWh < 0 || r.StorageKWh > 1e6:
		return "storage_kwh", fmt.Sprintf("%g is not a capacity in kWh between 0 and 1000000", r.StorageKWh)
	case math.IsNaN(r.ConsumptionKWh) || r.ConsumptionKWh < 0 || r.ConsumptionKWh > 1e9:
		return "consumption_kwh", fmt.Sprintf("%g is not a yearly consumption in kWh between 0 and 1e9", r.ConsumptionKWh)
	case r.Kind == "consumer" && r.PVKW > 0:
		return "pv_kw", "a consumer has no plant: make it a prosumer, or set pv_kw to 0"
	case r.Kind != "consumer" && r.PVKW == 0:
		return "pv_kw", fmt.Sprintf("a %s needs its plant's power in kW", r.Kind)
	case r.ISTATCode != "" && !istatPattern.MatchString(r.ISTATCode):
		return "istat_code", fmt.Sprintf("%q is not an ISTAT code (6 digits, e.g. 019035)", truncate(r.ISTATCode, 20))
	case math.IsNaN(r.Point[0]) || math.IsNaN(r.Point[1]) || math.IsInf(r.Point[0], 0) || math.IsInf(r.Point[1], 0):
		return "geometry", "the coordinates are not finite numbers"
	}
	return "", ""
}

// placeSitesSQL converts the points to EPSG:4326 and, for each, finds the
// comune that covers it and checks the given one with the territory rule
// (territory_problem, migration 00011): NULL when the point may be placed
// there.
const placeSitesSQL = `
WITH r AS (
	SELECT u.i, ST_Transform(ST_SetSRID(ST_MakePoint(u.x, u.y), $4::int), 4326) AS g, u.code
	FROM unnest($1::float8[], $2::float8[], $3::text[]) WITH ORDINALITY AS u(x, y, code, i)
)
SELECT r.i, ST_X(r.g), ST_Y(r.g),
       coalesce((SELECT c.istat_code FROM comuni c WHERE ST_Covers(c.geom, r.g) ORDER BY c.istat_code LIMIT 1), ''),
       r.code = '' OR EXISTS (SELECT 1 FROM comuni c WHERE c.istat_code = r.code),
       CASE WHEN r.code <> '' AND ST_X(r.g) BETWEEN -180 AND 180 AND ST_Y(r.g) BETWEEN -90 AND 90
            THEN territory_problem(r.code, r.g) END
FROM r ORDER BY r.i`

const insertSitesSQL = `
INSERT INTO cer_sites (community_id, kind, name, category, pv_kw, storage_kwh, consumption_kwh, istat_code, source, synthetic, geom)
SELECT $1, u.kind, u.name, u.category, u.pv, u.st, u.co, u.code, $11, $12, ST_SetSRID(ST_MakePoint(u.x, u.y), 4326)
FROM unnest($2::text[], $3::text[], $4::text[], $5::float8[], $6::float8[], $7::float8[], $8::text[], $9::float8[], $10::float8[])
	WITH ORDINALITY AS u(kind, name, category, pv, st, co, code, x, y, i)
ORDER BY u.i
RETURNING id`

// auditSitesSQL writes an audit row per site, holding it before (deleted)
// or after (inserted) the import.
const auditSitesSQL = `
INSERT INTO audit_log (actor, action, collection, object_id, istat_code, before, after)
SELECT $1, 'import', $2, s.id::text, s.istat_code, CASE WHEN $4 THEN to_jsonb(s) - 'geom_3857' END,
       CASE WHEN NOT $4 THEN to_jsonb(s) - 'geom_3857' END
FROM cer_sites s WHERE s.id = ANY ($3)`

// LoadSites loads member sites of community in one transaction: each row
// is checked (kind, category, figures, coordinates), its comune derived
// from the point when not given, and the point must lie in its comune,
// which must be one of the community's. The first bad row fails the load
// naming the row and the field; nothing changes on error. With Replace
// the community's sites are deleted first. Every deleted and inserted site
// gets an audit row (action "import").
func (s *Store) LoadSites(ctx context.Context, communityID int64, sites []SiteRow, opts LoadOptions) (LoadSummary, error) {
	const op = "energy.LoadSites"
	start := time.Now()
	var sum LoadSummary
	if len(sites) == 0 {
		return sum, rowError(op, opts, "", "rows", "no sites to load")
	}
	if opts.Source == "" {
		opts.Source = "imported"
	}
	n := len(sites)
	xs, ys := make([]float64, n), make([]float64, n)
	kinds, names, cats, codes := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	pvs, sts, cos := make([]float64, n), make([]float64, n), make([]float64, n)
	for i, r := range sites {
		r.Name = strings.TrimSpace(r.Name)
		if field, reason := r.check(); field != "" {
			return sum, rowError(op, opts, r.Ref, field, "%s", reason)
		}
		if opts.srid() == 4326 && (r.Point[0] < -180 || r.Point[0] > 180 || r.Point[1] < -90 || r.Point[1] > 90) {
			return sum, rowError(op, opts, r.Ref, "geometry", "(%g, %g) is not a longitude, latitude; give the file's CRS", r.Point[0], r.Point[1])
		}
		xs[i], ys[i] = r.Point[0], r.Point[1]
		kinds[i], names[i], cats[i], codes[i] = r.Kind, r.Name, r.Category, r.ISTATCode
		pvs[i], sts[i], cos[i] = r.PVKW, r.StorageKWh, r.ConsumptionKWh
	}
	err := s.versions.InTx(ctx, s.primary, func(tx pgx.Tx) error {
		var comuni []string
		err := tx.QueryRow(ctx, `SELECT comuni FROM cer_communities WHERE id = $1 FOR UPDATE`, communityID).Scan(&comuni)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.New(op, apperr.NotFound, "no community %d", communityID)
		}
		if err != nil {
			return err
		}
		if err := checkSRID(ctx, tx, op, opts); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, placeSitesSQL, xs, ys, codes, opts.srid())
		if err != nil {
			return err
		}
		for rows.Next() {
			var i int
			var x, y float64
			var derived string
			var known bool
			var problem *string
			if err := rows.Scan(&i, &x, &y, &derived, &known, &problem); err != nil {
				rows.Close()
				return err
			}
			r := sites[i-1]
			code := r.ISTATCode
			switch {
			case math.IsInf(x, 0) || math.IsInf(y, 0) || math.IsNaN(x) || math.IsNaN(y):
				rows.Close()
				return rowError(op, opts, r.Ref, "geometry", "the point is outside the area of EPSG:%d", opts.srid())
			case code == "" && derived == "":
				rows.Close()
				return rowError(op, opts, r.Ref, "istat_code", "the point (%.6f, %.6f) lies in no comune loaded: check it, or give istat_code", x, y)
			case !known:
				rows.Close()
				return rowError(op, opts, r.Ref, "istat_code", "comune %s is not loaded", code)
			case problem != nil:
				rows.Close()
				in := "no comune loaded"
				if derived != "" {
					in = "comune " + derived
				}
				msg := fmt.Sprintf("the point (%.6f, %.6f) %s: it is in %s", x, y, *problem, in)
				return &apperr.Error{Op: op, Kind: apperr.Unprocessable, Msg: rowWhere(opts, r.Ref) + ": geometry: " + msg,
					Fields: []apperr.FieldError{{Field: "geometry", Reason: msg}}}
			}
			if code == "" {
				code = derived
			}
			if !slices.Contains(comuni, code) {
				rows.Close()
				return rowError(op, opts, r.Ref, "istat_code", "comune %s is not among the community's comuni (%s): add it to the community first",
					code, strings.Join(comuni, ", "))
			}
			xs[i-1], ys[i-1], codes[i-1] = x, y, code
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if opts.Replace {
			var old []int64
			if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(id), '{}') FROM cer_sites WHERE community_id = $1`, communityID).Scan(&old); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, auditSitesSQL, opts.actor(), LayerSites, old, true); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM cer_sites WHERE id = ANY ($1)`, old); err != nil {
				return err
			}
			sum.Deleted = len(old)
		}
		rows, err = tx.Query(ctx, insertSitesSQL, communityID, kinds, names, cats, pvs, sts, cos, codes, xs, ys, opts.Source, opts.Synthetic)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		sum.Inserted = len(ids)
		_, err = tx.Exec(ctx, auditSitesSQL, opts.actor(), LayerSites, ids, false)
		return err
	})
	sum.Duration = time.Since(start)
	if err != nil {
		return LoadSummary{}, store.Translate(op, err)
	}
	return sum, nil
}
