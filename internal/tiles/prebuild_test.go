package tiles

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"

	"github.com/cremasco/atlante/internal/catalog"
	"github.com/cremasco/atlante/internal/civilprotection"
	"github.com/cremasco/atlante/internal/comuni"
	"github.com/cremasco/atlante/internal/demo"
	"github.com/cremasco/atlante/internal/store"
	"github.com/cremasco/atlante/internal/store/storetest"
)

// cremasco is the extent of the comuni of the Cremasco (lon/lat).
var cremasco = orb.Bound{Min: orb.Point{9.4544, 45.2321}, Max: orb.Point{9.9114, 45.5045}}

func TestPrebuildTiles(t *testing.T) {
	l := &catalog.Layer{ID: "comuni", MinZoom: 0, MaxZoom: 16}
	tests := []struct {
		max       int
		wantTiles int
		wantZoom  maptile.Zoom // deepest zoom listed
	}{
		// z0–z7: one tile each; z8 2, z9 2, z10 6, z11 12, z12 30, z13
		// 110, z14 396 (as bench.sh counts them), z15 1,548.
		{4096, 2114, 15},
		{600, 566, 14},
		{566, 566, 14},
		{565, 170, 13},
		{7, 7, 6},
	}
	for _, tt := range tests {
		ts := PrebuildTiles(l, cremasco, tt.max)
		if len(ts) != tt.wantTiles || ts[len(ts)-1].Z != tt.wantZoom {
			t.Errorf("PrebuildTiles(max %d) = %d tiles to z%d, want %d to z%d", tt.max, len(ts), ts[len(ts)-1].Z, tt.wantTiles, tt.wantZoom)
		}
		seen := map[maptile.Tile]bool{}
		for _, tl := range ts {
			if seen[tl] {
				t.Fatalf("PrebuildTiles(max %d) lists %v twice", tt.max, tl)
			}
			seen[tl] = true
			if !tl.Bound().Intersects(cremasco) {
				t.Errorf("PrebuildTiles(max %d) lists %v, outside the extent", tt.max, tl)
			}
		}
		// Every tile of the listed zooms that meets the extent is there.
		for z := maptile.Zoom(0); z <= tt.wantZoom; z++ {
			for _, c := range []orb.Point{cremasco.Min, cremasco.Max, cremasco.Center()} {
				if tl := maptile.At(c, z); !seen[tl] {
					t.Errorf("PrebuildTiles(max %d) misses %v", tt.max, tl)
				}
			}
		}
	}
	l.MinZoom, l.MaxZoom = 10, 12
	if ts := PrebuildTiles(l, cremasco, 4096); len(ts) != 6+12+30 || ts[0].Z != 10 {
		t.Errorf("PrebuildTiles(z10–12) = %d tiles from z%d, want 48 from z10", len(ts), ts[0].Z)
	}
}

// newComuniService returns a tile service over the demo comuni, without a
// cache, so that a tile it does not build comes from a prebuilt pyramid.
func newComuniService(t *testing.T) (*Service, *catalog.Layer, *store.DB, *store.Versions) {
	t.Helper()
	ctx := context.Background()
	db := storetest.NewDB(t)
	if err := demo.Load(ctx, db.Write, slog.New(slog.NewTextHandler(io.Discard, nil)), "comuni"); err != nil {
		t.Fatalf("demo: %v", err)
	}
	cat, err := catalog.New(comuni.Layers()...)
	if err != nil {
		t.Fatal(err)
	}
	versions, err := store.NewVersions(ctx, db.Read)
	if err != nil {
		t.Fatal(err)
	}
	l, _ := cat.Layer("comuni")
	if !l.Prebuild || l.TileGeoms == nil {
		t.Fatalf("comuni: Prebuild %v, TileGeoms %v: want both", l.Prebuild, l.TileGeoms)
	}
	return New(cat, db.Read, versions, 0), l, db, versions
}

