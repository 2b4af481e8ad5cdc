package importer

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/internal/apperr"
)

func routeFeature(id, props, geom string) string {
	return `{"type":"Feature","id":"` + id + `","properties":` + props + `,"geometry":` + geom + `}`
}

// routesGeoJSON has two good routes and four that must be rejected.
func routesGeoJSON(crs string, coords func(x, y float64) string) string {
	line := func(pts ...[2]float64) string {
		s := make([]string, len(pts))
		for i, p := range pts {
			s[i] = coords(p[0], p[1])
		}
		return "[" + strings.Join(s, ",") + "]"
	}
	p := func(x, y float64) [2]float64 { return [2]float64{x, y} }
	fs := []string{
		routeFeature("r1", `{"programme":"aree_bianche","operator":"Open Fiber","status":"active","name":"Dorsale Crema"}`,
			`{"type":"LineString","coordinates":`+line(p(0, 0), p(1000, 0), p(1000, 1000))+`}`),
		routeFeature("r2", `{"Programme":"Aree Grigie","OPERATOR":"FiberCop","status":"planned"}`,
			`{"type":"MultiLineString","coordinates":[`+line(p(0, 2000), p(500, 2000))+`,`+line(p(600, 2000), p(1100, 2000))+`]}`),
		routeFeature("bad1", `{"programme":"commercial","operator":"TIM","status":"active","name":"Stub"}`,
			`{"type":"LineString","coordinates":`+line(p(50, 50), p(50, 50))+`}`),
		routeFeature("bad2", `{"programme":"commercial","operator":"TIM","status":"active"}`,
			`{"type":"Polygon","coordinates":[`+line(p(0, 0), p(10, 0), p(10, 10), p(0, 0))+`]}`),
		routeFeature("bad3", `{"programme":"fibra","operator":"TIM","status":"active"}`,
			`{"type":"LineString","coordinates":`+line(p(0, 0), p(10, 10))+`}`),
		routeFeature("bad4", `{"programme":"commercial","status":"active"}`,
			`{"type":"LineString","coordinates":`+line(p(0, 0), p(10, 10))+`}`),
	}
	head := `{"type":"FeatureCollection",`
	if crs != "" {
		head += `"crs":{"type":"name","properties":{"name":"` + crs + `"}},`
	}
	return head + "\n" + `"features":[` + "\n" + strings.Join(fs, ",\n") + "\n]}\n"
}

