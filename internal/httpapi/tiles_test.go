package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"

	"github.com/cremasco/atlante/internal/testserver"
)

// cremaTile is the tile at zoom 12 that holds a point inside Crema
// (checked by TestTiles).
var cremaTile = maptile.New(2158, 1467, 12)

// tilePath returns the tile's URL path in the /tiles scheme.
func tilePath(layer string, t maptile.Tile) string {
	return fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", layer, t.Z, t.X, t.Y)
}

// ogcTilePath returns the tile's URL path in OGC API – Tiles terms
// (tileMatrix/tileRow/tileCol).
func ogcTilePath(layer string, t maptile.Tile) string {
	return fmt.Sprintf("/collections/%s/tiles/WebMercatorQuad/%d/%d/%d", layer, t.Z, t.Y, t.X)
}

// decodeTile decodes an MVT and projects it to WGS84.
func decodeTile(tb testing.TB, data []byte, t maptile.Tile) mvt.Layers {
	tb.Helper()
	ls, err := mvt.Unmarshal(data)
	if err != nil {
		tb.Fatalf("decode tile %v: %v", t, err)
	}
	ls.ProjectToWGS84(t)
	return ls
}

// tileFeatures returns the features of the one layer "comuni" in the
// tile, sorted by istat_code.
func tileFeatures(tb testing.TB, ls mvt.Layers) []*geojson.Feature {
	tb.Helper()
	var names []string
	for _, l := range ls {
		names = append(names, l.Name)
	}
	if !slices.Equal(names, []string{"comuni"}) {
		tb.Fatalf("tile layers = %v, want [comuni]", names)
	}
	l := ls[0]
	if l.Version != 2 || l.Extent != 4096 {
		tb.Errorf("layer version, extent = %d, %d, want 2, 4096", l.Version, l.Extent)
	}
	fs := slices.Clone(l.Features)
	sort.Slice(fs, func(i, j int) bool {
		a, _ := fs[i].Properties["istat_code"].(string)
		b, _ := fs[j].Properties["istat_code"].(string)
		return a < b
	})
	return fs
}