// featureKey identifies a feature of a test tile: its id, else its
// istat_code.
func featureKey(f *geojson.Feature) string {
	if f.ID != nil {
		return fmt.Sprint(f.ID)
	}
	return fmt.Sprint(f.Properties["istat_code"])
}

// decodeSorted decodes a tile and sorts each layer's features by
// featureKey.
func decodeSorted(t *testing.T, data []byte) mvt.Layers {
	t.Helper()
	ls, err := mvt.Unmarshal(data)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	for _, l := range ls {
		sort.Slice(l.Features, func(i, j int) bool { return featureKey(l.Features[i]) < featureKey(l.Features[j]) })
	}
	return ls
}

// sameTile reports how two decoded tiles differ, or "".
func sameTile(a, b mvt.Layers) string {
	if len(a) != len(b) {
		return "layer count differs"
	}
	for i := range a {
		if len(a[i].Features) != len(b[i].Features) {
			return "feature count differs"
		}
		for j, fa := range a[i].Features {
			fb := b[i].Features[j]
			if !orb.Equal(fa.Geometry, fb.Geometry) {
				return "geometry of " + featureKey(fa) + " differs"
			}
			for k, v := range fa.Properties {
				if fb.Properties[k] != v {
					return "property " + k + " differs"
				}
			}
		}
	}
	return ""
}

