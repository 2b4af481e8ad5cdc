package importer

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jonas-p/go-shp"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/geo/geotest"
	"github.com/cremasco/atlante/internal/apperr"
	"github.com/cremasco/atlante/internal/store/storetest"
)

// overLimits are geometries just over each of geo.DefaultLimits, with the
// message the reader must give.
func overLimits() []struct {
	name string
	g    orb.Geometry
	want string
} {
	l := geo.DefaultLimits
	var parts, rings orb.MultiPolygon
	for i := range l.Parts + 1 {
		parts = append(parts, orb.Polygon{geotest.Square(9.6+float64(i)*1e-4, 45.3, 5e-5)})
	}
	per := l.Rings / l.Parts // rings per polygon, shell included
	for i := range l.Parts {
		p := orb.Polygon{geotest.Square(9.6+float64(i)*1e-3, 45.3, 9e-4)}
		for j := range per - 1 {
			p = append(p, triangle(9.6+float64(i)*1e-3+float64(j)*1e-4+1e-5, 45.3+1e-5, 5e-5))
		}
		rings = append(rings, p)
	}
	rings[0] = append(rings[0], triangle(9.6+1e-5, 45.3+5e-4, 1e-5)) // one ring too many
	holes := geotest.Holes(l.Holes+1, 5, 0)
	return []struct {
		name string
		g    orb.Geometry
		want string
	}{
		{"vertices", orb.Polygon{geotest.Circle(orb.Point{9.65, 45.35}, 0.01, l.Vertices, false)},
			"the Polygon has 50,001 vertices; at most 50,000 are accepted"},
		{"parts", parts, "the MultiPolygon has 1,001 parts; at most 1,000 are accepted"},
		{"rings", rings, "the MultiPolygon has 10,001 rings; at most 10,000 are accepted"},
		{"holes", holes, "a polygon of the Polygon has 1,001 holes; at most 1,000 are accepted"},
		{"depth", geotest.Nested(l.Depth + 1), "the GeometryCollection nests GeometryCollections 5 deep; at most 4 are accepted"},
	}
}

// TestGeoJSONReaderLimits: a feature over a limit stops the reader with
// the file, the line, the feature, the field and the limit, before any
// check that grows with the geometry.
func TestGeoJSONReaderLimits(t *testing.T) {
	t.Parallel()
	for _, tt := range overLimits() {
		t.Run(tt.name, func(t *testing.T) {
			fc := geojson.NewFeatureCollection()
			fc.Append(geojson.NewFeature(orb.Point{9.6, 45.3}))
			fc.Append(geojson.NewFeature(tt.g))
			b, err := json.Marshal(fc)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = readAll(t, string(b), OpenOptions{})
			want := "t.geojson:1:"
			if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "features[1]: geometry: "+tt.want) {
				t.Fatalf("reading a feature over the %s limit: %v, want an error naming %q, features[1], geometry and %q", tt.name, err, want, tt.want)
			}
		})
	}
}

// TestImportOverLimitChangesNothing imports comuni whose file holds one
// boundary over the vertex limit: the import fails naming file, feature
// and limit, and the database keeps what it had.
func TestImportOverLimitChangesNothing(t *testing.T) {
	ctx := context.Background()
	im, pool := newImporter(t)
	if _, err := im.Comuni(ctx, storetest.SharedData(t, "cremona-comuni.geojson"), ComuniOptions{Province: "019"}); err != nil {
		t.Fatal(err)
	}
	var before string
	if err := pool.QueryRow(ctx, `SELECT md5(string_agg(istat_code || name || ST_AsEWKB(geom)::text || updated_at::text, ',' ORDER BY istat_code)) FROM comuni`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	huge := geojson.NewFeature(orb.Polygon{geotest.Circle(orb.Point{9.69, 45.36}, 0.02, 60_000, false)})
	huge.Properties = geojson.Properties{"pro_com_t": "019035", "name": "Crema", "cod_prov": "019"}
	b, err := json.Marshal(geojson.NewFeatureCollection().Append(huge))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "crema-dettagliato.geojson")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = im.Comuni(ctx, path, ComuniOptions{Province: "019"})
	for _, w := range []string{"crema-dettagliato.geojson:1:", "features[0]", "geometry: the Polygon has 60,001 vertices; at most 50,000 are accepted"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Fatalf("import of a boundary over the vertex limit: %v, want an error containing %q", err, w)
		}
	}
	if k := apperr.KindOf(err); k != apperr.Invalid {
		t.Errorf("import: kind %v, want invalid", k)
	}
	var after string
	if err := pool.QueryRow(ctx, `SELECT md5(string_agg(istat_code || name || ST_AsEWKB(geom)::text || updated_at::text, ',' ORDER BY istat_code)) FROM comuni`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if n := count(t, pool); n != 113 || after != before {
		t.Errorf("the failed import changed the database: %d comuni (want 113), content changed %v", n, after != before)
	}
}

// triangle is the smallest ring (4 positions), clockwise, for a hole.
func triangle(x, y, d float64) orb.Ring {
	return orb.Ring{{x, y}, {x, y + d}, {x + d, y}, {x, y}}
}

// TestShapefileReaderLimits: a Shapefile record over the limits stops the
// reader with the record and the limit, before its rings are assembled.
func TestShapefileReaderLimits(t *testing.T) {
	t.Parallel()
	l := geo.DefaultLimits
	ring := func(n int) []shp.Point { // clockwise: an outer ring
		ps := make([]shp.Point, 0, n)
		for i := range n - 1 {
			a := -2 * math.Pi * float64(i) / float64(n-1)
			ps = append(ps, shp.Point{X: x0 + 1000*math.Cos(a), Y: y0 + 1000*math.Sin(a)})
		}
		return append(ps, ps[0])
	}
	manyHoles := [][]shp.Point{cwSquare(x0, y0, 100_000)}
	for i := range l.Holes + 1 {
		manyHoles = append(manyHoles, ccwSquare(x0+float64(i%100)*900+10, y0+float64(i/100)*900+10, 500))
	}
	manyRings := make([][]shp.Point, l.Rings+1)
	for i := range manyRings {
		x := x0 + float64(i)*20 // a clockwise triangle: 4 positions
		manyRings[i] = []shp.Point{{X: x, Y: y0}, {X: x, Y: y0 + 10}, {X: x + 10, Y: y0}, {X: x, Y: y0}}
	}
	tests := []struct {
		name  string
		parts [][]shp.Point
		want  string
	}{
		{"vertices", [][]shp.Point{ring(l.Vertices + 1)}, "record 1: the shape has 50,001 vertices; at most 50,000 are accepted"},
		{"rings", manyRings, "record 1: the shape has 10,001 parts (rings or lines); at most 10,000 are accepted"},
		{"holes", manyHoles, "record 1: geometry: a polygon of the MultiPolygon has 1,001 holes; at most 1,000 are accepted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeShapefile(t, t.TempDir(), "big", []testComune{{code: "019035", name: "Crema", prov: 19, parts: tt.parts}}, shpOptions{})
			_, _, err := readShapefile(t, path, OpenOptions{})
			if err == nil || !strings.Contains(err.Error(), "big.shp") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("reading a record over the %s limit: %v, want an error naming big.shp and %q", tt.name, err, tt.want)
			}
		})
	}
}