func TestImportRoutes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// Near Crema: in lon/lat (1 unit = 1e-5 degrees) and in UTM 32N (1 unit = 1 m).
	lonlat := filepath.Join(dir, "routes.geojson")
	writeFile(t, lonlat, routesGeoJSON("", func(x, y float64) string { return fmt.Sprintf("[%g,%g]", 9.68+x*1e-5, 45.36+y*1e-5) }))
	utm := filepath.Join(dir, "routes-32632.geojson")
	writeFile(t, utm, routesGeoJSON("urn:ogc:def:crs:EPSG::32632", func(x, y float64) string { return fmt.Sprintf("[%g,%g]", 553000+x, 5023000+y) }))
	wantRejected := []string{
		`features[2] (id "bad1") Stub: line 1: LineString has fewer than 2 distinct points`,
		`features[3] (id "bad2"): expected LineString or MultiLineString, got Polygon`,
		`features[4] (id "bad3"): programme: "fibra" is not a programme (aree_bianche, aree_grigie, commercial)`,
		`features[5] (id "bad4"): operator: missing`,
	}
	for _, tt := range []struct {
		name     string
		path     string
		srid     geo.SRID
		lengthM1 float64 // the length of r1
	}{
		{"CRS84", lonlat, geo.WGS84, 782 + 1111}, // 0.01° of longitude and of latitude at 45.36°N
		{"EPSG:32632", utm, geo.UTM32N, 2000},
	} {
		t.Run(tt.name, func(t *testing.T) {
			im, pool := newImporter(t)
			rep, err := im.Routes(ctx, tt.path, RoutesOptions{})
			if err != nil {
				t.Fatal(err)
			}
			t.Log(rep.Summary())
			if rep.Read != 6 || rep.Inserted != 2 || rep.SRID != tt.srid || !rep.Loaded {
				t.Errorf("report %+v; want read 6, inserted 2, %s, loaded", rep, tt.srid)
			}
			var got []string
			for _, i := range rep.Rejected {
				got = append(got, i.String())
			}
			if len(got) != len(wantRejected) {
				t.Fatalf("rejected = %q, want %q", got, wantRejected)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], wantRejected[i]) {
					t.Errorf("rejected[%d] = %q, want it to start with %q", i, got[i], wantRejected[i])
				}
			}
			rows, err := pool.Query(ctx, `SELECT coalesce(name, ''), programme, operator, status, ST_NumGeometries(geom), length_m,
				ST_XMin(geom), ST_YMin(geom), source FROM network_routes ORDER BY id`)
			if err != nil {
				t.Fatal(err)
			}
			var routes []string
			var lengths []float64
			for rows.Next() {
				var name, prog, oper, status, source string
				var parts int
				var length, x, y float64
				if err := rows.Scan(&name, &prog, &oper, &status, &parts, &length, &x, &y, &source); err != nil {
					t.Fatal(err)
				}
				routes = append(routes, fmt.Sprintf("%s %s %s %s %d", name, prog, oper, status, parts))
				lengths = append(lengths, length)
				if x < 9.67 || x > 9.70 || y < 45.35 || y > 45.38 || source != "imported from "+filepath.Base(tt.path) {
					t.Errorf("route %q starts at (%v %v), source %q; want near Crema (9.68 45.36), from the file", name, x, y, source)
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			want := []string{"Dorsale Crema aree_bianche Open Fiber active 1", " aree_grigie FiberCop planned 2"}
			if !slices.Equal(routes, want) {
				t.Errorf("routes = %q, want %q", routes, want)
			}
			if len(lengths) == 2 && (lengths[0] < tt.lengthM1*0.99 || lengths[0] > tt.lengthM1*1.01) {
				t.Errorf("r1 is %.1f m long, want %.1f ± 1%%", lengths[0], tt.lengthM1)
			}

			// --replace: loading the file again replaces its routes.
			rep, err = im.Routes(ctx, tt.path, RoutesOptions{Replace: true})
			if err != nil {
				t.Fatal(err)
			}
			var n int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM network_routes`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 2 || rep.Deleted != 2 || rep.Inserted != 2 || !strings.Contains(rep.Summary(), "replaced 2") {
				t.Errorf("with --replace: %d routes stored, deleted %d, inserted %d; want 2, 2, 2", n, rep.Deleted, rep.Inserted)
			}
		})
	}

	t.Run("failures change nothing", func(t *testing.T) {
		im, pool := newImporter(t)
		if _, err := im.Routes(ctx, lonlat, RoutesOptions{}); err != nil {
			t.Fatal(err)
		}
		before := checksum(t, pool)
		noCRS := filepath.Join(dir, "utm-without-crs.geojson")
		writeFile(t, noCRS, routesGeoJSON("", func(x, y float64) string { return fmt.Sprintf("[%g,%g]", 553000+x, 5023000+y) }))
		onlyBad := filepath.Join(dir, "bad.geojson")
		writeFile(t, onlyBad, `{"type":"FeatureCollection","features":[`+routeFeature("x", `{"programme":"commercial","operator":"TIM","status":"active"}`, `{"type":"Point","coordinates":[9.7,45.3]}`)+`]}`)
		for _, tt := range []struct {
			name string
			path string
			opts RoutesOptions
			kind apperr.Kind
			want string
		}{
			{"strict with an invalid geometry", lonlat, RoutesOptions{Strict: true, Replace: true}, apperr.Unprocessable,
				`routes.geojson: 1 feature was rejected and strict mode is on, so the import stopped there and nothing was imported: features[2] (id "bad1") Stub: line 1: LineString has fewer than 2 distinct points`},
			{"projected coordinates without a CRS", noCRS, RoutesOptions{}, apperr.Invalid,
				`utm-without-crs.geojson:3:1: features[0] (id "r1"): geometry: coordinates such as (553000 5023000) are not longitude and latitude`},
			{"nothing to import", onlyBad, RoutesOptions{Replace: true}, apperr.Invalid, "bad.geojson: no route to import (1 features read, 1 rejected)"},
			{"CRS unknown to PostGIS", lonlat, RoutesOptions{CRS: 990000}, apperr.Invalid, "crs: unknown CRS EPSG:990000"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, err := im.Routes(ctx, tt.path, tt.opts)
				if err == nil || !strings.Contains(err.Error(), tt.want) || apperr.KindOf(err) != tt.kind {
					t.Fatalf("import: error %v (%v), want %v containing %q", err, apperr.KindOf(err), tt.kind, tt.want)
				}
				if after := checksum(t, pool); after != before {
					t.Errorf("the failed import changed the database:\nbefore %s\nafter  %s", before, after)
				}
			})
		}
	})
}
