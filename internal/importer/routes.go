package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/geo/repair"
	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/coverage"
	"github.com/cremasco/atlante/internal/store"
)

// RoutesOptions say how to import network routes.
type RoutesOptions struct {
	// CRS overrides the CRS the file declares; 0 uses the file's.
	CRS geo.SRID
	// Replace deletes the routes of the same Source first, in the same
	// transaction, so that re-importing a file does not double the network.
	Replace bool
	// Strict fails the whole import when any feature is rejected; by
	// default rejected features are left out and listed in the report.
	Strict bool
	// Layer chooses the Shapefile of an archive holding several.
	Layer string
	// Source is stored with every route; by default derived from the file
	// name. Replace deletes the routes stored with it.
	Source string
	// Progress, if set, is called as features are read (often: throttle it).
	Progress func(Progress)
	// Limits bound what the file may make the import read (zero: the defaults).
	Limits Limits
}

// The property names of a route, matched without regard to case.
var (
	routeProgrammeKeys = []string{"programme", "programma"}
	routeOperatorKeys  = []string{"operator", "operatore"}
	routeStatusKeys    = []string{"status", "stato"}
	routeNameKeys      = []string{"name", "nome"}
)

// Routes imports fibre network routes from GeoJSON (or a Shapefile, see
// Open) in one transaction: every feature needs a LineString or
// MultiLineString that passes geo/repair's checks, and properties
// programme, operator and status (name is optional); features that do not
// are left out and listed (opts.Strict: the import fails instead).
// Geometries are converted from the file's CRS to EPSG:4326 by PostGIS.
// On error nothing is changed.
func (im *Importer) Routes(ctx context.Context, path string, opts RoutesOptions) (*Report, error) {
	const op = "importer.Routes"
	start := time.Now()
	if opts.CRS != 0 {
		known, err := sridKnown(ctx, im.pool, opts.CRS)
		if err != nil {
			return nil, err
		}
		if !known {
			return nil, apperr.Invalidf(op, "crs", "unknown CRS %s: PostGIS has no definition for it (spatial_ref_sys)", opts.CRS)
		}
	}
	r, err := Open(path, OpenOptions{CRS: opts.CRS, Layer: opts.Layer, Limits: opts.Limits})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	routes, rep, err := ReadRoutes(ctx, r, opts)
	if err != nil {
		return rep, err
	}
	if opts.Strict && len(rep.Rejected) > 0 {
		return rep, rep.strictRejection(op, "feature", "features")
	}
	if len(routes) == 0 {
		return rep, apperr.New(op, apperr.Invalid, "%s: no route to import (%d features read, %d rejected)", rep.File, rep.Read, len(rep.Rejected))
	}
	if rep.SRID != geo.WGS84 {
		if opts.CRS == 0 {
			known, err := sridKnown(ctx, im.pool, rep.SRID)
			if err != nil {
				return rep, err
			}
			if !known {
				return rep, fileError(op, rep.File, 0, 0, "", "crs", fmt.Sprintf("unknown CRS %s: PostGIS has no definition for it (spatial_ref_sys); give the right one with --crs", rep.SRID), nil)
			}
		}
		if err := toWGS84(ctx, im.pool, routes, rep.SRID); err != nil {
			return rep, fmt.Errorf("%s: %w", rep.File, err)
		}
	}
	if opts.Source == "" {
		opts.Source = "imported from " + filepath.Base(path)
	}
	sum, err := coverage.NewStore(im.pool).LoadRoutes(ctx, routes, coverage.LoadOptions{Source: opts.Source}, opts.Replace)
	if err != nil {
		return rep, fmt.Errorf("%s: %w", rep.File, err)
	}
	rep.Inserted, rep.Loaded = sum.Inserted, true
	if opts.Replace {
		rep.Deleted = sum.Updated // LoadRoutes counts the routes it replaced as updated
	}
	rep.Duration = time.Since(start)
	im.logger.Info("network routes imported", "file", rep.File, "format", rep.Format, "srid", int(rep.SRID),
		"read", rep.Read, "inserted", rep.Inserted, "deleted", rep.Deleted, "rejected", len(rep.Rejected),
		"duration", rep.Duration.Round(time.Millisecond))
	return rep, nil
}

