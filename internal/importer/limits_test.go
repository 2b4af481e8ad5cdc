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

// TestGeoJSONReaderLimits: a feature over a limit stops the reader with
// the file, the line, the feature, the field and the limit, before any
// check that grows with the geometry.
func TestGeoJSONReaderLimits(t *testing.T) {
	t.Parallel()
	for _, tt := range geotest.OverLimits() {
		t.Run(tt.Name, func(t *testing.T) {
			fc := geojson.NewFeatureCollection()
			fc.Append(geojson.NewFeature(orb.Point{9.6, 45.3}))
			fc.Append(geojson.NewFeature(tt.G))
			b, err := json.Marshal(fc)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = readAll(t, string(b), OpenOptions{})
			want := "t.geojson:1:"
			if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "features[1]: geometry: "+tt.Want) {
				t.Fatalf("reading a feature over the %s limit: %v, want an error naming %q, features[1], geometry and %q", tt.Name, err, want, tt.Want)
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