// TestTiles checks the vector tiles: content, the golden tile, caching
// headers, TileJSON and the OGC API – Tiles alias.
func TestTiles(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni"}})
	cremaPt := centroidOf(t, allComuni(t, s), crema)
	if got := maptile.At(cremaPt, cremaTile.Z); got != cremaTile {
		t.Fatalf("the tile holding Crema's centroid is %v, want %v: update cremaTile", got, cremaTile)
	}

	t.Run("crema", func(t *testing.T) {
		res, body := get(t, s.URL+tilePath("comuni", cremaTile), http.StatusOK)
		checkMediaType(t, res, "application/vnd.mapbox-vector-tile")
		fs := tileFeatures(t, decodeTile(t, body, cremaTile))
		var found bool
		for _, f := range fs {
			var keys []string
			for k := range f.Properties {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			// Only the lean tile properties, never source or area.
			if want := []string{"consortium", "istat_code", "name", "synthetic"}; !slices.Equal(keys, want) {
				t.Errorf("feature %v: properties %v, want %v", f.Properties["istat_code"], keys, want)
			}
			if f.Properties["istat_code"] == crema {
				found = true
				if f.Properties["name"] != "Crema" || f.Properties["consortium"] != true {
					t.Errorf("Crema's tile properties = %v", f.Properties)
				}
				mp, ok := f.Geometry.(orb.MultiPolygon)
				if p, isPoly := f.Geometry.(orb.Polygon); isPoly {
					mp, ok = orb.MultiPolygon{p}, true
				}
				if !ok || !containsPoint(mp, cremaPt) {
					t.Errorf("Crema's tile geometry (%T) does not hold its centroid %v", f.Geometry, cremaPt)
				}
			}
		}
		if !found {
			t.Errorf("tile %v has no feature with istat_code 019035; got %d features", cremaTile, len(fs))
		}
	})

	t.Run("golden", func(t *testing.T) {
		_, body := get(t, s.URL+tilePath("comuni", cremaTile), http.StatusOK)
		fc := geojson.NewFeatureCollection()
		fc.Features = tileFeatures(t, decodeTile(t, body, cremaTile))
		// One tile unit in degrees of longitude: snapping to the MVT grid
		// may move a vertex by that much between PostGIS versions.
		eps := 360 / math.Exp2(float64(cremaTile.Z)) / 4096
		checkGoldenGeoJSON(t, fmt.Sprintf("tile_comuni_%d_%d_%d.golden.geojson", cremaTile.Z, cremaTile.X, cremaTile.Y), fc, eps)
	})

	t.Run("empty_tile", func(t *testing.T) {
		// Far from the Cremasco: a valid, empty tile.
		res, body := get(t, s.URL+"/tiles/comuni/10/0/0.mvt", http.StatusOK)
		checkMediaType(t, res, "application/vnd.mapbox-vector-tile")
		ls, err := mvt.Unmarshal(body)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, l := range ls {
			n += len(l.Features)
		}
		if n != 0 {
			t.Errorf("tile 10/0/0 has %d features, want none", n)
		}
	})

	t.Run("caching_headers", func(t *testing.T) {
		u := s.URL + tilePath("comuni", cremaTile)
		res, body := get(t, u, http.StatusOK)
		etag := res.Header.Get("ETag")
		if !strings.HasPrefix(etag, `"`) || !strings.HasSuffix(etag, `"`) || len(etag) < 3 {
			t.Errorf("ETag = %q, want a quoted entity tag", etag)
		}
		if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=") {
			t.Errorf("Cache-Control = %q, want a max-age", cc)
		}
		if len(body) == 0 {
			t.Fatalf("empty tile body")
		}
		res, body = get(t, u, http.StatusNotModified, "If-None-Match", etag)
		if len(body) != 0 {
			t.Errorf("304 has a body of %d bytes, want none", len(body))
		}
		if got := res.Header.Get("ETag"); got != etag {
			t.Errorf("304 ETag = %q, want %q", got, etag)
		}
		get(t, u, http.StatusOK, "If-None-Match", `"something-else"`)
	})

	t.Run("ogc_alias", func(t *testing.T) {
		_, a := get(t, s.URL+tilePath("comuni", cremaTile), http.StatusOK)
		res, b := get(t, s.URL+ogcTilePath("comuni", cremaTile), http.StatusOK)
		checkMediaType(t, res, "application/vnd.mapbox-vector-tile")
		ga, _ := json.Marshal(tileFeatures(t, decodeTile(t, a, cremaTile)))
		gb, _ := json.Marshal(tileFeatures(t, decodeTile(t, b, cremaTile)))
		if !bytes.Equal(ga, gb) {
			t.Errorf("%s differs from %s", ogcTilePath("comuni", cremaTile), tilePath("comuni", cremaTile))
		}
	})

	t.Run("tilejson", func(t *testing.T) {
		var tj struct {
			TileJSON     string    `json:"tilejson"`
			Tiles        []string  `json:"tiles"`
			Bounds       []float64 `json:"bounds"`
			MinZoom      *int      `json:"minzoom"`
			MaxZoom      *int      `json:"maxzoom"`
			VectorLayers []struct {
				ID     string            `json:"id"`
				Fields map[string]string `json:"fields"`
			} `json:"vector_layers"`
		}
		res := getJSON(t, s.URL+"/tiles/comuni.json", "application/json", &tj)
		if tj.TileJSON != "3.0.0" {
			t.Errorf("tilejson = %q, want 3.0.0", tj.TileJSON)
		}
		if want := []string{s.URL + "/tiles/comuni/{z}/{x}/{y}.mvt"}; !slices.Equal(tj.Tiles, want) {
			t.Errorf("tiles = %v, want %v", tj.Tiles, want)
		}
		if len(tj.Bounds) != 4 || !cremasco.Contains(orb.Point{tj.Bounds[0], tj.Bounds[1]}) || !cremasco.Contains(orb.Point{tj.Bounds[2], tj.Bounds[3]}) {
			t.Errorf("bounds = %v, want a box inside the Cremasco", tj.Bounds)
		}
		if tj.MinZoom == nil || tj.MaxZoom == nil || *tj.MinZoom != 0 || *tj.MaxZoom != 16 {
			t.Errorf("minzoom, maxzoom = %v, %v, want 0, 16", tj.MinZoom, tj.MaxZoom)
		}
		if len(tj.VectorLayers) != 1 || tj.VectorLayers[0].ID != "comuni" {
			t.Fatalf("vector_layers = %+v, want one layer comuni", tj.VectorLayers)
		}
		var fields []string
		for k := range tj.VectorLayers[0].Fields {
			fields = append(fields, k)
		}
		sort.Strings(fields)
		if want := []string{"consortium", "istat_code", "name", "synthetic"}; !slices.Equal(fields, want) {
			t.Errorf("vector_layers fields = %v, want %v", fields, want)
		}
		if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=") {
			t.Errorf("Cache-Control = %q, want a max-age", cc)
		}
		// The template resolves to a tile.
		u := strings.NewReplacer("{z}", "12", "{x}", fmt.Sprint(cremaTile.X), "{y}", fmt.Sprint(cremaTile.Y)).Replace(tj.Tiles[0])
		get(t, u, http.StatusOK)
	})

	t.Run("head", func(t *testing.T) {
		// GDAL's /vsicurl/ and caches ask HEAD first (RFC 9110 §9.3.2).
		res, body := do(t, http.MethodHead, s.URL+tilePath("comuni", cremaTile))
		if res.StatusCode != http.StatusOK || len(body) != 0 {
			t.Errorf("HEAD tile: status %d with %d bytes, want 200 without a body", res.StatusCode, len(body))
		}
		checkMediaType(t, res, "application/vnd.mapbox-vector-tile")
	})
}