// ReadRoutes reads every feature of r and maps it to a route: programme,
// operator, status and name from the properties, the geometry a
// LineString or MultiLineString checked with geo/repair, in r's CRS. A
// feature with a bad property or geometry is left out and listed in the
// report's Rejected; a malformed file is an error. opts.Strict is for the
// caller to apply. No database is needed.
func ReadRoutes(ctx context.Context, r Reader, opts RoutesOptions) ([]coverage.Route, *Report, error) {
	const op = "importer.ReadRoutes"
	file := r.Name()
	rep := &Report{File: file, Format: r.Format()}
	checker := repair.NewChecker()
	var routes []coverage.Route
	type place struct {
		ref       string
		line, col int
	}
	var where []place
	for {
		if rep.Read%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, rep, err
			}
		}
		if opts.Strict && len(rep.Rejected) > 0 {
			break // the import fails: reading on would only cost time
		}
		f, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, rep, err
		}
		rep.Read++
		if opts.Progress != nil {
			opts.Progress(r.Progress())
		}
		route, reason := mapRoute(checker, f)
		if reason != "" {
			name, _, _ := f.Properties.Text(routeNameKeys...)
			rep.Rejected = append(rep.Rejected, Issue{Feature: f.Ref(), Name: name, Reason: reason})
			continue
		}
		routes = append(routes, route)
		where = append(where, place{f.Ref(), f.Line, f.Column})
	}
	rep.SRID = r.SRID()
	// As for comuni: a file taken as CRS84 must hold longitudes and latitudes.
	if rep.SRID == geo.WGS84 {
		for i, rt := range routes {
			b := rt.Geom.Bound()
			if b.Min[0] < -180 || b.Max[0] > 180 || b.Min[1] < -90 || b.Max[1] > 90 {
				w := where[i]
				return nil, rep, fileError(op, file, w.line, w.col, w.ref, "geometry",
					fmt.Sprintf("coordinates such as (%s %s) are not longitude and latitude, but the file declares no other CRS; give it with --crs",
						strconv.FormatFloat(b.Min[0], 'f', -1, 64), strconv.FormatFloat(b.Min[1], 'f', -1, 64)), nil)
			}
		}
	}
	return routes, rep, nil
}

// mapRoute maps one feature to a route, or says why it cannot be one.
func mapRoute(checker *repair.Checker, f Feature) (coverage.Route, string) {
	rt := coverage.Route{Line: f.Index}
	var ok bool
	p, key, _ := f.Properties.Text(routeProgrammeKeys...)
	if rt.Programme, ok = closed(p, coverage.Programmes); !ok {
		if key == "" {
			return rt, "programme: missing; want one of " + strings.Join(coverage.Programmes, ", ")
		}
		return rt, fmt.Sprintf("%s: %q is not a programme (%s)", key, truncate(p, 30), strings.Join(coverage.Programmes, ", "))
	}
	if rt.Operator, _, ok = f.Properties.Text(routeOperatorKeys...); !ok {
		return rt, "operator: missing"
	}
	if len(rt.Operator) > maxOperator {
		return rt, fmt.Sprintf("operator: longer than %d bytes", maxOperator)
	}
	s, key, _ := f.Properties.Text(routeStatusKeys...)
	if rt.Status, ok = closed(s, coverage.Statuses); !ok {
		if key == "" {
			return rt, "status: missing; want one of " + strings.Join(coverage.Statuses, ", ")
		}
		return rt, fmt.Sprintf("%s: %q is not a status (%s)", key, truncate(s, 30), strings.Join(coverage.Statuses, ", "))
	}
	rt.Name, _, _ = f.Properties.Text(routeNameKeys...)
	switch g := f.Geometry.(type) {
	case nil:
		return rt, "geometry is missing, expected LineString or MultiLineString"
	case orb.LineString:
		rt.Geom = orb.MultiLineString{g}
	case orb.MultiLineString:
		rt.Geom = g
	default:
		return rt, "expected LineString or MultiLineString, got " + f.Geometry.GeoJSONType()
	}
	if _, err := checker.Check(rt.Geom); err != nil {
		return rt, err.Error()
	}
	return rt, ""
}

const toWGS84SQL = `
SELECT ST_AsBinary(ST_Transform(ST_SetSRID(ST_GeomFromWKB(t.w), $2), 4326))
FROM unnest($1::bytea[]) WITH ORDINALITY AS t(w, i) ORDER BY t.i`

// toWGS84 converts the routes' geometries from srid to EPSG:4326 in
// PostGIS (a read-only query; the load is a transaction of its own).
func toWGS84(ctx context.Context, pool *pgxpool.Pool, routes []coverage.Route, srid geo.SRID) error {
	const op = "importer.toWGS84"
	in := make([][]byte, len(routes))
	for i, rt := range routes {
		b, err := wkb.Marshal(rt.Geom)
		if err != nil {
			return apperr.Wrap(op, apperr.Internal, err, "cannot encode a geometry")
		}
		in[i] = b
	}
	rows, err := pool.Query(ctx, toWGS84SQL, in, int(srid))
	if err != nil {
		return store.Translate(op, err)
	}
	defer rows.Close()
	i := 0
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return store.Translate(op, err)
		}
		g, err := wkb.Unmarshal(b)
		if err != nil {
			return apperr.Wrap(op, apperr.Internal, err, "cannot decode a converted geometry")
		}
		ml, ok := g.(orb.MultiLineString)
		if !ok || i >= len(routes) {
			return apperr.New(op, apperr.Internal, "conversion returned %T", g)
		}
		for _, l := range ml {
			for _, p := range l {
				if math.IsNaN(p[0]) || math.IsInf(p[0], 0) || math.IsNaN(p[1]) || math.IsInf(p[1], 0) {
					return apperr.New(op, apperr.Invalid, "route %d: its coordinates are outside the area of %s", routes[i].Line, srid)
				}
			}
		}
		routes[i].Geom = ml
		i++
	}
	if err := rows.Err(); err != nil {
		return store.Translate(op, err)
	}
	if i != len(routes) {
		return apperr.New(op, apperr.Internal, "conversion returned %d geometries for %d", i, len(routes))
	}
	return nil
}
