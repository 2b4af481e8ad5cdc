package importer

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/paulmach/orb/geojson"

	"github.com/cremasco/atlante/geo"
	"github.com/cremasco/atlante/internal/store/storetest"
)

// TestImportItalianCRSs imports the same comuni in RDN2008 / UTM 32N
// (EPSG:6707, declared in the file as ogr2ogr writes it), in Monte Mario /
// Italy zone 1 (EPSG:3003, Gauss-Boaga) and in EPSG:6707 given with --crs,
// and checks each against the CRS84 import: within a centimetre everywhere.
// The files are made by PostGIS from the CRS84 one, x (easting) first as
// GeoJSON 2008 has it whatever the CRS's own axis order.
func TestImportItalianCRSs(t *testing.T) {
	ctx := context.Background()
	im, pool := newImporter(t)
	src := storetest.SharedData(t, "cremona-comuni.geojson")
	if _, err := im.Comuni(ctx, src, ComuniOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `CREATE TABLE reference AS SELECT istat_code, geom FROM comuni`); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		t.Fatal(err)
	}
	// write returns the file of the comuni in srid, with a crs member or
	// without one.
	write := func(srid geo.SRID, member bool) string {
		out := map[string]any{"type": "FeatureCollection"}
		if member {
			out["crs"] = map[string]any{"type": "name", "properties": map[string]any{"name": "urn:ogc:def:crs:EPSG::" + strconv.Itoa(int(srid))}}
		}
		var feats []any
		for _, f := range fc.Features {
			g, err := geojson.NewGeometry(f.Geometry).MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			var moved string
			if err := pool.QueryRow(ctx, `SELECT ST_AsGeoJSON(ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON($1), 4326), $2::int), 3, 0)`,
				string(g), int(srid)).Scan(&moved); err != nil {
				t.Fatal(err)
			}
			feats = append(feats, map[string]any{"type": "Feature", "properties": f.Properties, "geometry": json.RawMessage(moved)})
		}
		out["features"] = feats
		data, err := json.Marshal(out)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "comuni-"+strconv.Itoa(int(srid))+".geojson")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tt := range []struct {
		name   string
		srid   geo.SRID
		member bool
	}{
		{"EPSG:6707 in the file", 6707, true},
		{"EPSG:3003 in the file", 3003, true},
		{"EPSG:6707 by --crs", 6707, false},
	} {
		path := write(tt.srid, tt.member)
		opts := ComuniOptions{}
		if !tt.member {
			opts.CRS = tt.srid
		}
		rep, err := im.Comuni(ctx, path, opts)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if rep.SRID != tt.srid || rep.Read != 113 || rep.Updated != 113 || len(rep.Rejected) != 0 {
			t.Errorf("%s: report %+v; want EPSG:%d, 113 read and updated, none rejected", tt.name, rep, tt.srid)
		}
		var n int
		var worst float64
		if err := pool.QueryRow(ctx, `SELECT count(*), max(ST_HausdorffDistance(ST_Transform(c.geom, 32632), ST_Transform(r.geom, 32632)))
			FROM comuni c JOIN reference r USING (istat_code)`).Scan(&n, &worst); err != nil {
			t.Fatal(err)
		}
		if n != 113 || worst > 0.01 {
			t.Errorf("%s: %d comuni, farthest %.4f m from the CRS84 import; want 113 within 0.01 m", tt.name, n, worst)
		}
		t.Logf("%s: farthest vertex %.4f m from the CRS84 import", tt.name, worst)
	}
}