// TestTileETagFollowsData checks that a write to comuni changes the tiles'
// ETag once the data versions are refreshed, and that the old one no
// longer gives 304.
func TestTileETagFollowsData(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Demo: []string{"comuni"}})
	u := s.URL + tilePath("comuni", cremaTile)
	res, _ := get(t, u, http.StatusOK)
	before := res.Header.Get("ETag")

	renameCrema(t, s, "Crema (renamed)")
	res, body := get(t, u, http.StatusOK, "If-None-Match", before)
	after := res.Header.Get("ETag")
	if after == before || after == "" {
		t.Errorf("ETag after a write = %q, want a new one (before: %q)", after, before)
	}
	if !tileHasName(t, body, "Crema (renamed)") {
		t.Errorf("tile after the write does not show the new name")
	}
	get(t, u, http.StatusNotModified, "If-None-Match", after)
}

// TestTileCache checks that the tile cache serves the same bytes without a
// query and is invalidated by the data version, not by time.
func TestTileCache(t *testing.T) {
	s := testserver.Start(t, testserver.Options{CacheMB: 8, Demo: []string{"comuni"}})
	u := s.URL + tilePath("comuni", cremaTile)
	res1, first := get(t, u, http.StatusOK)
	res2, second := get(t, u, http.StatusOK)
	if !bytes.Equal(first, second) || res1.Header.Get("ETag") != res2.Header.Get("ETag") {
		t.Fatalf("two reads of a cached tile differ")
	}
	// Change the data but not the known version: the cache still answers,
	// which proves the tile did not come from the database.
	ctx := context.Background()
	if _, err := s.DB.Write.Exec(ctx, `UPDATE comuni SET name = 'Crema (cached?)' WHERE istat_code = '019035'`); err != nil {
		t.Fatal(err)
	}
	_, third := get(t, u, http.StatusOK)
	if !bytes.Equal(first, third) {
		t.Errorf("the cached tile changed before the data version did: the cache was not used")
	}
	// Once the version is known, the next request rebuilds the tile.
	if err := s.Versions.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	res4, fourth := get(t, u, http.StatusOK)
	if res4.Header.Get("ETag") == res1.Header.Get("ETag") {
		t.Errorf("ETag unchanged after a refresh of the data versions")
	}
	if !tileHasName(t, fourth, "Crema (cached?)") {
		t.Errorf("tile after the version change still has the old data")
	}
	_, fifth := get(t, u, http.StatusOK)
	if !bytes.Equal(fourth, fifth) {
		t.Errorf("the rebuilt tile is not served from the cache the second time")
	}
}

// renameCrema writes to comuni through the test database and refreshes the
// data versions, as the poller would.
func renameCrema(tb testing.TB, s *testserver.Server, name string) {
	tb.Helper()
	ctx := context.Background()
	if _, err := s.DB.Write.Exec(ctx, `UPDATE comuni SET name = $1 WHERE istat_code = '019035'`, name); err != nil {
		tb.Fatal(err)
	}
	if err := s.Versions.Refresh(ctx); err != nil {
		tb.Fatal(err)
	}
}

func tileHasName(tb testing.TB, data []byte, name string) bool {
	tb.Helper()
	for _, f := range tileFeatures(tb, decodeTile(tb, data, cremaTile)) {
		if f.Properties["name"] == name {
			return true
		}
	}
	return false
}