// TestTileGeoms checks that tiles read from the geometries simplified in
// advance (comuni_tile_geoms) are the tiles the per-request simplification
// gives, at every zoom the table holds, and stay so after the boundaries
// change.
func TestTileGeoms(t *testing.T) {
	ctx := context.Background()
	s, l, db, _ := newComuniService(t)
	var ts []maptile.Tile
	for i, tl := range PrebuildTiles(l, cremasco, 1<<20) {
		// every tile to z12, a sample deeper
		if tl.Z <= 12 || i%97 == 0 {
			ts = append(ts, tl)
		}
	}
	check := func(t *testing.T) { t.Helper(); sameAsLive(t, s, db, l, ts) }
	check(t)

	// The triggers follow a moved boundary (Crema shifted ~100 m east), a
	// new comune and a deleted one.
	for _, q := range []string{
		`UPDATE comuni SET geom = ST_Translate(geom, 0.0013, 0) WHERE istat_code = '019035'`,
		`INSERT INTO comuni (istat_code, name, province_code, source, synthetic, geom)
		 SELECT '019999', 'Prova', '019', 'test', true, ST_Translate(geom, 0.05, 0.05) FROM comuni WHERE istat_code = '019035'`,
		`DELETE FROM comuni WHERE istat_code = (SELECT max(istat_code) FROM comuni WHERE istat_code <> '019999' AND istat_code <> '019035')`,
	} {
		if _, err := db.Write.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var rows, want int
	if err := db.Read.QueryRow(ctx, `SELECT (SELECT count(*) FROM comuni_tile_geoms), (SELECT count(*) * 17 FROM comuni)`).Scan(&rows, &want); err != nil {
		t.Fatal(err)
	}
	if rows != want {
		t.Errorf("comuni_tile_geoms has %d rows, want 17 zooms per comune = %d", rows, want)
	}
	check(t)
}

// sameAsLive checks that the tiles ts of l read from its simplified
// geometries are the tiles simplified on request.
func sameAsLive(t *testing.T, s *Service, db *store.DB, l *catalog.Layer, ts []maptile.Tile) {
	t.Helper()
	ctx := context.Background()
	features := 0
	for _, tl := range ts {
		args := []any{int(tl.Z), int(tl.X), int(tl.Y), float64(Buffer) / Extent, Tolerance(tl.Z)}
		var live, pre []byte
		if err := db.Read.QueryRow(ctx, tileSQL(l), args...).Scan(&live); err != nil {
			t.Fatalf("live tile %v: %v", tl, err)
		}
		if err := db.Read.QueryRow(ctx, s.geomsSQL[l.ID], args...).Scan(&pre); err != nil {
			t.Fatalf("tile %v from %s: %v", tl, l.TileGeoms.Table.Sanitize(), err)
		}
		a, b := decodeSorted(t, live), decodeSorted(t, pre)
		if d := sameTile(a, b); d != "" {
			t.Fatalf("%s tile %v from %s: %s from the tile simplified on request", l.ID, tl, l.TileGeoms.Table.Sanitize(), d)
		}
		if len(a) > 0 {
			features += len(a[0].Features)
		}
	}
	if features < len(ts) {
		t.Fatalf("%d features in %d tiles: the comparison saw too little", features, len(ts))
	}
}

// TestTileGeomsScenarios checks the scenarios' simplified geometries, kept
// by the triggers through edits.
func TestTileGeomsScenarios(t *testing.T) {
	ctx := context.Background()
	db := storetest.NewDB(t)
	if err := demo.Load(ctx, db.Write, slog.New(slog.NewTextHandler(io.Discard, nil)), "comuni", "civilprotection"); err != nil {
		t.Fatalf("demo: %v", err)
	}
	cat, err := catalog.New(civilprotection.Layers()...)
	if err != nil {
		t.Fatal(err)
	}
	versions, err := store.NewVersions(ctx, db.Read)
	if err != nil {
		t.Fatal(err)
	}
	s := New(cat, db.Read, versions, 0)
	l, _ := cat.Layer(civilprotection.LayerScenarios)
	if l.TileGeoms == nil {
		t.Fatal("scenarios: no TileGeoms")
	}
	tiles := func() []maptile.Tile {
		rows, err := db.Read.Query(ctx, `SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM cp_scenarios) x`)
		if err != nil {
			t.Fatal(err)
		}
		pts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (orb.Point, error) {
			var p orb.Point
			return p, r.Scan(&p[0], &p[1])
		})
		if err != nil || len(pts) == 0 {
			t.Fatalf("scenarios: %d points, %v", len(pts), err)
		}
		var ts []maptile.Tile
		for _, p := range pts {
			for z := maptile.Zoom(l.MinZoom); int(z) <= l.TileGeoms.MaxZoom; z++ {
				ts = append(ts, maptile.At(p, z))
			}
		}
		return ts
	}
	sameAsLive(t, s, db, l, tiles())
	for _, q := range []string{
		`UPDATE cp_scenarios SET geom = ST_Multi(ST_Translate(geom, 0.0013, 0)) WHERE id = (SELECT min(id) FROM cp_scenarios)`,
		`DELETE FROM cp_scenarios WHERE id = (SELECT max(id) FROM cp_scenarios)`,
	} {
		if _, err := db.Write.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var rows, want int
	if err := db.Read.QueryRow(ctx, `SELECT (SELECT count(*) FROM cp_scenarios_tile_geoms), (SELECT count(*) * 9 FROM cp_scenarios)`).Scan(&rows, &want); err != nil {
		t.Fatal(err)
	}
	if rows != want {
		t.Errorf("cp_scenarios_tile_geoms has %d rows, want 9 zooms (8–16) per scenario = %d", rows, want)
	}
	sameAsLive(t, s, db, l, tiles())
}

// waitPrebuilt waits until the layer's tiles are prebuilt at its current
// data version.
func waitPrebuilt(t *testing.T, s *Service, l *catalog.Layer) PrebuildStats {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		for _, st := range s.PrebuildStats() {
			if st.Layer == l.ID && st.ETag == s.ETag(l) && st.Complete {
				return st
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the tiles of %s were not prebuilt in 2 minutes: %+v", l.ID, s.PrebuildStats())
	return PrebuildStats{}
}

// TestPrebuild checks that the tiles of a Prebuild layer are built in the
// background, served without a query, and rebuilt after a data change.
func TestPrebuild(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, l, db, versions := newComuniService(t)
	cat, _ := catalog.New(*l)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Prebuild(ctx, cat, 64<<20, 20*time.Millisecond, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	defer func() { cancel(); <-done }()

	st := waitPrebuilt(t, s, l)
	extent, _, err := s.extent(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	if want := len(PrebuildTiles(l, extent, prebuildMaxTiles)); st.Tiles != want || want < 1000 {
		t.Errorf("prebuilt %d tiles of comuni, want all %d over its extent", st.Tiles, want)
	}
	crema := func() (Tile, map[string]any) {
		t.Helper()
		got, err := s.Tile(ctx, l, cremaTile)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := got.Plain()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range decodeSorted(t, plain)[0].Features {
			if f.Properties["istat_code"] == "019035" {
				return got, f.Properties
			}
		}
		t.Fatalf("no Crema in tile %v", cremaTile)
		return got, nil
	}
	// Without a cache, a tile built on request has its raw bytes only; a
	// prebuilt one comes gzipped.
	got, props := crema()
	if got.Raw != nil || got.Gzipped == nil || props["name"] != "Crema" {
		t.Fatalf("Tile(comuni, %v) = raw %d bytes, gzipped %d, Crema %v: want the prebuilt tile (gzipped only)",
			cremaTile, len(got.Raw), len(got.Gzipped), props)
	}
	plain, _ := got.Plain()
	built, err := s.build(ctx, l, cremaTile)
	if err != nil {
		t.Fatal(err)
	}
	if d := sameTile(decodeSorted(t, plain), decodeSorted(t, built)); d != "" {
		t.Errorf("prebuilt tile %v: %s from the tile built on request", cremaTile, d)
	}

	// A change: the next version is prebuilt, and served.
	old := s.ETag(l)
	if _, err := db.Write.Exec(ctx, `UPDATE comuni SET name = 'Crema nuova' WHERE istat_code = '019035'`); err != nil {
		t.Fatal(err)
	}
	if err := versions.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if s.ETag(l) == old {
		t.Fatal("the update did not change the layer's version")
	}
	waitPrebuilt(t, s, l)
	if got, props := crema(); got.Raw != nil || props["name"] != "Crema nuova" {
		t.Errorf("after the update: raw %d bytes, Crema %v: want the new prebuilt tile", len(got.Raw), props)
	}
}

// TestPrebuildBounds checks the budget and the restart on a change.
func TestPrebuildBounds(t *testing.T) {
	ctx := context.Background()
	s, l, db, versions := newComuniService(t)

	p, err := s.prebuild(ctx, l, 1)
	if err != nil {
		t.Fatal(err)
	}
	// It stops after the first tile with data (the smallest zooms of the
	// small demo comuni may be empty).
	nonEmpty := 0
	for _, gz := range p.tiles {
		if len(gz) > 0 {
			nonEmpty++
		}
	}
	if nonEmpty != 1 || p.complete || !p.done || len(p.tiles) > 10 {
		t.Errorf("prebuild with a budget of 1 byte: %d tiles (%d with data), complete %v, done %v; want 1 with data, done, not complete",
			len(p.tiles), nonEmpty, p.complete, p.done)
	}

	// The layer changes while its tiles are being built: the build stops.
	errc := make(chan error, 1)
	go func() {
		_, err := s.prebuild(ctx, l, 64<<20)
		errc <- err
	}()
	for started := false; !started; {
		time.Sleep(time.Millisecond)
		for _, st := range s.PrebuildStats() {
			started = started || (st.Layer == l.ID && st.ETag == s.ETag(l) && st.Tiles > 0)
		}
	}
	if _, err := db.Write.Exec(ctx, `UPDATE comuni SET name = name || ' ' WHERE istat_code = '019035'`); err != nil {
		t.Fatal(err)
	}
	if err := versions.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, errStale) {
		t.Errorf("prebuild across a change = %v, want errStale", err)
	}
	for _, st := range s.PrebuildStats() {
		if st.Layer == l.ID && st.ETag == s.ETag(l) {
			t.Errorf("a stopped prebuild left tiles under the new version: %+v", st)
		}
	}
	if slices.ContainsFunc(s.PrebuildStats(), func(st PrebuildStats) bool { return st.Complete && st.Layer == l.ID }) {
		t.Errorf("a stopped prebuild is marked complete")
	}
}