func containsPoint(mp orb.MultiPolygon, p orb.Point) bool {
	return intersects(mp, orb.Bound{Min: p, Max: p})
}

// checkGoldenGeoJSON compares fc with testdata/name: the same features with
// the same properties, and geometries of the same shape whose coordinates
// differ by at most eps. With -update it rewrites the file.
func checkGoldenGeoJSON(tb testing.TB, name string, fc *geojson.FeatureCollection, eps float64) {
	tb.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		// One feature per line: small enough to review, diff-friendly.
		var b bytes.Buffer
		b.WriteString(`{"type":"FeatureCollection","features":[`)
		for i, f := range roundCoords(fc, 7).Features {
			if i > 0 {
				b.WriteByte(',')
			}
			fb, err := json.Marshal(f)
			if err != nil {
				tb.Fatal(err)
			}
			b.WriteString("\n")
			b.Write(fb)
		}
		b.WriteString("\n]}\n")
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("golden file: %v (run with -update to create it, then review it)", err)
	}
	want, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		tb.Fatalf("golden file %s: %v", path, err)
	}
	if len(fc.Features) != len(want.Features) {
		tb.Fatalf("got %d features, want %d (%s)", len(fc.Features), len(want.Features), path)
	}
	for i, g := range fc.Features {
		w := want.Features[i]
		gp, _ := json.Marshal(g.Properties)
		wp, _ := json.Marshal(w.Properties)
		if !bytes.Equal(gp, wp) {
			tb.Errorf("feature %d: properties %s, want %s", i, gp, wp)
		}
		if d, ok := maxDistance(g.Geometry, w.Geometry); !ok {
			tb.Errorf("feature %d (%s): geometry %s has another shape than %s", i, gp, g.Geometry.GeoJSONType(), w.Geometry.GeoJSONType())
		} else if d > eps {
			tb.Errorf("feature %d (%s): a coordinate is %g away from the golden one, want at most %g", i, gp, d, eps)
		}
	}
}

// maxDistance returns the largest per-axis difference between matching
// coordinates of a and b; ok is false when their shapes differ.
func maxDistance(a, b orb.Geometry) (d float64, ok bool) {
	pa, pb := points(a), points(b)
	if a.GeoJSONType() != b.GeoJSONType() || len(pa) != len(pb) {
		return 0, false
	}
	for i := range pa {
		d = max(d, math.Abs(pa[i][0]-pb[i][0]), math.Abs(pa[i][1]-pb[i][1]))
	}
	return d, true
}

// points flattens a geometry, with a separator point between parts so that
// different part structures do not line up.
func points(g orb.Geometry) []orb.Point {
	sep := orb.Point{math.Inf(1), math.Inf(1)}
	switch g := g.(type) {
	case orb.Point:
		return []orb.Point{g}
	case orb.MultiPoint:
		return g
	case orb.LineString:
		return g
	case orb.Ring:
		return g
	case orb.MultiLineString:
		var out []orb.Point
		for _, l := range g {
			out = append(append(out, l...), sep)
		}
		return out
	case orb.Polygon:
		var out []orb.Point
		for _, r := range g {
			out = append(append(out, r...), sep)
		}
		return out
	case orb.MultiPolygon:
		var out []orb.Point
		for _, p := range g {
			out = append(append(out, points(p)...), sep, sep)
		}
		return out
	}
	return nil
}

// roundCoords rounds the coordinates of fc to n decimals, for compact
// golden files.
func roundCoords(fc *geojson.FeatureCollection, n int) *geojson.FeatureCollection {
	f := math.Pow10(n)
	for _, ft := range fc.Features {
		ft.Geometry = roundGeom(ft.Geometry, f)
	}
	return fc
}

func roundGeom(g orb.Geometry, f float64) orb.Geometry {
	r := func(p orb.Point) orb.Point { return orb.Point{math.Round(p[0]*f) / f, math.Round(p[1]*f) / f} }
	switch g := g.(type) {
	case orb.Point:
		return r(g)
	case orb.Polygon:
		for _, ring := range g {
			for i := range ring {
				ring[i] = r(ring[i])
			}
		}
	case orb.MultiPolygon:
		for _, p := range g {
			roundGeom(p, f)
		}
	case orb.LineString:
		for i := range g {
			g[i] = r(g[i])
		}
	case orb.MultiLineString:
		for _, l := range g {
			roundGeom(l, f)
		}
	}
	return g
}
